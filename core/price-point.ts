/** One price observation, as the indexer stores it and the models read it. */
export interface PricePoint {
  /** Unix seconds. */
  t: number;
  /** USD. */
  p: number;
  /** Market depth in USD at that time (the liquidity proxy), where the source gives one. */
  liquidityUsd?: number;
}

/** A `price_points` row as a price point: the depth where the row has one. */
export const pricePointOf = (r: { timestamp: number; price_usd: string; liquidity_usd: string | null }): PricePoint =>
  r.liquidity_usd === null
    ? { t: Number(r.timestamp), p: Number(r.price_usd) }
    : { t: Number(r.timestamp), p: Number(r.price_usd), liquidityUsd: Number(r.liquidity_usd) };
