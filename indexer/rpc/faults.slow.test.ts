import { RetryingProvider } from '../../core';
import { createTestDatabase } from '../../core/test/db';
import { FAULTS, startFaultyProxy } from '../testing/faulty-proxy';
import { emitRandomActivity, rng } from '../testing/market';
import { startTestChain, type TestChain } from '../testing/setup';
import { indexedRows } from '../testing/snapshot';
import { runIndexer } from './runner';

describe(`faults (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  let chain: TestChain;
  beforeAll(async () => {
    chain = await startTestChain({ wallets: 30 });
    await emitRandomActivity(chain.provider, chain.from, chain.market, rng(5), { txs: 120, eventsPerTx: 8 });
  });
  afterAll(async () => chain.stop());

  it('30 % failures of every kind through a proxy give exactly the rows of a clean run', async () => {
    const proxy = await startFaultyProxy(chain.anvil.rpcUrl, { failureRate: 0.3, random: rng(9), hangMs: 1_000 });
    const provider = new RetryingProvider(proxy.url, {
      chainId: chain.anvil.chainId,
      timeoutMs: 250,
      retries: 12,
      baseDelayMs: 5,
      random: rng(10),
    });
    const [faulty, clean] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      const options = {
        addresses: chain.market.addresses,
        fromBlock: 0,
        finalityDepth: 30,
        blockRange: 3,
        maxBlockRange: 4,
        concurrency: 4,
      };
      await runIndexer({ db: faulty, provider, ...options });
      await runIndexer({ db: clean, provider: chain.provider, ...options });
      const expected = await indexedRows(clean.db, chain.anvil.chainId);
      expect(expected.lending_events!.length).toBeGreaterThan(500);
      expect(await indexedRows(faulty.db, chain.anvil.chainId)).toEqual(expected);
      for (const fault of FAULTS) expect(proxy.injected[fault]).toBeGreaterThan(0);
    } finally {
      provider.destroy();
      await proxy.close();
      await faulty.close();
      await clean.close();
    }
  }, 180_000);
});
