import type { CreditArtifact } from '../credit/artifact';
import { standardize } from '../credit/dataset';
import { logisticLogOdds, sigmoid } from '../credit/logistic';
import { creditScorer } from '../credit/score';
import {
  calibrationCurve,
  classificationMetrics,
  rocCurve,
  type CalibrationBin,
  type ClassificationMetrics,
  type CurvePoint,
} from '../metrics';
import { snapshotDataset, type EvaluationSnapshot } from './snapshot';

export const EVALUATION_FORMAT = 'risk-oracle/evaluation@1';
const ROC_POINTS = 200;
const SCORE_BAND = 50;

export interface ScoreBand {
  /** Scores in [from, from + 50). */
  from: number;
  count: number;
  defaults: number;
}

/**
 * The reproducible evaluation of a credit model on a snapshot: a function of the two files only. The model's
 * figures come from the published integer model (the PDs Solidity would prove), the baseline's from the
 * artifact's logistic regression on the same rows.
 */
export interface CreditEvaluation {
  format: typeof EVALUATION_FORMAT;
  kind: 'credit';
  modelId: string;
  snapshotId: string;
  snapshot: Pick<EvaluationSnapshot, 'name' | 'chainId' | 'block' | 'timestamp' | 'horizonSeconds' | 'count' | 'positives' | 'merkleRoot'>;
  /** Rows observed at or after the artifact's own test start: out of time for the model, whatever chain it trained on. */
  outOfTimeRows: number;
  /** The model's horizon differs from the snapshot's: its PDs answer another question. */
  horizonMismatch: boolean;
  model: ClassificationMetrics;
  baseline: ClassificationMetrics;
  /** The metrics the artifact claims on its own test rows, for comparison. */
  claimed: ClassificationMetrics;
  calibration: CalibrationBin[];
  /** ROC curves thinned to at most 200 points each (false and true positive rates). */
  roc: { model: RocPoint[]; baseline: RocPoint[] };
  scoreBands: ScoreBand[];
}

export type RocPoint = Pick<CurvePoint, 'fpr' | 'tpr'>;

/** At most `n` points of a curve, evenly spaced by index, keeping both ends: enough to draw it. */
function thin(points: CurvePoint[], n: number): RocPoint[] {
  const step = Math.max(1, (points.length - 1) / (n - 1));
  const out: RocPoint[] = [];
  for (let k = 0; k * step < points.length - 1 + 1e-9; k++) {
    const p = points[Math.round(k * step)]!;
    out.push({ fpr: p.fpr, tpr: p.tpr });
  }
  return out;
}

/** Refuses a pairing whose numbers would mean nothing: another feature spec or an empty snapshot. */
function checkPairing(artifact: CreditArtifact, snapshot: EvaluationSnapshot): void {
  if (artifact.featureSpec.hash !== snapshot.featureSpecHash)
    throw new Error(
      `the model reads feature spec ${artifact.featureSpec.hash}, the snapshot holds ${snapshot.featureSpecHash}: build a snapshot with this code's features`,
    );
  if (snapshot.count === 0) throw new Error(`snapshot ${snapshot.name} has no rows`);
  if (snapshot.positives === 0 || snapshot.positives === snapshot.count)
    throw new Error(
      `snapshot ${snapshot.name} has only one class (${snapshot.positives} defaults in ${snapshot.count} rows): no ranking to measure`,
    );
}

export function evaluateCredit(
  artifact: CreditArtifact,
  ids: { modelId: string; snapshotId: string },
  snapshot: EvaluationSnapshot,
): CreditEvaluation {
  checkPairing(artifact, snapshot);
  const data = snapshotDataset(snapshot);
  const score = creditScorer(artifact);
  const pd = new Float64Array(data.count);
  const scores = new Int32Array(data.count);
  for (let i = 0; i < data.count; i++) {
    const s = score(data.x.subarray(i * data.width, (i + 1) * data.width));
    pd[i] = s.pQ / 65_536;
    scores[i] = s.score;
  }
  const { weights, bias, platt } = artifact.baseline;
  const z = standardize(data, artifact.normalisation);
  const base = Float64Array.from(logisticLogOdds({ weights, bias }, z, data.width), (v) => sigmoid(platt.a * v + platt.b));
  const threshold = artifact.metrics.model.threshold;
  const bands = new Map<number, ScoreBand>();
  for (let i = 0; i < data.count; i++) {
    const from = Math.floor(scores[i]! / SCORE_BAND) * SCORE_BAND;
    const band = bands.get(from) ?? { from, count: 0, defaults: 0 };
    band.count++;
    band.defaults += data.y[i]!;
    bands.set(from, band);
  }
  const { rows: _rows, ...header } = snapshot;
  return {
    format: EVALUATION_FORMAT,
    kind: 'credit',
    modelId: ids.modelId,
    snapshotId: ids.snapshotId,
    snapshot: {
      name: header.name,
      chainId: header.chainId,
      block: header.block,
      timestamp: header.timestamp,
      horizonSeconds: header.horizonSeconds,
      count: header.count,
      positives: header.positives,
      merkleRoot: header.merkleRoot,
    },
    outOfTimeRows: snapshot.rows.filter((r) => r.t >= artifact.training.testStart).length,
    horizonMismatch: artifact.horizonSeconds !== snapshot.horizonSeconds,
    model: classificationMetrics(pd, data.y, threshold),
    baseline: classificationMetrics(base, data.y, threshold),
    claimed: artifact.metrics.model,
    calibration: calibrationCurve(pd, data.y),
    roc: { model: thin(rocCurve(pd, data.y), ROC_POINTS), baseline: thin(rocCurve(base, data.y), ROC_POINTS) },
    scoreBands: [...bands.values()].sort((a, b) => a.from - b.from),
  };
}
