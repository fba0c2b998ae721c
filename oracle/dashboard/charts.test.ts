import type { ChartSpec } from '../../core/charts';
import {
  collateralShadowChart,
  createChartCache,
  DRIFT_KINDS,
  driftChart,
  parameterChart,
  priceChart,
  renderCharts,
  scoreChart,
  shadowChart,
} from './charts';
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

  it('draws one bar per feature, coloured by its kind (market-level in its own colour), with the threshold as a dashed rule', async () => {
    const drift = { ...snapshot.drift!, threshold: 0.25 };
    const spec = driftChart(drift) as unknown as {
      title: string;
      data: { values: Array<{ feature: string; psi: number; side: string }> };
      layer: Array<{
        mark: { type: string; strokeDash?: number[] };
        data?: { values: Array<Record<string, number>> };
        encoding: Record<string, { field: string; title?: string; scale?: { domain: string[]; range: string[] } }>;
      }>;
    };
    expect(spec.title).toBe('Feature drift of epoch 2 (PSI against the training rows)');
    // largest first, one bar per feature the decision recorded
    expect(spec.data.values).toEqual([
      { feature: 'open_collateral_vol_7d', psi: 4.9, side: 'market-level: judged by the training range' },
      { feature: 'borrow_count', psi: 0.41, side: 'above 0.25' },
      { feature: 'repay_ratio', psi: 0.12, side: 'at most 0.25' },
      { feature: 'age_days', psi: 0.09, side: 'at most 0.25' },
    ]);
    const [bars, rule] = spec.layer;
    expect(bars!.mark.type).toBe('bar');
    expect(bars!.encoding.y).toMatchObject({ field: 'feature', title: 'credit feature' });
    expect(bars!.encoding.x).toMatchObject({ field: 'psi', title: 'population stability index (PSI); dashed: threshold 0.25' });
    // each kind keeps its colour: market-level purple, above the threshold orange, at most blue
    const colour = bars!.encoding.color!.scale!;
    const colourOf = (side: string) => colour.range[colour.domain.indexOf(side)];
    expect(colourOf('market-level: judged by the training range')).toBe('#6a3d9a');
    expect(colourOf('above 0.25')).toBe('#c2410c');
    expect(colourOf('at most 0.25')).toBe('#3b5b92');
    expect(new Set(colour.range).size).toBe(3);
    expect(rule!.mark).toMatchObject({ type: 'rule', strokeDash: [4, 3] });
    expect(rule!.data!.values).toEqual([{ threshold: 0.25 }]);
    expect(rule!.encoding.x!.field).toBe('threshold');

    // a kind the epoch does not have is not in the legend; the others keep their colours
    const calm = driftChart({
      epoch: 3,
      psi: { age_days: 0.05, borrow_count: 0.1 },
      outOfSupport: {},
      threshold: 0.25,
    }) as unknown as typeof spec;
    expect(calm.layer[0]!.encoding.color!.scale).toEqual({ domain: ['at most 0.25'], range: [DRIFT_KINDS[1].colour] });
    // a market-level feature is judged by its range whatever its PSI, a wallet-level one by the threshold it was judged at
    const strict = driftChart({ ...drift, threshold: 0.1 }) as unknown as typeof spec;
    expect(strict.data.values.map((v) => v.side)).toEqual([
      'market-level: judged by the training range',
      'above 0.1',
      'above 0.1',
      'at most 0.1',
    ]);

    const rendered = await renderCharts(snapshot, createChartCache());
    expect(rendered.drift).toContain('Feature drift of epoch 2 (PSI against the training rows)');
    expect(rendered.drift).toContain('market-level: judged by the training range');
    // drawn: a bar per feature in its kind's colour, the threshold a dashed line
    const drawn = [
      ...rendered.drift!.matchAll(
        /aria-label="[^"]*credit feature: ([a-z_0-9]+);[^"]*" role="graphics-symbol" aria-roledescription="bar" d="[^"]+" fill="(#[0-9a-f]{6})"/g,
      ),
    ];
    expect(Object.fromEntries(drawn.map((m) => [m[1], m[2]]))).toEqual({
      open_collateral_vol_7d: '#6a3d9a',
      borrow_count: '#c2410c',
      repay_ratio: '#3b5b92',
      age_days: '#3b5b92',
    });
    expect(rendered.drift).toMatch(/aria-label="threshold: 0.25"[^>]*stroke="#b00020"[^>]*stroke-dasharray="4,3"/);
    // nothing to draw without a decision, or with one that recorded no figures
    expect((await renderCharts({ ...snapshot, drift: null }, createChartCache())).drift).toBeUndefined();
    const unchecked = { ...snapshot.drift!, threshold: null, psi: {}, outOfSupport: {} };
    expect((await renderCharts({ ...snapshot, drift: unchecked }, createChartCache())).drift).toBeUndefined();
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
