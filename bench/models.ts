import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate, openDatabase } from '../core/db';
import { createTestDatabase } from '../core/test/db';
import {
  buildCreditArtifact,
  buildCreditDataset,
  compileQuantized,
  quantizeFeatures,
  scorecard,
  selectBackend,
  standardize,
  subset,
  trainCreditModel,
  trainMlp,
  type Dataset,
  type QuantizedModel,
} from '../models';
import { generateWallets, marketView, simulateMarket, walletView, writeSimulation } from '../sim';
import { emitFigures, progress, timed } from './lib';

/**
 * `npm run bench:models -- [--json] [--wallets N] [--seed N] [--db] [--skip-100k]`: on a simulated market (default
 * 50,000 wallets, whose generative model gives the exact Bayes limit) trains, evaluates and scores the credit model.
 * Last line: creditAuc, baselineAuc, bayesAuc, aucGap, trainSeconds, backend, scoringWalletsPerSec (canonical
 * inference, one core), and training samples/s for every backend that loads here. `--db` also times writing the
 * simulation into a (file-backed, temporary) PGlite database, and into Postgres when `DATABASE_URL` is set. Then the
 * training goal's size (100,000 wallets × 30 features, the whole credit pipeline on wasm; `--skip-100k` leaves it
 * out): `trainSeconds100kx30`, `ratioToGoal` (÷ 120 s).
 */
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const H = 30 * 86_400;

/** Wallets per second of the compiled canonical scorer over `rows` (Q16 inputs back to back), best of 5 runs. */
function scoringRate(model: QuantizedModel, rows: Float64Array, count: number): number {
  const scorer = compileQuantized(model);
  const out = { z: new Int32Array(count), pQ: new Int32Array(count), score: new Int32Array(count) };
  let best = 0;
  for (let run = 0; run < 5; run++) {
    const started = performance.now();
    scorer.inferBatch(rows, count, out);
    best = Math.max(best, count / ((performance.now() - started) / 1000));
  }
  return best;
}

async function main(): Promise<void> {
  const wallets = arg('--wallets', 50_000);
  const seed = arg('--seed', 1);
  const { name: backend, skipped } = await selectBackend();
  progress(`backend ${backend}${skipped.length ? ` (skipped: ${skipped.join('; ')})` : ''}`);

  const market = simulateMarket({ seed, days: 365 });
  const sim = await timed(async () => generateWallets(market, { seed, count: wallets }));
  progress(`simulated ${wallets} wallets in ${sim.seconds.toFixed(1)} s`);
  let writeSeconds: number | undefined;
  let postgresWriteSeconds: number | undefined;
  if (process.argv.includes('--db')) {
    // a file-backed PGlite: its in-memory file system makes million-row writes quadratic
    const dir = mkdtempSync(path.join(tmpdir(), 'risk-oracle-bench-'));
    const handle = await openDatabase({ dataDir: dir });
    await migrate(handle.db);
    writeSeconds = (await timed(() => writeSimulation(handle, market, sim.result, { chainId: 31_337 }))).seconds;
    progress(`wrote the simulation to PGlite in ${writeSeconds.toFixed(1)} s`);
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
    if (process.env.DATABASE_URL) {
      // a schema of its own, migrated, dropped afterwards (as every test's): the COPY path the simulator takes on Postgres
      const pg = await createTestDatabase();
      postgresWriteSeconds = (await timed(() => writeSimulation(pg, market, sim.result, { chainId: 31_337 }))).seconds;
      progress(`wrote the simulation to Postgres in ${postgresWriteSeconds.toFixed(1)} s`);
      await pg.close();
    } else progress('DATABASE_URL is not set: the Postgres write is skipped');
  }
  const views = sim.result.map((w) => walletView(market, w));
  const features = await timed(async () => buildCreditDataset(views, marketView(market), H));
  const data = features.result;
  progress(`features for ${data.count} wallets × ${data.width} in ${features.seconds.toFixed(1)} s`);

  const trained = await trainCreditModel(data, {
    seed,
    horizonSeconds: H,
    learningRate: 0.001,
    patience: 10,
    bayesPd: views.map((v) => v.bayesPd),
    onEpoch: (p) => progress(`epoch ${p.epoch}: loss ${p.loss.toFixed(4)}, validation ${p.validationLoss.toFixed(4)}`),
  });
  const { modelId } = await buildCreditArtifact({ trained, data, seed, backend, horizonSeconds: H });
  const m = trained.metrics;
  progress(`model ${modelId}: AUC ${m.model.rocAuc.toFixed(4)}, baseline ${m.baseline.rocAuc.toFixed(4)}, Bayes ${m.bayesAuc!.toFixed(4)}`);

  // canonical scoring: every wallet's quantised inputs through the trained model, and the 32×32×1 reference shape
  const z = standardize(data, trained.standardizer);
  const q = Float64Array.from(quantizeFeatures(z));
  const scoringWalletsPerSec = scoringRate(trained.quantized, q, data.count);
  const ref: QuantizedModel = {
    layers: [
      {
        weights: Array.from({ length: 32 }, (_, j) => Array.from({ length: 32 }, (_, i) => ((i * 7 + j * 13) % 41) * 1_000 - 20_000)),
        biases: Array(32).fill(100),
      },
      { weights: [Array.from({ length: 32 }, (_, i) => (i % 5) * 3_000 - 6_000)], biases: [0] },
    ],
    ...scorecard(),
  };
  const refRows = new Float64Array(100_000 * 32).map((_, k) => ((k * 2_654_435_761) % (8 * 65_536)) - 4 * 65_536);
  const scoring32x32 = scoringRate(ref, refRows, 100_000);

  // training throughput per backend that loads here (the same 20,000 rows, 3 epochs)
  const sample = subset(data, trained.split.train.slice(0, 20_000));
  const zs = standardize(sample, trained.standardizer);
  const trainingSamplesPerSec: Record<string, number> = {};
  for (const name of ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']) {
    try {
      await selectBackend(name);
    } catch {
      continue;
    }
    const r = await trainMlp(
      { x: zs, y: sample.y },
      { x: zs.subarray(0, 2_000 * data.width), y: sample.y.subarray(0, 2_000) },
      data.width,
      {
        seed,
        epochs: 3,
        patience: 10,
      },
    );
    trainingSamplesPerSec[name] = Math.round(r.samplesPerSecond);
    r.model.dispose();
    progress(`${name}: ${trainingSamplesPerSec[name]} training samples/s`);
  }

  // the training goal's size: 100,000 wallets × 30 features (the 25 plus log1p|x| of the first five), the whole
  // pipeline (MLP to early stopping, logistic baseline, Platt, metrics) on wasm, against 120 s
  let goal: { trainSeconds100kx30: number; epochs100kx30: number; ratioToGoal: number } | undefined;
  if (!process.argv.includes('--skip-100k')) {
    await selectBackend('wasm');
    const big = generateWallets(market, { seed: seed + 1, count: 100_000 }).map((w) => walletView(market, w));
    const wide = widen(buildCreditDataset(big, marketView(market), H), 5);
    const run = await trainCreditModel(wide, { seed, horizonSeconds: H, learningRate: 0.001, patience: 10 });
    run.mlp.model.dispose();
    goal = { trainSeconds100kx30: run.trainSeconds, epochs100kx30: run.mlp.epochs, ratioToGoal: run.trainSeconds / 120 };
    progress(`100,000 wallets × ${wide.width} features trained in ${run.trainSeconds.toFixed(1)} s on wasm (goal 120 s)`);
  }

  emitFigures({
    wallets,
    features: data.width,
    creditAuc: m.model.rocAuc,
    floatAuc: m.float.rocAuc,
    baselineAuc: m.baseline.rocAuc,
    bayesAuc: m.bayesAuc,
    aucGap: m.aucGap,
    prAuc: m.model.prAuc,
    ks: m.model.ks,
    brier: m.model.brier,
    ece: m.model.ece,
    trainSeconds: trained.trainSeconds,
    epochs: trained.mlp.epochs,
    backend,
    modelId,
    simulateSeconds: sim.seconds,
    featureSeconds: features.seconds,
    ...(writeSeconds !== undefined ? { writeSeconds } : {}),
    ...(postgresWriteSeconds !== undefined ? { postgresWriteSeconds } : {}),
    scoringWalletsPerSec: Math.round(scoringWalletsPerSec),
    scoringWalletsPerSec32x32: Math.round(scoring32x32),
    trainingSamplesPerSec,
    ...goal,
  });
}

/** The dataset with `extra` more columns, log1p|x_j| of its first ones: a wider credit problem of the same rows. */
function widen(data: Dataset, extra: number): Dataset {
  const width = data.width + extra;
  const x = new Float64Array(data.count * width);
  for (let i = 0; i < data.count; i++) {
    x.set(data.x.subarray(i * data.width, (i + 1) * data.width), i * width);
    for (let j = 0; j < extra; j++) x[i * width + data.width + j] = Math.log1p(Math.abs(data.x[i * data.width + j]!));
  }
  return { ...data, width, x };
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
