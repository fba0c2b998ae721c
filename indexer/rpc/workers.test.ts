import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, migrate, openDatabase } from '../../core';
import { createTestDatabase } from '../../core/test/db';
import { DERIVED_SOURCE } from '../derive/positions';
import { loadCheckpoint } from '../store/batch';
import { startIndexerChild, type IndexerChild } from '../testing/child';
import { startFaultyProxy } from '../testing/faulty-proxy';
import { emitRandomActivity, rng } from '../testing/market';
import { startTestChain, type TestChain } from '../testing/setup';
import { indexedRows } from '../testing/snapshot';
import { runIndexer, type RunIndexerOptions } from './runner';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;
const url = process.env.DATABASE_URL;

/** Lines a logger writes at `warn` and above. */
function captureWarnings(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'warn',
    destination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }),
  });
  return { logger, lines };
}

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
  }, 120_000);
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
    const { logger, lines } = captureWarnings();
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

    /** One sequential run's rows: what every run below must end with. */
    let reference: Record<string, unknown[]> | undefined;
    const expectedRows = async (): Promise<Record<string, unknown[]>> => {
      if (!reference) {
        const one = await fresh();
        await index(one);
        reference = await indexedRows(one.db, chain.anvil.chainId);
      }
      return reference;
    };

    it('derives positions as ranges complete, during the back-fill, not only at its end', async () => {
      const db = await fresh();
      const lastFinal = (await chain.provider.getBlockNumber()) - 10;
      const seen: Array<{ derived: number | undefined; positions: number }> = [];
      await index(db, {
        workers: 2,
        onBatch: async (b) => {
          if (b.worker === undefined) return;
          const derived = (await loadCheckpoint(db, chain.anvil.chainId, DERIVED_SOURCE))?.block;
          const { n } = await db.db
            .selectFrom('wallet_positions')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow();
          seen.push({ derived, positions: Number(n) });
        },
      });
      const during = seen.filter((s) => s.derived !== undefined && s.derived < lastFinal);
      expect(during.length).toBeGreaterThan(2);
      expect(Math.max(...during.map((s) => s.positions))).toBeGreaterThan(0);
      // derived in order, never past the committed checkpoint, and the same rows as a sequential run
      expect(during.map((s) => s.derived)).toEqual([...during.map((s) => s.derived)].sort((a, b) => a! - b!));
      expect(await indexedRows(db.db, chain.anvil.chainId)).toEqual(await expectedRows());
    });

    it('a worker whose range read hangs gives the range back after half its lease, and the run completes', async () => {
      const db = await fresh();
      let hung = 0;
      const stuck = {
        send: (method: string, params: unknown[]) => {
          if (method === 'eth_getLogs' && hung++ === 0) return new Promise<never>(() => undefined); // never answers
          return chain.provider.send(method, params);
        },
      };
      const { logger, lines } = captureWarnings();
      const started = Date.now();
      await index(db, { workers: 2, provider: stuck, leaseMs: 1_000, logger });
      expect(Date.now() - started).toBeGreaterThanOrEqual(500);
      expect(lines.join('')).toMatch(/a range took too long to read; given back/);
      expect(await indexedRows(db.db, chain.anvil.chainId)).toEqual(await expectedRows());
      expect(await db.db.selectFrom('indexer_ranges').selectAll().execute()).toEqual([]);
    });

    it("a frozen process's range and phase lock are taken back after its lease; the others finish, and it cannot write when it wakes", async () => {
      const expected = await expectedRows();
      // long enough that a loaded machine does not expire the live workers' own leases between heartbeats
      const leaseMs = 3_000;
      let shared = await fresh();
      /** Is a pending range row-locked by someone (a claim in progress)? */
      const rangeHeld = async (): Promise<boolean> => {
        const client = await shared.pool!.connect();
        try {
          await client.query('begin');
          const all = await client.query('select count(*)::int as n from indexer_ranges where done_at is null');
          const free = await client.query(
            'select count(*)::int as n from (select 1 from indexer_ranges where done_at is null for update skip locked) f',
          );
          return (all.rows[0] as { n: number }).n > (free.rows[0] as { n: number }).n;
        } finally {
          await client.query('rollback');
          client.release();
        }
      };
      // a child process with range workers on a slow node (it spends its time reading, holding a range), frozen
      // (SIGSTOP: it answers nothing, sends nothing) while it holds a range
      const slow = await startFaultyProxy(chain.anvil.rpcUrl, { failureRate: 0, random: rng(1), logsDelayMs: 100 });
      let frozen: IndexerChild | undefined;
      for (let attempt = 0; attempt < 10 && !frozen; attempt++) {
        if (attempt > 0) shared = await fresh(); // a clean start: the killed attempt may have indexed much of it
        const child = startIndexerChild({
          rpcUrl: slow.url,
          databaseUrl: url,
          schema: shared.schema,
          addresses: chain.market.addresses,
          fromBlock: 0,
          finalityDepth: 10,
          blockRange: 1,
          maxBlockRange: 1,
          workers: 2,
          leaseMs,
        });
        await child.ready;
        await sleep(500 + 100 * attempt);
        child.child.kill('SIGSTOP');
        if (await rangeHeld()) frozen = child;
        else {
          child.child.kill('SIGKILL');
          await child.exit;
        }
      }
      if (!frozen) {
        await slow.close();
        throw new Error('never caught the child holding a range');
      }
      try {
        const started = Date.now();
        const result = await index(shared, { workers: 2, leaseMs });
        // it waited for the frozen process's leases (its phase lock first), not forever
        expect(Date.now() - started).toBeGreaterThanOrEqual(leaseMs / 2);
        expect(result.lastBlock).toBe(await chain.provider.getBlockNumber());
        expect(await rangeHeld()).toBe(false);
        expect(await indexedRows(shared.db, chain.anvil.chainId)).toEqual(expected);
        // woken up, the child finds its sessions ended: it stops, and nothing it held was written twice or lost
        frozen.child.kill('SIGCONT');
        const exit = await frozen.exit;
        if (exit.code !== 0) expect(exit.stderr).toMatch(/terminat|connection|lost the indexer|ended/i);
        expect(await indexedRows(shared.db, chain.anvil.chainId)).toEqual(expected);
        expect(await shared.db.selectFrom('indexer_ranges').selectAll().execute()).toEqual([]);
      } finally {
        frozen.child.kill('SIGKILL');
        await slow.close();
      }
    }, 300_000);
  });
});
