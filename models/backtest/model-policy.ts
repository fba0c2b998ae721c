import { forwardAdverseMoves } from '../collateral/adverse';
import { COLLATERAL_FEATURES, collateralFeatures } from '../collateral/features';
import { proposeParameters, type ParamBounds } from '../collateral/params';
import { predictQuantiles, trainQuantileModel } from '../collateral/quantile';
import type { MappingOptions } from '../collateral/mapping';
import type { FractionParams, ParameterPath } from './engine';

export interface QuantileModelPolicyOptions {
  /** The quantile of the adverse move the threshold must survive (one of `quantiles`). */
  quantile: number;
  quantiles?: number[];
  horizonSteps: number;
  stepSeconds: number;
  /** Steps between parameter updates (the publication cadence) and between retrainings. */
  cadenceSteps: number;
  retrainSteps: number;
  /** No model (the initial parameters stay) before this many steps of history. */
  minTrainSteps: number;
  /** Training rows: every n-th step of each asset. */
  sampleEvery?: number;
  initial: FractionParams[];
  bounds: ParamBounds[];
  /** Index of the ETH-like asset (the correlation reference) and each asset's peg (undefined: not pegged). */
  ethIndex: number;
  pegs?: Array<number | undefined>;
  mapping?: MappingOptions;
  seed: number;
  epochs?: number;
  batchSize?: number;
  onRetrain?: (p: { step: number; rows: number }) => void;
}

/**
 * The collateral model's parameters, walk-forward: at each retraining step r the quantile network is fitted on
 * rows whose features and label windows both ended before r; at each update step i it predicts from features
 * at step i − 1 (nothing at or after i), and the parameters move toward the mapping of its prediction within
 * the DAO's bounds and step limits. Pooled over assets, so a pegged asset learns from its own depeg features.
 */
export async function quantileModelPath(
  prices: number[][],
  options: QuantileModelPolicyOptions,
): Promise<{ path: ParameterPath; params: FractionParams[][] }> {
  const steps = prices[0]?.length ?? 0;
  const quantiles = options.quantiles ?? [0.95, options.quantile];
  const qIndex = quantiles.indexOf(options.quantile);
  if (qIndex < 0) throw new Error(`quantile ${options.quantile} is not among the trained quantiles ${quantiles.join(', ')}`);
  const width = COLLATERAL_FEATURES.length;
  const eth = prices[options.ethIndex]!;
  const moves = prices.map((p) => forwardAdverseMoves(p, options.horizonSteps));
  const feature = (a: number, i: number): Float64Array =>
    collateralFeatures({ prices: prices[a]!, peg: options.pegs?.[a] }, eth, i, options.stepSeconds);
  const current = options.initial.map((p) => ({ ...p }));
  const out: FractionParams[][] = prices.map(() => new Array<FractionParams>(steps));
  let model: Awaited<ReturnType<typeof trainQuantileModel>> | undefined;
  const every = options.sampleEvery ?? 6;
  for (let i = 0; i < steps; i++) {
    if (i >= options.minTrainSteps && (model === undefined || i % options.retrainSteps === 0)) {
      // label window [k, k + h] must end before i: k ≤ i − h − 1
      const last = i - options.horizonSteps - 1;
      const rows: Float64Array[] = [];
      const labels: number[] = [];
      for (let a = 0; a < prices.length; a++) {
        for (let k = 1; k <= last; k += every) {
          rows.push(feature(a, k));
          labels.push(moves[a]![k]!);
        }
      }
      if (rows.length >= 50) {
        model?.model.dispose();
        const x = new Float64Array(rows.length * width);
        rows.forEach((r, k) => x.set(r, k * width));
        model = await trainQuantileModel(x, Float64Array.from(labels), width, {
          seed: options.seed,
          quantiles,
          epochs: options.epochs ?? 40,
          batchSize: options.batchSize ?? 32,
        });
        options.onRetrain?.({ step: i, rows: rows.length });
      }
    }
    if (model && i % options.cadenceSteps === 0 && i >= 1) {
      const x = new Float64Array(prices.length * width);
      for (let a = 0; a < prices.length; a++) x.set(feature(a, i - 1), a * width);
      const predicted = predictQuantiles(model, x);
      for (let a = 0; a < prices.length; a++) {
        const proposal = proposeParameters(predicted[a]![qIndex]!, options.quantile, current[a]!, options.bounds[a]!, options.mapping);
        current[a] = proposal.params;
      }
    }
    for (let a = 0; a < prices.length; a++) out[a]![i] = current[a]!;
  }
  model?.model.dispose();
  return { path: (asset, step) => out[asset]![step]!, params: out };
}
