import fc from 'fast-check';
import { compileQuantized, pdWad } from './fast';
import { inferQuantizedReference, MAX_INPUT, ONE, scorecard } from './model';
import { arbitraryModelAndRows } from './testing';

const card = scorecard();
const modelAndInputs = arbitraryModelAndRows({ maxWidth: 16, maxHidden: 3, weightSpan: 2, rows: { min: 1, max: 5 } });

describe('compiled canonical scorer', () => {
  it('property: single and batch inference equal the BigInt reference bit for bit', () => {
    fc.assert(
      fc.property(modelAndInputs, ({ model, rows }) => {
        const scorer = compileQuantized(model);
        const out = { z: new Int32Array(rows.length), pQ: new Int32Array(rows.length), score: new Int32Array(rows.length) };
        scorer.inferBatch(Int32Array.from(rows.flat()), rows.length, out);
        rows.forEach((x, r) => {
          const ref = inferQuantizedReference(model, x);
          expect(scorer.infer(x)).toEqual(ref);
          expect([out.z[r], out.pQ[r], out.score[r]]).toEqual([ref.z, ref.pQ, ref.score]);
          expect(pdWad(out.pQ[r]!)).toBe(ref.pd);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('refuses inputs outside the spec instead of computing an inexact result', () => {
    const scorer = compileQuantized({ layers: [{ weights: [[ONE, ONE]], biases: [0] }], ...card });
    expect(() => scorer.infer([MAX_INPUT + 1, 0])).toThrow('feature 0 = 1048577 is not an integer within ±2^20');
    expect(() => scorer.infer([0.5, 0])).toThrow(/feature 0 = 0.5/);
    expect(() => scorer.infer([0])).toThrow('expected 2 features, got 1');
  });

  // its speed is measured by bench/models.ts, not asserted here: timings do not belong in unit tests
  it('scores a large batch on a 32×32×1 model equal to the reference, row by row', () => {
    const layer = (out: number, inp: number) => ({
      weights: Array.from({ length: out }, (_, j) => Array.from({ length: inp }, (_, i) => ((i * 7 + j * 13) % 41) * 1000 - 20_000)),
      biases: Array(out).fill(100),
    });
    const model = { layers: [layer(32, 32), layer(1, 32)], ...card };
    const scorer = compileQuantized(model);
    const n = 20_000;
    const x = new Int32Array(n * 32).map((_, k) => ((k * 2_654_435_761) % (8 * ONE)) - 4 * ONE);
    const out = { z: new Int32Array(n), pQ: new Int32Array(n), score: new Int32Array(n) };
    scorer.inferBatch(x, n, out);
    for (let r = 0; r < n; r += 97) {
      const ref = inferQuantizedReference(model, Array.from(x.subarray(r * 32, (r + 1) * 32)));
      expect([out.z[r], out.pQ[r], out.score[r]]).toEqual([ref.z, ref.pQ, ref.score]);
    }
  });
});
