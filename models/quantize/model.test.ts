import fc from 'fast-check';
import {
  decodeFeatures,
  decodeWeights,
  encodeFeatures,
  encodeWeights,
  featuresHash,
  inferQuantized,
  inferQuantizedReference,
  MAX_INPUT,
  MAX_WEIGHT,
  ONE,
  scorecard,
  weightsHash,
  type QuantizedModel,
} from './model';
import { arbitraryModelAndRows } from './testing';

const card = scorecard(600, 50, 20);

/** Random models within the spec's bounds (1–3 layers, widths up to 12, a last layer of width 1) with one input. */
const modelAndInput = arbitraryModelAndRows({ maxWidth: 12, maxHidden: 2, weightSpan: 2, rows: { min: 1, max: 1 } }).map(
  ({ model, rows }) => ({
    model,
    x: rows[0]!,
  }),
);

describe('canonical quantised model', () => {
  it('hand-computed: one input, weight 1.0, x = 2.0 → z = 2, PD = S[10], score 429', () => {
    const model: QuantizedModel = { layers: [{ weights: [[ONE]], biases: [0] }], ...card };
    expect(card).toEqual({ offsetQ: 31_924_085, factorQ: 1_890_969 });
    expect(inferQuantized(model, [2 * ONE])).toEqual({ z: 2 * ONE, pQ: 57_724, pd: 880_798_339_843_750_000n, score: 429 });
    // between knots: z = -3.5 → interpolated between S[4] and S[5]
    expect(inferQuantized(model, [-3.5 * ONE])).toMatchObject({ pQ: 2_143, score: 588 });
    // beyond ±8 the sigmoid is flat and the score clamps
    expect(inferQuantized(model, [MAX_INPUT])).toMatchObject({ pQ: 65_514, score: 300 });
    expect(inferQuantized(model, [-MAX_INPUT])).toMatchObject({ pQ: 22, score: 850 });
  });

  it('property: the fast number path equals the BigInt reference bit for bit', () => {
    fc.assert(
      fc.property(modelAndInput, ({ model, x }) => {
        expect(inferQuantized(model, x)).toEqual(inferQuantizedReference(model, x));
      }),
      { numRuns: 1_000 },
    );
  });

  it('property: weights and features round-trip through their packed encodings', () => {
    fc.assert(
      fc.property(modelAndInput, ({ model, x }) => {
        const bytes = encodeWeights(model);
        expect(decodeWeights(bytes)).toEqual(model);
        expect(weightsHash(model)).toMatch(/^0x[0-9a-f]{64}$/);
        expect(encodeFeatures(x).length).toBe(4 * x.length);
        expect(featuresHash(x)).toBe(featuresHash([...x]));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses models and inputs outside the spec, naming the place', () => {
    const ok: QuantizedModel = { layers: [{ weights: [[ONE, ONE]], biases: [0] }], ...card };
    expect(() => encodeWeights({ ...ok, layers: [{ weights: [[ONE, MAX_WEIGHT + 1]], biases: [0] }] })).toThrow(
      'layer 0 weight [0][1] = 4194305 is outside ±2^22',
    );
    expect(() => encodeWeights({ ...ok, layers: [{ weights: [[ONE], [ONE]], biases: [0, 0] }] })).toThrow(
      'the last layer has 2 outputs, expected 1',
    );
    expect(() => encodeWeights({ ...ok, layers: [{ weights: [[ONE, 0.5]], biases: [0] }] })).toThrow(/weight \[0\]\[1\] = 0.5/);
    expect(() => encodeFeatures([MAX_INPUT + 1])).toThrow('feature 0 = 1048577 is outside ±2^20');
    expect(decodeFeatures(encodeFeatures([-MAX_INPUT, 0, 7, MAX_INPUT]))).toEqual([-MAX_INPUT, 0, 7, MAX_INPUT]);
    expect(() => decodeFeatures(new Uint8Array(6))).toThrow('packed features are 6 bytes, not a multiple of 4');
    const bytes = encodeWeights(ok);
    expect(() => decodeWeights(bytes.slice(0, -1))).toThrow(/the header implies/);
    expect(() => decodeWeights(Uint8Array.from([2, ...bytes.slice(1)]))).toThrow('unknown weights encoding version');
  });

  it('agrees with the reference on a 32×32×1 model', () => {
    const layer = (out: number, inp: number) => ({
      weights: Array.from({ length: out }, (_, j) => Array.from({ length: inp }, (_, i) => ((i * 7 + j * 13) % 41) * 1000 - 20_000)),
      biases: Array(out).fill(100),
    });
    const model: QuantizedModel = { layers: [layer(32, 32), layer(1, 32)], ...card };
    const x = Array.from({ length: 32 }, (_, i) => (i - 16) * 4096);
    expect(inferQuantized(model, x)).toEqual(inferQuantizedReference(model, x));
  });
});
