import fc from 'fast-check';
import { MAX_INPUT, MAX_WEIGHT, ONE, scorecard, type QuantizedModel } from './model';

export interface ModelArbitraryOptions {
  /** Widest input or hidden layer. */
  maxWidth: number;
  /** Hidden layers at most (the last layer, of width 1, comes on top). */
  maxHidden: number;
  /** Weights are drawn from the full Q16 range or from ±weightSpan × ONE, where real models live. */
  weightSpan: number;
  /** How many input rows come with each model. */
  rows: { min: number; max: number };
  /** Score mapping parameters; the default scorecard when absent. */
  score?: fc.Arbitrary<Pick<QuantizedModel, 'offsetQ' | 'factorQ'>>;
}

/** Random canonical models within the spec's bounds (docs/canonical-model.md) with inputs, for property tests. */
export function arbitraryModelAndRows(options: ModelArbitraryOptions): fc.Arbitrary<{ model: QuantizedModel; rows: number[][] }> {
  const width = fc.integer({ min: 1, max: options.maxWidth });
  return fc.record({ inputs: width, hidden: fc.array(width, { maxLength: options.maxHidden }) }).chain(({ inputs, hidden }) => {
    const dims = [inputs, ...hidden, 1];
    const span = options.weightSpan * ONE;
    const weight = fc.oneof(fc.integer({ min: -MAX_WEIGHT, max: MAX_WEIGHT }), fc.integer({ min: -span, max: span }));
    const layers = fc.tuple(
      ...dims.slice(1).map((out, l) =>
        fc.record({
          weights: fc.array(fc.array(weight, { minLength: dims[l]!, maxLength: dims[l]! }), { minLength: out, maxLength: out }),
          biases: fc.array(weight, { minLength: out, maxLength: out }),
        }),
      ),
    );
    const value = fc.oneof(fc.integer({ min: -MAX_INPUT, max: MAX_INPUT }), fc.integer({ min: -4 * ONE, max: 4 * ONE }));
    const row = fc.array(value, { minLength: inputs, maxLength: inputs });
    const rows = fc.array(row, { minLength: options.rows.min, maxLength: options.rows.max });
    return fc
      .tuple(layers, rows, options.score ?? fc.constant(scorecard()))
      .map(([ls, xs, sc]) => ({ model: { layers: ls, offsetQ: sc.offsetQ, factorQ: sc.factorQ }, rows: xs }));
  });
}
