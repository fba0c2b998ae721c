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

/** One reference per feature from row-major training rows (`width` values per row), in feature order. */
export function referenceDistributions(
  names: readonly string[],
  x: ArrayLike<number>,
  rows: readonly number[],
  bins = 10,
): ReferenceDistribution[] {
  const width = names.length;
  return names.map((name, j) =>
    referenceDistribution(
      name,
      rows.map((i) => x[i * width + j]!),
      bins,
    ),
  );
}
