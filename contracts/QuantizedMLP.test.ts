import { ContractFactory, hexlify, JsonRpcProvider } from 'ethers';
import fc from 'fast-check';
import { localProvider, startAnvil, type AnvilInstance } from '../core';
import { encodeFeatures, encodeWeights, inferQuantized, ONE, scorecard, type QuantizedModel } from '../models/quantize/model';
import { arbitraryModelAndRows } from '../models/quantize/testing';
import type { QuantizedMLPHarness } from './build/types';
import { artifact } from './compile';

const card = scorecard();

/** Random models within the spec (1–3 layers, widths up to 32) and inputs, as the verifier will meet them. */
const modelAndInput = arbitraryModelAndRows({
  maxWidth: 32,
  maxHidden: 2,
  weightSpan: 1,
  rows: { min: 1, max: 1 },
  score: fc.oneof(
    fc.constant(card),
    fc.record({
      offsetQ: fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }),
      factorQ: fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }),
    }),
  ),
}).map(({ model, rows }) => ({ model, x: rows[0]! }));

describe('QuantizedMLP (Solidity) against models/quantize (TypeScript)', () => {
  let anvil: AnvilInstance;
  let provider: JsonRpcProvider;
  let harness: QuantizedMLPHarness;

  beforeAll(async () => {
    anvil = await startAnvil();
    provider = localProvider(anvil.rpcUrl);
    const { abi, bytecode } = await artifact('QuantizedMLPHarness');
    const deployed = await new ContractFactory(abi as never[], bytecode, await provider.getSigner(0)).deploy();
    harness = deployed as unknown as QuantizedMLPHarness;
  });
  afterAll(async () => {
    provider?.destroy();
    await anvil?.stop();
  });

  it('property: the contract computes the same log-odds, PD and score, bit for bit, on 600 random models and inputs', async () => {
    await fc.assert(
      fc.asyncProperty(modelAndInput, async ({ model, x }) => {
        const ts = inferQuantized(model, x);
        const sol = await harness.infer(hexlify(encodeWeights(model)), hexlify(encodeFeatures(x)));
        expect({ z: sol.z, pQ: sol.pQ, pd: sol.pd, score: sol.score }).toEqual({
          z: BigInt(ts.z),
          pQ: BigInt(ts.pQ),
          pd: ts.pd,
          score: BigInt(ts.score),
        });
      }),
      { numRuns: 600 },
    );
  });

  it('refuses malformed weights and a wrong number of features with its own errors', async () => {
    const model: QuantizedModel = { layers: [{ weights: [[ONE, ONE]], biases: [0] }], ...card };
    const weights = encodeWeights(model);
    const revertName = async (w: Uint8Array, f: Uint8Array) =>
      harness.infer(hexlify(w), hexlify(f)).then(
        () => 'ok',
        (e: { revert?: { name?: string } }) => e.revert?.name,
      );
    expect(await revertName(weights.slice(0, -1), encodeFeatures([1, 2]))).toBe('QuantizedMLPMalformedWeights');
    expect(await revertName(Uint8Array.from([2, ...weights.slice(1)]), encodeFeatures([1, 2]))).toBe('QuantizedMLPUnsupportedVersion');
    expect(await revertName(weights, encodeFeatures([1]))).toBe('QuantizedMLPInputMismatch');
    expect(await revertName(weights, encodeFeatures([1, 2]))).toBe('ok');
  });
});
