import type { Block, Provider } from 'ethers';
import type { Kysely } from 'kysely';
import { pricePointOf, UserError, type Database } from '../core';
import { loadPriceSeries } from '../indexer';
import type { PricePoint } from '../models';
import type { CycleAsset } from './cycle';
import { assertFresh, checkFreshness, indexedBlock, lastPublicationBlock, type FreshnessLimits } from './freshness';

/**
 * Where a round's prices come from. `chain`: the price-feed answers the RPC indexer stored from the chain, up to the
 * round's block. `csv`: prices imported with `import-prices` (back-fills, and tests without feeds).
 */
export type PriceSource = 'chain' | 'csv';

/** The `source` under which the RPC indexer stores price-feed answers (indexer/rpc/events.ts). */
export const FEED_PRICE_SOURCE = 'chainlink';

/** What a round was built from, recorded in its explanation so that every signer recomputes with the same rule. */
export interface PriceBasis {
  priceSource: PriceSource;
  /** The block the round was built at: chain prices and chain state up to it. */
  block: number;
  /** Data time: prices after it are not used, and their age is judged at it. */
  at: number;
}

/**
 * An asset's prices for a round: feed answers indexed for this chain at blocks up to `block` (chain), or the
 * imported series of its symbol (csv); in both cases none after `at`.
 */
export async function loadRoundPrices(
  db: Kysely<Database>,
  basis: PriceBasis & { chainId: number; asset: string; symbol: string },
): Promise<PricePoint[]> {
  if (basis.priceSource === 'csv') return (await loadPriceSeries(db, basis.symbol)).filter((p) => p.t <= basis.at);
  const rows = await db
    .selectFrom('price_points')
    .select(['timestamp', 'price_usd', 'liquidity_usd'])
    .where('chain_id', '=', basis.chainId)
    .where('asset', '=', basis.asset.toLowerCase())
    .where('source', '=', FEED_PRICE_SOURCE)
    .where('block_number', '<=', basis.block)
    .where('timestamp', '<=', basis.at)
    .orderBy('timestamp')
    .execute();
  return rows.map(pricePointOf);
}

/** Time of the last price of a series (sorted by time), or undefined when it is empty. */
export const latestTime = (series: readonly PricePoint[]): number | undefined => series[series.length - 1]?.t;

export interface RoundInputs extends PriceBasis {
  headBlock: number;
  /** Chain time of the round's block: the guards' clock and the start of the update's validity. */
  blockTime: number;
  assets: CycleAsset[];
}

/**
 * The block a new proposal is built at: the one the indexer has reached, never the head. Refuses (FreshnessError)
 * when nothing is indexed, when the index lags the head by more than the limit, or when it is below this oracle's
 * own last publication of that kind (the proposal's number would repeat one already published).
 */
export async function indexedProposalBlock(options: {
  db: Kysely<Database>;
  provider: Provider;
  chainId: number;
  limits: FreshnessLimits;
  kind: 'parameters' | 'epoch';
}): Promise<{
  index: { chainId: number; headBlock: number; indexedBlock: number | undefined; lastPublicationBlock: number | undefined };
  block: Block;
}> {
  const { db, provider, chainId } = options;
  const [head, indexed, published] = await Promise.all([
    provider.getBlockNumber(),
    indexedBlock(db, chainId),
    lastPublicationBlock(db, chainId, options.kind),
  ]);
  const index = { chainId, headBlock: head, indexedBlock: indexed, lastPublicationBlock: published };
  assertFresh(checkFreshness({ ...index, at: 0, latestPrices: {} }, options.limits));
  const blockNumber = Math.min(indexed!, head); // defined: checkFreshness refuses a chain with nothing indexed
  const block = await provider.getBlock(blockNumber);
  if (!block) throw new Error(`block ${blockNumber} (indexed) is not on chain ${chainId}'s RPC: was the chain reset? re-index it`);
  return { index, block };
}

/**
 * The inputs of a new round: the block is the one the indexer has reached (never the head), the data time `at`
 * is that block's time unless an explicit earlier `at` is given (a back-fill), and each reserve's prices come
 * from `priceSource` up to both. Refuses (FreshnessError, nothing read further) when the index lags the head by
 * more than the limit or is below this oracle's own last publication (the round number would repeat), or when
 * any reserve's latest price is older than the limit at `at`. With `csv`, reserves with no imported series at all
 * are left out (as before); with `chain`, every reserve must have an indexed price.
 */
export async function roundInputs(options: {
  db: Kysely<Database>;
  provider: Provider;
  chainId: number;
  reserves: ReadonlyArray<{ symbol: string; address: string; decimals?: number }>;
  priceSource: PriceSource;
  limits: FreshnessLimits;
  at?: number;
}): Promise<RoundInputs> {
  const { db, chainId, priceSource } = options;
  const { index, block } = await indexedProposalBlock({ ...options, kind: 'parameters' });
  const blockNumber = block.number;
  const at = options.at ?? block.timestamp;
  if (at > block.timestamp)
    throw new UserError(
      `--at ${new Date(at * 1000).toISOString()} is after the time of the indexed block ${blockNumber} (${new Date(block.timestamp * 1000).toISOString()}): a round uses no data the indexer has not reached`,
    );
  const basis: PriceBasis = { priceSource, block: blockNumber, at };
  const assets: CycleAsset[] = [];
  const latestPrices: Record<string, number | undefined> = {};
  for (const r of options.reserves) {
    const prices = await loadRoundPrices(db, { ...basis, chainId, asset: r.address, symbol: r.symbol });
    if (priceSource === 'csv' && prices.length === 0 && (await loadPriceSeries(db, r.symbol)).length === 0) continue;
    latestPrices[r.symbol] = latestTime(prices);
    assets.push({ symbol: r.symbol, address: r.address, prices, decimals: r.decimals });
  }
  if (assets.length === 0)
    throw new UserError('no prices for any reserve of the deployment: import-prices first (oracle.priceSource = csv)');
  assertFresh(checkFreshness({ ...index, at, latestPrices }, options.limits));
  return { ...basis, headBlock: index.headBlock, blockTime: block.timestamp, assets };
}
