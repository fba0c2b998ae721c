/**
 * Logistic regression by Newton's method (IRLS) with an L2 penalty: the baseline beside the MLP, and (with one
 * input) Platt calibration. Deterministic: no randomness, no data order.
 */
export interface LogisticModel {
  weights: number[];
  bias: number;
}

/** Solves A·x = b for a small symmetric positive definite A (Cholesky). */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const L = A.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i]![j]!;
      for (let k = 0; k < j; k++) s -= L[i]![k]! * L[j]![k]!;
      L[i]![j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / L[j]![j]!;
    }
  }
  const y = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i]![k]! * y[k]!;
    y[i] = s / L[i]![i]!;
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k]![i]! * x[k]!;
    x[i] = s / L[i]![i]!;
  }
  return x;
}

/**
 * Fits P(y = 1 | x) = σ(w·x + b). `x` is row-major `count × width`; `sampleWeights` handles class imbalance;
 * `l2` penalises w (not b).
 */
export function fitLogistic(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  width: number,
  options: { l2?: number; sampleWeights?: ArrayLike<number>; iterations?: number } = {},
): LogisticModel {
  const count = y.length;
  if (count === 0) throw new Error('cannot fit a logistic model to no rows');
  const l2 = options.l2 ?? 1e-4;
  const d = width + 1;
  let beta = new Array<number>(d).fill(0);
  for (let iter = 0; iter < (options.iterations ?? 25); iter++) {
    const grad = new Array<number>(d).fill(0);
    const H = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    const row = new Array<number>(d);
    for (let i = 0; i < count; i++) {
      for (let j = 0; j < width; j++) row[j] = x[i * width + j]!;
      row[width] = 1;
      let z = 0;
      for (let j = 0; j < d; j++) z += beta[j]! * row[j]!;
      const p = 1 / (1 + Math.exp(-z));
      const w = options.sampleWeights ? options.sampleWeights[i]! : 1;
      const r = w * (p - y[i]!);
      const h = w * Math.max(p * (1 - p), 1e-10);
      for (let a = 0; a < d; a++) {
        grad[a]! += r * row[a]!;
        const ha = h * row[a]!;
        for (let b = 0; b <= a; b++) H[a]![b]! += ha * row[b]!;
      }
    }
    const totalWeight = options.sampleWeights ? Array.from(options.sampleWeights).reduce((s, v) => s + v, 0) : count;
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < a; b++) H[b]![a] = H[a]![b]!;
      if (a < width) {
        grad[a]! += l2 * totalWeight * beta[a]!;
        H[a]![a]! += l2 * totalWeight;
      }
    }
    const step = solve(H, grad);
    beta = beta.map((v, j) => v - step[j]!);
    if (Math.max(...step.map(Math.abs)) < 1e-10) break;
  }
  return { weights: beta.slice(0, width), bias: beta[width]! };
}

export function logisticLogOdds(model: LogisticModel, x: ArrayLike<number>, width: number): Float64Array {
  const count = Math.floor(x.length / width);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let z = model.bias;
    for (let j = 0; j < width; j++) z += model.weights[j]! * x[i * width + j]!;
    out[i] = z;
  }
  return out;
}

/** Platt scaling: calibrated log-odds a·z + b fitted by maximum likelihood on held-out rows. */
export function fitPlatt(logOdds: ArrayLike<number>, y: ArrayLike<number>): { a: number; b: number } {
  const m = fitLogistic(logOdds, y, 1, { l2: 0 });
  return { a: m.weights[0]!, b: m.bias };
}

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
