import type { Kysely } from 'kysely';
import { UserError, type Database } from '../core';

export interface FreshnessLimits {
  /** Most blocks the indexer may be behind the chain head. */
  maxLagBlocks: number;
  /** Oldest acceptable price, in seconds before the head block's time. */
  maxPriceAgeSeconds: number;
}

export interface Freshness {
  headBlock: number;
  indexedBlock: number;
  lagBlocks: number;
  /** Age in seconds of each asset's latest price at the head. */
  priceAges: Record<string, number>;
  problems: string[];
}

/** The highest block every RPC source of this chain has committed (the slowest source bounds what is known). */
export async function indexedBlock(db: Kysely<Database>, chainId: number): Promise<number | undefined> {
  const row = await db
    .selectFrom('indexer_checkpoints')
    .select((eb) => eb.fn.min('block_number').as('block'))
    .where('chain_id', '=', chainId)
    .where('source', 'like', 'rpc:%')
    .executeTakeFirst();
  return row?.block ?? undefined;
}

/**
 * How far behind the indexer and the prices are. A proposal must be built at a block the indexer has reached,
 * from prices that are not stale: anything else would publish parameters nobody can re-derive, or blind ones.
 */
export async function checkFreshness(
  db: Kysely<Database>,
  chainId: number,
  head: { number: number; timestamp: number },
  assets: string[],
  limits: FreshnessLimits,
): Promise<Freshness> {
  const indexed = (await indexedBlock(db, chainId)) ?? -1;
  const problems: string[] = [];
  const lag = head.number - indexed;
  if (indexed < 0) problems.push('the indexer has not indexed this chain yet (run risk-oracle index)');
  else if (lag > limits.maxLagBlocks) problems.push(`indexer ${lag} blocks behind the head (limit ${limits.maxLagBlocks})`);
  const priceAges: Record<string, number> = {};
  for (const asset of assets) {
    const latest = await db
      .selectFrom('price_points')
      .select((eb) => eb.fn.max('timestamp').as('timestamp'))
      .where('chain_id', '=', chainId)
      .where('asset', '=', asset.toLowerCase())
      .where('block_number', '<=', Math.max(indexed, 0))
      .executeTakeFirst();
    if (latest?.timestamp === null || latest?.timestamp === undefined) {
      problems.push(`no indexed price for ${asset}`);
      continue;
    }
    priceAges[asset] = head.timestamp - latest.timestamp;
    if (priceAges[asset]! > limits.maxPriceAgeSeconds)
      problems.push(`price of ${asset} is ${priceAges[asset]} s old (limit ${limits.maxPriceAgeSeconds} s)`);
  }
  return { headBlock: head.number, indexedBlock: indexed, lagBlocks: lag, priceAges, problems };
}

/** Throws a UserError listing every freshness problem. */
export function assertFresh(freshness: Freshness): void {
  if (freshness.problems.length > 0) throw new UserError(`Refusing to propose: ${freshness.problems.join('; ')}`);
}
