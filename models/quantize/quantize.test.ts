import { compileQuantized } from './fast';
import { inferQuantized, ONE, scorecard } from './model';
import { floatLogOdds, foldCalibration, fromKernel, quantizeFeatures, quantizeMlp, type FloatLayer } from './quantize';
import { createRandom } from '../../core/random';

const card = scorecard();

describe('quantizeMlp', () => {
  it('transposes TF.js kernels and folds Platt calibration into the last layer', () => {
    const layer = fromKernel(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      [0.5, -0.5],
    );
    expect(layer).toEqual({
      weights: [
        [1, 3, 5],
        [2, 4, 6],
      ],
      biases: [0.5, -0.5],
    });
    const folded = foldCalibration([{ weights: [[2, -1]], biases: [0.5] }], { a: 3, b: -1 });
    expect(folded).toEqual([{ weights: [[6, -3]], biases: [0.5] }].map((l) => ({ ...l, biases: [0.5 * 3 - 1] })));
  });

  it('hand-computed: a 2-1 logistic model quantises exactly', () => {
    const q = quantizeMlp([{ weights: [[0.5, -1.25]], biases: [0.125] }], card, { a: 2, b: 0.25 });
    expect(q.layers[0]).toEqual({ weights: [[ONE, -2.5 * ONE]], biases: [0.5 * ONE] });
    // x = (1, 1): z = 1 - 2.5 + 0.5 = -1
    expect(inferQuantized(q, [ONE, ONE]).z).toBe(-ONE);
  });

  it('quantised log-odds stay within a small bound of the float model on random networks', () => {
    const random = createRandom(5);
    const u = (s: number) => (random() * 2 - 1) * s;
    for (let trial = 0; trial < 50; trial++) {
      const dims = [20, 32, 16, 1];
      const layers: FloatLayer[] = dims.slice(1).map((out, l) => ({
        weights: Array.from({ length: out }, () => Array.from({ length: dims[l]! }, () => u(0.5))),
        biases: Array.from({ length: out }, () => u(0.2)),
      }));
      const q = compileQuantized(quantizeMlp(layers, card));
      for (let k = 0; k < 20; k++) {
        const x = Array.from({ length: 20 }, () => u(3));
        const xq = quantizeFeatures(x);
        const zf = floatLogOdds(
          layers,
          xq.map((v) => v / ONE),
        );
        // each layer adds at most (inputs/2 + 1) units of 2^-16 of rounding per weight and activation
        expect(Math.abs(q.infer(xq).z / ONE - zf)).toBeLessThan(2e-3);
      }
    }
  });

  it('refuses a weight beyond ±64, naming the layer, index and value', () => {
    expect(() => quantizeMlp([{ weights: [[1, 70]], biases: [0] }], card)).toThrow(
      'cannot quantise layer 0 weight [0][1] = 70: outside ±64',
    );
    expect(() => quantizeMlp([{ weights: [[1, NaN]], biases: [0] }], card)).toThrow(/layer 0 weight \[0\]\[1\] = NaN/);
    expect(() => quantizeFeatures([Infinity])).toThrow('feature 0 = Infinity is not a finite number');
    expect(quantizeFeatures([17, -0.5])).toEqual([16 * ONE, -0.5 * ONE]);
  });
});
