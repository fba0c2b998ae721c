import type { CollateralParams } from './types';

/** How a predicted adverse move becomes Aave parameters (DESIGN.md, Models › Collateral). */
export interface MappingOptions {
  /** Expected liquidation slippage as a fraction of the seized collateral (e.g. 0.01). */
  slippage: number;
  /** Liquidation gas and execution cost as a fraction of a typical position (e.g. 0.002). */
  gasCost: number;
  /** Margin the bonus keeps above slippage + gas so liquidators act at once (e.g. 0.01). */
  bonusMargin: number;
  /** Gap between ltv and lt, as a fraction (e.g. 0.05). */
  ltvBuffer: number;
  /** The bonus is kept within [min, max] (e.g. 0.02 … 0.15). */
  minBonus: number;
  maxBonus: number;
}

export const DEFAULT_MAPPING: MappingOptions = {
  slippage: 0.01,
  gasCost: 0.002,
  bonusMargin: 0.01,
  ltvBuffer: 0.05,
  minBonus: 0.02,
  maxBonus: 0.15,
};

export interface MappedParams {
  /** Fractions (0.8 = 80 %). */
  fractions: { ltv: number; liquidationThreshold: number; liquidationBonus: number };
  /** Aave units: bps, the bonus as 10000 + bonus bps. */
  bps: CollateralParams;
  explanation: { adverseMove: number; bonus: number; solventThreshold: number; buffer: number; note: string };
}

/**
 * A position at the liquidation threshold stays solvent through a fall D of its collateral if
 * lt · (1 + bonus) ≤ 1 − D, i.e. lt ≤ (1 − D)/(1 + bonus): so lt follows the q-quantile of D. The bonus covers
 * slippage and gas with a margin; the ltv keeps a buffer below lt. Rounded down to whole bps (never looser).
 */
export function mapAdverseMove(adverseMove: number, options: MappingOptions = DEFAULT_MAPPING): MappedParams {
  if (!Number.isFinite(adverseMove) || adverseMove < 0 || adverseMove >= 1) {
    throw new Error(`adverse move must be a fraction in [0, 1), got ${adverseMove}`);
  }
  const bonus = Math.min(options.maxBonus, Math.max(options.minBonus, options.slippage + options.gasCost + options.bonusMargin));
  const solventThreshold = (1 - adverseMove) / (1 + bonus);
  const liquidationThreshold = Math.max(0, solventThreshold);
  const ltv = Math.max(0, liquidationThreshold - options.ltvBuffer);
  const ltBps = Math.floor(liquidationThreshold * 10_000);
  const bonusBps = 10_000 + Math.round(bonus * 10_000);
  // Aave's own check is percentMul(lt, bonus) ≤ 100 %: step lt down until it holds after rounding
  let lt = ltBps;
  while (lt > 0 && Math.floor((lt * bonusBps + 5_000) / 10_000) > 10_000) lt--;
  const bps: CollateralParams =
    lt === 0
      ? { ltv: 0, liquidationThreshold: 0, liquidationBonus: 0 }
      : { ltv: Math.min(Math.floor(ltv * 10_000), lt), liquidationThreshold: lt, liquidationBonus: bonusBps };
  return {
    fractions: { ltv, liquidationThreshold, liquidationBonus: bonus },
    bps,
    explanation: {
      adverseMove,
      bonus,
      solventThreshold,
      buffer: options.ltvBuffer,
      note: `lt = (1 − ${adverseMove.toFixed(4)}) / (1 + ${bonus.toFixed(4)}) = ${solventThreshold.toFixed(4)}; ltv = lt − ${options.ltvBuffer}`,
    },
  };
}
