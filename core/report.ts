/**
 * Self-contained HTML reports: inline SVG charts (from core/charts), tables and short explanations, no script
 * and no network. Used by the demo, `evaluate` and the backtest.
 */
export interface ReportTable {
  columns: string[];
  rows: Array<Array<string | number>>;
}

export interface ReportSection {
  id: string;
  title: string;
  /** One or two sentences a reader needs to understand the chart. */
  explanation: string;
  svg?: string;
  table?: ReportTable;
}

export interface Report {
  title: string;
  subtitle?: string;
  /** Headline figures shown as cards at the top. */
  figures?: Array<{ label: string; value: string }>;
  sections: ReportSection[];
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1f24;margin:0;background:#f6f7f9}
header{background:#14213d;color:#fff;padding:24px 32px}header h1{margin:0 0 4px;font-size:26px}header p{margin:0;opacity:.85}
main{max-width:1100px;margin:0 auto;padding:24px 32px}
.figures{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:24px}.figure{background:#fff;border:1px solid #d8dde3;border-radius:8px;padding:12px 16px;min-width:150px}
.figure b{display:block;font-size:22px}.figure span{color:#4a5560;font-size:13px}
section{background:#fff;border:1px solid #d8dde3;border-radius:8px;padding:16px 24px;margin-bottom:20px}section h2{margin:0 0 6px;font-size:19px}
section p{margin:0 0 12px;color:#333c45;overflow-wrap:anywhere}figure{margin:0;overflow-x:auto}
.scroll{overflow-x:auto;max-width:100%}.scroll:focus{outline:2px solid #14213d}
table{border-collapse:collapse;font-size:14px;margin-top:8px}th,td{border-bottom:1px solid #e3e7eb;padding:4px 10px;text-align:right}th:first-child,td:first-child{text-align:left}
nav a{color:#fff;margin-right:14px;font-size:13px}`;

/**
 * A table in a keyboard-focusable region that scrolls sideways on its own, so a phone-width screen never scrolls the
 * whole page (roots, addresses and model ids are long; explanations let them break instead).
 */
function renderTable(table: ReportTable, label: string): string {
  const head = table.columns.map((c) => `<th scope="col">${escapeHtml(c)}</th>`).join('');
  const body = table.rows.map((r) => `<tr>${r.map((v) => `<td>${escapeHtml(String(v))}</td>`).join('')}</tr>`).join('');
  return `<div class="scroll" role="region" tabindex="0" aria-label="${escapeHtml(label)} (table)"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

export function renderReport(report: Report): string {
  const figures = (report.figures ?? [])
    .map((f) => `<div class="figure"><b>${escapeHtml(f.value)}</b><span>${escapeHtml(f.label)}</span></div>`)
    .join('');
  const nav = report.sections.map((s) => `<a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a>`).join('');
  const sections = report.sections
    .map(
      (s) =>
        `<section id="${escapeHtml(s.id)}" aria-labelledby="${escapeHtml(s.id)}-h"><h2 id="${escapeHtml(s.id)}-h">${escapeHtml(s.title)}</h2><p>${escapeHtml(s.explanation)}</p>` +
        `${s.svg ? `<figure role="img" aria-label="${escapeHtml(s.title)}">${s.svg}</figure>` : ''}${s.table ? renderTable(s.table, s.title) : ''}</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(report.title)}</title><style>${STYLE}</style></head>
<body><header><h1>${escapeHtml(report.title)}</h1>${report.subtitle ? `<p>${escapeHtml(report.subtitle)}</p>` : ''}<nav>${nav}</nav></header>
<main>${figures ? `<div class="figures">${figures}</div>` : ''}
${sections}
</main></body></html>
`;
}
