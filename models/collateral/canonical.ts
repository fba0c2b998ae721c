import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { resample } from './adverse';
import { COLLATERAL_FEATURES, collateralFeatures } from './features';
import { canonicalSoftplus } from './ieee-math';
import { mapAdverseMove } from './mapping';
import type { CollateralArtifact } from './train';
import type { CollateralParams, PricePoint } from './types';

/**
 * The canonical collateral model: inference from the artifact alone, in float64 with one fixed order of
 * operations, so every signer on any machine and TF.js backend computes the same bits (TF's float32 kernels do
 * not promise that). The artifact's float32 weights are exact in float64; z-scores, dense layers and the ordered
 * quantile head use only correctly rounded operations and the canonical softplus (./ieee-math).
 *
 * Order of operations, which is part of the definition:
 *  - z_j = (x_j − mean_j) / std_j, then clipped to ±clip;
 *  - a dense unit: acc = 0; acc += in_i · W[i][unit] for i = 0, 1, …; acc += bias; then its activation
 *    (relu: acc > 0 ? acc : 0; linear: acc);
 *  - the head: q_0 = raw_0, q_k = q_{k−1} + softplus(raw_k); each floored at 0 (max(q, 0)).
 */

type Activation = 'relu' | 'linear';

interface DenseLayer {
  name: string;
  inputs: number;
  units: number;
  /** Row-major `inputs × units`, as TF.js stores a Dense kernel. */
  kernel: Float64Array;
  bias: Float64Array;
  activation: Activation;
}

export interface CollateralNetwork {
  width: number;
  quantiles: number[];
  mean: Float64Array;
  std: Float64Array;
  clip: number;
  layers: DenseLayer[];
}

const ACTIVATIONS: ReadonlySet<string> = new Set<Activation>(['relu', 'linear']);

interface KerasLayer {
  name?: unknown;
  class_name?: unknown;
  config?: { units?: unknown; activation?: unknown; use_bias?: unknown; batch_input_shape?: unknown };
  inbound_nodes?: unknown;
}

/** The layer name a layer's single inbound node comes from, or undefined. */
function inboundName(layer: KerasLayer): string | undefined {
  const nodes = layer.inbound_nodes as unknown[][][] | undefined;
  if (!Array.isArray(nodes) || nodes.length !== 1 || !Array.isArray(nodes[0]) || nodes[0].length !== 1) return undefined;
  const from = nodes[0][0];
  return Array.isArray(from) && typeof from[0] === 'string' ? from[0] : undefined;
}

/**
 * Decodes the network of a collateral artifact: the standardiser and a chain of Dense layers (relu or linear,
 * with bias) from `layers.modelTopology`, their weights from `layers.weightData` (little-endian float32, in the
 * manifest's order). Anything else is refused: a topology this code cannot run canonically must not be signed.
 */
export function decodeCollateralNetwork(artifact: CollateralArtifact, label = `collateral model`): CollateralNetwork {
  const fail = (what: string): never => {
    throw new Error(`${label}: ${what}: the canonical collateral model runs a chain of Dense layers (relu or linear) only`);
  };
  const width = artifact.featureSpec.features.length;
  const topology = artifact.layers.modelTopology as { class_name?: unknown; config?: { layers?: unknown } };
  if (topology.class_name !== 'Model' && topology.class_name !== 'Functional')
    fail(`topology class ${JSON.stringify(topology.class_name)}`);
  const layers = topology.config?.layers;
  if (!Array.isArray(layers) || layers.length < 2) fail('the topology lists no layers');
  const [input, ...rest] = layers as KerasLayer[];
  const shape = input!.config?.batch_input_shape;
  if (input!.class_name !== 'InputLayer' || !Array.isArray(shape) || shape.length !== 2 || shape[1] !== width)
    fail(`the first layer is not an input of ${width} features`);
  const bytes = Buffer.from(artifact.layers.weightData, 'base64');
  const specs = artifact.layers.weightSpecs;
  let offset = 0;
  let spec = 0;
  const take = (name: string, suffix: string, size: number): Float64Array => {
    const s = specs[spec++] ?? fail(`no weights for ${name}/${suffix}`);
    const count = s.shape.reduce((a, b) => a * b, 1);
    if (s.dtype !== 'float32' || !s.name.endsWith(`/${suffix}`) || count !== size)
      fail(`weight ${s.name} is ${s.dtype} [${s.shape.join(', ')}], expected float32 ${name}/${suffix} of ${size} values`);
    if (offset + 4 * size > bytes.length) fail(`weightData holds ${bytes.length} bytes, ${s.name} needs up to ${offset + 4 * size}`);
    const out = new Float64Array(size);
    for (let k = 0; k < size; k++) out[k] = bytes.readFloatLE(offset + 4 * k);
    offset += 4 * size;
    return out;
  };
  let previous = String(input!.name);
  let inputs = width;
  const dense = rest.map((layer): DenseLayer => {
    const name = String(layer.name);
    const units = layer.config?.units;
    const activation = layer.config?.activation;
    if (layer.class_name !== 'Dense') fail(`layer ${name} is ${JSON.stringify(layer.class_name)}`);
    if (typeof activation !== 'string' || !ACTIVATIONS.has(activation)) fail(`layer ${name} has activation ${JSON.stringify(activation)}`);
    if (layer.config?.use_bias !== true) fail(`layer ${name} has no bias`);
    if (!Number.isInteger(units) || (units as number) < 1) fail(`layer ${name} has ${JSON.stringify(units)} units`);
    if (inboundName(layer) !== previous) fail(`layer ${name} does not take its input from ${previous} alone`);
    const d: DenseLayer = {
      name,
      inputs,
      units: units as number,
      kernel: take(name, 'kernel', inputs * (units as number)),
      bias: take(name, 'bias', units as number),
      activation: activation as Activation,
    };
    previous = name;
    inputs = d.units;
    return d;
  });
  if (spec !== specs.length || offset !== bytes.length)
    fail(`${specs.length - spec} weight entries and ${bytes.length - offset} bytes left over after the last layer`);
  const last = dense[dense.length - 1]!;
  if (last.units !== artifact.quantiles.length || last.activation !== 'linear')
    fail(`the last layer has ${last.units} ${last.activation} units for ${artifact.quantiles.length} quantiles`);
  const { mean, std, clip } = artifact.normalisation;
  if (mean.length !== width || std.length !== width || !std.every((s) => s > 0) || !(clip > 0))
    fail(`the normalisation does not fit ${width} features`);
  return { width, quantiles: [...artifact.quantiles], mean: Float64Array.from(mean), std: Float64Array.from(std), clip, layers: dense };
}

/**
 * The predicted adverse-move quantiles for one feature row (ordered like `network.quantiles`, non-decreasing,
 * floored at 0). Throws on a non-finite feature or output, naming it.
 */
export function canonicalQuantiles(network: CollateralNetwork, features: ArrayLike<number>): Float64Array {
  if (features.length !== network.width) throw new Error(`${features.length} features given, the model reads ${network.width}`);
  let values = new Float64Array(network.width);
  for (let j = 0; j < network.width; j++) {
    const x = features[j]!;
    if (!Number.isFinite(x)) throw new Error(`feature ${COLLATERAL_FEATURES[j]?.name ?? j} is ${x}`);
    const z = (x - network.mean[j]!) / network.std[j]!;
    values[j] = z > network.clip ? network.clip : z < -network.clip ? -network.clip : z;
  }
  for (const layer of network.layers) {
    const out = new Float64Array(layer.units);
    for (let u = 0; u < layer.units; u++) {
      let acc = 0;
      for (let i = 0; i < layer.inputs; i++) acc += values[i]! * layer.kernel[i * layer.units + u]!;
      acc += layer.bias[u]!;
      out[u] = layer.activation === 'relu' ? (acc > 0 ? acc : 0) : acc;
    }
    values = out;
  }
  const q = new Float64Array(values.length);
  for (let k = 0; k < values.length; k++) q[k] = k === 0 ? values[0]! : q[k - 1]! + canonicalSoftplus(values[k]!);
  for (let k = 0; k < q.length; k++) {
    if (!Number.isFinite(q[k]!))
      throw new Error(`the model's q${network.quantiles[k]} output is ${q[k]}: refusing a non-finite prediction`);
    q[k] = q[k]! > 0 ? q[k]! : 0;
  }
  return q;
}

/** One asset's inputs at time `at`: its prices and the reference (ETH-like) asset's prices, both up to `at`. */
export interface CollateralModelInput {
  symbol: string;
  /** Unix seconds; no price after it is read. */
  at: number;
  /** With their market depth (`liquidityUsd`) where the source gives one: the liquidity feature reads it. */
  prices: readonly PricePoint[];
  /** The artifact's `referenceAsset` series. */
  reference: readonly PricePoint[];
  /** Pegged assets: the peg (1 for USD stablecoins). */
  peg?: number;
}

/** The same shape as the empirical spec's `CollateralProposal` (oracle/propose.ts): bps, inputs root, explanation. */
export interface CollateralModelProposal {
  params: CollateralParams;
  /** Merkle root of the feature snapshot: leaves (symbol, at, feature name, float64 bits big-endian). */
  inputsRoot: string;
  explanation: {
    modelQuantile: number;
    predictedMove: number;
    quantiles: Record<string, number>;
    features: Record<string, number>;
    referenceAsset: string;
    at: number;
    gridStart: number;
    stepSeconds: number;
  } & ReturnType<typeof mapAdverseMove>['explanation'];
}

const WINDOW_SECONDS = 30 * 86_400;

/** Steps of history the features read before the step they describe (their longest window). */
export const featureWindowSteps = (stepSeconds: number): number => Math.max(1, Math.round(WINDOW_SECONDS / stepSeconds));

/** Float64 bits, big-endian, as 0x-hex: the exact value, for Merkle leaves. */
export const float64Hex = (v: number): string => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(v);
  return `0x${b.toString('hex')}`;
};

/** Merkle root of one asset's feature row: every signer that computed the same features gets the same root. */
export function featuresRoot(symbol: string, at: number, features: ArrayLike<number>): string {
  const leaves = COLLATERAL_FEATURES.map((f, j) => [symbol, at, f.name, float64Hex(features[j]!)]);
  return StandardMerkleTree.of(leaves, ['string', 'uint64', 'string', 'bytes8']).root;
}

/**
 * A proposer for one artifact (decoded once): features at `at` from the last 30 days of prices on the
 * artifact's grid (ending exactly at `at`, forward-filled), the canonical quantiles, the `proposalQuantile`'s
 * move mapped to bps with the artifact's mapping. The oracle guards (bounds, step limits) apply afterwards, as
 * for the empirical spec. Refuses a history shorter than the features' window.
 */
export function collateralProposer(artifact: CollateralArtifact): (input: CollateralModelInput) => CollateralModelProposal {
  const network = decodeCollateralNetwork(artifact);
  const j = artifact.quantiles.indexOf(artifact.proposalQuantile);
  if (j < 0)
    throw new Error(`collateral model: proposal quantile ${artifact.proposalQuantile} is not among ${artifact.quantiles.join(', ')}`);
  const step = artifact.stepSeconds;
  const n = featureWindowSteps(step);
  return (input) => {
    const from = input.at - n * step;
    const grid = (series: readonly PricePoint[], what: string): ReturnType<typeof resample> => {
      const g = resample(
        series.filter((p) => p.t <= input.at),
        step,
        from,
        input.at,
      );
      if (g.p.length !== n + 1)
        throw new Error(
          `${input.symbol}: ${what} prices start after ${new Date(from * 1000).toISOString()}: the model needs ${n * step} s of history before ${new Date(input.at * 1000).toISOString()}`,
        );
      return g;
    };
    const own = grid(input.prices, input.symbol);
    const reference = grid(input.reference, `reference ${artifact.referenceAsset}`).p;
    const features = collateralFeatures(
      { prices: own.p, liquidity: own.liquidity, ...(input.peg === undefined ? {} : { peg: input.peg }) },
      reference,
      n,
      step,
    );
    const q = canonicalQuantiles(network, features);
    const move = q[j]!;
    const mapped = mapAdverseMove(Math.min(0.99, move), artifact.mapping);
    return {
      params: mapped.bps,
      inputsRoot: featuresRoot(input.symbol, input.at, features),
      explanation: {
        ...mapped.explanation,
        modelQuantile: artifact.proposalQuantile,
        predictedMove: move,
        quantiles: Object.fromEntries(artifact.quantiles.map((qq, k) => [String(qq), q[k]!])),
        features: Object.fromEntries(COLLATERAL_FEATURES.map((f, k) => [f.name, features[k]!])),
        referenceAsset: artifact.referenceAsset,
        at: input.at,
        gridStart: from,
        stepSeconds: step,
      },
    };
  };
}
