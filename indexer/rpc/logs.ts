import { toQuantity } from 'ethers';
import { RetryableError, retry } from '../../core';
import type { RawLog } from './events';
import { useLinearGetUrl } from './geturl';

// every read below goes through ethers' HTTP transport: large answers must not cost quadratic time (see geturl.ts)
useLinearGetUrl();

/** The part of a JSON-RPC provider the indexer uses (ethers' JsonRpcProvider, or a fake in tests). */
export interface RpcClient {
  send(method: string, params: unknown[]): Promise<unknown>;
}

export interface BlockHeader {
  number: number;
  hash: string;
  parentHash: string;
  timestamp: number;
}

export interface LogFilter {
  addresses: string[];
  topics: string[];
}

/** Provider answers meaning "ask for fewer blocks" (Alchemy, Infura, QuickNode, geth, erigon, anvil wordings). */
const RANGE_ERROR =
  /(block range|range is too (large|wide)|too many (blocks|results|logs)|more than \d+ results|response size|limit exceeded|exceeds? (the )?(max|limit)|-32005|query timeout|log response)/i;

export function isRangeError(err: unknown): boolean {
  const e = err as { message?: string; error?: { message?: string; code?: number }; info?: { error?: { message?: string } } };
  const text = `${e.message ?? ''} ${e.error?.message ?? ''} ${e.info?.error?.message ?? ''} ${e.error?.code ?? ''}`;
  return RANGE_ERROR.test(text);
}

/** Answers that parse as JSON but are not what was asked for are retried like transport failures. */
function ensure<T>(ok: boolean, value: unknown, what: string): T {
  if (!ok) throw new RetryableError(`malformed ${what} answer: ${JSON.stringify(value)?.slice(0, 200)}`);
  return value as T;
}

const APP_RETRY = { retries: 5, baseDelayMs: 100, maxDelayMs: 2_000, shouldRetry: (e: unknown) => e instanceof RetryableError };

async function getLogsOnce(rpc: RpcClient, filter: LogFilter, from: number, to: number): Promise<RawLog[]> {
  const result = await rpc.send('eth_getLogs', [
    { address: filter.addresses, topics: [filter.topics], fromBlock: toQuantity(from), toBlock: toQuantity(to) },
  ]);
  const logs = ensure<RawLog[]>(Array.isArray(result), result, 'eth_getLogs');
  for (const log of logs) {
    const n = Number(log?.blockNumber);
    ensure(typeof log?.blockHash === 'string' && Array.isArray(log.topics) && n >= from && n <= to, log, 'eth_getLogs entry');
  }
  return logs;
}

/**
 * Every log in [from, to]: a range the provider refuses as too large is split in halves, recursively (down to a
 * single block). `onSplit` reports the size that worked, so the caller's next ranges start there.
 */
export async function getLogs(
  rpc: RpcClient,
  filter: LogFilter,
  from: number,
  to: number,
  onSplit?: (size: number) => void,
): Promise<RawLog[]> {
  try {
    return await retry(() => getLogsOnce(rpc, filter, from, to), APP_RETRY);
  } catch (err) {
    if (!isRangeError(err)) throw err;
    // one block cannot be split: a refusal there is a provider limit of another kind (some rate limits share the
    // wording and the -32005 code), so it is retried with back-off, and only then reported
    if (from === to)
      return retry(() => getLogsOnce(rpc, filter, from, to), {
        ...APP_RETRY,
        shouldRetry: (e) => e instanceof RetryableError || isRangeError(e),
      });
    const mid = Math.floor((from + to) / 2);
    onSplit?.(mid - from + 1);
    const left = await getLogs(rpc, filter, from, mid, onSplit);
    const right = await getLogs(rpc, filter, mid + 1, to, onSplit);
    return left.concat(right);
  }
}

/** The header of block `n`, or undefined when the chain has no such block (yet, or any more after a reorg). */
export async function getHeader(rpc: RpcClient, n: number | 'latest'): Promise<BlockHeader | undefined> {
  return retry(async () => {
    const b = (await rpc.send('eth_getBlockByNumber', [n === 'latest' ? n : toQuantity(n), false])) as Record<string, string> | null;
    if (b === null) return undefined;
    ensure(typeof b?.hash === 'string' && typeof b.parentHash === 'string' && b.number !== undefined, b, 'eth_getBlockByNumber');
    const header = {
      number: Number(b.number),
      hash: b.hash!.toLowerCase(),
      parentHash: b.parentHash!.toLowerCase(),
      timestamp: Number(b.timestamp),
    };
    ensure(n === 'latest' || header.number === n, b, 'eth_getBlockByNumber');
    return header;
  }, APP_RETRY);
}

/** Headers of blocks from..to, in order, at most `limit` requests at a time; undefined past the chain's head. */
export async function getHeaders(rpc: RpcClient, numbers: number[], limit: number): Promise<Array<BlockHeader | undefined>> {
  return mapLimit(numbers, limit, (n) => getHeader(rpc, n));
}

/** Maps with at most `limit` calls in flight; results in input order; the first failure rejects. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** A range size that halves on provider limits and grows by half on success, within [1, max]. */
export class AdaptiveRange {
  #size: number;
  constructor(
    initial: number,
    private readonly max: number,
  ) {
    this.#size = Math.max(1, Math.min(initial, max));
  }
  get size(): number {
    return this.#size;
  }
  shrinkTo(size: number): void {
    this.#size = Math.max(1, Math.min(this.#size, size));
  }
  grow(): void {
    this.#size = Math.min(this.max, Math.ceil(this.#size * 1.5));
  }
  /**
   * After a full range of `blocks` blocks answered `logs` logs: grows while answers stay under `targetLogs`, and
   * shrinks toward it when an answer is over twice as large (providers cap answers near 10 000 logs, and a huge
   * answer is slow to receive and parse in one piece).
   */
  observe(blocks: number, logs: number, targetLogs: number): void {
    if (logs > 2 * targetLogs) this.shrinkTo(Math.max(1, Math.floor((blocks * targetLogs) / logs)));
    else if (blocks >= this.#size && logs < targetLogs) this.grow();
  }
}
