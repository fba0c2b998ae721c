import { createTestDatabase } from '../../core/test/db';
import { emitRandomActivity, rng } from '../testing/market';
import { startTestChain, type TestChain } from '../testing/setup';
import { clearIndexedRows, indexedRows } from '../testing/snapshot';
import type { RpcClient } from './logs';
import { runIndexer } from './runner';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

describe(`RPC indexer (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  let chain: TestChain;
  let emitted = 0;
  let a: TestDb;
  let b: TestDb;
  beforeAll(async () => {
    [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    chain = await startTestChain();
    emitted = await emitRandomActivity(chain.provider, chain.from, chain.market, rng(1), { txs: 40, eventsPerTx: 30 });
  });
  afterAll(async () => {
    await chain.stop();
    await a.close();
    await b.close();
  });
  beforeEach(async () => {
    await clearIndexedRows(a.db);
    await clearIndexedRows(b.db);
  });

  const index = async (h: TestDb, rpc: RpcClient = chain.provider, extra: Partial<Parameters<typeof runIndexer>[0]> = {}) =>
    runIndexer({ db: h, provider: rpc, addresses: chain.market.addresses, fromBlock: 0, finalityDepth: 10, blockRange: 7, ...extra });

  it('indexes every event once; a second run changes nothing; a fresh index gives the same rows', async () => {
    {
      const first = await index(a);
      expect(first.logs).toBe(emitted);
      const rows = await indexedRows(a.db, chain.anvil.chainId);
      const total = rows.lending_events!.length + rows.reserve_updates!.length + rows.collateral_configs!.length;
      expect(total + rows.price_points!.length).toBeLessThanOrEqual(emitted);
      expect(total).toBeGreaterThan(emitted * 0.7);
      expect(rows.wallet_positions!.length).toBeGreaterThan(100);
      expect(rows.health_factors!.length).toBeGreaterThan(10);
      expect(rows.blocks!.length).toBe(11); // the unfinalized window, head − 9 … head, and the last final block below it
      const again = await index(a);
      expect(again.logs).toBe(0);
      expect(await indexedRows(a.db, chain.anvil.chainId)).toEqual(rows);
      await index(b, chain.provider, { blockRange: 1_000, concurrency: 1 });
      expect(await indexedRows(b.db, chain.anvil.chainId)).toEqual(rows);
      const cp = await a.db.selectFrom('indexer_checkpoints').selectAll().executeTakeFirstOrThrow();
      expect(cp).toMatchObject({ source: 'rpc:aave', block_number: await chain.provider.getBlockNumber() });
    }
  });

  it('shrinks eth_getLogs ranges on provider limits and gives the same rows', async () => {
    let refused = 0;
    const limited: RpcClient = {
      async send(method, params) {
        const p = params[0] as { fromBlock?: string; toBlock?: string } | undefined;
        if (method === 'eth_getLogs' && Number(p!.toBlock) - Number(p!.fromBlock) > 3) {
          refused++;
          throw new Error('query returned more than 10000 results. Try with this block range [0x1, 0x4].');
        }
        return chain.provider.send(method, params);
      },
    };
    {
      await index(a, limited, { blockRange: 50, maxBlockRange: 100 });
      expect(refused).toBeGreaterThan(0);
      await index(b);
      expect(await indexedRows(a.db, chain.anvil.chainId)).toEqual(await indexedRows(b.db, chain.anvil.chainId));
    }
  });

  it('stops on a persistent failure with the committed block named, and resumes from it', async () => {
    let calls = 0;
    const failing: RpcClient = {
      async send(method, params) {
        if (method === 'eth_getLogs' && ++calls > 3) throw new Error('invalid params: unsupported filter');
        return chain.provider.send(method, params);
      },
    };
    {
      await expect(index(a, failing, { concurrency: 1 })).rejects.toThrow(
        /stopped after block \d+ \(committed; run again to resume\): invalid params/,
      );
      await index(a);
      await index(b);
      expect(await indexedRows(a.db, chain.anvil.chainId)).toEqual(await indexedRows(b.db, chain.anvil.chainId));
    }
  });
});
