import { DEFAULT_MAPPING, mapAdverseMove, type MappingOptions } from './mapping';

/** Fractions (0.8 = 80 %); the bonus is the liquidator's premium (0.05 = 5 %). */
export interface ParamFractions {
  ltv: number;
  liquidationThreshold: number;
  liquidationBonus: number;
}

/** The DAO's bounds for one asset: min/max per parameter and the largest change per update. */
export interface ParamBounds {
  min: ParamFractions;
  max: ParamFractions;
  /** Largest absolute change per update, per parameter (fractions, e.g. 0.03). */
  maxChange: number;
}

export interface ParamProposal {
  params: ParamFractions;
  explanation: {
    quantile: number;
    predictedMove: number;
    /** What the mapping asked for before bounds and step limits. */
    target: ParamFractions;
    /** Which limits bound each parameter. */
    limited: Record<keyof ParamFractions, 'none' | 'min' | 'max' | 'step'>;
    margins: { bonusOverSlippageAndGas: number; ltvBuffer: number; solventThreshold: number };
    note: string;
  };
}

const clampWithReason = (
  target: number,
  current: number,
  lo: number,
  hi: number,
  step: number,
): [number, ParamProposal['explanation']['limited']['ltv']] => {
  let v = target;
  let why: 'none' | 'min' | 'max' | 'step' = 'none';
  if (v > hi) [v, why] = [hi, 'max'];
  if (v < lo) [v, why] = [lo, 'min'];
  if (v > current + step) [v, why] = [current + step, 'step'];
  if (v < current - step) [v, why] = [current - step, 'step'];
  return [v, why];
};

/**
 * From the predicted q-quantile D of the adverse move over the liquidation horizon: lt ≤ (1 − D)/(1 + bonus), the
 * bonus covering slippage and gas with a margin, ltv a buffer below lt (DESIGN.md, Models › Collateral); then
 * clipped to the DAO's bounds and moved at most `maxChange` from the parameters in force. Keeps ltv ≤ lt and
 * lt · (1 + bonus) ≤ 1 after clipping, as Aave requires.
 */
export function proposeParameters(
  predictedMove: number,
  quantile: number,
  current: ParamFractions,
  bounds: ParamBounds,
  mapping: MappingOptions = DEFAULT_MAPPING,
): ParamProposal {
  const mapped = mapAdverseMove(Math.min(0.99, Math.max(0, predictedMove)), mapping);
  const target = mapped.fractions;
  const [bonus, bonusWhy] = clampWithReason(
    target.liquidationBonus,
    current.liquidationBonus,
    bounds.min.liquidationBonus,
    bounds.max.liquidationBonus,
    bounds.maxChange,
  );
  const [ltRaw, ltWhy] = clampWithReason(
    target.liquidationThreshold,
    current.liquidationThreshold,
    bounds.min.liquidationThreshold,
    bounds.max.liquidationThreshold,
    bounds.maxChange,
  );
  const lt = Math.min(ltRaw, 1 / (1 + bonus));
  const [ltvRaw, ltvWhy] = clampWithReason(target.ltv, current.ltv, bounds.min.ltv, bounds.max.ltv, bounds.maxChange);
  const ltv = Math.min(ltvRaw, lt);
  return {
    params: { ltv, liquidationThreshold: lt, liquidationBonus: bonus },
    explanation: {
      quantile,
      predictedMove,
      target,
      limited: { ltv: ltvWhy, liquidationThreshold: ltWhy, liquidationBonus: bonusWhy },
      margins: {
        bonusOverSlippageAndGas: bonus - mapping.slippage - mapping.gasCost,
        ltvBuffer: lt - ltv,
        solventThreshold: mapped.explanation.solventThreshold,
      },
      note: `q${quantile} adverse move ${(predictedMove * 100).toFixed(2)} %: ${mapped.explanation.note}`,
    },
  };
}
