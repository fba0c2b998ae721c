import fc from 'fast-check';
import {
  averagePrecision,
  averageRanks,
  brier,
  calibrationCurve,
  classificationMetrics,
  expectedCalibrationError,
  ks,
  recallAtThreshold,
  rocAuc,
  rocCurve,
  spearman,
} from './metrics';

describe('metrics', () => {
  // scores 0.9(1) 0.8(0) 0.7(1) 0.6(1) 0.5(0) 0.4(0): positive-negative pairs ordered right: 3 + 2 + 2 = 7 of 9
  const s = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];
  const y = [1, 0, 1, 1, 0, 0];

  it('ROC-AUC by hand, ties counting one half', () => {
    expect(rocAuc(s, y)).toBeCloseTo(7 / 9, 12);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0])).toBe(0.5);
    // one tie between a positive and a negative: pairs (0.9,0.5)=1, (0.9,0.2)=1, (0.5,0.5)=½, (0.5,0.2)=1 → 3.5/4
    expect(rocAuc([0.9, 0.5, 0.5, 0.2], [1, 1, 0, 0])).toBe(3.5 / 4);
  });

  it('property: ROC-AUC equals the pairwise definition', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 1 })), { minLength: 2, maxLength: 40 }),
        (rows) => {
          const scores = rows.map((r) => r[0]);
          const labels = rows.map((r) => r[1]);
          const pos = labels.filter((l) => l === 1).length;
          fc.pre(pos > 0 && pos < labels.length);
          let pairs = 0;
          rows.forEach(([sp, lp]) =>
            rows.forEach(([sn, ln]) => {
              if (lp === 1 && ln === 0) pairs += sp > sn ? 1 : sp === sn ? 0.5 : 0;
            }),
          );
          expect(rocAuc(scores, labels)).toBeCloseTo(pairs / (pos * (labels.length - pos)), 12);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('average precision, KS and the ROC curve by hand', () => {
    // positives at ranks 1, 3, 4: precision 1, 2/3, 3/4 → AP = (1 + 2/3 + 3/4) / 3
    expect(averagePrecision(s, y)).toBeCloseTo((1 + 2 / 3 + 3 / 4) / 3, 12);
    // TPR − FPR at 0.6: 1 − 1/3
    expect(ks(s, y)).toBeCloseTo(2 / 3, 12);
    expect(rocCurve(s, y).map((p) => [p.fpr, p.tpr])).toEqual([
      [0, 0],
      [0, 1 / 3],
      [1 / 3, 1 / 3],
      [1 / 3, 2 / 3],
      [1 / 3, 1],
      [2 / 3, 1],
      [1, 1],
    ]);
  });

  it('Brier, calibration curve, ECE and recall by hand', () => {
    const p = [0.05, 0.15, 0.12, 0.95];
    const l = [0, 1, 0, 1];
    expect(brier(p, l)).toBeCloseTo((0.05 ** 2 + 0.85 ** 2 + 0.12 ** 2 + 0.05 ** 2) / 4, 12);
    const bins = calibrationCurve(p, l);
    expect(bins.map((b) => [b.lo, b.count])).toEqual([
      [0, 1],
      [0.1, 2],
      [0.9, 1],
    ]);
    // bin 0: |0.05 − 0|, bin 1: |0.135 − 0.5|, bin 9: |0.95 − 1|
    expect(expectedCalibrationError(p, l)).toBeCloseTo((0.05 + 2 * 0.365 + 0.05) / 4, 12);
    expect(recallAtThreshold(p, l, 0.1)).toBe(1);
    expect(recallAtThreshold(p, l, 0.5)).toBe(0.5);
    expect(classificationMetrics(p, l, 0.5)).toMatchObject({ rocAuc: 1, positives: 2, count: 4, recall: 0.5 });
  });

  it('bad inputs give clear errors', () => {
    expect(() => rocAuc([], [])).toThrow('no examples to evaluate');
    expect(() => rocAuc([0.1, 0.2], [1, 1])).toThrow('only one class present (2 positives, 0 negatives)');
    expect(() => rocAuc([0.1, NaN], [1, 0])).toThrow('score 1 is NaN');
    expect(() => brier([0.1], [2])).toThrow('label 0 is 2, expected 0 or 1');
    expect(() => brier([0.1], [1, 0])).toThrow('1 scores for 2 labels');
  });

  it('rank correlation: average ranks for ties, ±1 for the same or reversed order, the textbook value by hand', () => {
    expect(Array.from(averageRanks([10, 20, 20, 5]))).toEqual([2, 3.5, 3.5, 1]);
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    // d = rank differences (0, 0, 1, −1, 0): 1 − 6Σd²/(n(n²−1)) = 1 − 12/120
    expect(spearman([1, 2, 3, 4, 5], [1, 2, 4, 3, 5])).toBeCloseTo(0.9, 12);
    expect(() => spearman([1, 1, 1], [1, 2, 3])).toThrow('constant');
    expect(() => spearman([1], [1])).toThrow('at least two');
  });

  it('property: rank correlation is unchanged by any increasing transform of either side', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: -50, max: 50 })), { minLength: 3, maxLength: 30 }),
        (rows) => {
          const a = rows.map((r) => r[0]);
          const b = rows.map((r) => r[1]);
          fc.pre(new Set(a).size > 1 && new Set(b).size > 1);
          expect(
            spearman(
              a.map((v) => Math.exp(v / 10)),
              b.map((v) => v * 3 + 7),
            ),
          ).toBeCloseTo(spearman(a, b), 12);
          expect(spearman(a, b)).toBeCloseTo(spearman(b, a), 12);
        },
      ),
      { numRuns: 200 },
    );
  });
});
