import { forwardAdverseMoves, trailingAdverseQuantile } from '../collateral/adverse';
import { DEFAULT_MAPPING, mapAdverseMove, type MappingOptions } from '../collateral/mapping';
import type { FractionParams, ParameterPath } from './engine';

/** The same parameters at every step. */
export function staticPath(params: FractionParams[]): ParameterPath {
  return (asset) => params[asset]!;
}

export interface WalkForwardOptions {
  /** Quantile of the adverse move the threshold must survive (e.g. 0.99). */
  quantile: number;
  /** Liquidation horizon in steps. */
  horizonSteps: number;
  /** How far back the estimate looks, in steps. */
  lookbackSteps: number;
  /** Steps between updates (the publication cadence). */
  cadenceSteps: number;
  /** Largest change of any parameter per update, as a fraction (the on-chain step limit, e.g. 0.03). */
  maxChange: number;
  /** Parameters before the first estimate (and the starting point of the step limits). */
  initial: FractionParams[];
  mapping?: MappingOptions;
  /** The DAO's upper bounds per asset (the model never goes above them). Default: none. */
  maxParams?: FractionParams[];
}

const clampStep = (target: number, current: number, maxChange: number): number =>
  Math.min(current + maxChange, Math.max(current - maxChange, target));

/**
 * The model's parameters, walk-forward: at each update step i the lt follows the q-quantile of adverse moves
 * observed before i (windows that ended by i), mapped as DESIGN.md says, then moved at most `maxChange` from
 * the parameters in force, like the on-chain step limit. No step ever uses a price after its own time.
 */
export function walkForwardPath(prices: number[][], options: WalkForwardOptions): { path: ParameterPath; params: FractionParams[][] } {
  const params = prices.map((series, a) => {
    const moves = forwardAdverseMoves(series, options.horizonSteps);
    const out: FractionParams[] = new Array(series.length);
    let current = { ...options.initial[a]! };
    for (let i = 0; i < series.length; i++) {
      if (i % options.cadenceSteps === 0) {
        const adverse = trailingAdverseQuantile(moves, i, options.horizonSteps, options.lookbackSteps, options.quantile);
        if (adverse !== undefined) {
          const mapped = mapAdverseMove(Math.min(0.99, adverse), options.mapping ?? DEFAULT_MAPPING).fractions;
          const cap = options.maxParams?.[a];
          const target = cap
            ? {
                ltv: Math.min(mapped.ltv, cap.ltv),
                liquidationThreshold: Math.min(mapped.liquidationThreshold, cap.liquidationThreshold),
                liquidationBonus: Math.min(mapped.liquidationBonus, cap.liquidationBonus),
              }
            : mapped;
          const lt = clampStep(target.liquidationThreshold, current.liquidationThreshold, options.maxChange);
          const bonus = clampStep(target.liquidationBonus, current.liquidationBonus, options.maxChange);
          const ltv = Math.min(lt, clampStep(target.ltv, current.ltv, options.maxChange));
          current = { ltv, liquidationThreshold: lt, liquidationBonus: bonus };
        }
      }
      out[i] = current;
    }
    return out;
  });
  return { path: (asset, step) => params[asset]![step]!, params };
}
