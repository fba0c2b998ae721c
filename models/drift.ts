/**
 * Training distributions and the population stability index: a model carries its features' training
 * distribution so that the oracle can tell when today's wallets no longer look like the ones it learnt from.
 */

/** A feature's training distribution: bin edges (quantiles of the training data) and the share in each bin. */
export interface ReferenceDistribution {
  feature: string;
  /** Inner edges, ascending; bins are (-∞, e0], (e0, e1], …, (e_last, ∞). */
  edges: number[];
  proportions: number[];
  /**
   * Market-level features only (a value the market sets at t, shared by every wallet holding the same asset): the
   * training values' smallest and largest. Scoring everyone at one instant turns such a feature into one value per
   * asset, which no PSI against rows pooled over many times can judge; what matters is whether the model has seen
   * this market at all, so the guard checks the share of wallets outside this support instead.
   */
  support?: { low: number; high: number };
}

/** Proportions below this are floored so that an empty bin does not make the PSI infinite. */
const EPSILON = 1e-4;

function binIndex(edges: number[], v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function proportions(edges: number[], values: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) counts[binIndex(edges, v)]!++;
  return counts.map((c) => c / Math.max(1, values.length));
}

/** Quantile bins of the training values (duplicate edges merged, so constant features get one bin). */
export function referenceDistribution(feature: string, values: readonly number[], bins = 10): ReferenceDistribution {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) throw new Error(`feature ${feature}: no finite training values to build a drift reference from`);
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const edge = finite[Math.min(finite.length - 1, Math.floor((i * finite.length) / bins))]!;
    if (edges.length === 0 || edge > edges[edges.length - 1]!) edges.push(edge);
  }
  return { feature, edges, proportions: proportions(edges, finite) };
}

/** Population stability index Σ (a − e)·ln(a/e) of current values against the reference. */
export function populationStabilityIndex(reference: ReferenceDistribution, current: readonly number[]): number {
  const actual = proportions(reference.edges, current);
  let psi = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = Math.max(EPSILON, actual[i]!);
    const e = Math.max(EPSILON, reference.proportions[i]!);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

/**
 * One reference per feature from row-major training rows (`width` values per row), in feature order; the
 * `marketLevel` features also carry their training support.
 */
export function referenceDistributions(
  names: readonly string[],
  x: ArrayLike<number>,
  rows: readonly number[],
  options: { bins?: number; marketLevel?: readonly string[] } = {},
): ReferenceDistribution[] {
  const width = names.length;
  return names.map((name, j) => {
    const values = rows.map((i) => x[i * width + j]!);
    const reference = referenceDistribution(name, values, options.bins);
    if (!options.marketLevel?.includes(name)) return reference;
    let low = Infinity;
    let high = -Infinity;
    for (const v of values) if (Number.isFinite(v)) [low, high] = [Math.min(low, v), Math.max(high, v)];
    return { ...reference, support: { low, high } };
  });
}

/**
 * How far outside the training support a value may lie and still count as seen, as a share of the support's width:
 * a stablecoin feed that never moves reads a volatility of exactly 0 where hourly training prices never do.
 */
export const SUPPORT_MARGIN = 0.1;

/** The training support widened by `SUPPORT_MARGIN` on each side; undefined for a feature without one. */
export function supportRange(reference: ReferenceDistribution): { low: number; high: number } | undefined {
  const support = reference.support;
  if (!support) return undefined;
  const margin = (support.high - support.low) * SUPPORT_MARGIN;
  return { low: support.low - margin, high: support.high + margin };
}

/** The share of current values outside the reference's (widened) training support; 0 for a feature without one. */
export function outOfSupportShare(reference: ReferenceDistribution, current: readonly number[]): number {
  const range = supportRange(reference);
  if (!range || current.length === 0) return 0;
  return current.filter((v) => v < range.low || v > range.high).length / current.length;
}
