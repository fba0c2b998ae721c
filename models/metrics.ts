/**
 * Classification metrics for a PD model: scores are predicted default probabilities (higher = riskier), labels
 * are 0/1 (1 = default). Every function refuses empty input, mismatched lengths and NaN scores; ranking metrics
 * also refuse a single class, since they are undefined there.
 */

function check(scores: ArrayLike<number>, labels: ArrayLike<number>, needBothClasses: boolean): { pos: number; neg: number } {
  if (scores.length !== labels.length) throw new Error(`${scores.length} scores for ${labels.length} labels`);
  if (scores.length === 0) throw new Error('no examples to evaluate');
  let pos = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new Error(`label ${i} is ${labels[i]}, expected 0 or 1`);
    if (!Number.isFinite(scores[i]!)) throw new Error(`score ${i} is ${scores[i]}, expected a finite number`);
    pos += labels[i]!;
  }
  const neg = labels.length - pos;
  if (needBothClasses && (pos === 0 || neg === 0)) {
    throw new Error(`only one class present (${pos} positives, ${neg} negatives): ranking metrics need both`);
  }
  return { pos, neg };
}

/** Indices sorted by descending score. */
function byScoreDesc(scores: ArrayLike<number>): Uint32Array {
  const order = new Uint32Array(scores.length).map((_, i) => i);
  return order.sort((a, b) => scores[b]! - scores[a]! || a - b);
}

/** ROC-AUC, tie-aware: the probability a random positive outranks a random negative, ties counting one half. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const { pos, neg } = check(scores, labels, true);
  const order = byScoreDesc(scores);
  let auc = 0;
  let negAbove = 0;
  for (let k = 0; k < order.length;) {
    let tiePos = 0;
    let tieNeg = 0;
    const s = scores[order[k]!]!;
    for (; k < order.length && scores[order[k]!] === s; k++) {
      if (labels[order[k]!] === 1) tiePos++;
      else tieNeg++;
    }
    // positives in this tie beat every negative below it and half of the tied ones
    auc += tiePos * (neg - negAbove - tieNeg) + 0.5 * tiePos * tieNeg;
    negAbove += tieNeg;
  }
  return auc / (pos * neg);
}

export interface CurvePoint {
  threshold: number;
  fpr: number;
  tpr: number;
}

/** ROC curve, one point per distinct score (descending thresholds), starting at (0, 0). */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): CurvePoint[] {
  const { pos, neg } = check(scores, labels, true);
  const order = byScoreDesc(scores);
  const points: CurvePoint[] = [{ threshold: Infinity, fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length;) {
    const s = scores[order[k]!]!;
    for (; k < order.length && scores[order[k]!] === s; k++) {
      if (labels[order[k]!] === 1) tp++;
      else fp++;
    }
    points.push({ threshold: s, fpr: fp / neg, tpr: tp / pos });
  }
  return points;
}

/** Average precision (PR-AUC as a step function): Σ over thresholds of (recall gain) × precision, ties grouped. */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const { pos } = check(scores, labels, true);
  const order = byScoreDesc(scores);
  let tp = 0;
  let seen = 0;
  let ap = 0;
  for (let k = 0; k < order.length;) {
    const s = scores[order[k]!]!;
    let tieTp = 0;
    for (; k < order.length && scores[order[k]!] === s; k++, seen++) tieTp += labels[order[k]!]!;
    tp += tieTp;
    ap += (tieTp / pos) * (tp / seen);
  }
  return ap;
}

/** Kolmogorov–Smirnov statistic: the largest gap between the positives' and negatives' score CDFs (max TPR − FPR). */
export function ks(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  return rocCurve(scores, labels).reduce((best, p) => Math.max(best, p.tpr - p.fpr), 0);
}

/** Brier score: mean squared error of the probabilities. */
export function brier(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  check(probabilities, labels, false);
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum += (probabilities[i]! - labels[i]!) ** 2;
  return sum / labels.length;
}

export interface CalibrationBin {
  lo: number;
  hi: number;
  count: number;
  meanPredicted: number;
  observedRate: number;
}

/** Equal-width probability bins in [0, 1] (the last bin includes 1); empty bins are omitted. */
export function calibrationCurve(probabilities: ArrayLike<number>, labels: ArrayLike<number>, bins = 10): CalibrationBin[] {
  check(probabilities, labels, false);
  const count = new Float64Array(bins);
  const predicted = new Float64Array(bins);
  const observed = new Float64Array(bins);
  for (let i = 0; i < labels.length; i++) {
    const p = probabilities[i]!;
    if (p < 0 || p > 1) throw new Error(`probability ${i} is ${p}, outside [0, 1]`);
    const b = Math.min(bins - 1, Math.floor(p * bins));
    count[b]!++;
    predicted[b]! += p;
    observed[b]! += labels[i]!;
  }
  const out: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    if (count[b] === 0) continue;
    out.push({
      lo: b / bins,
      hi: (b + 1) / bins,
      count: count[b]!,
      meanPredicted: predicted[b]! / count[b]!,
      observedRate: observed[b]! / count[b]!,
    });
  }
  return out;
}

/** Expected calibration error: Σ_bins (n_b / n) · |mean predicted − observed rate|. */
export function expectedCalibrationError(probabilities: ArrayLike<number>, labels: ArrayLike<number>, bins = 10): number {
  return calibrationCurve(probabilities, labels, bins).reduce(
    (sum, b) => sum + (b.count / labels.length) * Math.abs(b.meanPredicted - b.observedRate),
    0,
  );
}

/** Share of positives flagged at `score ≥ threshold`; undefined without positives is an error. */
export function recallAtThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): number {
  const { pos } = check(scores, labels, false);
  if (pos === 0) throw new Error('recall needs at least one positive');
  let hit = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1 && scores[i]! >= threshold) hit++;
  return hit / pos;
}

export interface ClassificationMetrics {
  rocAuc: number;
  prAuc: number;
  ks: number;
  brier: number;
  ece: number;
  recall: number;
  threshold: number;
  positives: number;
  count: number;
}

/** All metrics at once; `threshold` is the PD at which a wallet is flagged for the recall figure. */
export function classificationMetrics(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold: number,
): ClassificationMetrics {
  const { pos } = check(probabilities, labels, true);
  return {
    rocAuc: rocAuc(probabilities, labels),
    prAuc: averagePrecision(probabilities, labels),
    ks: ks(probabilities, labels),
    brier: brier(probabilities, labels),
    ece: expectedCalibrationError(probabilities, labels),
    recall: recallAtThreshold(probabilities, labels, threshold),
    threshold,
    positives: pos,
    count: labels.length,
  };
}

/** Ranks from 1 (ascending), tied values sharing their average rank. */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const order = byScoreDesc(values).reverse();
  const ranks = new Float64Array(values.length);
  for (let k = 0; k < order.length;) {
    let end = k;
    while (end + 1 < order.length && values[order[end + 1]!] === values[order[k]!]) end++;
    const rank = (k + end) / 2 + 1;
    for (let j = k; j <= end; j++) ranks[order[j]!] = rank;
    k = end + 1;
  }
  return ranks;
}

/**
 * Spearman's rank correlation (Pearson's on average ranks): how alike two models order the same wallets, 1 for
 * the same order, −1 for the reverse. Undefined (NaN is refused) when either side is constant.
 */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`${a.length} values against ${b.length}`);
  if (a.length < 2) throw new Error('rank correlation needs at least two values');
  const [ra, rb] = [averageRanks(a), averageRanks(b)];
  const mean = (a.length + 1) / 2;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    const [da, db] = [ra[i]! - mean, rb[i]! - mean];
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) throw new Error('rank correlation is undefined when one side is constant');
  return sab / Math.sqrt(saa * sbb);
}
