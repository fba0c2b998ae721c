import { Q, SIGMOID_KNOTS, validateModel, WAD, type Inference, type QuantizedModel } from './model';

// Local literals, not imported bindings: a CommonJS import is a property read (often a getter) in the hot loop.
const ONE = 65_536;
const MAX_INPUT = 1_048_576;

/**
 * The canonical inference compiled for throughput: weights flattened into one Float64Array, activations in
 * two preallocated buffers, no allocation per wallet. Exact on JS numbers: the spec's bounds keep every
 * accumulator below 2^48 + 2^22 in magnitude, so each product and sum is an exact integer in a double.
 */
export interface QuantizedScorer {
  readonly inputs: number;
  /** One wallet; `pd` is computed from `pQ` as a bigint. */
  infer(features: ArrayLike<number>): Inference;
  /**
   * Many wallets: `features` holds `count` rows of `inputs` values back to back; writes z, pQ and score per row.
   * The cheapest path (no bigint); `pdWad(pQ)` turns a pQ into the WAD PD when it is needed.
   */
  inferBatch(features: ArrayLike<number>, count: number, out: { z: Int32Array; pQ: Int32Array; score: Int32Array }): void;
}

const KNOTS = Float64Array.from(SIGMOID_KNOTS);

/**
 * One layer: out_j = (Σ_i W[j][i]·in_i >> 16) + b_j, clipped to [0, 2^20] when hidden. Four partial sums for
 * instruction-level parallelism: every term is an integer and every partial sum stays below 2^53, so the
 * order of additions cannot change the exact result.
 */
function dense(W: Float64Array, B: Float64Array, inp: Float64Array, out: Float64Array, hidden: boolean): void {
  const din = inp.length;
  const d4 = din & ~3;
  for (let j = 0; j < out.length; j++) {
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    const row = j * din;
    let i = 0;
    for (; i < d4; i += 4) {
      a0 += W[row + i]! * inp[i]!;
      a1 += W[row + i + 1]! * inp[i + 1]!;
      a2 += W[row + i + 2]! * inp[i + 2]!;
      a3 += W[row + i + 3]! * inp[i + 3]!;
    }
    for (; i < din; i++) a0 += W[row + i]! * inp[i]!;
    const v = Math.floor((a0 + a1 + (a2 + a3)) / ONE) + B[j]!;
    out[j] = hidden ? (v < 0 ? 0 : v > MAX_INPUT ? MAX_INPUT : v) : v;
  }
}
const LO = -8 * ONE;
const HI = 8 * ONE;

/** pQ (Q16) → PD as a WAD, `(pQ · 10^18) >> 16`. */
export const pdWad = (pQ: number): bigint => (BigInt(pQ) * WAD) >> BigInt(Q);

/** Validates the model once and returns a scorer that reuses its buffers. */
export function compileQuantized(model: QuantizedModel): QuantizedScorer {
  validateModel(model);
  const layers = model.layers.length;
  const dims = [model.layers[0]!.weights[0]!.length, ...model.layers.map((l) => l.weights.length)];
  const weights = model.layers.map((l) => Float64Array.from(l.weights.flat()));
  const biases = model.layers.map((l) => Float64Array.from(l.biases));
  const buffers = dims.map((d) => new Float64Array(d));
  const input = buffers[0]!;
  const output = buffers[layers]!;
  const { offsetQ, factorQ } = model;
  const inputs = dims[0]!;

  /** Runs the layers on the row starting at `base` of `x`; returns the clamped z. */
  const forward = (x: ArrayLike<number>, base: number): number => {
    for (let i = 0; i < inputs; i++) {
      const v = x[base + i]!;
      if ((v | 0) !== v || v > MAX_INPUT || v < -MAX_INPUT) {
        throw new Error(`feature ${i} = ${v} is not an integer within ±2^20`);
      }
      input[i] = v;
    }
    for (let l = 0; l < layers; l++) dense(weights[l]!, biases[l]!, buffers[l]!, buffers[l + 1]!, l < layers - 1);
    const z = output[0]!;
    return z < -MAX_INPUT ? -MAX_INPUT : z > MAX_INPUT ? MAX_INPUT : z;
  };

  const sigmoid = (z: number): number => {
    if (z <= LO) return KNOTS[0]!;
    if (z >= HI) return KNOTS[16]!;
    const k = Math.floor(z / ONE);
    const lo = KNOTS[k + 8]!;
    return lo + Math.floor(((KNOTS[k + 9]! - lo) * (z - k * ONE)) / ONE);
  };

  const score = (z: number): number => {
    const s = Math.floor((offsetQ - Math.floor((factorQ * z) / ONE)) / ONE);
    return s < 300 ? 300 : s > 850 ? 850 : s;
  };

  return {
    inputs,
    infer(features) {
      if (features.length !== inputs) throw new Error(`expected ${inputs} features, got ${features.length}`);
      const z = forward(features, 0);
      const pQ = sigmoid(z);
      return { z, pQ, pd: pdWad(pQ), score: score(z) };
    },
    inferBatch(features, count, out) {
      if (features.length < count * inputs) throw new Error(`expected ${count} × ${inputs} features, got ${features.length}`);
      for (let r = 0; r < count; r++) {
        const z = forward(features, r * inputs);
        out.z[r] = z;
        out.pQ[r] = sigmoid(z);
        out.score[r] = score(z);
      }
    },
  };
}
