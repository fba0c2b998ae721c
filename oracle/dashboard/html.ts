import { escapeHtml } from '../../core/report';
import type { VerifyStatus } from './types';

/**
 * Small HTML helpers for the dashboard. Everything that reaches the page from the chain or the database goes
 * through `escapeHtml` here (or `text`): addresses, symbols, reasons and messages are data, never markup.
 */

export { escapeHtml };

/** Escapes any value's string form. */
export const text = (value: unknown): string => escapeHtml(String(value));

const BPS = 10_000;

/** Basis points as a percentage with two decimals: 7500 → "75.00 %". */
export const pct = (bps: number): string => `${(bps / 100).toFixed(2)} %`;

/** Aave's bonus (10000 + bonus) as the bonus alone: 10500 → "5.00 %". */
export const bonusPct = (bonus: number): string => pct(bonus - BPS);

/** A 0x value shortened to its head and tail, the whole of it in a title (and for screen readers). */
export function hex(value: string, keep = 6): string {
  const v = text(value);
  if (value.length <= 2 + 2 * keep) return `<code>${v}</code>`;
  return `<code title="${v}">${text(value.slice(0, 2 + keep))}…${text(value.slice(-keep))}</code>`;
}

/** Unix seconds as a UTC date and time in a <time> element. */
export function time(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '<span class="muted">–</span>';
  const iso = new Date(seconds * 1000).toISOString();
  return `<time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC</time>`;
}

/** Seconds as a short duration: "45 s", "12 min", "3 h 05 min", "2 d 4 h". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3_600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3_600)} h ${String(Math.floor((s % 3_600) / 60)).padStart(2, '0')} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3_600)} h`;
}

/** A status label that does not rely on colour alone: a symbol, a word and a colour class. */
export function pill(kind: 'ok' | 'bad' | 'warn' | 'muted', label: string): string {
  const mark = { ok: '✓', bad: '✗', warn: '!', muted: '–' }[kind];
  return `<span class="pill ${kind}"><span aria-hidden="true">${mark}</span> ${text(label)}</span>`;
}

/** What `verify` says of a round or an epoch. */
export function verifyBadge(v: VerifyStatus): string {
  if (v.state === 'verified')
    return `${pill('ok', 'verified: re-derived bit for bit')}${v.basis ? ` <span class="sub" data-field="verify-basis">${text(v.basis)}</span>` : ''}`;
  if (v.state === 'mismatch')
    return `${pill('bad', 'MISMATCH')}<ul class="reasons">${v.fields.map((f) => `<li>${text(f)}</li>`).join('')}</ul>`;
  return `${pill('muted', 'not verified')} <span class="muted">${text(v.reason)}</span>`;
}

export interface Table {
  /** Visible caption: what the table lists. */
  caption: string;
  columns: string[];
  /** Cells are HTML: escape data with `text` (or the helpers above) before putting it here. */
  rows: string[][];
  /** Shown instead of an empty table. */
  empty: string;
}

/** A table in a horizontally scrollable, keyboard-focusable region (phones). */
export function table(t: Table): string {
  if (t.rows.length === 0) return `<p class="muted">${text(t.empty)}</p>`;
  const head = t.columns.map((c) => `<th scope="col">${text(c)}</th>`).join('');
  const body = t.rows
    .map((r) => `<tr>${r.map((cell, i) => (i === 0 ? `<th scope="row">${cell}</th>` : `<td>${cell}</td>`)).join('')}</tr>`)
    .join('');
  return `<div class="scroll" role="region" tabindex="0" aria-label="${text(t.caption)}"><table><caption>${text(t.caption)}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

/** An inline SVG chart with a text alternative. */
export function figure(svg: string | undefined, label: string, caption?: string): string {
  if (!svg) return '';
  return `<figure><div role="img" aria-label="${text(label)}">${svg}</div>${caption ? `<figcaption>${text(caption)}</figcaption>` : ''}</figure>`;
}
