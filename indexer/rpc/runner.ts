import { hostname } from 'node:os';
import { UserError, type Logger, type NewRow } from '../../core';
import { derivePositions } from '../derive/positions';
import { insertRows, writeBatch, loadCheckpoint, storedHash, type Checkpoint } from '../store/batch';
import type { Store } from '../store/bulk';
import { claimRange, planRanges, RangeLeaseExpired, withPhaseLock, type RangeKey } from '../store/ranges';
import {
  ChainMovedError,
  aTokenMap,
  feedMap,
  oracleContractMap,
  fetchFinalized,
  fetchUnfinalized,
  getHead,
  logFilter,
  type FetchedRange,
  type FetchOptions,
  type IndexerAddresses,
} from './fetch';
import { AdaptiveRange, getHeader, type RpcClient } from './logs';
import { detectAndRollback, type Reorg } from './reorg';

export interface RunIndexerOptions {
  /** Where to write (`openDatabase`'s handle fits): COPY is used when `pool` is set. */
  db: Store;
  provider: RpcClient;
  addresses: IndexerAddresses;
  /** First block to index (a checkpoint above it wins: runs resume). */
  fromBlock: number;
  /** Last block; default: the head (and, with `follow`, every new head). */
  toBlock?: number;
  /** Keep polling for new blocks until `signal` aborts (or `toBlock` is reached). */
  follow?: boolean;
  signal?: AbortSignal;
  /** Default: the node's `eth_chainId`. */
  chainId?: number;
  /** Checkpoint name. Default: `rpc:aave`. */
  source?: string;
  /** Blocks below head − finalityDepth are final: no headers kept, concurrent reads. Default: 12. */
  finalityDepth?: number;
  /** First `eth_getLogs` range. Default: 2 000. */
  blockRange?: number;
  /** Largest `eth_getLogs` range. Default: 10 000. */
  maxBlockRange?: number;
  /** RPC requests in flight. Default: 4. */
  concurrency?: number;
  /** Poll interval with `follow`. Default: 2 000 ms. */
  pollIntervalMs?: number;
  logger?: Logger;
  /**
   * Scale-out (Postgres only): final blocks are split into ranges in `indexer_ranges`, and this many workers claim
   * them (`FOR UPDATE SKIP LOCKED`), alongside the workers of any other process indexing the same chain and source
   * with `workers` set. Each process needs a pool of at least `workers` + 1 connections. On PGlite (one
   * connection) it falls back to one sequential worker, with a warning. Default: unset, one sequential worker
   * that does not take part in range claims.
   */
  workers?: number;
  /**
   * Range workers: how long a range or the phase lock stays with a holder that stops answering (a hung or frozen
   * process) before the server ends its session and the range goes back to pending; a worker also gives up a
   * range whose reading takes over half of it. Default: 120 000 ms.
   */
  leaseMs?: number;
  /** Called after each committed batch (progress, tests); `worker` is set for a range committed by a worker. */
  onBatch?: (batch: { from: number; to: number; logs: number; worker?: number }) => void | Promise<void>;
  /** Derive positions and health factors after each pass (`derivePositions`). Default: true. */
  derive?: boolean;
  /** Reserve metadata written to `assets` (decimals are needed to value positions; unknown assets count as 18). */
  assets?: Array<NewRow<'assets'>>;
}

export interface IndexerResult {
  chainId: number;
  /** Last committed block, or undefined when nothing was indexed. */
  lastBlock: number | undefined;
  batches: number;
  logs: number;
  reorgs: Reorg[];
  /** Range workers this run used (0: the sequential path, without range claims). */
  workers: number;
}

const MAX_CHAIN_MOVES = 20;
/** Logs per `eth_getLogs` answer the range size aims at (it grows below this, shrinks well above it). */
export const LOGS_PER_RANGE = 10_000;
/** How often a process whose own workers are idle looks again for ranges other processes hold (or gave up): from
 * the first delay, doubling while the checkpoint stays put, up to the last. */
const RANGE_POLL_MS = { first: 250, max: 5_000 };
export const DEFAULT_LEASE_MS = 120_000;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** How many range workers a run gets: 0 for the sequential path (see `RunIndexerOptions.workers`). */
function workerCount(options: RunIndexerOptions): number {
  const asked = options.workers;
  if (asked === undefined) return 0;
  if (!Number.isSafeInteger(asked) || asked < 1) throw new UserError(`runIndexer: workers must be a whole number ≥ 1, got ${asked}`);
  const pool = options.db.pool;
  if (!pool) {
    if (asked > 1)
      options.logger?.warn({ workers: asked }, 'indexer: PGlite has one connection; range workers need Postgres: indexing with one worker');
    return 0;
  }
  const max = pool.options.max ?? 10;
  if (asked + 1 > max) {
    options.logger?.warn(
      { workers: asked, poolSize: max },
      `indexer: ${asked} workers need ${asked + 1} connections, the pool has ${max}: using ${max - 1}`,
    );
    return Math.max(1, max - 1);
  }
  return asked;
}

/**
 * Indexes Aave V3 Pool and PoolConfigurator events and price-feed answers from `fromBlock` on, resuming at its
 * checkpoint. Final blocks are read in adaptive ranges, several at a time, and committed in order (each batch
 * with its checkpoint, in one transaction); unfinalized blocks are read with their headers and checked against
 * the stored chain, and a reorg rolls back to the common ancestor before indexing goes on.
 *
 * With `workers` on Postgres, final blocks are instead planned as ranges that workers (of this and other
 * processes) claim and commit in any order; the checkpoint follows the contiguous done ranges (`store/ranges.ts`).
 * The rule that keeps reorgs safe: workers hold the source's phase lock SHARED, and the reorg check, walk-back,
 * unfinalized tail and derivation hold it EXCLUSIVE, so a walk-back never overlaps a worker holding a range.
 */
export async function runIndexer(options: RunIndexerOptions): Promise<IndexerResult> {
  const { db: store, provider: rpc, signal } = options;
  const chainId = options.chainId ?? Number(await rpc.send('eth_chainId', []));
  const source = options.source ?? 'rpc:aave';
  const finality = options.finalityDepth ?? 12;
  const range = new AdaptiveRange(options.blockRange ?? 2_000, options.maxBlockRange ?? 10_000);
  const workers = workerCount(options);
  const result: IndexerResult = { chainId, lastBlock: undefined, batches: 0, logs: 0, reorgs: [], workers };
  const fetchOptions: FetchOptions = {
    rpc,
    filter: logFilter(options.addresses),
    chainId,
    feeds: feedMap(options.addresses),
    oracleContracts: oracleContractMap(options.addresses),
    aTokens: aTokenMap(options.addresses),
    pool: options.addresses.pool.toLowerCase(),
    concurrency: options.concurrency ?? 4,
    onSplit: (size) => range.shrinkTo(size),
  };
  const key: RangeKey = { chainId, source };
  const pool = workers > 0 ? store.pool : undefined;
  /** The phase lock in range-worker mode; nothing to lock for the sequential path. */
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const phase = <T>(mode: 'shared' | 'exclusive', fn: () => Promise<T>): Promise<T> =>
    pool ? withPhaseLock(pool, key, mode, leaseMs, fn) : fn();

  const committed = async (r: { from: number; to: number; logs: number }, worker?: number): Promise<void> => {
    result.batches++;
    result.logs += r.logs;
    range.observe(r.to - r.from + 1, r.logs, LOGS_PER_RANGE);
    options.logger?.debug({ chainId, from: r.from, to: r.to, logs: r.logs, worker }, 'indexed batch');
    await options.onBatch?.({ from: r.from, to: r.to, logs: r.logs, ...(worker === undefined ? {} : { worker }) });
  };

  const commit = async (r: FetchedRange): Promise<void> => {
    const checkpoint: Checkpoint = { block: r.to, hash: r.hash, cursor: null };
    await writeBatch(store, { chainId, source, rows: r.rows, headers: r.headers, checkpoint, keepBlocksFrom: r.to - finality });
    result.lastBlock = r.to;
    // final batches are derived as they land, while the next ranges are read (the database works while this
    // process parses); derivation is window-independent, so the rows equal one derivation after the pass
    if (r.hash === null && options.derive !== false) await derivePositions(store, chainId, r.to, leaseMs);
    await committed(r);
  };

  /** Final blocks start..end: up to `concurrency` ranges read ahead, committed in order. */
  const indexFinalized = async (start: number, end: number): Promise<void> => {
    const inflight: Array<Promise<FetchedRange>> = [];
    let scheduled = start;
    const schedule = (): void => {
      while (inflight.length < fetchOptions.concurrency && scheduled <= end) {
        const to = Math.min(end, scheduled + range.size - 1);
        const p = fetchFinalized(fetchOptions, scheduled, to);
        p.catch(() => undefined); // awaited in order below; never an unhandled rejection
        inflight.push(p);
        scheduled = to + 1;
      }
    };
    schedule();
    while (inflight.length > 0 && !signal?.aborted) {
      await commit(await inflight.shift()!);
      schedule();
    }
  };

  /**
   * Worker mode: positions follow the checkpoint as ranges complete, not only at the end of a long back-fill. The
   * worker whose commit moved the checkpoint derives up to it (under the shared phase lock its process holds, so
   * no walk-back runs meanwhile, and the derivation's own lock, so processes take turns); a commit while this
   * process derives asks for one more pass instead.
   */
  let deriving = false;
  let deriveAgain = false;
  const deriveCommitted = async (): Promise<void> => {
    if (options.derive === false) return;
    if (deriving) {
      deriveAgain = true;
      return;
    }
    deriving = true;
    try {
      do {
        deriveAgain = false;
        const cp = await loadCheckpoint(store, chainId, source);
        if (cp) await derivePositions(store, chainId, cp.block, leaseMs);
      } while (deriveAgain);
    } finally {
      deriving = false;
    }
  };

  /**
   * Final blocks up to `end` by range workers: each claims the lowest pending range, and plans a few more (at the
   * current adaptive size) when none is left; then they wait for ranges other processes hold until the checkpoint
   * reaches `end`, looking again less and less often while it stays put.
   */
  const indexClaimed = async (end: number): Promise<void> => {
    let failure: { error: unknown } | undefined;
    const work = async (n: number): Promise<void> => {
      const id = `${hostname()}:${process.pid}:${n}`;
      while (!failure && !signal?.aborted) {
        const claimed = await claimRange(store, key, end, id, {
          leaseMs,
          fetch: (r) => fetchFinalized(fetchOptions, r.from, r.to),
          write: (tx, fetched) => insertRows(tx, fetched.rows),
        }).catch((err: unknown) => {
          if (!(err instanceof RangeLeaseExpired)) throw err;
          options.logger?.warn({ chainId, worker: n, err: err.message }, 'indexer: a range took too long to read; given back');
          range.shrinkTo(Math.max(1, Math.floor(range.size / 2)));
          return 'given back' as const;
        });
        if (claimed === 'given back') continue;
        if (claimed) {
          await deriveCommitted();
          await committed({ ...claimed.range, logs: claimed.result.logs }, n);
        } else if ((await planRanges(store, key, options.fromBlock, end, range.size, 2 * workers)) === 0) return;
      }
    };
    let delay = RANGE_POLL_MS.first;
    let seen = (await loadCheckpoint(store, chainId, source))?.block;
    for (;;) {
      // every worker runs to its end even when one fails (the others stop at their next claim): none is left
      // writing after runIndexer has returned
      await Promise.all(
        Array.from({ length: workers }, (_, n) =>
          work(n).catch((error: unknown) => {
            failure ??= { error };
          }),
        ),
      );
      if (failure) throw failure.error;
      const cp = await loadCheckpoint(store, chainId, source);
      if (cp) result.lastBlock = cp.block;
      if ((cp && cp.block >= end) || signal?.aborted) return;
      delay = cp?.block !== seen ? RANGE_POLL_MS.first : Math.min(RANGE_POLL_MS.max, delay * 2);
      seen = cp?.block;
      await sleep(delay, signal);
    }
  };

  if (options.assets?.length) {
    await store.db
      .insertInto('assets')
      .values(options.assets.map((a) => ({ ...a, chain_id: chainId, address: a.address.toLowerCase() })))
      .onConflict((oc) => oc.columns(['chain_id', 'address']).doNothing())
      .execute();
  }
  let chainMoves = 0;
  for (;;) {
    if (signal?.aborted) return result;
    const reorg = await phase('exclusive', async () =>
      detectAndRollback(store, rpc, chainId, await loadCheckpoint(store, chainId, source)),
    );
    if (reorg) {
      result.reorgs.push(reorg);
      options.logger?.warn({ chainId, ...reorg }, 'reorg: rolled back to the common ancestor');
    }
    const cp = await loadCheckpoint(store, chainId, source);
    const head = await getHead(rpc);
    const target = Math.min(options.toBlock ?? Number.POSITIVE_INFINITY, head.number);
    const lastFinal = Math.min(target, head.number - finality);
    try {
      const first = Math.max(options.fromBlock, cp ? cp.block + 1 : options.fromBlock);
      if (first <= lastFinal) await phase('shared', () => (workers > 0 ? indexClaimed(lastFinal) : indexFinalized(first, lastFinal)));
      await phase('exclusive', async () => {
        // read again: with range workers, another process may have moved the checkpoint meanwhile
        const at = await loadCheckpoint(store, chainId, source);
        let next = Math.max(options.fromBlock, at ? at.block + 1 : options.fromBlock, lastFinal + 1);
        while (next <= target && !signal?.aborted) {
          const to = Math.min(target, next + range.size - 1);
          let parent = (await storedHash(store, chainId, next - 1)) ?? (at?.block === next - 1 ? (at.hash ?? undefined) : undefined);
          // the tail's first block after final ones: the last final block's header is kept with it (its parent
          // link is checked, and a reorg of the whole unfinalized window finds its common ancestor there)
          const anchor = parent === undefined && next > 0 ? await getHeader(rpc, next - 1) : undefined;
          parent ??= anchor?.hash;
          const fetched = await fetchUnfinalized(fetchOptions, next, to, parent);
          if (anchor) fetched.headers.unshift(anchor);
          await commit(fetched);
          next = to + 1;
        }
      });
      chainMoves = 0;
    } catch (err) {
      if (!(err instanceof ChainMovedError) || ++chainMoves > MAX_CHAIN_MOVES) {
        const at = (await loadCheckpoint(store, chainId, source))?.block;
        throw new Error(
          `indexing chain ${chainId} stopped${at !== undefined ? ` after block ${at} (committed; run again to resume)` : ''}: ${(err as Error).message}`,
          { cause: err },
        );
      }
      continue; // the chain moved under us: check for a reorg, then read again
    }
    await phase('exclusive', async () => {
      const done = await loadCheckpoint(store, chainId, source);
      if (done && options.derive !== false) await derivePositions(store, chainId, done.block, leaseMs);
    });
    const finished = options.toBlock !== undefined && head.number >= options.toBlock;
    if (finished || !options.follow || signal?.aborted) return result;
    await sleep(options.pollIntervalMs ?? 2_000, signal);
  }
}
