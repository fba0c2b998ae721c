import type { EventLog, JsonRpcProvider } from 'ethers';
import type { Kysely } from 'kysely';
import type { Database } from '../core';
import { DEFAULT_BOUNDS, type Deployment } from '../contracts';
import { DEFAULT_COLLATERAL_MODEL, proposeFromPrices } from '../oracle/propose';
import { cli, cliDatabase, cliJson, cliRefused, lastJson, startOracleChain, type OracleChain } from './testing';
import { pushFeedAnswers } from './testing-prices';

/**
 * Issue #7: parameter rounds from what the RPC indexer has indexed from the chain. The local Aave market's feeds
 * are moved on-chain, `index` stores their answers, `propose` builds the round at the indexed block from them (not
 * from the CSV prices also imported), and refuses, storing nothing, when the index lags or a price is stale; a
 * signer whose index has not reached the proposal's block refuses too.
 */
describe(`risk-oracle propose from indexed on-chain prices (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  let chain: OracleChain;
  let database: Awaited<ReturnType<typeof cliDatabase>>;
  let d: Deployment;
  let provider: JsonRpcProvider;
  let env: Record<string, string>;

  const withDb = <T>(f: (db: Kysely<Database>) => Promise<T>): Promise<T> => database.withDb(f);
  /** What propose stores: rounds and guard decisions. */
  const stored = () =>
    withDb(async (db) => ({
      rounds: await db.selectFrom('risk_parameter_rounds').selectAll().orderBy('asset').execute(),
      decisions: (await db.selectFrom('guard_decisions').select('id').execute()).length,
    }));
  const index = async () => (await cliJson(['index'], env)).lastBlock as number;
  const symbols = () => d.market.reserves.map((r) => r.symbol);

  beforeAll(async () => {
    chain = await startOracleChain({ bounds: { ...DEFAULT_BOUNDS, minDelay: 0 } });
    ({ deployment: d, provider } = chain);
    // the chain's PGlite directory, or with DATABASE_URL a fresh schema on that Postgres
    database = await cliDatabase(chain.dir);
    env = { ...chain.env, ...database.env };
    // ten 6-hour steps of on-chain prices after the deployment's own answers: 60 h of history
    await pushFeedAnswers(provider, d, { steps: 10 });
  }, 180_000);
  afterAll(async () => {
    await database?.close();
    await chain?.stop();
  });

  it('refuses, storing nothing, when nothing is indexed, when the index lags the head, and when prices are stale', async () => {
    expect(await cliRefused(['propose', '--no-credit'], env)).toContain(
      `Refusing to propose: the indexer has not indexed chain ${d.chainId} yet (run risk-oracle index)`,
    );
    const indexed = await index();
    expect(indexed).toBe(await provider.getBlockNumber());

    // 60 blocks after the index: beyond oracle.maxIndexerLagBlocks (50 by default)
    await provider.send('anvil_mine', ['0x3c']);
    expect(await cliRefused(['propose', '--no-credit'], env)).toContain(
      `Refusing to propose: the indexer is 60 blocks behind the head (indexed ${indexed}, head ${indexed + 60}; limit oracle.maxIndexerLagBlocks = 50): run risk-oracle index`,
    );
    // the limit is the configured one
    expect((await cli(['propose', '--no-credit'], { ...env, RISK_ORACLE_ORACLE_MAX_INDEXER_LAG_BLOCKS: '40' })).stderr).toContain(
      'limit oracle.maxIndexerLagBlocks = 40',
    );

    // two days without a feed answer: every reserve's price is stale at the indexed block, each named with its age
    await index();
    await provider.send('evm_increaseTime', [2 * 86_400]);
    await provider.send('evm_mine', []);
    await index();
    const stale = await cliRefused(['propose', '--no-credit'], env);
    for (const symbol of symbols())
      expect(stale).toMatch(
        new RegExp(`the price of ${symbol} is 1728\\d\\d s \\(48\\.0 h\\) old at \\S+ \\(limit oracle\\.maxPriceAgeSeconds = 90000 s\\)`),
      );
    expect(await stored()).toEqual({ rounds: [], decisions: 0 });

    // an explicit back-fill is judged at its own time: 49 h ago the prices were fresh
    const then = (await provider.getBlock('latest'))!.timestamp - 49 * 3_600;
    const backfill = await cliJson(['propose', '--no-credit', '--at', String(then)], env);
    expect(backfill).toMatchObject({ priceSource: 'chain', at: then });
    // … but it proposes only from the chain's prices and state at the indexed block, never later ones
    expect(await cliRefused(['propose', '--no-credit', '--at', String(then + 50 * 3_600)], env)).toMatch(
      /--at \S+ is after the time of the indexed block \d+/,
    );
  }, 240_000);

  it('proposes at the indexed block from the indexed feed answers; a signer whose index lags refuses; the batch publishes', async () => {
    await pushFeedAnswers(provider, d, { steps: 2, seed: 8 });
    const indexed = await index();
    const block = (await provider.getBlock(indexed))!;
    // blocks mined after the index (within the limit) are not part of the round
    await provider.send('anvil_mine', ['0x5']);
    const proposal = await cliJson(['propose', '--no-credit'], env);
    expect(proposal).toMatchObject({ priceSource: 'chain', block: indexed, at: block.timestamp });
    expect(proposal.assets.map((a: { symbol: string }) => a.symbol)).toEqual(symbols());

    // every round records its price source and block, and its inputs are the feeds' answers read from the chain
    // (the back-fill's proposal above was superseded: one round 1 per reserve)
    const rounds = new Map((await stored()).rounds.map((r) => [r.asset, r]));
    expect([...rounds.values()].map((r) => [r.round, r.status])).toEqual(symbols().map(() => [1, 'proposed']));
    for (const reserve of d.market.reserves) {
      const round = rounds.get(reserve.address.toLowerCase())!;
      expect(round.at_block).toBe(indexed);
      expect(round.explanation).toMatchObject({ priceSource: 'chain', block: indexed, at: block.timestamp, symbol: reserve.symbol });
      const answers = (await reserve.aggregator.queryFilter('AnswerUpdated', d.block, indexed)) as EventLog[];
      const series = await Promise.all(answers.map(async (e) => ({ t: (await e.getBlock()).timestamp, p: Number(e.args[0]) / 1e8 })));
      expect(series.length).toBe(13); // the deployment's answer and twelve pushed
      expect(round.inputs_root).toBe(proposeFromPrices(series, block.timestamp, DEFAULT_COLLATERAL_MODEL).inputsRoot);
    }

    // a signer whose own index stopped below the proposal's block refuses, then signs once it has indexed
    const before = (await provider.getBlock(indexed - 1))!;
    await withDb((db) =>
      db
        .updateTable('indexer_checkpoints')
        .set({ block_number: before.number, block_hash: before.hash })
        .where('chain_id', '=', d.chainId)
        .execute(),
    );
    expect(await cliRefused(['sign', '--key-env', 'SIGNER_0'], env)).toContain(
      `refusing to sign: this signer's index of chain ${d.chainId} has reached block ${indexed - 1}; the proposal was built from prices indexed up to block ${indexed}: run risk-oracle index, then sign again`,
    );
    await index();
    for (const key of ['SIGNER_0', 'SIGNER_1', 'SIGNER_2']) await cliJson(['sign', '--key-env', key], env);
    const published = await cliJson(['publish', '--key-env', 'PUBLISHER_KEY', '--apply'], env);
    expect(published).toMatchObject({ submitted: true });
    for (const reserve of d.market.reserves) {
      const onChain = await d.oracle.latest(reserve.address);
      expect(Number(onChain.ltv)).toBe(rounds.get(reserve.address.toLowerCase())!.ltv);
    }
    // verify re-derives each published round from the same indexed feed answers, not from CSV prices
    const verified = await cli(['verify', '--json'], env);
    expect([verified.code, lastJson(verified.stdout).rounds, lastJson(verified.stdout).mismatches]).toEqual([0, 4, 0]);

    // the index has not seen that publication yet: a new round would repeat its number
    expect(await cliRefused(['propose', '--no-credit'], env)).toMatch(
      /the indexer \(block \d+\) has not reached this oracle's last publication \(block \d+\)/,
    );
  }, 240_000);
});
