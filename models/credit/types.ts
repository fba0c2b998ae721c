/** The credit model's view of a wallet's history: what the indexer stores in `lending_events` and `health_factors`. */
export type CreditEventKind = 'supply' | 'borrow' | 'repay' | 'withdraw' | 'liquidation';

export interface CreditEvent {
  /** Unix seconds. */
  timestamp: number;
  block: number;
  kind: CreditEventKind;
  /** Reserve address (lower-case); for a liquidation the collateral asset. */
  asset: string;
  /** Token units; for a liquidation the debt covered. */
  amount: number;
  /** Liquidations: collateral seized, token units. */
  collateralAmount?: number;
}

export interface CreditSnapshot {
  timestamp: number;
  block: number;
  collateralUsd: number;
  debtUsd: number;
  /** null: no debt. */
  healthFactor: number | null;
}

export interface CreditHistory {
  wallet: string;
  /** Ordered by (block, log index). */
  events: CreditEvent[];
  /** Ordered by block. */
  snapshots: CreditSnapshot[];
}

/** USD prices per asset address, sorted by time (as in `price_points`). */
export interface PriceSeries {
  t: Float64Array;
  p: Float64Array;
}

export interface MarketData {
  prices: Map<string, PriceSeries>;
  /** Asset address → true for stablecoins (`assets.kind = 'stable'`). */
  stable: Map<string, boolean>;
}

/** Index of the last price at or before `ts` (−1 if none). */
export function priceIndexAtOrBefore(series: PriceSeries, ts: number): number {
  let lo = 0;
  let hi = series.t.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (series.t[mid]! <= ts) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** The asset's price at or before `ts`; a clear error when there is none. */
export function priceAt(market: MarketData, asset: string, ts: number): number {
  const series = market.prices.get(asset);
  const i = series ? priceIndexAtOrBefore(series, ts) : -1;
  if (i < 0) throw new Error(`no price for ${asset} at or before ${ts}: import its prices first`);
  return series!.p[i]!;
}
