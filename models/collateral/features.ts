/**
 * Per-asset regime features from a price series on a regular grid (resample first: forward-filled gaps): realised
 * volatility over several windows, drawdowns, skew and kurtosis, correlation with the ETH-like asset, distance from
 * the peg for pegged assets, and a liquidity proxy (the market depth at step i). Features at step i read prices at steps ≤ i only. Only
 * correctly rounded operations and the canonical log (./ieee-math): the same prices give the same bits anywhere.
 */
import { canonicalLog } from './ieee-math';

export interface CollateralFeatureDef {
  name: string;
  unit: string;
  window: string;
}

export const COLLATERAL_FEATURES: readonly CollateralFeatureDef[] = [
  { name: 'vol_1h', unit: 'log-return sd', window: '1 h' },
  { name: 'vol_24h', unit: 'log-return sd', window: '24 h' },
  { name: 'vol_7d', unit: 'log-return sd', window: '7 d' },
  { name: 'vol_30d', unit: 'log-return sd', window: '30 d' },
  { name: 'drawdown_7d', unit: 'fraction', window: '7 d' },
  { name: 'drawdown_30d', unit: 'fraction', window: '30 d' },
  { name: 'skew_30d', unit: 'standardised moment', window: '30 d' },
  { name: 'kurtosis_30d', unit: 'excess kurtosis', window: '30 d' },
  { name: 'corr_eth_30d', unit: 'correlation', window: '30 d' },
  { name: 'peg_distance', unit: 'fraction', window: 'now' },
  { name: 'max_peg_distance_7d', unit: 'fraction', window: '7 d' },
  { name: 'log_liquidity_usd', unit: 'log USD', window: 'now' },
];

export interface AssetSeries {
  /** Prices on the grid. */
  prices: ArrayLike<number>;
  /** Pegged assets: the peg (1 for USD stablecoins); undefined otherwise. */
  peg?: number;
  /**
   * Market depth in USD on the same grid (e.g. the USD that moves the price 2 %), forward-filled; NaN (or absent)
   * where the source gives none, read as `DEFAULT_LIQUIDITY_USD`.
   */
  liquidity?: ArrayLike<number>;
}

/** The depth the liquidity feature reads where the data have none (prices from a feed that answers prices only). */
export const DEFAULT_LIQUIDITY_USD = 1e6;

const depthAt = (liquidity: ArrayLike<number> | undefined, i: number): number => {
  const d = liquidity?.[i];
  return d !== undefined && Number.isFinite(d) && d > 0 ? d : DEFAULT_LIQUIDITY_USD;
};

const logReturn = (p: ArrayLike<number>, k: number): number => canonicalLog(p[k]! / p[k - 1]!);

/** Sample moments of the log returns ending in (i − n, i]. */
function moments(p: ArrayLike<number>, i: number, n: number): { sd: number; skew: number; kurt: number; count: number } {
  const from = Math.max(1, i - n + 1);
  const count = i - from + 1;
  if (count < 1) return { sd: 0, skew: 0, kurt: 0, count: 0 };
  let mean = 0;
  for (let k = from; k <= i; k++) mean += logReturn(p, k);
  mean /= count;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let k = from; k <= i; k++) {
    const d = logReturn(p, k) - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  if (count < 2) return { sd: Math.abs(logReturn(p, i)), skew: 0, kurt: 0, count };
  const variance = m2 / count;
  const sd = Math.sqrt(m2 / (count - 1));
  return {
    sd,
    skew: variance > 0 ? m3 / count / (variance * Math.sqrt(variance)) : 0,
    kurt: variance > 0 ? m4 / count / (variance * variance) - 3 : 0,
    count,
  };
}

function drawdown(p: ArrayLike<number>, i: number, n: number): number {
  let peak = 0;
  let worst = 0;
  for (let k = Math.max(0, i - n); k <= i; k++) {
    peak = Math.max(peak, p[k]!);
    worst = Math.max(worst, 1 - p[k]! / peak);
  }
  return worst;
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>, i: number, n: number): number {
  const from = Math.max(1, i - n + 1);
  const count = i - from + 1;
  if (count < 3) return 0;
  let sa = 0;
  let sb = 0;
  for (let k = from; k <= i; k++) {
    sa += logReturn(a, k);
    sb += logReturn(b, k);
  }
  const ma = sa / count;
  const mb = sb / count;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let k = from; k <= i; k++) {
    const da = logReturn(a, k) - ma;
    const db = logReturn(b, k) - mb;
    cov += da * db;
    va += da * da;
    vb += db * db;
  }
  return va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : 0;
}

/**
 * The features at step i of `asset`, with `eth` the ETH-like reference series on the same grid; `stepSeconds`
 * converts the windows into steps.
 */
export function collateralFeatures(asset: AssetSeries, eth: ArrayLike<number>, i: number, stepSeconds: number): Float64Array {
  const steps = (seconds: number): number => Math.max(1, Math.round(seconds / stepSeconds));
  const p = asset.prices;
  for (let k = Math.max(0, i - steps(30 * 86_400)); k <= i; k++) {
    if (!(p[k]! > 0) || !Number.isFinite(p[k]!)) throw new Error(`price at step ${k} is ${p[k]}: prices must be finite and positive`);
  }
  const m30 = moments(p, i, steps(30 * 86_400));
  let maxPeg = 0;
  if (asset.peg !== undefined)
    for (let k = Math.max(0, i - steps(7 * 86_400)); k <= i; k++) maxPeg = Math.max(maxPeg, Math.abs(p[k]! / asset.peg - 1));
  return Float64Array.from([
    moments(p, i, steps(3_600)).sd,
    moments(p, i, steps(86_400)).sd,
    moments(p, i, steps(7 * 86_400)).sd,
    m30.sd,
    drawdown(p, i, steps(7 * 86_400)),
    drawdown(p, i, steps(30 * 86_400)),
    m30.skew,
    m30.kurt,
    correlation(p, eth, i, steps(30 * 86_400)),
    asset.peg !== undefined ? Math.abs(p[i]! / asset.peg - 1) : 0,
    maxPeg,
    canonicalLog(depthAt(asset.liquidity, i)),
  ]);
}
