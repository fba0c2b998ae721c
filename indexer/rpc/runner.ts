import type { Logger, NewRow } from '../../core';
import { derivePositions } from '../derive/positions';
import { writeBatch, loadCheckpoint, storedHash, type Checkpoint } from '../store/batch';
import type { Store } from '../store/bulk';
import {
  ChainMovedError,
  feedMap,
  fetchFinalized,
  fetchUnfinalized,
  getHead,
  logFilter,
  type FetchedRange,
  type FetchOptions,
  type IndexerAddresses,
} from './fetch';
import { AdaptiveRange, type RpcClient } from './logs';
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
  /** Called after each committed batch (progress, tests). */
  onBatch?: (batch: { from: number; to: number; logs: number }) => void | Promise<void>;
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
}

const MAX_CHAIN_MOVES = 20;

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

/**
 * Indexes Aave V3 Pool and PoolConfigurator events and price-feed answers from `fromBlock` on, resuming at its
 * checkpoint. Final blocks are read in adaptive ranges, several at a time, and committed in order (each batch
 * with its checkpoint, in one transaction); unfinalized blocks are read with their headers and checked against
 * the stored chain, and a reorg rolls back to the common ancestor before indexing goes on.
 */
export async function runIndexer(options: RunIndexerOptions): Promise<IndexerResult> {
  const { db: store, provider: rpc, signal } = options;
  const chainId = options.chainId ?? Number(await rpc.send('eth_chainId', []));
  const source = options.source ?? 'rpc:aave';
  const finality = options.finalityDepth ?? 12;
  const range = new AdaptiveRange(options.blockRange ?? 2_000, options.maxBlockRange ?? 10_000);
  const result: IndexerResult = { chainId, lastBlock: undefined, batches: 0, logs: 0, reorgs: [] };
  const fetchOptions: FetchOptions = {
    rpc,
    filter: logFilter(options.addresses),
    chainId,
    feeds: feedMap(options.addresses),
    concurrency: options.concurrency ?? 4,
    onSplit: (size) => range.shrinkTo(size),
  };

  const commit = async (r: FetchedRange): Promise<void> => {
    const checkpoint: Checkpoint = { block: r.to, hash: r.hash, cursor: null };
    await writeBatch(store, { chainId, source, rows: r.rows, headers: r.headers, checkpoint, keepBlocksFrom: r.to - finality });
    result.lastBlock = r.to;
    result.batches++;
    result.logs += r.logs;
    if (r.to - r.from + 1 >= range.size) range.grow();
    options.logger?.debug({ chainId, from: r.from, to: r.to, logs: r.logs }, 'indexed batch');
    await options.onBatch?.({ from: r.from, to: r.to, logs: r.logs });
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
    const reorg = await detectAndRollback(store, rpc, chainId, await loadCheckpoint(store, chainId, source));
    if (reorg) {
      result.reorgs.push(reorg);
      options.logger?.warn({ chainId, ...reorg }, 'reorg: rolled back to the common ancestor');
    }
    const cp = await loadCheckpoint(store, chainId, source);
    const head = await getHead(rpc);
    const target = Math.min(options.toBlock ?? Number.POSITIVE_INFINITY, head.number);
    let next = Math.max(options.fromBlock, cp ? cp.block + 1 : options.fromBlock);
    const lastFinal = Math.min(target, head.number - finality);
    try {
      if (next <= lastFinal) {
        await indexFinalized(next, lastFinal);
        next = lastFinal + 1;
      }
      while (next <= target && !signal?.aborted) {
        const to = Math.min(target, next + range.size - 1);
        const parent = (await storedHash(store, chainId, next - 1)) ?? (cp?.block === next - 1 ? (cp.hash ?? undefined) : undefined);
        await commit(await fetchUnfinalized(fetchOptions, next, to, parent));
        next = to + 1;
      }
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
    const committed = await loadCheckpoint(store, chainId, source);
    if (committed && options.derive !== false) await derivePositions(store, chainId, committed.block);
    const done = options.toBlock !== undefined && next > options.toBlock;
    if (done || !options.follow || signal?.aborted) return result;
    await sleep(options.pollIntervalMs ?? 2_000, signal);
  }
}
