import { classificationMetrics, rocAuc, type ClassificationMetrics } from '../metrics';
import { compileQuantized, quantizeMlp, scorecard, ONE, type QuantizedModel } from '../quantize';
import { fitStandardizer, standardize, subset, timeSplit, type Dataset, type Standardizer, type TimeSplit } from './dataset';
import { fitLogistic, fitPlatt, logisticLogOdds, sigmoid, type LogisticModel } from './logistic';
import { mlpLogOdds, trainMlp, type MlpOptions, type TrainedMlp } from './mlp';

export interface CreditTrainingOptions extends MlpOptions {
  horizonSeconds: number;
  /** PD at which a wallet is flagged, for the recall figure. Default 0.2. */
  threshold?: number;
  /** Scorecard: base score at base odds (good:bad), points to double the odds. Defaults 600, 50, 20. */
  baseScore?: number;
  baseOdds?: number;
  pdo?: number;
  /** Per row of the dataset, the simulator's Bayes-optimal PD (for the limit reported beside the metrics). */
  bayesPd?: ArrayLike<number>;
}

export interface CreditMetrics {
  /** The canonical (quantised, published) model on the test rows. */
  model: ClassificationMetrics;
  /** The float TF.js model, calibrated, on the same rows. */
  float: ClassificationMetrics;
  baseline: ClassificationMetrics;
  /** On simulated data: AUC of P(default | observables) on the test rows, and the model's gap to it. */
  bayesAuc?: number;
  aucGap?: number;
  /** Largest |canonical PD − float PD| on the test rows. */
  maxQuantisationPdError: number;
  rows: { train: number; validation: number; test: number };
}

export interface TrainedCreditModel {
  standardizer: Standardizer;
  mlp: TrainedMlp;
  platt: { a: number; b: number };
  quantized: QuantizedModel;
  baseline: LogisticModel & { platt: { a: number; b: number } };
  split: TimeSplit;
  metrics: CreditMetrics;
  trainSeconds: number;
}

/** The canonical model's PDs (pQ / 2^16) for standardised rows. */
export function canonicalPds(model: QuantizedModel, z: Float32Array, width: number): Float64Array {
  const count = z.length / width;
  const q = new Float64Array(z.length);
  for (let k = 0; k < z.length; k++) q[k] = Math.round(Math.min(16, Math.max(-16, z[k]!)) * ONE);
  const out = { z: new Int32Array(count), pQ: new Int32Array(count), score: new Int32Array(count) };
  compileQuantized(model).inferBatch(q, count, out);
  return Float64Array.from(out.pQ, (p) => p / ONE);
}

/**
 * The credit pipeline on a dataset: time split, standardisation from the training rows, the seeded MLP with
 * early stopping, Platt calibration on the validation rows folded into the canonical quantised model, the
 * logistic baseline (calibrated the same way), and every metric on the test rows.
 */
export async function trainCreditModel(data: Dataset, options: CreditTrainingOptions): Promise<TrainedCreditModel> {
  if (data.count === 0) throw new Error('no rows to train on');
  const started = performance.now();
  const split = timeSplit(data.t, options.horizonSeconds);
  const train = subset(data, split.train);
  const validation = subset(data, split.validation);
  const test = subset(data, split.test);
  const standardizer = fitStandardizer(train);
  const [zTrain, zVal, zTest] = [train, validation, test].map((d) => standardize(d, standardizer)) as [
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  const w = data.width;
  const mlp = await trainMlp({ x: zTrain, y: train.y }, { x: zVal, y: validation.y }, w, options);
  const platt = fitPlatt(mlpLogOdds(mlp.model, zVal, w), validation.y);
  const card = scorecard(options.baseScore, options.baseOdds, options.pdo);
  const quantized = quantizeMlp(mlp.layers, card, platt);

  const positives = train.y.reduce((s, v) => s + v, 0);
  const sampleWeights = Float64Array.from(train.y, (v) =>
    v ? train.count / (2 * positives) : train.count / (2 * (train.count - positives)),
  );
  const logistic = fitLogistic(zTrain, train.y, w, { l2: 1e-3, sampleWeights });
  const baselinePlatt = fitPlatt(logisticLogOdds(logistic, zVal, w), validation.y);

  const threshold = options.threshold ?? 0.2;
  const canonical = canonicalPds(quantized, zTest, w);
  const float = Float64Array.from(mlpLogOdds(mlp.model, zTest, w), (z) => sigmoid(platt.a * z + platt.b));
  const base = Float64Array.from(logisticLogOdds(logistic, zTest, w), (z) => sigmoid(baselinePlatt.a * z + baselinePlatt.b));
  const metrics: CreditMetrics = {
    model: classificationMetrics(canonical, test.y, threshold),
    float: classificationMetrics(float, test.y, threshold),
    baseline: classificationMetrics(base, test.y, threshold),
    maxQuantisationPdError: canonical.reduce((m, p, i) => Math.max(m, Math.abs(p - float[i]!)), 0),
    rows: { train: train.count, validation: validation.count, test: test.count },
  };
  if (options.bayesPd) {
    const bayes = Float64Array.from(split.test, (i) => options.bayesPd![i]!);
    metrics.bayesAuc = rocAuc(bayes, test.y);
    metrics.aucGap = metrics.bayesAuc - metrics.model.rocAuc;
  }
  return {
    standardizer,
    mlp,
    platt,
    quantized,
    baseline: { ...logistic, platt: baselinePlatt },
    split,
    metrics,
    trainSeconds: (performance.now() - started) / 1000,
  };
}
