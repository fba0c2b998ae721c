import * as tf from '@tensorflow/tfjs';
import { createRandom } from '../../core/random';
import { fitStandardizer, standardize, type Standardizer } from '../credit/dataset';

export const DEFAULT_QUANTILES = [0.95, 0.99, 0.999] as const;

export interface QuantileModel {
  quantiles: number[];
  standardizer: Standardizer;
  model: tf.LayersModel;
  width: number;
}

export interface QuantileOptions {
  seed: number;
  quantiles?: readonly number[];
  hidden?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  onEpoch?: (p: { epoch: number; loss: number }) => void;
}

/**
 * Pinball loss summed over quantiles: for residual r = y − ŷ_q, max(q·r, (q − 1)·r). Its minimiser is the
 * q-quantile of y given the inputs.
 */
export function pinballLoss(y: tf.Tensor, predictions: tf.Tensor, quantiles: readonly number[]): tf.Scalar {
  return tf.tidy(() => {
    const q = tf.tensor1d(quantiles as number[]);
    const r = tf.sub(y, predictions);
    return tf.mean(tf.maximum(tf.mul(q, r), tf.mul(tf.sub(q, 1), r))).mul(quantiles.length) as tf.Scalar;
  });
}

/**
 * The quantiles come out ordered: the first is a free output, each next adds a softplus increment (so they
 * never cross). Inputs are standardised with training mean/std, clipped to ±16.
 */
function buildModel(width: number, quantiles: number, hidden: number, seed: number): tf.LayersModel {
  const input = tf.input({ shape: [width], name: 'features' });
  const h = tf.layers
    .dense({ units: hidden, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }), name: 'hidden' })
    .apply(input) as tf.SymbolicTensor;
  const raw = tf.layers
    .dense({ units: quantiles, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }), name: 'raw' })
    .apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: raw, name: 'collateral_quantiles' });
}

/** raw outputs → ordered quantiles: q_0 = raw_0, q_k = q_{k−1} + softplus(raw_k). */
function ordered(raw: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const parts = tf.split(raw, raw.shape[1]!, 1);
    const out = [parts[0]!];
    for (let k = 1; k < parts.length; k++) out.push(tf.add(out[k - 1]!, tf.softplus(parts[k]!)));
    return tf.concat(out, 1);
  });
}

/** Trains the quantile network on rows (row-major `count × width`) of features and adverse moves. */
export async function trainQuantileModel(
  x: Float64Array,
  y: Float64Array,
  width: number,
  options: QuantileOptions,
): Promise<QuantileModel> {
  const count = y.length;
  if (count === 0) throw new Error('no rows to train the collateral model on');
  for (let i = 0; i < count; i++) if (!Number.isFinite(y[i]!)) throw new Error(`label ${i} is ${y[i]}: adverse moves must be finite`);
  const quantiles = [...(options.quantiles ?? DEFAULT_QUANTILES)];
  const data = { width, count, x, y: new Uint8Array(count), t: new Float64Array(count), entities: [] as string[] };
  const standardizer = fitStandardizer(data);
  const z = standardize(data, standardizer);
  const model = buildModel(width, quantiles.length, options.hidden ?? 16, options.seed);
  const optimizer = tf.train.adam(options.learningRate ?? 0.01);
  // one seeded shuffle, then a fixed order: minibatches mix regimes instead of following time
  const random = createRandom(options.seed);
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const zs = new Float32Array(count * width);
  const yv = new Float32Array(count);
  order.forEach((src, k) => {
    zs.set(z.subarray(src * width, (src + 1) * width), k * width);
    yv[k] = y[src]!;
  });
  const xs = tf.tensor2d(zs, [count, width]);
  const ys = tf.tensor2d(yv, [count, 1]);
  const batch = options.batchSize ?? 256;
  for (let epoch = 0; epoch < (options.epochs ?? 60); epoch++) {
    let total = 0;
    for (let start = 0; start < count; start += batch) {
      const size = Math.min(batch, count - start);
      const xb = xs.slice([start, 0], [size, width]);
      const yb = ys.slice([start, 0], [size, 1]);
      const loss = optimizer.minimize(() => pinballLoss(yb, ordered(model.apply(xb) as tf.Tensor), quantiles), true);
      tf.dispose([xb, yb]);
      total += loss!.dataSync()[0]! * size;
      loss!.dispose();
    }
    options.onEpoch?.({ epoch, loss: total / count });
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  xs.dispose();
  ys.dispose();
  optimizer.dispose();
  return { quantiles, standardizer, model, width };
}

/** Predicted adverse-move quantiles per row (each row ordered like `model.quantiles`), floored at 0. */
export function predictQuantiles(model: QuantileModel, x: Float64Array): number[][] {
  const count = x.length / model.width;
  const data = { width: model.width, count, x, y: new Uint8Array(count), t: new Float64Array(count), entities: [] as string[] };
  const z = standardize(data, model.standardizer);
  return tf.tidy(() => {
    const out = ordered(model.model.predict(tf.tensor2d(z, [count, model.width])) as tf.Tensor).arraySync() as number[][];
    return out.map((row) => row.map((v) => Math.max(0, v)));
  });
}
