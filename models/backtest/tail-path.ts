import {
  DEFAULT_TAIL_OPTIONS,
  earnedLoosening,
  evidenceWeight,
  tailTarget,
  type TailDriver,
  type TailModelOptions,
  type TailSignals,
} from '../collateral/tail-model';
import type { FractionParams } from './engine';
import { guardedUpdate, type FractionBounds, type Guardrails } from './guardrails';

export interface TailPathAsset {
  signals: TailSignals;
  /** Index in the asset's own grid of the backtest's first step (its history before it is warm-up). */
  offset: number;
}

export interface TailPathOptions {
  /** The risk appetite: the quantile of the adverse move the threshold survives. */
  quantile: number;
  model?: TailModelOptions;
  guardrails: Guardrails;
  /** The model raises no asset's ltv or threshold by more than this per week (its loosening budget). Default 0.02. */
  loosenPerWeek?: number;
  /** Parameters in force before the model's first update (and the step limits' starting point). */
  initial: FractionParams[];
  bounds?: Array<FractionBounds | undefined>;
}

export interface TailPath {
  params: FractionParams[][];
  /** Per asset, how often each driver decided the target (for the report's explanation). */
  drivers: Array<Record<TailDriver, number>>;
}

/**
 * The tail model's parameters over the backtest, walk-forward: the parameters in force at step i come from the
 * model's target at step i − 1 (prices before i only), loosened beyond the listed (initial) parameters only as far as
 * its evidence allows and its weekly budget, then the guardrails (at most one update per minimum delay). `steps` is
 * the backtest's length.
 */
export function tailModelPath(assets: readonly TailPathAsset[], steps: number, options: TailPathOptions): TailPath {
  const model = options.model ?? DEFAULT_TAIL_OPTIONS;
  const perStep = ((options.loosenPerWeek ?? 0.02) * model.stepSeconds) / (7 * 86_400);
  const minDelay = Math.max(1, Math.round(options.guardrails.minDelaySeconds / model.stepSeconds));
  const drivers: TailPath['drivers'] = [];
  const params = assets.map((asset, a) => {
    const count: Record<TailDriver, number> = { tail: 0, regime: 0, peg: 0, liquidity: 0, ceiling: 0 };
    drivers.push(count);
    const listed = options.initial[a]!;
    let current = { ...listed };
    // the loosening budget caps the target, not the guardrails: a calm month earns at most 4 × 0.02
    let allowed = { ...current };
    let lastUpdate = -Infinity;
    const out: FractionParams[] = new Array(steps);
    for (let i = 0; i < steps; i++) {
      const k = asset.offset + i - 1;
      const target = k >= 0 ? tailTarget(asset.signals, k, options.quantile, model) : undefined;
      if (target) {
        count[target.explanation.driver]++;
        const evidence = evidenceWeight(asset.signals.history[k]!, model);
        allowed = {
          ltv: Math.min(earnedLoosening(target.params.ltv, listed.ltv, evidence), allowed.ltv + perStep),
          liquidationThreshold: Math.min(
            earnedLoosening(target.params.liquidationThreshold, listed.liquidationThreshold, evidence),
            allowed.liquidationThreshold + perStep,
          ),
          liquidationBonus: target.params.liquidationBonus,
        };
        if (i - lastUpdate >= minDelay) {
          const next = guardedUpdate(current, allowed, options.guardrails, options.bounds?.[a]);
          if (
            next.ltv !== current.ltv ||
            next.liquidationThreshold !== current.liquidationThreshold ||
            next.liquidationBonus !== current.liquidationBonus
          ) {
            current = next;
            lastUpdate = i;
          }
        }
      }
      out[i] = current;
    }
    return out;
  });
  return { params, drivers };
}
