import { createHash } from 'node:crypto';
import { renderSvg, type ChartSpec } from '../../core/charts';
import type { AssetView, CollateralShadowView, DriftFigures, DriftView, ScoreDistribution, ShadowView } from './types';

/**
 * The dashboard's charts: vega-lite specs rendered to inline SVG in Node by core/charts (as the demo report's are).
 * Rendering costs ~50–100 ms a chart, so SVGs are kept by spec: a refresh re-renders only what changed.
 */

const BPS = 10_000;
const WIDTH = 380;
const HEIGHT = 170;
const UNTIL_STEP = 900;
/** A candidate's short name in a legend. */
const candidateName = (modelId: string) => `${modelId.slice(0, 10)}…`;

/**
 * An asset's parameters in force over time (steps at each publication, held to `until`), with the DAO's maximum
 * LTV and threshold as dashed rules. Undefined before the first publication.
 */
export function parameterChart(asset: AssetView, until: number): ChartSpec | undefined {
  if (asset.history.length === 0) return undefined;
  const series = (p: { t: number; ltv: number; liquidationThreshold: number; liquidationBonus: number }) => [
    { t: p.t * 1000, series: 'LTV', value: p.ltv / BPS },
    { t: p.t * 1000, series: 'liquidation threshold', value: p.liquidationThreshold / BPS },
    { t: p.t * 1000, series: 'liquidation bonus', value: (p.liquidationBonus - BPS) / BPS },
  ];
  const first = asset.history[0]!;
  const last = asset.history[asset.history.length - 1]!;
  const end = Math.max(until, last.t);
  const values = [...asset.history.flatMap(series), ...(end > last.t ? series({ ...last, t: end }) : [])];
  const bounds = [
    { series: 'LTV', value: asset.bounds.max.ltv / BPS },
    { series: 'liquidation threshold', value: asset.bounds.max.liquidationThreshold / BPS },
  ];
  // a little room either side, so that a single publication is a visible point, not the edge of the chart
  const span = end - first.t;
  const pad = Math.max(15 * 60, Math.round(span * 0.04));
  const x = {
    field: 't',
    type: 'temporal',
    title: 'published (chain time, UTC)',
    scale: { domain: [(first.t - pad) * 1000, (end + pad) * 1000] },
    axis: { format: span < 2 * 86_400 ? '%d %b %H:%M' : '%d %b', tickCount: 4, labelOverlap: true },
  };
  return {
    title: `${asset.symbol}: parameters in force`,
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values },
        mark: { type: 'line', interpolate: 'step-after', point: true, strokeWidth: 2 },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title: 'share of collateral value', axis: { format: '%' }, scale: { domain: [0, 1] } },
          color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', labelLimit: 220 } },
        },
      },
      {
        data: { values: bounds },
        mark: { type: 'rule', strokeDash: [4, 4] },
        encoding: { y: { field: 'value', type: 'quantitative' }, color: { field: 'series', type: 'nominal' } },
      },
    ],
  } as ChartSpec;
}

/** The price series the collateral model reads for the asset. Undefined without prices. */
export function priceChart(asset: AssetView): ChartSpec | undefined {
  if (asset.prices.points.length === 0) return undefined;
  return {
    title: `${asset.symbol}: price (USD, ${asset.prices.source})`,
    width: WIDTH,
    height: HEIGHT,
    data: { values: asset.prices.points.map((p) => ({ t: p.t * 1000, price: p.p })) },
    mark: { type: 'line', strokeWidth: 1.5, color: '#3b5b92' },
    encoding: {
      x: { field: 't', type: 'temporal', title: 'price time (UTC)', axis: { tickCount: 5, labelOverlap: true } },
      y: { field: 'price', type: 'quantitative', title: 'USD', scale: { zero: false } },
    },
  } as ChartSpec;
}

/** Wallets per 25-point score bucket in an epoch. */
export function scoreChart(d: ScoreDistribution): ChartSpec {
  return {
    title: `Scores in epoch ${d.epoch} (${d.count} wallets)`,
    width: WIDTH,
    height: HEIGHT,
    data: { values: d.buckets.map((b) => ({ from: b.from, to: Math.min(b.from + 25, 851), count: b.count })) },
    mark: { type: 'bar', color: '#3b5b92' },
    encoding: {
      x: { field: 'from', bin: 'binned', type: 'quantitative', title: 'score (300–850)', scale: { domain: [300, 851] } },
      x2: { field: 'to' },
      y: { field: 'count', type: 'quantitative', title: 'wallets' },
    },
  } as ChartSpec;
}

/**
 * The candidates' shadow comparisons over time, one line per candidate: `rank` is the Spearman correlation with
 * the model in force, `flips` the wallets on the other side of the cutoff. Undefined without results.
 */
export function shadowChart(shadow: ShadowView[], figure: 'rank' | 'flips'): ChartSpec | undefined {
  const values = shadow.flatMap((v) =>
    v.points.map((p) => ({
      t: p.at * 1000,
      candidate: candidateName(v.modelId),
      value: figure === 'rank' ? p.rankCorrelation : p.decisionFlips,
    })),
  );
  if (values.length === 0) return undefined;
  const low = Math.min(...values.map((v) => v.value));
  return {
    title: figure === 'rank' ? 'Shadow: rank correlation with the model in force' : 'Shadow: decision flips at the cutoff',
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', point: true, strokeWidth: 2 },
    encoding: {
      x: { field: 't', type: 'temporal', title: 'data time (UTC)', axis: { tickCount: 4, labelOverlap: true } },
      y:
        figure === 'rank'
          ? { field: 'value', type: 'quantitative', title: 'Spearman ρ', scale: { domain: [Math.min(0.5, Math.floor(low * 10) / 10), 1] } }
          : { field: 'value', type: 'quantitative', title: 'wallets', axis: { tickMinStep: 1 } },
      color: { field: 'candidate', type: 'nominal', title: 'candidate', legend: { orient: 'bottom', labelLimit: 220 } },
    },
  } as ChartSpec;
}

/**
 * The collateral candidates' shadow comparisons over time: `threshold` is the mean |Δ liquidation threshold| over
 * the assets in bps, one line per candidate; `badDebt` the shadow backtest's bad debt (% of debt) of each candidate
 * and of the reference it was compared with (dashed), each its own colour, where a backtest was recorded. Undefined without points.
 */
export function collateralShadowChart(list: CollateralShadowView[], figure: 'threshold' | 'badDebt'): ChartSpec | undefined {
  const x = { field: 't', type: 'temporal', title: 'data time (UTC)', axis: { tickCount: 4, labelOverlap: true } };
  const legend = { orient: 'bottom', labelLimit: 220 };
  if (figure === 'threshold') {
    const values = list.flatMap((v) =>
      v.points.map((p) => ({ t: p.at * 1000, candidate: candidateName(v.modelId), value: p.meanAbsLtDiff })),
    );
    if (values.length === 0) return undefined;
    return {
      title: 'Collateral shadow: mean |Δ liquidation threshold|',
      width: WIDTH,
      height: HEIGHT,
      data: { values },
      mark: { type: 'line', point: true, strokeWidth: 2 },
      encoding: {
        x,
        y: { field: 'value', type: 'quantitative', title: 'candidate − in force (bps)', scale: { zero: true } },
        color: { field: 'candidate', type: 'nominal', title: 'candidate', legend },
      },
    } as ChartSpec;
  }
  const values = list.flatMap((v) =>
    v.points.flatMap((p) =>
      p.badDebtPct
        ? (['candidate', 'reference'] as const).map((policy) => ({
            t: p.at * 1000,
            line: `${candidateName(v.modelId)} ${policy === 'candidate' ? 'candidate' : 'its reference'}`,
            policy,
            value: p.badDebtPct![policy],
          }))
        : [],
    ),
  );
  if (values.length === 0) return undefined;
  return {
    title: 'Collateral shadow backtest: bad debt',
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', point: true, strokeWidth: 2 },
    encoding: {
      x,
      y: { field: 'value', type: 'quantitative', title: 'bad debt (% of debt)', scale: { zero: true } },
      // a colour per line (so the legend tells them apart even where a line is one point), dashed for the reference
      color: { field: 'line', type: 'nominal', title: null, legend },
      strokeDash: { field: 'policy', type: 'nominal', legend: null, sort: ['candidate', 'reference'] },
    },
  } as ChartSpec;
}

/**
 * How the drift chart tells features apart, in the order of its legend: a wallet-level feature by its PSI against
 * the threshold, a market-level one (it has an out-of-support share) by the training range, whatever its PSI. Each
 * colour has at least 3:1 contrast on white (WCAG 1.4.11).
 */
export const DRIFT_KINDS = [
  { kind: 'above', colour: '#c2410c', label: (t: number) => `above ${t}` },
  { kind: 'within', colour: '#3b5b92', label: (t: number) => `at most ${t}` },
  { kind: 'market', colour: '#6a3d9a', label: () => 'market-level: judged by the training range' },
] as const;

/** A feature's kind in the drift chart (see `DRIFT_KINDS`). */
export const driftKind = (d: DriftFigures, feature: string): (typeof DRIFT_KINDS)[number]['kind'] =>
  feature in d.outOfSupport ? 'market' : d.psi[feature]! > d.threshold ? 'above' : 'within';

/**
 * PSI of each credit feature of an epoch's wallets against the model's training rows, one bar per feature (largest
 * first), coloured by `DRIFT_KINDS`, with the threshold as a dashed rule. The demo's report and the dashboard draw it.
 */
export function driftChart(d: DriftFigures, options: { width?: number } = {}): ChartSpec {
  const values = Object.entries(d.psi)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([feature, psi]) => ({ feature, psi, side: DRIFT_KINDS.find((k) => k.kind === driftKind(d, feature))!.label(d.threshold) }));
  // only the kinds present, so the legend lists no colour the chart does not use; each kind keeps its colour
  const kinds = DRIFT_KINDS.filter((k) => values.some((v) => v.side === k.label(d.threshold)));
  return {
    title: `Feature drift of epoch ${d.epoch} (PSI against the training rows)`,
    width: options.width ?? WIDTH,
    height: { step: 16 },
    data: { values },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          y: { field: 'feature', type: 'nominal', sort: '-x', title: 'credit feature', axis: { labelLimit: 220 } },
          x: { field: 'psi', type: 'quantitative', title: `population stability index (PSI); dashed: threshold ${d.threshold}` },
          color: {
            field: 'side',
            type: 'nominal',
            title: 'drift guard',
            scale: { domain: kinds.map((k) => k.label(d.threshold)), range: kinds.map((k) => k.colour) },
            legend: { orient: 'bottom', direction: 'vertical', labelLimit: 0 },
          },
        },
      },
      {
        data: { values: [{ threshold: d.threshold }] },
        mark: { type: 'rule', strokeDash: [4, 3], color: '#b00020', strokeWidth: 1.5 },
        encoding: { x: { field: 'threshold', type: 'quantitative' } },
      },
    ],
  } as ChartSpec;
}

/** Renders specs to SVG, keeping the newest `size` results by spec. */
export function createChartCache(size = 64): (spec: ChartSpec) => Promise<string> {
  const cache = new Map<string, Promise<string>>();
  return (spec) => {
    const key = createHash('sha256').update(JSON.stringify(spec)).digest('hex');
    const hit = cache.get(key);
    if (hit) {
      cache.delete(key);
      cache.set(key, hit);
      return hit;
    }
    const svg = renderSvg(spec);
    svg.catch(() => cache.delete(key));
    cache.set(key, svg);
    while (cache.size > size) cache.delete(cache.keys().next().value!);
    return svg;
  };
}

export interface DashboardCharts {
  /** SVG per asset symbol: its parameter history and its price. */
  assets: Map<string, { parameters?: string; price?: string }>;
  scores?: string;
  /** The candidates' shadow comparisons over time. */
  shadow?: { rank?: string; flips?: string };
  /** The collateral candidates' shadow comparisons over time (bad debt only where backtests were recorded). */
  collateralShadow?: { threshold?: string; badDebt?: string };
  /** PSI per feature of the epoch the drift guard judged last (absent when it recorded no figures). */
  drift?: string;
}

/** Every chart of a snapshot, rendered (or taken from the cache). */
export async function renderCharts(
  snapshot: {
    assets: AssetView[];
    credit: { distribution: ScoreDistribution | null };
    chain: { head: { timestamp: number } };
    models?: { shadow: ShadowView[]; collateralShadow?: CollateralShadowView[] };
    drift?: DriftView | null;
  },
  render: (spec: ChartSpec) => Promise<string>,
): Promise<DashboardCharts> {
  const assets = new Map<string, { parameters?: string; price?: string }>();
  // the last step is drawn to the head's time, coarsely, so a new block does not re-render every chart
  const until = Math.floor(snapshot.chain.head.timestamp / UNTIL_STEP) * UNTIL_STEP;
  for (const a of snapshot.assets) {
    const p = parameterChart(a, until);
    const q = priceChart(a);
    assets.set(a.symbol, { ...(p ? { parameters: await render(p) } : {}), ...(q ? { price: await render(q) } : {}) });
  }
  const d = snapshot.credit.distribution;
  const rank = shadowChart(snapshot.models?.shadow ?? [], 'rank');
  const flips = shadowChart(snapshot.models?.shadow ?? [], 'flips');
  const threshold = collateralShadowChart(snapshot.models?.collateralShadow ?? [], 'threshold');
  const badDebt = collateralShadowChart(snapshot.models?.collateralShadow ?? [], 'badDebt');
  const drift = snapshot.drift ? driftFigures(snapshot.drift) : undefined;
  return {
    assets,
    ...(d ? { scores: await render(scoreChart(d)) } : {}),
    ...(rank && flips ? { shadow: { rank: await render(rank), flips: await render(flips) } } : {}),
    ...(threshold
      ? { collateralShadow: { threshold: await render(threshold), ...(badDebt ? { badDebt: await render(badDebt) } : {}) } }
      : {}),
    ...(drift ? { drift: await render(driftChart(drift)) } : {}),
  };
}

/** A drift decision's figures to chart; undefined when it recorded none (no threshold or no PSI). */
export function driftFigures(view: DriftView): DriftFigures | undefined {
  const { epoch, psi, outOfSupport, threshold } = view;
  return threshold === null || Object.keys(psi).length === 0 ? undefined : { epoch, psi, outOfSupport, threshold };
}
