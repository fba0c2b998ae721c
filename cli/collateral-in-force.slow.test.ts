import path from 'node:path';
import type { JsonRpcProvider } from 'ethers';
import type { Kysely } from 'kysely';
import { DEFAULT_BOUNDS, type Deployment } from '../contracts';
import { passProposal } from '../contracts/deploy/dao';
import type { Database } from '../core';
import { collateralProposer, collateralWeightsHash, readCollateralArtifact } from '../models';
import { EMPIRICAL_COLLATERAL_MODEL } from '../oracle/collateral-model';
import { cli, cliDatabase, cliJson, cliRefused, lastJson, startOracleChain, type OracleChain } from './testing';
import { pushFeedAnswers } from './testing-prices';

/**
 * Issues #6/#7/#9: once the DAO puts a trained collateral model in force (ModelRegistry.activeModel(Collateral)),
 * `propose` runs that model's canonical inference on the indexed feed prices instead of the empirical-quantile
 * spec, each signer recomputes with the model in force at the proposal's block (and refuses without its artifact),
 * and `verify` re-derives every published round with it.
 */
describe(`parameter rounds with the collateral model in force (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  let chain: OracleChain;
  let database: Awaited<ReturnType<typeof cliDatabase>>;
  let d: Deployment;
  let provider: JsonRpcProvider;
  let env: Record<string, string>;
  let artifactFile: string;

  const withDb = <T>(f: (db: Kysely<Database>) => Promise<T>): Promise<T> => database.withDb(f);

  beforeAll(async () => {
    chain = await startOracleChain({ bounds: { ...DEFAULT_BOUNDS, minDelay: 0 } });
    ({ deployment: d, provider } = chain);
    database = await cliDatabase(chain.dir);
    env = { ...chain.env, ...database.env };
    await cliJson(['import-prices', chain.dir], env);
    // 32 days of daily on-chain answers: the model's features read 30 days of history before the proposal
    await pushFeedAnswers(provider, d, { steps: 32, stepSeconds: 86_400, volatility: 0.03 });
    // trained on the imported hourly example prices (WETH the reference), a few epochs: what matters is that it runs
    artifactFile = path.join(chain.dir, 'collateral.json');
    await cliJson(['train', 'collateral', '--epochs', '3', '--seed', '5', '--out', artifactFile], env);
    await cliJson(['model', 'import', '--artifact', artifactFile], env);
    const { artifact, modelId } = readCollateralArtifact(artifactFile);
    const models = d.models;
    await passProposal(
      d.dao,
      provider,
      await provider.getSigner(0),
      [
        {
          target: await models.getAddress(),
          data: models.interface.encodeFunctionData('register', [
            modelId,
            collateralWeightsHash(artifact),
            artifact.featureSpec.hash,
            1,
            'test',
          ]),
        },
        { target: await models.getAddress(), data: models.interface.encodeFunctionData('setStatus', [modelId, 2]) },
      ],
      'put the collateral model in force',
    );
    expect(await models.connect(provider).activeModel(1)).toBe(modelId);
  }, 300_000);
  afterAll(async () => {
    await database?.close();
    await chain?.stop();
  });

  it('proposes with the model in force, signers recompute it (refusing without its artifact), publishes, and verify agrees', async () => {
    const { artifact, modelId } = readCollateralArtifact(artifactFile);
    expect(modelId).not.toBe(EMPIRICAL_COLLATERAL_MODEL.modelId);
    await cliJson(['index'], env);
    const proposed = await cliJson(['propose', '--no-credit'], env);
    expect(proposed).toMatchObject({ modelId, priceSource: 'chain' });

    // each round is the canonical inference on the indexed feed answers up to the round's block
    const rounds = await withDb((db) =>
      db
        .selectFrom('risk_parameter_rounds as r')
        .innerJoin('assets as a', 'a.address', 'r.asset')
        .selectAll('r')
        .select('a.symbol')
        .execute(),
    );
    expect(rounds.length).toBe(d.market.reserves.length);
    const seriesOf = (address: string) =>
      withDb(async (db) =>
        (
          await db
            .selectFrom('price_points')
            .select(['timestamp', 'price_usd'])
            .where('asset', '=', address.toLowerCase())
            .where('source', '=', 'chainlink')
            .where('block_number', '<=', proposed.block as number)
            .orderBy('timestamp')
            .execute()
        ).map((p) => ({ t: p.timestamp, p: Number(p.price_usd) })),
      );
    const weth = d.market.reserves.find((r) => r.symbol === 'WETH')!;
    const gov = rounds.find((r) => r.symbol === 'GOV')!;
    const expected = collateralProposer(artifact)({
      symbol: 'GOV',
      at: proposed.at as number,
      prices: await seriesOf(gov.asset),
      reference: await seriesOf(weth.address),
    });
    expect(gov.model_id).toBe(modelId);
    expect(gov.inputs_root).toBe(expected.inputsRoot);
    expect((gov.explanation as { proposed: unknown }).proposed).toEqual(expected.params);

    // a signer without the model's artifact cannot recompute: it refuses, naming the model and the fix
    await withDb((db) => db.deleteFrom('model_artifacts').where('model_id', '=', modelId).execute());
    expect(await cliRefused(['sign', '--key-env', 'SIGNER_0'], env)).toContain(
      `the collateral model in force at block ${proposed.block} (${modelId}) has no stored artifact: risk-oracle model import --artifact FILE`,
    );
    await cliJson(['model', 'import', '--artifact', artifactFile], env);
    for (const key of ['SIGNER_0', 'SIGNER_1', 'SIGNER_2']) await cliJson(['sign', '--key-env', key], env);
    expect(await cliJson(['publish', '--key-env', 'PUBLISHER_KEY', '--apply'], env)).toMatchObject({ submitted: true });
    // the model trained on hourly prices; these feeds answer once a day, so an asset whose features fall outside the
    // model's training range is held by the drift guard (recorded with its reason) and only the others go out
    const held = rounds.filter((r) => r.status === 'held');
    const drift = await withDb((db) =>
      db.selectFrom('guard_decisions').select(['subject', 'reason']).where('guard', '=', 'drift').where('decision', '=', 'hold').execute(),
    );
    expect(drift.map((x) => x.subject).sort()).toEqual(held.map((r) => `round:${r.asset}:${r.round}`).sort());
    for (const x of drift) expect(x.reason).toMatch(/^features outside the training range: /);
    const out = rounds.filter((r) => r.status !== 'held');
    expect(out.length).toBeGreaterThan(0);
    const published = await d.oracle.connect(provider).queryFilter(d.oracle.filters.ParametersUpdated(), 0);
    expect(published.map((e) => [e.args.asset.toLowerCase(), e.args.modelId]).sort()).toEqual(out.map((r) => [r.asset, modelId]).sort());

    const verified = await cli(['verify', '--json'], env);
    expect([verified.code, lastJson(verified.stdout).rounds, lastJson(verified.stdout).mismatches]).toEqual([0, out.length, 0]);
  }, 300_000);
});
