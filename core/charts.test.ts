import { lineChart, renderSvg } from './charts';

describe('charts', () => {
  it('renders a vega-lite line chart to SVG with its title, axis titles and one line per series', async () => {
    const values = [0, 1, 2, 3].flatMap((t) => [
      { t, price: 100 + t, asset: 'WETH' },
      { t, price: 1 - t / 100, asset: 'USDC' },
    ]);
    const svg = await renderSvg(
      lineChart({
        title: 'Prices',
        values,
        x: { field: 't', title: 'day' },
        y: { field: 'price', title: 'USD' },
        series: { field: 'asset', title: 'asset' },
      }),
    );
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Prices');
    expect(svg).toContain('>day<');
    expect(svg).toContain('>USD<');
    const lines = svg.match(/class="mark-line role-mark[^"]*"/g) ?? [];
    expect(lines.length).toBe(2); // one line mark per series
    expect((svg.match(/<path[^>]*d="M[^"]+"/g) ?? []).length).toBeGreaterThanOrEqual(2);
  });
});
