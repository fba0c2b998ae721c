import * as tf from '@tensorflow/tfjs';
import { generateWallets, marketView, simulateMarket, walletView } from '../../sim';
import { selectBackend } from '../backend';
import { inferQuantizedReference } from '../quantize';
import { buildCreditArtifact, loadArtifactLayers } from './artifact';
import { canonicalHash, canonicalJson } from './canonical-json';
import { buildCreditDataset, standardize, subset, timeSplit } from './dataset';
import { fitLogistic } from './logistic';
import { mlpLogOdds } from './mlp';
import { creditScorer } from './score';
import { trainCreditModel } from './train';

const H = 30 * 86_400;

describe('credit model training', () => {
  const market = simulateMarket({ seed: 9, days: 240 });
  const views = generateWallets(market, { seed: 9, count: 4_000 }).map((w) => walletView(market, w));
  const data = buildCreditDataset(views, marketView(market), H);
  const options = { seed: 3, horizonSeconds: H, hidden: [12, 8], epochs: 8, batchSize: 256, bayesPd: views.map((v) => v.bayesPd) };

  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('splits by time with a horizon gap: no label window reaches the next part', () => {
    const split = timeSplit(data.t, H);
    const max = (idx: number[]) => Math.max(...idx.map((i) => data.t[i]!));
    const min = (idx: number[]) => Math.min(...idx.map((i) => data.t[i]!));
    expect(max(split.train) + H).toBeLessThanOrEqual(min(split.validation));
    expect(max(split.validation) + H).toBeLessThanOrEqual(min(split.test));
    expect(() => timeSplit(new Float64Array(0), H)).toThrow('cannot split an empty dataset');
  });

  it('trains, calibrates, quantises and evaluates; same seed, data and backend give the same artifact hash', async () => {
    const a = await trainCreditModel(data, options);
    const b = await trainCreditModel(data, options);
    const artA = await buildCreditArtifact({ trained: a, data, seed: 3, backend: 'wasm', horizonSeconds: H, codeVersion: 'test' });
    const artB = await buildCreditArtifact({ trained: b, data, seed: 3, backend: 'wasm', horizonSeconds: H, codeVersion: 'test' });
    expect(artA.modelId).toBe(artB.modelId);
    expect(artA.json).toBe(artB.json);
    // the id is keccak256 of the file's bytes, and the file is canonical
    expect(canonicalHash(JSON.parse(artA.json))).toBe(artA.modelId);
    expect(canonicalJson(JSON.parse(artA.json))).toBe(artA.json);

    const m = a.metrics;
    expect(m.model.rocAuc).toBeGreaterThan(0.7);
    expect(m.baseline.rocAuc).toBeGreaterThan(0.7);
    expect(m.bayesAuc!).toBeGreaterThan(m.model.rocAuc - 0.05);
    expect(m.maxQuantisationPdError).toBeLessThan(0.02);
    expect(artA.artifact.training.merkleRoot).toMatch(/^0x[0-9a-f]{64}$/);

    // the float layers load with tf.loadLayersModel and predict what the trained model predicts
    const loaded = await loadArtifactLayers(artA.artifact);
    const test = subset(data, a.split.test.slice(0, 50));
    const z = standardize(test, a.standardizer);
    expect(Array.from(mlpLogOdds(loaded, z, data.width))).toEqual(Array.from(mlpLogOdds(a.mlp.model, z, data.width)));

    // the published scorer runs the canonical integer model and agrees with the BigInt reference
    const score = creditScorer(artA.artifact);
    const s = score(test.x.subarray(0, data.width));
    expect({ z: s.z, pQ: s.pQ, pd: s.pd, score: s.score }).toEqual(inferQuantizedReference(a.quantized, s.features));
    expect(s.score).toBeGreaterThanOrEqual(300);
    expect(s.score).toBeLessThanOrEqual(850);
    expect(s.featuresHash).toMatch(/^0x[0-9a-f]{64}$/);
    loaded.dispose();
    a.mlp.model.dispose();
    b.mlp.model.dispose();
  });

  it('refuses a single class and reports progress per epoch', async () => {
    const progress: number[] = [];
    const oneClass = { ...data, y: new Uint8Array(data.count) };
    await expect(trainCreditModel(oneClass, { ...options, onEpoch: (p) => progress.push(p.epoch) })).rejects.toThrow(
      /training needs both classes \(0 defaults/,
    );
    const trained = await trainCreditModel(data, { ...options, epochs: 2, patience: 10, onEpoch: (p) => progress.push(p.epoch) });
    expect(progress).toEqual([0, 1]);
    await expect(
      trainCreditModel({ ...data, count: 0, x: new Float64Array(0), y: new Uint8Array(0), t: new Float64Array(0), entities: [] }, options),
    ).rejects.toThrow('no rows to train on');
    const nan = { ...data, x: Float64Array.from(data.x) };
    nan.x[timeSplit(data.t, H).train[0]! * data.width + 2] = NaN;
    await expect(trainCreditModel(nan, options)).rejects.toThrow(`feature 2 of row`);
    trained.mlp.model.dispose();
    expect(tf.memory().numTensors).toBeLessThan(200);
  });

  it('logistic regression recovers known coefficients', () => {
    // y = 1 exactly when 2·x0 − x1 + 0.5 > noise: with many rows the fit points the same way
    const n = 4_000;
    const x = new Float64Array(2 * n);
    const y = new Uint8Array(n);
    let s = 1;
    const rnd = () => (s = (s * 16_807) % 2_147_483_647) / 2_147_483_647;
    for (let i = 0; i < n; i++) {
      x[2 * i] = rnd() * 4 - 2;
      x[2 * i + 1] = rnd() * 4 - 2;
      const p = 1 / (1 + Math.exp(-(2 * x[2 * i]! - x[2 * i + 1]! + 0.5)));
      y[i] = rnd() < p ? 1 : 0;
    }
    const m = fitLogistic(x, y, 2, { l2: 0 });
    expect(m.weights[0]).toBeCloseTo(2, 0);
    expect(m.weights[1]).toBeCloseTo(-1, 0);
    expect(m.bias).toBeCloseTo(0.5, 0);
  });
});
