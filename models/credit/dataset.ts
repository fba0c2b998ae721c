import { CREDIT_FEATURE_COUNT, creditFeatures, creditLabel } from './features';
import type { CreditHistory, MarketData } from './types';

/** Feature rows (row-major, `count × width`), labels and observation times. */
export interface Dataset {
  width: number;
  count: number;
  x: Float64Array;
  y: Uint8Array;
  /** Observation time of each row (unix seconds). */
  t: Float64Array;
  entities: string[];
}

/** Rows for wallets observed at their own times; `horizonSeconds` is the label horizon H. */
export function buildCreditDataset(
  histories: ReadonlyArray<CreditHistory & { observedAt: number }>,
  market: MarketData,
  horizonSeconds: number,
): Dataset {
  const width = CREDIT_FEATURE_COUNT;
  const count = histories.length;
  const x = new Float64Array(count * width);
  const y = new Uint8Array(count);
  const t = new Float64Array(count);
  histories.forEach((h, i) => {
    creditFeatures(h, h.observedAt, market, x.subarray(i * width, (i + 1) * width));
    y[i] = creditLabel(h, h.observedAt, horizonSeconds);
    t[i] = h.observedAt;
  });
  return { width, count, x, y, t, entities: histories.map((h) => h.wallet) };
}

export function subset(data: Dataset, indices: ArrayLike<number>): Dataset {
  const { width } = data;
  const x = new Float64Array(indices.length * width);
  const y = new Uint8Array(indices.length);
  const t = new Float64Array(indices.length);
  const entities: string[] = new Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    x.set(data.x.subarray(i * width, (i + 1) * width), k * width);
    y[k] = data.y[i]!;
    t[k] = data.t[i]!;
    entities[k] = data.entities[i]!;
  }
  return { width, count: indices.length, x, y, t, entities };
}

export interface TimeSplit {
  train: number[];
  validation: number[];
  test: number[];
  /** Boundaries (unix seconds): train t ≤ trainEnd, validation in [validationStart, validationEnd], test t ≥ testStart. */
  trainEnd: number;
  validationStart: number;
  validationEnd: number;
  testStart: number;
}

/**
 * Time split without leakage: validation starts at the `trainShare` quantile of observation times and test at
 * the `trainShare + validationShare` quantile; a row of an earlier part is kept only if its label window
 * (t, t + H] ends before the next part begins, so no label of one part is observed in the next part's time.
 * Indices within each part are in ascending time order (ties by index): a fixed data order.
 */
export function timeSplit(times: Float64Array, horizonSeconds: number, trainShare = 0.6, validationShare = 0.2): TimeSplit {
  if (times.length === 0) throw new Error('cannot split an empty dataset');
  const order = Array.from(times.keys()).sort((a, b) => times[a]! - times[b]! || a - b);
  const at = (q: number): number => times[order[Math.min(order.length - 1, Math.floor(q * order.length))]!]!;
  const validationStart = at(trainShare);
  const testStart = at(trainShare + validationShare);
  const split: TimeSplit = {
    train: [],
    validation: [],
    test: [],
    trainEnd: validationStart - horizonSeconds,
    validationStart,
    validationEnd: testStart - horizonSeconds,
    testStart,
  };
  for (const i of order) {
    const ti = times[i]!;
    if (ti <= split.trainEnd) split.train.push(i);
    else if (ti >= validationStart && ti <= split.validationEnd) split.validation.push(i);
    else if (ti >= testStart) split.test.push(i);
  }
  for (const part of ['train', 'validation', 'test'] as const) {
    if (split[part].length === 0) throw new Error(`the time split leaves no ${part} rows: more data or a shorter horizon is needed`);
  }
  return split;
}

/** Mean and standard deviation per feature from training rows; z-scores are clipped to ±16 (the canonical input bound). */
export interface Standardizer {
  mean: number[];
  std: number[];
}

export const Z_CLIP = 16;

export function fitStandardizer(data: Dataset): Standardizer {
  const { width, count, x } = data;
  const mean = new Array<number>(width).fill(0);
  const std = new Array<number>(width).fill(0);
  for (let i = 0; i < count; i++) for (let j = 0; j < width; j++) mean[j]! += x[i * width + j]!;
  for (let j = 0; j < width; j++) mean[j]! /= count;
  for (let i = 0; i < count; i++) for (let j = 0; j < width; j++) std[j]! += (x[i * width + j]! - mean[j]!) ** 2;
  // a constant feature keeps std 1 so that it maps to 0 rather than dividing by zero
  for (let j = 0; j < width; j++) std[j] = Math.sqrt(std[j]! / count) || 1;
  return { mean, std };
}

export function standardize(data: Dataset, s: Standardizer): Float32Array {
  const { width, count, x } = data;
  const out = new Float32Array(count * width);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < width; j++) {
      const v = x[i * width + j]!;
      if (!Number.isFinite(v)) throw new Error(`feature ${j} of row ${i} (${data.entities[i]}) is ${v}`);
      const z = (v - s.mean[j]!) / s.std[j]!;
      out[i * width + j] = z > Z_CLIP ? Z_CLIP : z < -Z_CLIP ? -Z_CLIP : z;
    }
  }
  return out;
}
