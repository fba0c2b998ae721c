import type { Kysely } from 'kysely';
import { pricePointOf, type PricePoint } from '../../core/price-point';
import type { Database } from '../../core/schema';

/**
 * Time of `block`: from the indexed blocks, else the latest indexed row of `table` at or before it (simulated
 * data has no blocks).
 */
export async function blockTime(
  db: Kysely<Database>,
  chainId: number,
  block: number,
  table: 'lending_events' | 'price_points' = 'lending_events',
): Promise<number> {
  const indexed = await db
    .selectFrom('blocks')
    .where('chain_id', '=', chainId)
    .where('number', '=', block)
    .select('timestamp')
    .executeTakeFirst();
  if (indexed) return Number(indexed.timestamp);
  const latest = await db
    .selectFrom(table)
    .where('chain_id', '=', chainId)
    .where('block_number', '<=', block)
    .select((eb) => eb.fn.max('timestamp').as('t'))
    .executeTakeFirst();
  if (latest?.t === null || latest?.t === undefined) throw new Error(`chain ${chainId} has no indexed data at or before block ${block}`);
  return Number(latest.t);
}

/** A snapshot must not be cut from data the indexer has not finished: its rows would change later. */
export async function checkIndexerReached(db: Kysely<Database>, chainId: number, block: number): Promise<void> {
  const row = await db
    .selectFrom('indexer_checkpoints')
    .where('chain_id', '=', chainId)
    .where('source', 'like', 'rpc:%')
    .select((eb) => eb.fn.min('block_number').as('block'))
    .executeTakeFirst();
  if (row?.block !== null && row?.block !== undefined && Number(row.block) < block)
    throw new Error(`the indexer of chain ${chainId} has reached block ${row.block}, not ${block}: index further first`);
}

/** One asset's indexed prices (rows with a block number), with its symbol (upper case) and peg from `assets`. */
export interface IndexedAssetPrices {
  address: string;
  symbol: string;
  /** 1 for assets of kind `stable`. */
  peg?: number;
  /** Kind `eth` in the assets table: the default ETH-like reference. */
  eth: boolean;
  /** With the market depth where the rows have one. */
  points: PricePoint[];
}

/**
 * Every asset's indexed prices on a chain (`price_points` rows the indexer wrote, i.e. with a block number), at or
 * before `block` and `at` when given; assets in symbol order, prices in time order (ties by source).
 */
export async function indexedPrices(
  db: Kysely<Database>,
  chainId: number,
  limit: { block?: number; at?: number } = {},
): Promise<IndexedAssetPrices[]> {
  const known = await db.selectFrom('assets').where('chain_id', '=', chainId).select(['address', 'symbol', 'kind']).execute();
  const byAddress = new Map(known.map((a) => [a.address.toLowerCase(), a]));
  let query = db
    .selectFrom('price_points')
    .where('chain_id', '=', chainId)
    .where('block_number', 'is not', null)
    .select(['asset', 'timestamp', 'price_usd', 'liquidity_usd'])
    .orderBy('asset')
    .orderBy('timestamp')
    .orderBy('source');
  if (limit.block !== undefined) query = query.where('block_number', '<=', limit.block);
  if (limit.at !== undefined) query = query.where('timestamp', '<=', limit.at);
  const series = new Map<string, PricePoint[]>();
  for (const r of await query.execute()) {
    const list = series.get(r.asset) ?? [];
    list.push(pricePointOf(r));
    series.set(r.asset, list);
  }
  return [...series.entries()]
    .map(([address, points]) => {
      const info = byAddress.get(address.toLowerCase());
      return {
        address,
        symbol: (info?.symbol ?? address).toUpperCase(),
        ...(info?.kind === 'stable' ? { peg: 1 } : {}),
        eth: info?.kind === 'eth',
        points,
      };
    })
    .sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
}
