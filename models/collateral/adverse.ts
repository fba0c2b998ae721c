import type { PricePoint } from './types';

/**
 * Prices on a regular grid: the last observation at or before each grid time (forward fill across gaps, as a
 * lending market's oracle keeps its last answer). Grid points before the first observation are dropped.
 */
export function resample(
  series: readonly PricePoint[],
  stepSeconds: number,
  from: number,
  to: number,
): { t: number[]; p: number[]; liquidity: number[] } {
  if (!(stepSeconds > 0)) throw new Error(`step must be positive, got ${stepSeconds}`);
  const sorted = [...series].sort((a, b) => a.t - b.t);
  for (const point of sorted) {
    if (!Number.isFinite(point.p) || point.p <= 0) throw new Error(`price at ${point.t} is ${point.p}: prices must be finite and positive`);
    if (point.liquidityUsd !== undefined && !(Number.isFinite(point.liquidityUsd) && point.liquidityUsd > 0))
      throw new Error(`liquidity at ${point.t} is ${point.liquidityUsd}: depth must be finite and positive`);
  }
  const t: number[] = [];
  const p: number[] = [];
  const liquidity: number[] = [];
  let j = -1;
  // the depth is forward-filled on its own: a price without a depth keeps the last depth seen (NaN before any)
  let depth = NaN;
  for (let time = from; time <= to; time += stepSeconds) {
    while (j + 1 < sorted.length && sorted[j + 1]!.t <= time) {
      j++;
      depth = sorted[j]!.liquidityUsd ?? depth;
    }
    if (j < 0) continue;
    t.push(time);
    p.push(sorted[j]!.p);
    liquidity.push(depth);
  }
  return { t, p, liquidity };
}

/**
 * Worst fall within the next `horizon` steps from each step i: 1 − min(p[i..i+h]) / p[i] (for collateral held
 * long against a stable debt). The last `horizon` steps, whose window is not complete, are NaN. O(n) with a
 * monotonic deque.
 */
export function forwardAdverseMoves(p: readonly number[], horizon: number): Float64Array {
  const n = p.length;
  const out = new Float64Array(n).fill(NaN);
  const deque: number[] = [];
  let head = 0;
  // sweep from the end: the deque holds indices of increasing prices in the window [i, i + h]
  for (let i = n - 1; i >= 0; i--) {
    while (deque.length > head && p[deque[deque.length - 1]!]! >= p[i]!) deque.pop();
    deque.push(i);
    // the minimum of the window is the oldest-pushed index still inside it
    while (deque[head]! > i + horizon) head++;
    if (i + horizon < n) out[i] = 1 - p[deque[head]!]! / p[i]!;
  }
  return out;
}

/** The q-quantile (linear interpolation between order statistics) of the finite values. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) finite.push(values[i]!);
  if (finite.length === 0) throw new Error('no finite values to take a quantile of');
  finite.sort((a, b) => a - b);
  const pos = q * (finite.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(finite.length - 1, lo + 1);
  return finite[lo]! + (finite[hi]! - finite[lo]!) * (pos - lo);
}

/**
 * The q-quantile of adverse moves known before step `i` (no look-ahead, not even step i's own price): only
 * windows that started at or after `i − lookback` and ended before `i` (start ≤ i − horizon − 1). Undefined while
 * fewer than `minSamples` are known.
 */
export function trailingAdverseQuantile(
  moves: Float64Array,
  i: number,
  horizon: number,
  lookback: number,
  q: number,
  minSamples = 24,
): number | undefined {
  const end = i - horizon - 1;
  const start = Math.max(0, i - lookback);
  if (end - start + 1 < minSamples) return undefined;
  return quantile(moves.subarray(start, end + 1), q);
}
