import { keccak256 } from 'ethers';

/**
 * The canonical quantised credit model (docs/canonical-model.md): integer weights in Q16, clipped-ReLU hidden
 * layers, one log-odds output, a piecewise-linear sigmoid and an integer scorecard. TypeScript and Solidity
 * implement the same definition; this module is the TypeScript one.
 */
export const Q = 16;
export const ONE = 1 << Q;
export const MAX_INPUT = 2 ** 20;
export const MAX_WEIGHT = 2 ** 22;
export const MAX_WIDTH = 64;
export const MAX_LAYERS = 4;
/** round(65536 / (1 + e^-k)) for k = -8 … 8. */
export const SIGMOID_KNOTS = [
  22, 60, 162, 439, 1179, 3108, 7812, 17625, 32768, 47911, 57724, 62428, 64357, 65097, 65374, 65476, 65514,
] as const;
export const WAD = 10n ** 18n;

export interface QuantizedLayer {
  /** Row-major: weights[j][i] multiplies input i for output j. */
  weights: number[][];
  biases: number[];
}

export interface QuantizedModel {
  layers: QuantizedLayer[];
  /** Scorecard offset and factor, Q16. */
  offsetQ: number;
  factorQ: number;
}

export interface Inference {
  /** Log-odds of default, Q16, clamped to ±2^20. */
  z: number;
  /** PD in Q16 from the piecewise-linear sigmoid. */
  pQ: number;
  /** PD as a WAD (1e18 = 100 %). */
  pd: bigint;
  score: number;
}

const fail = (what: string): never => {
  throw new Error(`invalid quantised model: ${what}`);
};

/** Checks every bound of the spec; an out-of-range value names its layer, index and value. */
export function validateModel(model: QuantizedModel): void {
  const { layers } = model;
  if (layers.length < 1 || layers.length > MAX_LAYERS) fail(`${layers.length} layers (1 … ${MAX_LAYERS} allowed)`);
  let width = layers[0]!.weights[0]?.length ?? 0;
  layers.forEach((layer, l) => {
    const out = layer.weights.length;
    if (out < 1 || out > MAX_WIDTH) fail(`layer ${l} has ${out} outputs (1 … ${MAX_WIDTH} allowed)`);
    if (width < 1 || width > MAX_WIDTH) fail(`layer ${l} has ${width} inputs (1 … ${MAX_WIDTH} allowed)`);
    if (layer.biases.length !== out) fail(`layer ${l} has ${layer.biases.length} biases for ${out} outputs`);
    layer.weights.forEach((row, j) => {
      if (row.length !== width) fail(`layer ${l} row ${j} has ${row.length} weights, expected ${width}`);
      row.forEach((w, i) => {
        if (!Number.isInteger(w) || Math.abs(w) > MAX_WEIGHT) fail(`layer ${l} weight [${j}][${i}] = ${w} is outside ±2^22`);
      });
    });
    layer.biases.forEach((b, j) => {
      if (!Number.isInteger(b) || Math.abs(b) > MAX_WEIGHT) fail(`layer ${l} bias [${j}] = ${b} is outside ±2^22`);
    });
    width = out;
  });
  if (width !== 1) fail(`the last layer has ${width} outputs, expected 1`);
  for (const [name, v] of [
    ['offsetQ', model.offsetQ],
    ['factorQ', model.factorQ],
  ] as const) {
    if (!Number.isInteger(v) || Math.abs(v) > 2 ** 31 - 1) fail(`${name} = ${v} does not fit an int32`);
  }
}

const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

/** Floor division by 2^16 of an integer below 2^53 in magnitude (what `>> 16` does on int256 and BigInt). */
const shiftQ = (v: number): number => Math.floor(v / ONE);

function sigmoidQ(z: number): number {
  if (z <= -8 * ONE) return SIGMOID_KNOTS[0];
  if (z >= 8 * ONE) return SIGMOID_KNOTS[16];
  const k = shiftQ(z);
  const frac = z - k * ONE;
  const lo = SIGMOID_KNOTS[k + 8]!;
  return lo + shiftQ((SIGMOID_KNOTS[k + 9]! - lo) * frac);
}

function finish(model: QuantizedModel, zRaw: number): Inference {
  const z = clamp(zRaw, -MAX_INPUT, MAX_INPUT);
  const pQ = sigmoidQ(z);
  const s = shiftQ(model.offsetQ - shiftQ(model.factorQ * z));
  return { z, pQ, pd: (BigInt(pQ) * WAD) >> BigInt(Q), score: clamp(s, 300, 850) };
}

/**
 * Canonical inference on JS numbers: exact, because the spec's bounds keep every accumulator below 2^53.
 * `features` are the normalised, quantised inputs (|x| ≤ 2^20).
 */
export function inferQuantized(model: QuantizedModel, features: ArrayLike<number>): Inference {
  let activations: ArrayLike<number> = features;
  for (let l = 0; l < model.layers.length; l++) {
    const { weights, biases } = model.layers[l]!;
    const last = l === model.layers.length - 1;
    const next = new Array<number>(weights.length);
    for (let j = 0; j < weights.length; j++) {
      const row = weights[j]!;
      let acc = 0;
      for (let i = 0; i < row.length; i++) acc += row[i]! * activations[i]!;
      const v = shiftQ(acc) + biases[j]!;
      next[j] = last ? v : clamp(v, 0, MAX_INPUT);
    }
    activations = next;
  }
  return finish(model, activations[0]!);
}

/** The same definition in BigInt: the reference the fast path and the Solidity verifier are tested against. */
export function inferQuantizedReference(model: QuantizedModel, features: ArrayLike<number>): Inference {
  let activations: bigint[] = Array.from(features, (x) => BigInt(x));
  const Qn = BigInt(Q);
  for (let l = 0; l < model.layers.length; l++) {
    const { weights, biases } = model.layers[l]!;
    const last = l === model.layers.length - 1;
    activations = weights.map((row, j) => {
      const acc = row.reduce((sum, w, i) => sum + BigInt(w) * activations[i]!, 0n);
      const v = (acc >> Qn) + BigInt(biases[j]!);
      if (last) return v;
      return v < 0n ? 0n : v > BigInt(MAX_INPUT) ? BigInt(MAX_INPUT) : v;
    });
  }
  const zb = activations[0]!;
  const z = Number(zb < BigInt(-MAX_INPUT) ? BigInt(-MAX_INPUT) : zb > BigInt(MAX_INPUT) ? BigInt(MAX_INPUT) : zb);
  let pQ: bigint;
  if (z <= -8 * ONE) pQ = BigInt(SIGMOID_KNOTS[0]);
  else if (z >= 8 * ONE) pQ = BigInt(SIGMOID_KNOTS[16]);
  else {
    const k = BigInt(z) >> Qn;
    const frac = BigInt(z) - (k << Qn);
    const lo = BigInt(SIGMOID_KNOTS[Number(k) + 8]!);
    pQ = lo + (((BigInt(SIGMOID_KNOTS[Number(k) + 9]!) - lo) * frac) >> Qn);
  }
  const s = (BigInt(model.offsetQ) - ((BigInt(model.factorQ) * BigInt(z)) >> Qn)) >> Qn;
  const score = Number(s < 300n ? 300n : s > 850n ? 850n : s);
  return { z, pQ: Number(pQ), pd: (pQ * WAD) >> Qn, score };
}

/** The packed big-endian weights encoding of the spec; its keccak256 is the registered weights hash. */
export function encodeWeights(model: QuantizedModel): Uint8Array {
  validateModel(model);
  const dims = [model.layers[0]!.weights[0]!.length, ...model.layers.map((l) => l.weights.length)];
  const count = model.layers.reduce((n, l) => n + l.weights.length * (l.weights[0]!.length + 1), 0) + 2;
  const bytes = new Uint8Array(2 + 2 * dims.length + 4 * count);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, 1);
  view.setUint8(1, model.layers.length);
  dims.forEach((d, i) => view.setUint16(2 + 2 * i, d, false));
  let o = 2 + 2 * dims.length;
  const write = (v: number): void => {
    view.setInt32(o, v, false);
    o += 4;
  };
  for (const layer of model.layers) {
    for (const row of layer.weights) row.forEach(write);
    layer.biases.forEach(write);
  }
  write(model.offsetQ);
  write(model.factorQ);
  return bytes;
}

/** Parses the weights encoding back; refuses a wrong version, truncated or trailing bytes. */
export function decodeWeights(bytes: Uint8Array): QuantizedModel {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 2 || view.getUint8(0) !== 1) fail('unknown weights encoding version');
  const L = view.getUint8(1);
  const dims = Array.from({ length: L + 1 }, (_, i) => view.getUint16(2 + 2 * i, false));
  const expected = 2 + 2 * dims.length + 4 * (dims.slice(1).reduce((n, out, l) => n + out * (dims[l]! + 1), 0) + 2);
  if (bytes.length !== expected) fail(`weights are ${bytes.length} bytes, the header implies ${expected}`);
  let o = 2 + 2 * dims.length;
  const read = (): number => {
    const v = view.getInt32(o, false);
    o += 4;
    return v;
  };
  const layers = dims.slice(1).map((out, l) => {
    const weights = Array.from({ length: out }, () => Array.from({ length: dims[l]! }, read));
    return { weights, biases: Array.from({ length: out }, read) };
  });
  const model = { layers, offsetQ: read(), factorQ: read() };
  validateModel(model);
  return model;
}

/** Packed big-endian int32 inputs; their keccak256 is the leaf's featuresHash. */
export function encodeFeatures(features: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(4 * features.length);
  const view = new DataView(bytes.buffer);
  features.forEach((x, i) => {
    if (!Number.isInteger(x) || Math.abs(x) > MAX_INPUT) throw new Error(`feature ${i} = ${x} is outside ±2^20`);
    view.setInt32(4 * i, x, false);
  });
  return bytes;
}

/** Parses packed inputs back (a stored leaf's features); refuses a length that is not a whole number of int32s. */
export function decodeFeatures(bytes: Uint8Array): number[] {
  if (bytes.length % 4 !== 0) throw new Error(`packed features are ${bytes.length} bytes, not a multiple of 4`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length / 4 }, (_, i) => view.getInt32(4 * i, false));
}

export const weightsHash = (model: QuantizedModel): string => keccak256(encodeWeights(model));
export const featuresHash = (features: readonly number[]): string => keccak256(encodeFeatures(features));

/** Scorecard constants in Q16 from base score B at odds O (good:bad) and PDO points to double the odds. */
export function scorecard(baseScore = 600, baseOdds = 50, pdo = 20): { offsetQ: number; factorQ: number } {
  const factor = pdo / Math.LN2;
  return { offsetQ: Math.round((baseScore - factor * Math.log(baseOdds)) * ONE), factorQ: Math.round(factor * ONE) };
}

/** Quantises a float value to Q16 and clips it to a bound (inputs: ±16, weights: ±64). */
export const toQ = (v: number, bound: number): number => clamp(Math.round(v * ONE), -bound, bound);
