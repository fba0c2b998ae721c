/**
 * Peaks over threshold: the tail of adverse moves above their 95th percentile follows a generalised Pareto
 * distribution (Pickands–Balkema–de Haan), so quantiles beyond the largest move seen can be extrapolated instead of
 * read off a handful of order statistics. Fitted by probability-weighted moments (Hosking & Wallis 1987): closed
 * form, no optimiser, the same bits on every machine (correctly rounded operations and ./ieee-math only).
 */
import { canonicalExp, canonicalLog } from './ieee-math';

export interface TailFit {
  /** The threshold u (a quantile of the sample). */
  threshold: number;
  /** Share of the sample above u. */
  exceedRate: number;
  /** GPD scale σ and shape ξ of the excesses over u; ξ is kept in [0, 0.5] (see `fitTail`). */
  scale: number;
  shape: number;
  /** Sample size and the largest value seen. */
  count: number;
  max: number;
}

/** Linear-interpolation quantile of an ascending array. */
export function sortedQuantile(sorted: ArrayLike<number>, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Fits the tail of `values` (non-negative adverse moves; non-finite ones are skipped) above their
 * `thresholdQuantile`. The shape is clamped to [0, 0.5]: a fitted ξ < 0 (a bounded tail) would promise that no move
 * can exceed a limit seen in a calm sample, which a collateral model must never assume; ξ > 0.5 (infinite variance)
 * from a few excesses is noise that would freeze the asset. Undefined with fewer than 100 values.
 */
export function fitTail(values: ArrayLike<number>, thresholdQuantile = 0.95): TailFit | undefined {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) finite.push(v > 0 ? v : 0);
  }
  if (finite.length < 100) return undefined;
  const sorted = Float64Array.from(finite).sort();
  const threshold = sortedQuantile(sorted, thresholdQuantile);
  let first = 0;
  while (first < sorted.length && sorted[first]! <= threshold) first++;
  const n = sorted.length - first;
  const max = sorted[sorted.length - 1]!;
  if (n < 2) return { threshold, exceedRate: n / sorted.length, scale: max - threshold, shape: 0, count: sorted.length, max };
  // a0 = E[Y], a1 = E[Y (1 − F(Y))] over the ascending excesses
  let a0 = 0;
  let a1 = 0;
  for (let k = 0; k < n; k++) {
    const y = sorted[first + k]! - threshold;
    a0 += y;
    a1 += (y * (n - 1 - k)) / (n - 1);
  }
  a0 /= n;
  a1 /= n;
  const d = a0 - 2 * a1;
  let shape = d > 0 ? 2 - a0 / d : 0.5;
  shape = shape < 0 ? 0 : shape > 0.5 ? 0.5 : shape;
  // with ξ fixed, σ = a0 (1 − ξ) keeps the fitted mean excess equal to the sample's
  const scale = a0 * (1 - shape);
  return { threshold, exceedRate: n / sorted.length, scale, shape, count: sorted.length, max };
}

/**
 * The q-quantile of the fitted distribution: u + σ/ξ ((ζ/(1 − q))^ξ − 1) above the threshold (u + σ ln(ζ/(1 − q))
 * for ξ = 0); at or below the threshold's level, the threshold itself (the model only speaks of tails).
 */
export function tailQuantile(fit: TailFit, q: number): number {
  if (!(q > 0 && q < 1)) throw new Error(`a tail quantile needs q in (0, 1), got ${q}`);
  const ratio = fit.exceedRate / (1 - q);
  if (!(ratio > 1) || fit.scale <= 0) return fit.threshold;
  const l = canonicalLog(ratio);
  return fit.shape === 0 ? fit.threshold + fit.scale * l : fit.threshold + (fit.scale / fit.shape) * (canonicalExp(fit.shape * l) - 1);
}
