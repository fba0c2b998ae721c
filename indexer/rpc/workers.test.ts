import { Writable } from 'node:stream';
import { createLogger, migrate, openDatabase } from '../../core';
import { createTestDatabase } from '../../core/test/db';
import { emitRandomActivity, rng } from '../testing/market';
import { startTestChain, type TestChain } from '../testing/setup';
import { indexedRows } from '../testing/snapshot';
import { runIndexer, type RunIndexerOptions } from './runner';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;
const url = process.env.DATABASE_URL;

/**
 * Scale-out: range workers (of one process, or of two processes on one database) commit final ranges in any
 * order, and the tables end exactly as one sequential worker leaves them.
 */
describe('RPC indexer range workers', () => {
  let chain: TestChain;
  let emitted = 0;
  const dbs: TestDb[] = [];
  beforeAll(async () => {
    chain = await startTestChain();
    emitted = await emitRandomActivity(chain.provider, chain.from, chain.market, rng(5), { txs: 60, eventsPerTx: 25 });
  });
  afterAll(async () => {
    await chain.stop();
    for (const db of dbs) await db.close();
  });
  const fresh = async (): Promise<TestDb> => {
    const db = await createTestDatabase();
    dbs.push(db);
    return db;
  };
  const index = (db: RunIndexerOptions['db'], extra: Partial<RunIndexerOptions> = {}) =>
    runIndexer({
      db,
      provider: chain.provider,
      addresses: chain.market.addresses,
      fromBlock: 0,
      finalityDepth: 10,
      blockRange: 3,
      ...extra,
    });

  it('falls back to one sequential worker on PGlite, with a warning', async () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'warn',
      destination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }),
    });
    const db = await openDatabase({ dataDir: 'memory://' }); // PGlite even when DATABASE_URL is set
    try {
      await migrate(db.db);
      const result = await index(db, { workers: 3, logger, toBlock: 5 });
      expect(result).toMatchObject({ workers: 0, lastBlock: 5 });
      expect(lines.join('')).toMatch(/PGlite has one connection; range workers need Postgres: indexing with one worker/);
      await expect(index(db, { workers: 0 })).rejects.toThrow('runIndexer: workers must be a whole number ≥ 1, got 0');
    } finally {
      await db.close();
    }
  });

  (url ? describe : describe.skip)(`on real Postgres${url ? '' : ' (skipped: set DATABASE_URL to run)'}`, () => {
    it('Two workers on real Postgres give the same rows as one', async () => {
      const one = await fresh();
      const sequential = await index(one, { blockRange: 1_000 });
      expect(sequential).toMatchObject({ logs: emitted, workers: 0 });
      const expected = await indexedRows(one.db, chain.anvil.chainId);
      expect(expected.lending_events!.length).toBeGreaterThan(500);
      for (const workers of [1, 2, 3]) {
        const db = await fresh();
        const by = new Set<number>();
        const result = await index(db, { workers, onBatch: (b) => void (b.worker !== undefined && by.add(b.worker)) });
        expect(result).toMatchObject({ logs: emitted, workers, lastBlock: await chain.provider.getBlockNumber() });
        if (workers > 1) expect(by.size).toBeGreaterThan(1); // the ranges really were shared
        expect(await indexedRows(db.db, chain.anvil.chainId)).toEqual(expected);
        const left = await db.db.selectFrom('indexer_ranges').selectAll().execute();
        expect(left).toEqual([]); // every range done and forgotten once the checkpoint passed it
        const again = await index(db, { workers });
        expect(again.logs).toBe(0);
      }
    });

    it('two processes with workers on one database give the same rows as one, and resume after a failure', async () => {
      const one = await fresh();
      await index(one);
      const expected = await indexedRows(one.db, chain.anvil.chainId);

      const shared = await fresh();
      // a second handle on the same schema: another process's pool
      const other = await openDatabase({ url, schema: shared.schema, poolSize: 4 });
      try {
        // the first run stops on a provider failure mid-way: its claimed range is rolled back, not half written
        let calls = 0;
        const failing = {
          send: (method: string, params: unknown[]) => {
            if (method === 'eth_getLogs' && ++calls > 6) return Promise.reject(new Error('invalid params: unsupported filter'));
            return chain.provider.send(method, params);
          },
        };
        await expect(index(shared, { workers: 2, provider: failing })).rejects.toThrow(/committed; run again to resume\): invalid params/);
        const [a, b] = await Promise.all([index(shared, { workers: 2 }), index(other, { workers: 3 })]);
        expect(a.batches + b.batches).toBeGreaterThan(0);
        expect(await indexedRows(shared.db, chain.anvil.chainId)).toEqual(expected);
        expect(await shared.db.selectFrom('indexer_ranges').selectAll().execute()).toEqual([]);
      } finally {
        await other.close();
      }
    });
  });
});
