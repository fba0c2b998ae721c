import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { keccak256 } from 'ethers';
import {
  canonicalHash,
  canonicalJson,
  loadStoredCollateralArtifact,
  loadStoredCreditArtifact,
  readCollateralArtifact,
  type CollateralArtifact,
} from '../models';
import { simulateMarket, writeExamplePrices, writeSimulation } from '../sim';
import { cli, cliDatabase, cliJson, cliRefused, lastJson } from './testing';

describe(`risk-oracle train collateral (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ro-train-collateral-cli-'));
  let database: Awaited<ReturnType<typeof cliDatabase>>;
  beforeAll(async () => {
    database = await cliDatabase(dir);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('train collateral on imported prices writes its artifact and reports coverage', async () => {
    const prices = path.join(dir, 'prices');
    mkdirSync(prices);
    writeExamplePrices(prices, { days: 60 });
    const out = path.join(dir, 'collateral.json');
    const r = await cli(['train', 'collateral', '--prices', prices, '--epochs', '3', '--seed', '2', '--out', out, '--json'], database.env);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const result = lastJson(r.stdout) as { kind: string; modelId: string; metrics: { coverage: Record<string, number>; testRows: number } };
    const file = readFileSync(out, 'utf8');
    expect(result.kind).toBe('collateral');
    expect(result.modelId).toBe(keccak256(Buffer.from(file.trimEnd())));
    expect(result.metrics.testRows).toBeGreaterThan(0);
    expect(Object.keys(result.metrics.coverage).length).toBeGreaterThan(0);
    expect(JSON.parse(file)).toMatchObject({
      format: 'risk-oracle/collateral-model@1',
      seed: 2,
      referenceAsset: 'WETH',
      proposalQuantile: 0.99,
    });
    // the example WETH file's depth column reached the liquidity feature: its training range spans the thin weeks
    // (USDC has no depth column: its rows read the default 1e6, log 13.8)
    const liquidity = (JSON.parse(file) as CollateralArtifact).training.drift!.find((d) => d.feature === 'log_liquidity_usd')!;
    expect(liquidity.support!.high).toBeGreaterThan(Math.log(3e7));
    expect(liquidity.support!.low).toBeLessThan(Math.log(1e6) + 1e-9);
    expect(await cliRefused(['train', 'collateral', '--proposal-quantile', '0.5', '--out', out], database.env)).toContain(
      'the proposal quantile 0.5 is not among the trained quantiles',
    );

    const bad = await cli(['train', 'collateral', '--eth-symbol', 'NOPE', '--out', out], database.env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--eth-symbol NOPE');
  });

  it('train collateral --indexed trains on a chain’s indexed prices, with the depth they carry', async () => {
    const market = simulateMarket({ seed: 3, days: 45 });
    await database.withDb((db) => writeSimulation(db, market, [], { chainId: 31_337 }));
    const out = path.join(dir, 'indexed.json');
    const r = await cliJson(['train', 'collateral', '--indexed', '--chain-id', '31337', '--epochs', '2', '--out', out], database.env);
    const { artifact } = readCollateralArtifact(out);
    expect(r).toMatchObject({ kind: 'collateral', modelId: canonicalHash(artifact) });
    // five simulated assets, 45 days: every row past the 30-day warm-up and before the last day's horizon
    expect(artifact.training.rows + artifact.metrics.testRows).toBeGreaterThan(5 * ((14 * 24) / 6) * 0.9);
    const depth = artifact.training.drift!.find((d) => d.feature === 'log_liquidity_usd')!.support!;
    expect(Math.exp(depth.high)).toBeGreaterThan(5e7); // USDC's deep book
    expect(Math.exp(depth.low)).toBeLessThan(3e6); // GOV's thin one
    expect(await cliRefused(['train', 'collateral', '--indexed', '--prices', dir, '--out', out], database.env)).toContain(
      '--indexed trains on indexed prices; --prices imports CSVs: pick one',
    );
    expect(await cliRefused(['train', 'collateral', '--indexed', '--chain-id', '5', '--out', out], database.env)).toContain(
      'chain 5 has no indexed prices: run index first',
    );
  });

  it('model import keeps a collateral artifact under its kind; the stored bytes are checked when loaded', async () => {
    const out = path.join(dir, 'collateral.json');
    const { artifact, json, modelId } = readCollateralArtifact(out);
    expect(await cliJson(['model', 'import', '--artifact', out], database.env)).toEqual({ modelId, kind: 'collateral' });
    await cliJson(['model', 'import', '--artifact', out], database.env); // again: nothing changes

    const pretty = path.join(dir, 'pretty.json');
    writeFileSync(pretty, JSON.stringify(artifact, null, 2));
    expect(await cliRefused(['model', 'import', '--artifact', pretty], database.env)).toContain(
      `collateral artifact ${pretty}: not in canonical form`,
    );
    const sigmoid = path.join(dir, 'sigmoid.json');
    const topology = JSON.parse(JSON.stringify(artifact.layers.modelTopology)) as {
      config: { layers: Array<{ config: Record<string, unknown> }> };
    };
    topology.config.layers[1]!.config.activation = 'sigmoid';
    writeFileSync(sigmoid, `${canonicalJson({ ...artifact, layers: { ...artifact.layers, modelTopology: topology } })}\n`);
    expect(await cliRefused(['model', 'import', '--artifact', sigmoid], database.env)).toContain('has activation "sigmoid"');

    const handle = await database.open();
    try {
      const stored = await loadStoredCollateralArtifact(handle.db, modelId);
      expect(stored).toEqual({ artifact, json, modelId });
      expect(await loadStoredCreditArtifact(handle.db, modelId)).toBeUndefined(); // another kind
      const row = await handle.db.selectFrom('model_artifacts').where('model_id', '=', modelId).selectAll().executeTakeFirstOrThrow();
      expect(row).toMatchObject({ kind: 'collateral', seed: 2, feature_spec_hash: artifact.featureSpec.hash });
      expect(row.weights_hash).toBe(keccak256(Buffer.from(artifact.layers.weightData, 'base64')));
      await handle.db
        .updateTable('model_artifacts')
        .set({ artifact: json.replace('"seed":2', '"seed":3') })
        .where('model_id', '=', modelId)
        .execute();
      await expect(loadStoredCollateralArtifact(handle.db, modelId)).rejects.toThrow('no longer hashes to its id');
      await handle.db.updateTable('model_artifacts').set({ artifact: json }).where('model_id', '=', modelId).execute();
    } finally {
      await handle.close();
    }
  });
});
