import * as tf from '@tensorflow/tfjs';
import { keccak256 } from 'ethers';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { referenceDistributions, type ReferenceDistribution } from '../drift';
import { encodeWeights, scorecard, weightsHash, type QuantizedModel } from '../quantize';
import { canonicalHash, canonicalJson, merkleRoot } from './canonical-json';
import type { Dataset, Standardizer } from './dataset';
import { CREDIT_FEATURES, featureSpecHash, HF_CAP, MARKET_LEVEL_FEATURES, REFERENCE_LTV, type FeatureDef } from './features';
import type { CreditMetrics, TrainedCreditModel } from './train';

/** The float layers in TF.js's own save format, weights base64 (little-endian float32). */
export interface LayersJson {
  modelTopology: object;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: string;
}

/** One file: weights, quantised weights, feature spec, training-data root, metrics, backend, seed, code version. */
export interface CreditArtifact {
  format: 'risk-oracle/credit-model@1';
  kind: 'credit';
  codeVersion: string;
  seed: number;
  backend: string;
  horizonSeconds: number;
  featureSpec: { features: FeatureDef[]; hash: string; referenceLtv: number; healthFactorCap: number };
  normalisation: Standardizer & { clip: number };
  layers: LayersJson;
  calibration: { method: 'platt'; a: number; b: number };
  quantized: { weights: string; weightsHash: string; dims: number[] };
  scorecard: { baseScore: number; baseOdds: number; pdo: number; offsetQ: number; factorQ: number };
  baseline: { weights: number[]; bias: number; platt: { a: number; b: number } };
  training: {
    rows: number;
    merkleRoot: string;
    trainEnd: number;
    validationStart: number;
    validationEnd: number;
    testStart: number;
    epochs: number;
    bestEpoch: number;
    /** Each feature's training distribution, for the oracle's drift guard (absent in artifacts before it). */
    drift?: ReferenceDistribution[];
  };
  metrics: Omit<CreditMetrics, 'rows'> & { rows: CreditMetrics['rows'] };
}

/** Captures a layers model as JSON (topology, weight manifest, base64 weights) without touching the file system. */
export async function layersToJson(model: tf.LayersModel): Promise<LayersJson> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
  if (!saved?.modelTopology || !saved.weightSpecs || !saved.weightData) throw new Error('TF.js returned no weights when saving the model');
  const data = saved.weightData;
  const buffer = Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : (data as ArrayBuffer);
  return {
    modelTopology: saved.modelTopology as object,
    weightSpecs: saved.weightSpecs,
    weightData: Buffer.from(buffer).toString('base64'),
  };
}

/**
 * Loads the artifact's float layers with the standard `tf.loadLayersModel`, through an in-memory IO handler:
 * `tf.loadLayersModel(tf.io.fromMemory({ modelTopology, weightSpecs, weightData }))`, weightData being the
 * base64-decoded bytes. Any TF.js user can do the same with the JSON file alone.
 */
export async function loadArtifactLayers(artifact: Pick<CreditArtifact, 'layers'>): Promise<tf.LayersModel> {
  const bytes = Buffer.from(artifact.layers.weightData, 'base64');
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: artifact.layers.modelTopology, weightSpecs: artifact.layers.weightSpecs, weightData }),
  );
}

/** Leaf per training row: keccak256(entity ‖ uint64 t ‖ float64 features (big-endian) ‖ uint8 label). */
export function trainingLeaves(data: Dataset, rows: readonly number[]): string[] {
  return rows.map((i) => {
    const entity = Buffer.from(data.entities[i]!, 'utf8');
    const buf = Buffer.alloc(entity.length + 8 + 8 * data.width + 1);
    entity.copy(buf, 0);
    let o = entity.length;
    buf.writeBigUInt64BE(BigInt(Math.round(data.t[i]!)), o);
    o += 8;
    for (let j = 0; j < data.width; j++, o += 8) buf.writeDoubleBE(data.x[i * data.width + j]!, o);
    buf.writeUInt8(data.y[i]!, o);
    return keccak256(buf);
  });
}

/** `<package version>+<git commit>` when a .git directory is found, else the package version. */
export function codeVersion(root = process.cwd()): string {
  if (process.env.RISK_ORACLE_CODE_VERSION) return process.env.RISK_ORACLE_CODE_VERSION;
  let version = '0.0.0';
  try {
    version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
    const head = readFileSync(path.join(root, '.git', 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return `${version}+${head.slice(0, 12)}`;
    const ref = head.slice(5);
    const loose = path.join(root, '.git', ref);
    if (existsSync(loose)) return `${version}+${readFileSync(loose, 'utf8').trim().slice(0, 12)}`;
    const packed = readFileSync(path.join(root, '.git', 'packed-refs'), 'utf8')
      .split('\n')
      .find((l) => l.endsWith(` ${ref}`));
    return packed ? `${version}+${packed.slice(0, 12)}` : version;
  } catch {
    return version;
  }
}

export interface ArtifactInputs {
  trained: TrainedCreditModel;
  data: Dataset;
  seed: number;
  backend: string;
  horizonSeconds: number;
  scorecard?: { baseScore: number; baseOdds: number; pdo: number };
  codeVersion?: string;
}

/** Builds the artifact; its canonical JSON is the file, and the file's keccak256 the `modelId`. */
export async function buildCreditArtifact(inputs: ArtifactInputs): Promise<{ artifact: CreditArtifact; json: string; modelId: string }> {
  const { trained, data } = inputs;
  const card = inputs.scorecard ?? { baseScore: 600, baseOdds: 50, pdo: 20 };
  const q: QuantizedModel = trained.quantized;
  const dims = [q.layers[0]!.weights[0]!.length, ...q.layers.map((l) => l.weights.length)];
  const artifact: CreditArtifact = {
    format: 'risk-oracle/credit-model@1',
    kind: 'credit',
    codeVersion: inputs.codeVersion ?? codeVersion(),
    seed: inputs.seed,
    backend: inputs.backend,
    horizonSeconds: inputs.horizonSeconds,
    featureSpec: { features: [...CREDIT_FEATURES], hash: featureSpecHash(), referenceLtv: REFERENCE_LTV, healthFactorCap: HF_CAP },
    normalisation: { ...trained.standardizer, clip: 16 },
    layers: await layersToJson(trained.mlp.model),
    calibration: { method: 'platt', ...trained.platt },
    quantized: { weights: `0x${Buffer.from(encodeWeights(q)).toString('hex')}`, weightsHash: weightsHash(q), dims },
    scorecard: { ...card, ...scorecard(card.baseScore, card.baseOdds, card.pdo) },
    baseline: { weights: trained.baseline.weights, bias: trained.baseline.bias, platt: trained.baseline.platt },
    training: {
      rows: trained.split.train.length,
      merkleRoot: merkleRoot(trainingLeaves(data, trained.split.train)),
      trainEnd: trained.split.trainEnd,
      validationStart: trained.split.validationStart,
      validationEnd: trained.split.validationEnd,
      testStart: trained.split.testStart,
      epochs: trained.mlp.epochs,
      bestEpoch: trained.mlp.bestEpoch,
      drift: referenceDistributions(
        CREDIT_FEATURES.map((f) => f.name),
        data.x,
        trained.split.train,
        { marketLevel: MARKET_LEVEL_FEATURES },
      ),
    },
    metrics: trained.metrics,
  };
  const json = canonicalJson(artifact);
  return { artifact, json, modelId: canonicalHash(artifact) };
}
