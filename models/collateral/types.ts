/** Aave units: bps (8000 = 80 %), the bonus as 10000 + bonus (10500 = 5 % bonus). */
export interface CollateralParams {
  ltv: number;
  liquidationThreshold: number;
  liquidationBonus: number;
}

export type { PricePoint } from '../../core/price-point';
