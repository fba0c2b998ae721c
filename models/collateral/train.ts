import { keccak256 } from 'ethers';
import { codeVersion, layersToJson, type LayersJson } from '../credit/artifact';
import { canonicalHash, canonicalJson, merkleRoot } from '../credit/canonical-json';
import type { Standardizer } from '../credit/dataset';
import { referenceDistributions, type ReferenceDistribution } from '../drift';
import { forwardAdverseMoves } from './adverse';
import { COLLATERAL_FEATURES, collateralFeatures, type AssetSeries, type CollateralFeatureDef } from './features';
import { DEFAULT_MAPPING, type MappingOptions } from './mapping';
import { proposeParameters, type ParamBounds, type ParamFractions, type ParamProposal } from './params';
import { DEFAULT_QUANTILES, predictQuantiles, trainQuantileModel, type QuantileModel } from './quantile';

export interface CollateralAsset extends AssetSeries {
  symbol: string;
}

export interface CollateralDataOptions {
  stepSeconds: number;
  /** Liquidation horizon h in steps: the label is the worst fall over [t, t + h]. */
  horizonSteps: number;
  /** A row every n steps. Default 6. */
  sampleEvery?: number;
  /** Steps of history before the first row (the 30-day windows). Default 30 days. */
  warmupSteps?: number;
}

export interface CollateralRows {
  width: number;
  x: Float64Array;
  y: Float64Array;
  rows: Array<{ symbol: string; step: number }>;
}

/** Rows (features at step t, worst adverse move over [t, t + h]) for every asset, pooled; only complete windows. */
export function collateralDataset(assets: readonly CollateralAsset[], ethSymbol: string, options: CollateralDataOptions): CollateralRows {
  const eth = assets.find((a) => a.symbol === ethSymbol);
  if (!eth) throw new Error(`no ${ethSymbol} series: the ETH-like reference asset is needed for the correlation feature`);
  const width = COLLATERAL_FEATURES.length;
  const every = options.sampleEvery ?? 6;
  const warmup = options.warmupSteps ?? Math.round((30 * 86_400) / options.stepSeconds);
  const xs: Float64Array[] = [];
  const ys: number[] = [];
  const rows: CollateralRows['rows'] = [];
  for (const asset of assets) {
    if (asset.prices.length !== eth.prices.length)
      throw new Error(
        `${asset.symbol}: ${asset.prices.length} prices, ${ethSymbol} has ${eth.prices.length}; resample onto one grid first`,
      );
    const moves = forwardAdverseMoves(Array.from(asset.prices), options.horizonSteps);
    for (let t = Math.max(1, warmup); t + options.horizonSteps < asset.prices.length; t += every) {
      xs.push(collateralFeatures(asset, eth.prices, t, options.stepSeconds));
      ys.push(moves[t]!);
      rows.push({ symbol: asset.symbol, step: t });
    }
  }
  if (rows.length === 0) throw new Error('the price history is too short for one complete row (30 days of warm-up plus the horizon)');
  const x = new Float64Array(rows.length * width);
  xs.forEach((r, k) => x.set(r, k * width));
  return { width, x, y: Float64Array.from(ys), rows };
}

export interface CollateralArtifact {
  format: 'risk-oracle/collateral-model@1';
  kind: 'collateral';
  codeVersion: string;
  seed: number;
  backend: string;
  stepSeconds: number;
  horizonSteps: number;
  quantiles: number[];
  /** Symbol of the ETH-like series the correlation feature reads (upper case, as `price_points.asset` keeps symbols). */
  referenceAsset: string;
  /** The quantile of the adverse move the oracle's parameters follow: one of `quantiles`. */
  proposalQuantile: number;
  /** How the predicted move becomes parameters (lt ≤ (1 − D)/(1 + bonus), the ltv buffer, the bonus). */
  mapping: MappingOptions;
  featureSpec: { features: CollateralFeatureDef[]; hash: string };
  normalisation: Standardizer & { clip: number };
  layers: LayersJson;
  training: {
    rows: number;
    merkleRoot: string;
    testFrom: number;
    /**
     * Each feature's training distribution with its support (every collateral feature is market-level): a round
     * whose feature row lies outside it is held (oracle/drift.ts `supportDecision`). Absent in artifacts before it.
     */
    drift?: ReferenceDistribution[];
  };
  /** On the last 20 % of each asset's rows (by time): the share of moves at or below each predicted quantile. */
  metrics: { coverage: Record<string, number>; testRows: number };
}

export const collateralSpecHash = (): string => canonicalHash(COLLATERAL_FEATURES.map((f) => [f.name, f.unit, f.window]));

/**
 * Trains the quantile model on the first 80 % of each asset's rows (by time), measures coverage on the rest,
 * and returns the model with its artifact (canonical JSON; `modelId` = keccak256 of it).
 */
export async function trainCollateral(
  assets: readonly CollateralAsset[],
  options: CollateralDataOptions & {
    ethSymbol: string;
    seed: number;
    backend: string;
    quantiles?: number[];
    /** Default 0.99 when trained, else the highest quantile. */
    proposalQuantile?: number;
    mapping?: MappingOptions;
    epochs?: number;
    codeVersion?: string;
  },
): Promise<{ model: QuantileModel; artifact: CollateralArtifact; json: string; modelId: string }> {
  const data = collateralDataset(assets, options.ethSymbol, options);
  const lastStep = Math.max(...data.rows.map((r) => r.step));
  const firstStep = Math.min(...data.rows.map((r) => r.step));
  const testFrom = Math.floor(firstStep + 0.8 * (lastStep - firstStep));
  // no leakage: a training row's label window ends before the first test row
  const train = data.rows.flatMap((r, k) => (r.step + options.horizonSteps < testFrom ? [k] : []));
  const test = data.rows.flatMap((r, k) => (r.step >= testFrom ? [k] : []));
  if (train.length < 20 || test.length === 0)
    throw new Error(`too few rows to train (${train.length}) and test (${test.length}) the collateral model`);
  const pick = (idx: number[]) => {
    const x = new Float64Array(idx.length * data.width);
    idx.forEach((k, i) => x.set(data.x.subarray(k * data.width, (k + 1) * data.width), i * data.width));
    return { x, y: Float64Array.from(idx, (k) => data.y[k]!) };
  };
  const tr = pick(train);
  const te = pick(test);
  const quantiles = options.quantiles ?? [...DEFAULT_QUANTILES];
  const proposalQuantile = options.proposalQuantile ?? (quantiles.includes(0.99) ? 0.99 : Math.max(...quantiles));
  if (!quantiles.includes(proposalQuantile))
    throw new Error(`the proposal quantile ${proposalQuantile} is not among the trained quantiles ${quantiles.join(', ')}`);
  const model = await trainQuantileModel(tr.x, tr.y, data.width, {
    seed: options.seed,
    quantiles,
    epochs: options.epochs ?? 40,
    batchSize: 64,
  });
  const predicted = predictQuantiles(model, te.x);
  const coverage = Object.fromEntries(
    quantiles.map((q, j) => [String(q), predicted.filter((p, i) => te.y[i]! <= p[j]!).length / te.y.length]),
  );
  const leaves = train.map((k) => {
    const r = data.rows[k]!;
    return keccak256(
      Buffer.from(canonicalJson([r.symbol, r.step, Array.from(data.x.subarray(k * data.width, (k + 1) * data.width)), data.y[k]!])),
    );
  });
  const names = COLLATERAL_FEATURES.map((f) => f.name);
  const artifact: CollateralArtifact = {
    format: 'risk-oracle/collateral-model@1',
    kind: 'collateral',
    codeVersion: options.codeVersion ?? codeVersion(),
    seed: options.seed,
    backend: options.backend,
    stepSeconds: options.stepSeconds,
    horizonSteps: options.horizonSteps,
    quantiles,
    referenceAsset: options.ethSymbol.toUpperCase(),
    proposalQuantile,
    mapping: options.mapping ?? DEFAULT_MAPPING,
    featureSpec: { features: [...COLLATERAL_FEATURES], hash: collateralSpecHash() },
    normalisation: { ...model.standardizer, clip: 16 },
    layers: await layersToJson(model.model),
    training: {
      rows: train.length,
      merkleRoot: merkleRoot(leaves),
      testFrom,
      drift: referenceDistributions(names, tr.x, [...train.keys()], { marketLevel: names }),
    },
    metrics: { coverage, testRows: test.length },
  };
  const json = canonicalJson(artifact);
  return { model, artifact, json, modelId: canonicalHash(artifact) };
}

/**
 * Parameters for one asset at step t from the model: features from prices up to t, the chosen quantile's
 * predicted move, then the mapping within bounds and step limits (with its explanation).
 */
export function proposeFromModel(
  model: QuantileModel,
  asset: AssetSeries,
  eth: ArrayLike<number>,
  step: number,
  stepSeconds: number,
  quantile: number,
  current: ParamFractions,
  bounds: ParamBounds,
  mapping?: MappingOptions,
): ParamProposal {
  const j = model.quantiles.indexOf(quantile);
  if (j < 0) throw new Error(`the model predicts quantiles ${model.quantiles.join(', ')}, not ${quantile}`);
  const [row] = predictQuantiles(model, collateralFeatures(asset, eth, step, stepSeconds));
  return proposeParameters(row![j]!, quantile, current, bounds, mapping);
}
