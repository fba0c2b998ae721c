import type { ChartSpec } from '../../core/charts';
import { collateralShadowChart, createChartCache, parameterChart, priceChart, renderCharts, scoreChart, shadowChart } from './charts';
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

  it("draws each collateral candidate's mean |Δ threshold| over time, and its backtest's bad debt beside the reference's where recorded", async () => {
    const list = snapshot.models.collateralShadow;
    const values = (spec: ChartSpec | undefined) =>
      (spec as unknown as { data: { values: Array<Record<string, number | string>> } }).data.values;
    expect(values(collateralShadowChart(list, 'threshold'))).toEqual([
      { t: 1_749_900_000_000, candidate: '0xc7c7c7c7…', value: 80 },
      { t: 1_749_950_000_000, candidate: '0xc7c7c7c7…', value: 65 },
      { t: 1_749_990_000_000, candidate: '0xc7c7c7c7…', value: 50 },
    ]);
    // the first comparison had no backtest: no point for it, rather than a zero
    expect(values(collateralShadowChart(list, 'badDebt'))).toEqual([
      { t: 1_749_950_000_000, line: '0xc7c7c7c7… candidate', policy: 'candidate', value: 0.0141 },
      { t: 1_749_950_000_000, line: '0xc7c7c7c7… its reference', policy: 'reference', value: 0.0092 },
      { t: 1_749_990_000_000, line: '0xc7c7c7c7… candidate', policy: 'candidate', value: 0.0123 },
      { t: 1_749_990_000_000, line: '0xc7c7c7c7… its reference', policy: 'reference', value: 0.0088 },
    ]);
    expect(collateralShadowChart([], 'threshold')).toBeUndefined();
    const noBacktest = list.map((v) => ({
      ...v,
      points: v.points.map(({ at, meanAbsLtDiff, maxAbsLtDiff }) => ({ at, meanAbsLtDiff, maxAbsLtDiff })),
    }));
    expect(collateralShadowChart(noBacktest, 'badDebt')).toBeUndefined();
    const rendered = await renderCharts(snapshot, createChartCache());
    expect(rendered.collateralShadow!.threshold).toContain('Collateral shadow: mean |Δ liquidation threshold|');
    expect(rendered.collateralShadow!.threshold).toContain('candidate − in force (bps)');
    expect(rendered.collateralShadow!.badDebt).toContain('Collateral shadow backtest: bad debt');
    expect(rendered.collateralShadow!.badDebt).toContain('bad debt (% of debt)');
    const without = await renderCharts({ ...snapshot, models: { ...snapshot.models, collateralShadow: noBacktest } }, createChartCache());
    expect(without.collateralShadow).toEqual({ threshold: expect.stringMatching(/^<svg/) });
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
