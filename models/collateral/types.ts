/** Aave units: bps (8000 = 80 %), the bonus as 10000 + bonus (10500 = 5 % bonus). */
export interface CollateralParams {
  ltv: number;
  liquidationThreshold: number;
  liquidationBonus: number;
}

/** One price observation. */
export interface PricePoint {
  /** Unix seconds. */
  t: number;
  /** USD. */
  p: number;
}
