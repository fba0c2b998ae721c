import { keccak256, toUtf8Bytes } from 'ethers';
import { priceAt, priceIndexAtOrBefore, type CreditHistory, type MarketData } from './types';

/** One feature of the spec: data, hashed and stored with the model. */
export interface FeatureDef {
  name: string;
  unit: string;
  /** The history window it reads. */
  window: string;
  description: string;
}

/** The reference LTV utilisation is measured against (debt ÷ (collateral · REFERENCE_LTV)). */
export const REFERENCE_LTV = 0.75;
/** Health factors are capped here (no debt counts as the cap). */
export const HF_CAP = 10;
const DAY = 86_400;
const VOL_WINDOW = 7 * DAY;
const HOUR = 3_600;

const all = 'all history before t';

/**
 * Features whose value the market sets at t (every wallet holding the same asset shares it): the drift guard checks
 * them against the training support rather than by PSI (models/drift.ts).
 */
export const MARKET_LEVEL_FEATURES: readonly string[] = ['open_collateral_vol_7d'];
export const CREDIT_FEATURES: readonly FeatureDef[] = [
  { name: 'age_days', unit: 'days', window: all, description: 't − first event' },
  { name: 'days_since_last', unit: 'days', window: all, description: 't − last event' },
  { name: 'active_days', unit: 'count', window: all, description: 'distinct UTC days with an event' },
  { name: 'n_supply', unit: 'count', window: all, description: 'supply events' },
  { name: 'n_borrow', unit: 'count', window: all, description: 'borrow events' },
  { name: 'n_repay', unit: 'count', window: all, description: 'repay events' },
  { name: 'n_withdraw', unit: 'count', window: all, description: 'withdraw events' },
  { name: 'n_liquidation', unit: 'count', window: all, description: 'liquidations of this wallet' },
  { name: 'supply_usd', unit: 'log1p USD', window: all, description: 'supplied value at the time of each event' },
  { name: 'borrow_usd', unit: 'log1p USD', window: all, description: 'borrowed value' },
  { name: 'repay_usd', unit: 'log1p USD', window: all, description: 'repaid value' },
  { name: 'withdraw_usd', unit: 'log1p USD', window: all, description: 'withdrawn value' },
  { name: 'repaid_over_borrowed', unit: 'ratio', window: all, description: 'repaid USD ÷ borrowed USD (0 without borrowing)' },
  {
    name: 'mean_utilisation',
    unit: 'ratio',
    window: all,
    description: `mean over health snapshots with debt of debt ÷ (collateral · ${REFERENCE_LTV})`,
  },
  { name: 'max_utilisation', unit: 'ratio', window: all, description: 'largest such utilisation' },
  { name: 'mean_borrow_logit', unit: 'log-odds', window: all, description: 'mean logit of the utilisation right after each borrow' },
  { name: 'min_health_factor', unit: 'ratio', window: all, description: `lowest health factor (capped at ${HF_CAP})` },
  { name: 'n_hf_below_1_1', unit: 'count', window: all, description: 'health snapshots below 1.1' },
  { name: 'current_health_factor', unit: 'ratio', window: 'last snapshot before t', description: `health factor (no debt: ${HF_CAP})` },
  { name: 'current_utilisation', unit: 'ratio', window: 'last snapshot before t', description: 'utilisation now' },
  { name: 'distinct_assets', unit: 'count', window: all, description: 'distinct reserves touched' },
  { name: 'volatile_supply_share', unit: 'ratio', window: all, description: 'supply events of non-stable assets ÷ supply events' },
  { name: 'stable_debt_share', unit: 'ratio', window: all, description: 'borrowed USD in stablecoins ÷ borrowed USD' },
  {
    name: 'open_volatile_share',
    unit: 'ratio',
    window: 'positions open at t',
    description: 'open collateral USD in non-stable assets ÷ open collateral USD',
  },
  {
    name: 'open_collateral_vol_7d',
    unit: 'log-return sd per hour (realised)',
    window: '7 days before t',
    description: 'realised volatility of the largest open collateral',
  },
];
export const CREDIT_FEATURE_COUNT = CREDIT_FEATURES.length;

/** keccak256 of the spec's canonical JSON: stored with the model, checked before scoring. */
export function featureSpecHash(spec: readonly FeatureDef[] = CREDIT_FEATURES): string {
  return keccak256(toUtf8Bytes(JSON.stringify(spec.map((f) => [f.name, f.unit, f.window]))));
}

const utilOf = (collateralUsd: number, debtUsd: number): number => (collateralUsd > 0 ? debtUsd / (collateralUsd * REFERENCE_LTV) : 0);
const clampP = (u: number): number => Math.min(1 - 1e-6, Math.max(1e-6, u));

/**
 * Realised volatility of an asset over [t − 7 d, t), per hour: √(Σ r_j² ÷ Σ Δt_j · 3 600) over the log returns
 * r_j = ln(p_j / p_{j−1}) of every price point j with a timestamp in the window (its predecessor may lie before it),
 * Δt_j the seconds between the two. Per unit of time rather than per price point, so hourly prices and a feed that
 * answers every few hours give the same figure for the same market. 0 with fewer than two returns.
 */
export function trailingVol(market: MarketData, asset: string, t: number): number {
  const series = market.prices.get(asset);
  if (!series) return 0;
  const last = priceIndexAtOrBefore(series, t - 1);
  let first = priceIndexAtOrBefore(series, t - VOL_WINDOW - 1) + 1;
  first = Math.max(1, first);
  if (last - first + 1 < 2) return 0;
  let sumSq = 0;
  for (let j = first; j <= last; j++) sumSq += Math.log(series.p[j]! / series.p[j - 1]!) ** 2;
  const seconds = series.t[last]! - series.t[first - 1]!;
  return seconds > 0 ? Math.sqrt((sumSq / seconds) * HOUR) : 0;
}

/**
 * The credit features of one wallet at time t, from its events and health snapshots strictly before t (the
 * order of CREDIT_FEATURES). Nothing at or after t is read, so later events cannot change them.
 */
export function creditFeatures(
  history: CreditHistory,
  t: number,
  market: MarketData,
  out = new Float64Array(CREDIT_FEATURE_COUNT),
): Float64Array {
  let first = Infinity;
  let lastTs = -Infinity;
  const days = new Set<number>();
  const assets = new Set<string>();
  const count = { supply: 0, borrow: 0, repay: 0, withdraw: 0, liquidation: 0 };
  const usd = { supply: 0, borrow: 0, repay: 0, withdraw: 0 };
  let volatileSupplies = 0;
  let stableBorrowUsd = 0;
  const open = new Map<string, number>();
  const borrowBlocks = new Set<number>();
  for (const e of history.events) {
    if (e.timestamp >= t) break;
    first = Math.min(first, e.timestamp);
    lastTs = Math.max(lastTs, e.timestamp);
    days.add(Math.floor(e.timestamp / DAY));
    assets.add(e.asset);
    count[e.kind]++;
    const stable = market.stable.get(e.asset) === true;
    if (e.kind === 'liquidation') {
      open.set(e.asset, (open.get(e.asset) ?? 0) - (e.collateralAmount ?? 0));
      continue;
    }
    const value = e.amount * priceAt(market, e.asset, e.timestamp);
    usd[e.kind] += value;
    if (e.kind === 'supply') {
      if (!stable) volatileSupplies++;
      open.set(e.asset, (open.get(e.asset) ?? 0) + e.amount);
    } else if (e.kind === 'withdraw') open.set(e.asset, (open.get(e.asset) ?? 0) - e.amount);
    else if (e.kind === 'borrow') {
      if (stable) stableBorrowUsd += value;
      borrowBlocks.add(e.block);
    }
  }
  let utilSum = 0;
  let utilN = 0;
  let utilMax = 0;
  let logitSum = 0;
  let logitN = 0;
  let minHf = HF_CAP;
  let below = 0;
  let currentHf = HF_CAP;
  let currentUtil = 0;
  for (const s of history.snapshots) {
    if (s.timestamp >= t) break;
    const u = utilOf(s.collateralUsd, s.debtUsd);
    if (s.debtUsd > 0) {
      utilSum += u;
      utilN++;
      utilMax = Math.max(utilMax, u);
    }
    if (borrowBlocks.has(s.block)) {
      logitSum += Math.log(clampP(u) / (1 - clampP(u)));
      logitN++;
    }
    const hf = s.healthFactor === null ? HF_CAP : Math.min(HF_CAP, s.healthFactor);
    minHf = Math.min(minHf, hf);
    if (hf < 1.1) below++;
    currentHf = hf;
    currentUtil = u;
  }
  let openUsd = 0;
  let openVolatileUsd = 0;
  let largest = '';
  let largestUsd = 0;
  for (const asset of [...open.keys()].sort()) {
    const units = open.get(asset)!;
    if (units <= 1e-9) continue;
    const value = units * priceAt(market, asset, t - 1);
    openUsd += value;
    if (market.stable.get(asset) !== true) openVolatileUsd += value;
    if (value > largestUsd) {
      largestUsd = value;
      largest = asset;
    }
  }
  const any = Number.isFinite(first);
  const values = [
    any ? (t - first) / DAY : 0,
    any ? (t - lastTs) / DAY : 0,
    days.size,
    count.supply,
    count.borrow,
    count.repay,
    count.withdraw,
    count.liquidation,
    Math.log1p(usd.supply),
    Math.log1p(usd.borrow),
    Math.log1p(usd.repay),
    Math.log1p(usd.withdraw),
    usd.borrow > 0 ? usd.repay / usd.borrow : 0,
    utilN > 0 ? utilSum / utilN : 0,
    utilMax,
    logitN > 0 ? logitSum / logitN : 0,
    minHf,
    below,
    currentHf,
    currentUtil,
    assets.size,
    count.supply > 0 ? volatileSupplies / count.supply : 0,
    usd.borrow > 0 ? stableBorrowUsd / usd.borrow : 0,
    openUsd > 0 ? openVolatileUsd / openUsd : 0,
    largest ? trailingVol(market, largest, t) : 0,
  ];
  for (let i = 0; i < values.length; i++) out[i] = values[i]!;
  return out;
}

/**
 * Label: liquidated, or a health factor below 1, within (t, t + horizon]. Reads only that window.
 */
export function creditLabel(history: CreditHistory, t: number, horizonSeconds: number): 0 | 1 {
  const end = t + horizonSeconds;
  for (const e of history.events) if (e.kind === 'liquidation' && e.timestamp > t && e.timestamp <= end) return 1;
  for (const s of history.snapshots) {
    if (s.timestamp > t && s.timestamp <= end && s.healthFactor !== null && s.healthFactor < 1) return 1;
  }
  return 0;
}
