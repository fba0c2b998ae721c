import type { ChartSpec } from '../../core/charts';
import { createChartCache, parameterChart, priceChart, renderCharts, scoreChart, shadowChart } from './charts';
import { sampleSnapshot } from './testing';

/** The layers of a layered spec, as plain records (the spec types are vega-lite's). */
const layers = (spec: ChartSpec) =>
  (spec as unknown as { layer: Array<{ data: { values: Array<Record<string, number | string>> } }> }).layer;

describe('dashboard charts', () => {
  const snapshot = sampleSnapshot();
  const weth = snapshot.assets[0]!;

  it('draws the parameters in force as steps held to the given time, with the DAO maximums as rules', () => {
    const spec = parameterChart(weth, 1_750_000_000)!;
    const [steps, rules] = layers(spec);
    const ltv = steps!.data.values.filter((v) => v.series === 'LTV');
    expect(ltv).toEqual([
      { t: 1_749_900_000_000, series: 'LTV', value: 0.72 },
      { t: 1_749_990_000_000, series: 'LTV', value: 0.75 },
      { t: 1_750_000_000_000, series: 'LTV', value: 0.75 },
    ]);
    expect(steps!.data.values.find((v) => v.series === 'liquidation bonus')!.value).toBeCloseTo(0.05);
    expect(rules!.data.values).toEqual([
      { series: 'LTV', value: 0.8 },
      { series: 'liquidation threshold', value: 0.85 },
    ]);
    expect(parameterChart(snapshot.assets[1]!, 1_750_000_000)).toBeUndefined();
    expect(priceChart(snapshot.assets[1]!)).toBeUndefined();
  });

  it("draws each candidate's shadow figures over time, and nothing without results", async () => {
    const shadow = snapshot.models.shadow;
    const rank = shadowChart(shadow, 'rank') as unknown as { data: { values: Array<Record<string, number | string>> } };
    expect(rank.data.values).toEqual([
      { t: 1_749_960_000_000, candidate: '0xefefefef…', value: 0.91 },
      { t: 1_749_990_000_000, candidate: '0xefefefef…', value: 0.93 },
    ]);
    const flips = shadowChart(shadow, 'flips') as unknown as { data: { values: Array<Record<string, number | string>> } };
    expect(flips.data.values.map((v) => v.value)).toEqual([9, 7]);
    expect(shadowChart([], 'rank')).toBeUndefined();
    const rendered = await renderCharts(snapshot, createChartCache());
    expect(rendered.shadow!.rank).toContain('Shadow: rank correlation with the model in force');
    expect(rendered.shadow!.flips).toContain('Shadow: decision flips at the cutoff');
  });

  it('renders each distinct spec once, escapes the text in the SVG, and leaves out charts without data', async () => {
    const cache = createChartCache(2);
    const first = await renderCharts(snapshot, cache);
    expect(first.assets.get('WETH')!.parameters).toMatch(/^<svg[^>]+viewBox=/);
    expect(first.assets.get('WETH')!.price).toContain('WETH: price (USD, csv)');
    expect(first.assets.get(snapshot.assets[1]!.symbol)).toEqual({});
    expect(first.scores).toContain('Scores in epoch 1 (30 wallets)');
    // the same spec (even rebuilt) is the same render; the oldest is dropped beyond the cache's size
    const spec = scoreChart(snapshot.credit.distribution!);
    const kept = cache(spec);
    expect(cache(JSON.parse(JSON.stringify(spec)) as ChartSpec)).toBe(kept);
    await cache(priceChart(weth)!);
    await cache(parameterChart(weth, 1)!);
    expect(cache(spec)).not.toBe(kept);
    expect(await cache(spec)).toBe(await kept);

    const evil = await cache(priceChart({ ...weth, symbol: '<script>alert(1)</script>' })!);
    expect(evil).not.toContain('<script>');
    expect(evil).toContain('&lt;script&gt;');
  });
});
