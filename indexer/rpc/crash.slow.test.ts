import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../core';
import { createTestDatabase } from '../../core/test/db';
import { startIndexerChild } from '../testing/child';
import { emitRandomActivity, rng } from '../testing/market';
import { startTestChain, type TestChain } from '../testing/setup';
import { indexedRows } from '../testing/snapshot';
import type { IndexerJob } from './main';
import { runIndexer } from './runner';

/** Runs the indexer process; kills it with SIGKILL `killAfterMs` after it is ready (undefined: let it finish). */
async function runChild(job: IndexerJob, killAfterMs?: number): Promise<'killed' | 'finished'> {
  const { child, ready, exit } = startIndexerChild(job);
  if (killAfterMs !== undefined) void ready.then(() => setTimeout(() => child.kill('SIGKILL'), killAfterMs));
  const { code, signal, stderr } = await exit;
  if (signal === 'SIGKILL') return 'killed';
  if (code === 0) return 'finished';
  throw new Error(`indexer exited with ${code}: ${stderr}`);
}

describe(`crash safety (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  let chain: TestChain;
  beforeAll(async () => {
    chain = await startTestChain({ wallets: 30 });
    await emitRandomActivity(chain.provider, chain.from, chain.market, rng(3), { txs: 240, eventsPerTx: 6 });
  });
  afterAll(async () => chain.stop());

  // Postgres: 20 kills. PGlite opens its data directory in several seconds per start on a small machine, so it gets
  // fewer (RISK_ORACLE_CRASH_KILLS overrides either).
  const kills = Number(process.env.RISK_ORACLE_CRASH_KILLS ?? (process.env.DATABASE_URL ? 20 : 5));

  it(`kill -9 at ${kills} random moments, restarting each time, ends in exactly the rows of a clean run`, async () => {
    const reference = await createTestDatabase();
    const target = process.env.DATABASE_URL ? await createTestDatabase() : undefined;
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ro-crash-'));
    const job: IndexerJob = {
      rpcUrl: chain.anvil.rpcUrl,
      databaseUrl: process.env.DATABASE_URL,
      schema: target?.schema,
      dataDir,
      addresses: chain.market.addresses,
      fromBlock: 0,
      finalityDepth: 20,
      blockRange: 1,
      maxBlockRange: 1,
      batchDelayMs: 20,
    };
    try {
      const random = rng(11);
      let killed = 0;
      // on Postgres every other run uses 3 range workers: a killed worker's claim goes back to pending, unwritten
      const withWorkers = (i: number): IndexerJob => (process.env.DATABASE_URL && i % 2 === 1 ? { ...job, workers: 3 } : job);
      for (let i = 0; i < kills; i++) if ((await runChild(withWorkers(i), Math.floor(random() * 300))) === 'killed') killed++;
      expect(await runChild(withWorkers(kills))).toBe('finished');
      expect(killed).toBeGreaterThanOrEqual(kills - 2);
      await runIndexer({ db: reference, provider: chain.provider, addresses: chain.market.addresses, fromBlock: 0, finalityDepth: 20 });
      const expected = await indexedRows(reference.db, chain.anvil.chainId);
      const crashed = target ?? (await openDatabase({ dataDir }));
      try {
        expect(await indexedRows(crashed.db, chain.anvil.chainId)).toEqual(expected);
      } finally {
        if (!target) await crashed.close();
      }
    } finally {
      await reference.close();
      await target?.close();
    }
  }, 240_000);
});
