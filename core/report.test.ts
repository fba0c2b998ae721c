import { lineChart, renderSvg } from './charts';
import { renderReport } from './report';

describe('HTML report', () => {
  it('is self-contained: inline SVG, escaped text, tables, no script and no external resource', async () => {
    const svg = await renderSvg(
      lineChart({
        title: 'LTV',
        values: [
          { t: 0, v: 0.8 },
          { t: 1, v: 0.75 },
        ],
        x: { field: 't', title: 'day' },
        y: { field: 'v', title: 'LTV' },
      }),
    );
    const html = renderReport({
      title: 'risk-oracle <demo>',
      figures: [{ label: 'verify mismatches', value: '0' }],
      sections: [
        { id: 'params', title: 'Parameters', explanation: 'LTV & thresholds over time.', svg },
        { id: 'gas', title: 'Gas', explanation: 'Per operation.', table: { columns: ['operation', 'gas'], rows: [['publish', 70_123]] } },
      ],
    });
    expect(html).toContain('<title>risk-oracle &lt;demo&gt;</title>');
    expect(html).toContain('LTV &amp; thresholds');
    expect(html).toContain('<svg');
    expect(html).toContain('<td>70123</td>');
    // every table scrolls in its own keyboard-focusable region, named after its section
    expect(html).toContain('<div class="scroll" role="region" tabindex="0" aria-label="Gas (table)"><table>');
    expect(html.match(/<table>/g)).toHaveLength((html.match(/class="scroll"/g) ?? []).length);
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
  });
});
