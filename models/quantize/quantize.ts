import { MAX_WEIGHT, ONE, validateModel, type QuantizedModel } from './model';

/** A float dense layer, row-major like the canonical model: `weights[j][i]` multiplies input i for output j. */
export interface FloatLayer {
  weights: number[][];
  biases: number[];
}

/** Platt scaling of the last layer's output: calibrated log-odds `a·z + b`. */
export interface PlattCalibration {
  a: number;
  b: number;
}

/** Transposes a TF.js dense kernel (`[inputs][outputs]`) into the canonical row-major `[outputs][inputs]`. */
export function fromKernel(kernel: number[][], bias: number[]): FloatLayer {
  const inputs = kernel.length;
  const outputs = bias.length;
  return {
    weights: Array.from({ length: outputs }, (_, j) => Array.from({ length: inputs }, (_, i) => kernel[i]![j]!)),
    biases: [...bias],
  };
}

/** Folds Platt scaling into the last layer: a·(Wx + b) + c = (aW)x + (ab + c). */
export function foldCalibration(layers: readonly FloatLayer[], calibration: PlattCalibration): FloatLayer[] {
  const out = layers.map((l) => ({ weights: l.weights.map((r) => [...r]), biases: [...l.biases] }));
  const last = out[out.length - 1]!;
  last.weights = last.weights.map((row) => row.map((w) => w * calibration.a));
  last.biases = last.biases.map((b) => b * calibration.a + calibration.b);
  return out;
}

const quantizeValue = (v: number, where: string): number => {
  if (!Number.isFinite(v)) throw new Error(`cannot quantise ${where} = ${v}: not a finite number`);
  const q = Math.round(v * ONE);
  if (Math.abs(q) > MAX_WEIGHT) {
    throw new Error(`cannot quantise ${where} = ${v}: outside ±64 (the canonical bound); train with weight decay or rescale inputs`);
  }
  return q;
};

/**
 * Float layers (hidden layers with a ReLU clipped at 16, the last of width 1 giving log-odds) → the canonical
 * integer model, with Platt calibration folded into the last layer first. A weight beyond ±64 is refused with its
 * layer and index rather than clipped, since a clipped weight would silently change the published scores.
 */
export function quantizeMlp(
  floatLayers: readonly FloatLayer[],
  card: { offsetQ: number; factorQ: number },
  calibration: PlattCalibration = { a: 1, b: 0 },
): QuantizedModel {
  if (floatLayers.length === 0) throw new Error('cannot quantise a model without layers');
  const folded = foldCalibration(floatLayers, calibration);
  const model: QuantizedModel = {
    layers: folded.map((layer, l) => ({
      weights: layer.weights.map((row, j) => row.map((w, i) => quantizeValue(w, `layer ${l} weight [${j}][${i}]`))),
      biases: layer.biases.map((b, j) => quantizeValue(b, `layer ${l} bias [${j}]`)),
    })),
    offsetQ: card.offsetQ,
    factorQ: card.factorQ,
  };
  validateModel(model);
  return model;
}

/** The float forward pass the quantised model approximates (clipped ReLU at 16 in hidden layers): log-odds. */
export function floatLogOdds(layers: readonly FloatLayer[], x: ArrayLike<number>): number {
  let a: number[] = Array.from(x);
  layers.forEach((layer, l) => {
    const last = l === layers.length - 1;
    a = layer.weights.map((row, j) => {
      const v = row.reduce((s, w, i) => s + w * a[i]!, layer.biases[j]!);
      return last ? v : Math.min(16, Math.max(0, v));
    });
  });
  return a[0]!;
}

/** A normalised float feature vector → canonical Q16 inputs (rounded, clipped to ±16). */
export function quantizeFeatures(x: ArrayLike<number>): number[] {
  return Array.from(x, (v, i) => {
    if (!Number.isFinite(v)) throw new Error(`feature ${i} = ${v} is not a finite number`);
    return Math.round(Math.min(16, Math.max(-16, v)) * ONE);
  });
}
