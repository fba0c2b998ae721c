import type { Kysely } from 'kysely';
import { UserError, type Database } from '../core';

export interface FreshnessLimits {
  /** Most blocks the indexer may be behind the chain head (`oracle.maxIndexerLagBlocks`). */
  maxLagBlocks: number;
  /** Oldest acceptable price, in seconds before the proposal's data time (`oracle.maxPriceAgeSeconds`). */
  maxPriceAgeSeconds: number;
}

/** `indexer-lag`: the index is missing or too far behind the head; `stale-price`: an asset's price is missing or too old. */
export type FreshnessKind = 'indexer-lag' | 'stale-price';

export interface FreshnessProblem {
  kind: FreshnessKind;
  /** `indexer`, or the asset's label. */
  subject: string;
  message: string;
}

export interface Freshness {
  headBlock: number;
  /** Undefined when nothing of this chain is indexed. */
  indexedBlock: number | undefined;
  lagBlocks: number;
  /** Data time the prices are judged at. */
  at: number;
  /** Age in seconds of each asset's latest price at or before `at`. */
  priceAges: Record<string, number>;
  problems: FreshnessProblem[];
}

/** A refusal to build (or sign) a round from a lagging index or stale prices; `problems` says which. */
export class FreshnessError extends UserError {
  override readonly name: string = 'FreshnessError';
  constructor(
    readonly problems: readonly FreshnessProblem[],
    what = 'propose',
  ) {
    super(`Refusing to ${what}: ${problems.map((p) => p.message).join('; ')}`);
  }
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

const hours = (seconds: number): string => `${(seconds / 3_600).toFixed(1)} h`;

/**
 * Each asset's price problem: none at or before the data time `at`, or older than the limit there. Judged at the
 * proposal's data time (not at anyone's head), so that every signer reaches the same verdict from the same data.
 */
export function stalePrices(latest: Record<string, number | undefined>, at: number, maxPriceAgeSeconds: number): FreshnessProblem[] {
  const problems: FreshnessProblem[] = [];
  for (const [subject, t] of Object.entries(latest)) {
    if (t === undefined) {
      problems.push({ kind: 'stale-price', subject, message: `no price for ${subject} at or before ${new Date(at * 1000).toISOString()}` });
      continue;
    }
    const age = at - t;
    if (age > maxPriceAgeSeconds)
      problems.push({
        kind: 'stale-price',
        subject,
        message: `the price of ${subject} is ${age} s (${hours(age)}) old at ${new Date(at * 1000).toISOString()} (limit oracle.maxPriceAgeSeconds = ${maxPriceAgeSeconds} s)`,
      });
  }
  return problems;
}

/**
 * How far behind the indexer and the prices are. A proposal must be built at a block the indexer has reached,
 * from prices that are not stale: anything else would publish parameters nobody can re-derive, or blind ones.
 * `latestPrices` holds, per asset label, the time of its latest price at or before `at` (undefined: none).
 */
export function checkFreshness(
  input: {
    chainId: number;
    headBlock: number;
    indexedBlock: number | undefined;
    at: number;
    latestPrices: Record<string, number | undefined>;
    /** Block of this oracle's last confirmed publication of the kind: a proposal built below it would repeat its number. */
    lastPublicationBlock?: number;
  },
  limits: FreshnessLimits,
): Freshness {
  const { headBlock, indexedBlock: indexed } = input;
  const problems: FreshnessProblem[] = [];
  const lag = headBlock - (indexed ?? -1);
  if (indexed === undefined)
    problems.push({
      kind: 'indexer-lag',
      subject: 'indexer',
      message: `the indexer has not indexed chain ${input.chainId} yet (run risk-oracle index)`,
    });
  else if (lag > limits.maxLagBlocks)
    problems.push({
      kind: 'indexer-lag',
      subject: 'indexer',
      message: `the indexer is ${lag} blocks behind the head (indexed ${indexed}, head ${headBlock}; limit oracle.maxIndexerLagBlocks = ${limits.maxLagBlocks}): run risk-oracle index`,
    });
  else if (input.lastPublicationBlock !== undefined && indexed < input.lastPublicationBlock)
    problems.push({
      kind: 'indexer-lag',
      subject: 'indexer',
      message: `the indexer (block ${indexed}) has not reached this oracle's last publication (block ${input.lastPublicationBlock}): run risk-oracle index`,
    });
  const priceAges: Record<string, number> = {};
  for (const [subject, t] of Object.entries(input.latestPrices)) if (t !== undefined) priceAges[subject] = input.at - t;
  problems.push(...stalePrices(input.latestPrices, input.at, limits.maxPriceAgeSeconds));
  return { headBlock, indexedBlock: indexed, lagBlocks: lag, at: input.at, priceAges, problems };
}

/** Block of the last confirmed publication of this kind (parameter batch or credit epoch) recorded for this chain, if any. */
export async function lastPublicationBlock(
  db: Kysely<Database>,
  chainId: number,
  kind: 'parameters' | 'epoch' = 'parameters',
): Promise<number | undefined> {
  const row = await db
    .selectFrom('publications')
    .select((eb) => eb.fn.max('block_number').as('block'))
    .where('chain_id', '=', chainId)
    .where('kind', '=', kind)
    .where('status', '=', 'confirmed')
    .executeTakeFirst();
  return row?.block ?? undefined;
}

/** Throws a FreshnessError (a UserError) listing every freshness problem. */
export function assertFresh(freshness: Freshness): void {
  if (freshness.problems.length > 0) throw new FreshnessError(freshness.problems);
}
