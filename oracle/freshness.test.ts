import type { Provider } from 'ethers';
import { UserError } from '../core';
import { createTestDatabase } from '../core/test/db';
import { assertFresh, checkFreshness, FreshnessError, indexedBlock } from './freshness';
import { FEED_PRICE_SOURCE, loadRoundPrices, roundInputs } from './prices';

const weth = '0x00000000000000000000000000000000000000aa';
const usdc = '0x00000000000000000000000000000000000000bb';
const limits = { maxLagBlocks: 10, maxPriceAgeSeconds: 3_600 };

/** A chain of `head` blocks, block n at time 10 000 + 100 n (only what roundInputs reads). */
const chainOf = (head: number): Provider =>
  // a stub of the two calls roundInputs makes; the rest of ethers' Provider is never reached
  ({
    getBlockNumber: async () => head,
    getBlock: async (n: number) => (n <= head ? { number: n, timestamp: 10_000 + 100 * n } : null),
  }) as unknown as Provider;

describe('freshness', () => {
  it('refuses when the indexer lags or a price is stale or missing, and names each problem', () => {
    const empty = checkFreshness(
      { chainId: 1, headBlock: 100, indexedBlock: undefined, at: 10_000, latestPrices: { WETH: undefined } },
      limits,
    );
    expect(empty.problems.map((p) => [p.kind, p.message])).toEqual([
      ['indexer-lag', 'the indexer has not indexed chain 1 yet (run risk-oracle index)'],
      ['stale-price', 'no price for WETH at or before 1970-01-01T02:46:40.000Z'],
    ]);

    const lagging = checkFreshness(
      { chainId: 1, headBlock: 100, indexedBlock: 80, at: 10_000, latestPrices: { WETH: 9_000, USDC: 1_000 } },
      limits,
    );
    expect(lagging.lagBlocks).toBe(20);
    expect(lagging.problems.map((p) => p.message)).toEqual([
      'the indexer is 20 blocks behind the head (indexed 80, head 100; limit oracle.maxIndexerLagBlocks = 10): run risk-oracle index',
      'the price of USDC is 9000 s (2.5 h) old at 1970-01-01T02:46:40.000Z (limit oracle.maxPriceAgeSeconds = 3600 s)',
    ]);
    expect(() => assertFresh(lagging)).toThrow(
      /^Refusing to propose: the indexer is 20 blocks behind the head .*; the price of USDC is 9000 s/,
    );
    const thrown = (() => {
      try {
        assertFresh(lagging);
      } catch (err) {
        return err;
      }
    })();
    // a UserError (exit 1, no stack), which the daemon tells apart as a hold
    expect(thrown).toBeInstanceOf(FreshnessError);
    expect(thrown).toBeInstanceOf(UserError);
    expect((thrown as FreshnessError).problems.map((p) => `${p.kind}:${p.subject}`)).toEqual(['indexer-lag:indexer', 'stale-price:USDC']);

    // at the limits exactly: fresh
    const fresh = checkFreshness(
      { chainId: 1, headBlock: 100, indexedBlock: 90, at: 10_000, latestPrices: { WETH: 9_000, USDC: 6_400 } },
      limits,
    );
    expect(fresh.problems).toEqual([]);
    expect(fresh.priceAges).toEqual({ WETH: 1_000, USDC: 3_600 });
    expect(() => assertFresh(fresh)).not.toThrow();
  });

  it('builds a round at the indexed block from the feed answers indexed up to it, and refuses a lagging index or a stale price', async () => {
    const h = await createTestDatabase();
    try {
      const reserves = [
        { symbol: 'WETH', address: weth.toUpperCase().replace('0X', '0x') },
        { symbol: 'USDC', address: usdc },
      ];
      const inputs = (head: number, options: { at?: number; priceSource?: 'chain' | 'csv' } = {}) =>
        roundInputs({ db: h.db, provider: chainOf(head), chainId: 1, reserves, priceSource: 'chain', limits, ...options });
      await expect(inputs(100)).rejects.toThrow('Refusing to propose: the indexer has not indexed chain 1 yet (run risk-oracle index)');

      await h.db
        .insertInto('indexer_checkpoints')
        .values([
          { chain_id: 1, source: 'rpc:aave', block_number: 95, block_hash: null, cursor: null },
          { chain_id: 1, source: 'rpc:prices', block_number: 80, block_hash: null, cursor: null },
          // another chain's and a non-RPC source's progress do not count
          { chain_id: 2, source: 'rpc:aave', block_number: 5, block_hash: null, cursor: null },
          { chain_id: 1, source: 'subgraph:x', block_number: 1, block_hash: null, cursor: null },
        ])
        .execute();
      expect(await indexedBlock(h.db, 1)).toBe(80);
      const at = (n: number) => 10_000 + 100 * n;
      const feed = (asset: string, block: number, price: string, source = FEED_PRICE_SOURCE) => ({
        chain_id: 1,
        asset,
        source,
        timestamp: at(block),
        price_usd: price,
        block_number: block,
      });
      await h.db
        .insertInto('price_points')
        .values([
          feed(weth, 10, '2000'),
          feed(weth, 40, '2050'),
          feed(weth, 79, '2100'),
          feed(usdc, 20, '1'),
          // beyond what every source has indexed: never used
          feed(weth, 85, '1'),
          feed(usdc, 90, '0.5'),
          // another source at the same asset and chain: not a feed answer
          feed(weth, 70, '9999', 'subgraph'),
          // a CSV import of the same symbol: only for priceSource csv
          { chain_id: 0, asset: 'WETH', source: 'csv', timestamp: at(40), price_usd: '1500', block_number: null },
        ])
        .execute();

      // head 100, indexed 80: 20 blocks behind, limit 10; nothing else is read
      await expect(inputs(100)).rejects.toThrow(
        'Refusing to propose: the indexer is 20 blocks behind the head (indexed 80, head 100; limit oracle.maxIndexerLagBlocks = 10): run risk-oracle index',
      );
      // within the limit: the round's block is the indexed one, its data time that block's; USDC's last answer
      // (block 20) is 6 000 s old there, beyond 3 600 s: refused, naming the asset, its age and the limit
      await expect(inputs(85)).rejects.toThrow(
        /^Refusing to propose: the price of USDC is 6000 s \(1\.7 h\) old at .* \(limit oracle\.maxPriceAgeSeconds = 3600 s\)$/,
      );
      await h.db
        .insertInto('price_points')
        .values(feed(usdc, 75, '1.01'))
        .execute();
      const round = await inputs(85);
      expect(round).toMatchObject({ priceSource: 'chain', block: 80, at: at(80), blockTime: at(80), headBlock: 85 });
      expect(round.assets.map((a) => [a.symbol, a.address, a.prices])).toEqual([
        [
          'WETH',
          reserves[0]!.address,
          [
            { t: at(10), p: 2000 },
            { t: at(40), p: 2050 },
            { t: at(79), p: 2100 },
          ],
        ],
        [
          'USDC',
          usdc,
          [
            { t: at(20), p: 1 },
            { t: at(75), p: 1.01 },
          ],
        ],
      ]);

      // a back-fill: --at before the block; ages are judged at it (USDC's block-20 answer is 3 000 s old at block 50)
      const backfill = await inputs(85, { at: at(50) });
      expect(backfill).toMatchObject({ block: 80, at: at(50) });
      expect(backfill.assets.map((a) => a.prices.length)).toEqual([2, 1]);
      await expect(inputs(85, { at: at(60) })).rejects.toThrow(/the price of USDC is 4000 s .* old at/);
      // but never after the indexed block's time
      await expect(inputs(85, { at: at(81) })).rejects.toThrow(/--at .* is after the time of the indexed block 80/);

      // csv: the imported series by symbol (reserves without one are left out), judged by the same rule
      await expect(inputs(85, { priceSource: 'csv' })).rejects.toThrow(
        /^Refusing to propose: the price of WETH is 4000 s \(1\.1 h\) old at .*limit oracle\.maxPriceAgeSeconds = 3600 s/,
      );
      await h.db
        .insertInto('price_points')
        .values({ chain_id: 0, asset: 'WETH', source: 'csv', timestamp: at(78), price_usd: '1600', block_number: null })
        .execute();
      const csv = await inputs(85, { priceSource: 'csv' });
      expect(csv.assets.map((a) => [a.symbol, a.prices.map((p) => p.p)])).toEqual([['WETH', [1500, 1600]]]);
      expect(await loadRoundPrices(h.db, { priceSource: 'csv', chainId: 1, asset: weth, symbol: 'weth', block: 0, at: at(60) })).toEqual([
        { t: at(40), p: 1500 },
      ]);
      await expect(
        roundInputs({ db: h.db, provider: chainOf(85), chainId: 1, reserves: [reserves[1]!], priceSource: 'csv', limits }),
      ).rejects.toThrow('no prices for any reserve of the deployment: import-prices first');

      // this oracle published at block 83, above the index: a round built at 80 would repeat its round number
      const publication = { chain_id: 1, digest: '0x01', attempt: 0, tx_hash: null, nonce: null, gas_used: null, error: null };
      await h.db
        .insertInto('publications')
        .values([
          { ...publication, kind: 'parameters', status: 'confirmed', block_number: 83 },
          { ...publication, attempt: 1, kind: 'epoch', status: 'confirmed', block_number: 84 },
        ])
        .execute();
      await expect(inputs(85)).rejects.toThrow(
        "Refusing to propose: the indexer (block 80) has not reached this oracle's last publication (block 83): run risk-oracle index",
      );
      await h.db.updateTable('indexer_checkpoints').set({ block_number: 83 }).where('chain_id', '=', 1).execute();
      expect(await inputs(85)).toMatchObject({ block: 83, at: at(83) });
    } finally {
      await h.close();
    }
  });
});
