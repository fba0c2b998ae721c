import { createTestDatabase } from '../core/test/db';
import { assertFresh, checkFreshness } from './freshness';

describe('freshness', () => {
  it('refuses when the indexer lags or a price is stale or missing, and names each problem', async () => {
    const h = await createTestDatabase();
    try {
      const limits = { maxLagBlocks: 10, maxPriceAgeSeconds: 3_600 };
      const weth = '0x00000000000000000000000000000000000000aa';
      const usdc = '0x00000000000000000000000000000000000000bb';
      const empty = await checkFreshness(h.db, 1, { number: 100, timestamp: 10_000 }, [weth], limits);
      expect(empty.problems).toEqual([
        'the indexer has not indexed this chain yet (run risk-oracle index)',
        `no indexed price for ${weth}`,
      ]);

      await h.db
        .insertInto('indexer_checkpoints')
        .values([
          { chain_id: 1, source: 'rpc:aave', block_number: 95, block_hash: null, cursor: null },
          { chain_id: 1, source: 'rpc:prices', block_number: 80, block_hash: null, cursor: null },
        ])
        .execute();
      await h.db
        .insertInto('price_points')
        .values([
          { chain_id: 1, asset: weth, source: 'chainlink', timestamp: 9_000, price_usd: '2000', block_number: 79 },
          { chain_id: 1, asset: usdc, source: 'chainlink', timestamp: 1_000, price_usd: '1', block_number: 20 },
          // beyond what every source has indexed: must not count
          { chain_id: 1, asset: usdc, source: 'chainlink', timestamp: 9_900, price_usd: '1', block_number: 90 },
        ])
        .execute();
      const lagging = await checkFreshness(h.db, 1, { number: 100, timestamp: 10_000 }, [weth, usdc], limits);
      expect(lagging.indexedBlock).toBe(80);
      expect(lagging.problems).toEqual(['indexer 20 blocks behind the head (limit 10)', `price of ${usdc} is 9000 s old (limit 3600 s)`]);
      expect(() => assertFresh(lagging)).toThrow(/Refusing to propose: indexer 20 blocks behind/);

      await h.db.updateTable('indexer_checkpoints').set({ block_number: 95 }).execute();
      const fresh = await checkFreshness(h.db, 1, { number: 100, timestamp: 10_000 }, [weth, usdc], limits);
      expect(fresh.problems).toEqual([]);
      expect(fresh.priceAges).toEqual({ [weth]: 1_000, [usdc]: 100 });
    } finally {
      await h.close();
    }
  });
});
