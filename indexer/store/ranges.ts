import type pg from 'pg';
import { sql } from 'kysely';
import { loadCheckpoint, saveCheckpoint } from './batch';
import { inTransaction, type Store, type Tx } from './bulk';

/**
 * Scale-out on one Postgres: block ranges in `indexer_ranges`, claimed with `FOR UPDATE SKIP LOCKED`.
 *
 * - Only final blocks (below head − finalityDepth, as the planning process sees the head) are ever planned as
 *   ranges; a worker claims only ranges at or below its own node's final block, so a lagging node never reads
 *   blocks it does not have yet (that would be a silent gap, not an error).
 * - A worker holds its range's row lock from the claim to the commit; its rows, the range's `done_at` and the
 *   checkpoint's advance are one transaction. A crash (or `kill -9`) aborts the transaction: the range is pending
 *   again and its rows were never written. Unique keys keep a range written twice a no-op.
 * - The checkpoint keeps its meaning (every block at or below it is committed): it only moves over the contiguous
 *   run of done ranges above it, under a transaction-level advisory lock, so two workers finishing at once cannot
 *   both miss the other's range.
 * - Reorgs (see `runner.ts`): final ranges are worked under a session advisory lock held SHARED; the reorg
 *   check, the walk-back and the unfinalized tail run under the same lock held EXCLUSIVE. So a walk-back never
 *   runs while any worker of any process holds a range, and a range is never claimed while a walk-back is under
 *   way. `rollbackTo` also deletes the ranges above the ancestor first (that statement waits for a worker still
 *   holding one, through its row lock), which keeps it safe beside a process not using the phase lock.
 */

export interface RangeKey {
  chainId: number;
  source: string;
}

export interface ClaimedRange {
  from: number;
  to: number;
}

const lockKey = (k: RangeKey, what: string): string => `risk-oracle:indexer:${what}:${k.chainId}:${k.source}`;

/** Serialises planning and checkpoint advances of one source (held to the end of the caller's transaction). */
async function lockRanges(tx: Tx, k: RangeKey): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${lockKey(k, 'ranges')}))`.execute(tx.db);
}

/**
 * Plans up to `limit` more ranges of at most `size` blocks in `start..end` (start = max(fromBlock, checkpoint + 1)),
 * lowest first, filling only the gaps between ranges already planned (by this or another process). Returns how
 * many were added.
 */
export async function planRanges(store: Store, k: RangeKey, fromBlock: number, end: number, size: number, limit: number): Promise<number> {
  return inTransaction(store, async (tx) => {
    await lockRanges(tx, k);
    const cp = await loadCheckpoint(tx, k.chainId, k.source);
    const start = Math.max(fromBlock, cp ? cp.block + 1 : fromBlock);
    if (start > end) return 0;
    const existing = await tx.db
      .selectFrom('indexer_ranges')
      .select(['from_block', 'to_block'])
      .where('chain_id', '=', k.chainId)
      .where('source', '=', k.source)
      .where('to_block', '>=', start)
      .where('from_block', '<=', end)
      .orderBy('from_block')
      .execute();
    const rows: Array<{ chain_id: number; source: string; from_block: number; to_block: number }> = [];
    const cover = (from: number, to: number): void => {
      for (let f = from; f <= to && rows.length < limit; f += size)
        rows.push({ chain_id: k.chainId, source: k.source, from_block: f, to_block: Math.min(to, f + size - 1) });
    };
    let cursor = start;
    for (const r of existing) {
      if (r.from_block > cursor) cover(cursor, Math.min(end, r.from_block - 1));
      cursor = Math.max(cursor, r.to_block + 1);
    }
    if (cursor <= end) cover(cursor, end);
    if (rows.length)
      await tx.db
        .insertInto('indexer_ranges')
        .values(rows)
        .onConflict((oc) => oc.doNothing())
        .execute();
    return rows.length;
  });
}

/**
 * Moves the checkpoint over the contiguous done ranges above it and forgets those ranges; inside the caller's
 * transaction, after its own range was marked done.
 */
async function advanceCheckpoint(tx: Tx, k: RangeKey): Promise<void> {
  await lockRanges(tx, k); // read committed: every statement below sees the ranges other workers committed before
  const cp = await loadCheckpoint(tx, k.chainId, k.source);
  let start = cp ? cp.block + 1 : undefined;
  if (start === undefined) {
    // no checkpoint yet: the run starts at the lowest range planned, pending or done
    const first = await tx.db
      .selectFrom('indexer_ranges')
      .select((eb) => eb.fn.min('from_block').as('from'))
      .where('chain_id', '=', k.chainId)
      .where('source', '=', k.source)
      .executeTakeFirst();
    if (first?.from === null || first?.from === undefined) return;
    start = Number(first.from);
  }
  const done = await tx.db
    .selectFrom('indexer_ranges')
    .select(['from_block', 'to_block'])
    .where('chain_id', '=', k.chainId)
    .where('source', '=', k.source)
    .where('done_at', 'is not', null)
    .where('to_block', '>=', start)
    .orderBy('from_block')
    .execute();
  let next = start;
  for (const r of done) {
    if (r.from_block > next) break; // a range still pending (or not planned) above the run
    next = Math.max(next, r.to_block + 1);
  }
  if (next === start) return;
  await saveCheckpoint(tx, k.chainId, k.source, { block: next - 1, hash: null, cursor: null });
  await tx.db
    .deleteFrom('indexer_ranges')
    .where('chain_id', '=', k.chainId)
    .where('source', '=', k.source)
    .where('to_block', '<', next)
    .where('done_at', 'is not', null)
    .execute();
}

/** What a worker does with a claimed range. */
export interface RangeWork<T> {
  /** Reads the range, while its transaction waits (idle) with the range's row lock. */
  fetch(range: ClaimedRange): Promise<T>;
  /** Writes what `fetch` read, in the range's transaction. */
  write(tx: Tx, fetched: T): Promise<void>;
  /**
   * How long a range may stay held. The server ends a holder's session once its transaction has been idle this
   * long (a hung or frozen process: its transaction rolls back, the range is pending again) and cancels a statement
   * running longer; the worker itself gives the range up when `fetch` takes over half of it.
   */
  leaseMs: number;
}

/** `fetch` outlived its half of the lease: the range was given back, unwritten (the caller claims again). */
export class RangeLeaseExpired extends Error {
  override readonly name = 'RangeLeaseExpired';
}

/**
 * Bounds the current transaction (`SET LOCAL`): idle in it for `leaseMs`, the session is ended by the server and
 * its locks are released; a statement running for `leaseMs` is cancelled.
 */
export async function leaseTransaction(tx: Tx, leaseMs: number): Promise<void> {
  const ms = String(Math.round(leaseMs));
  await sql`select set_config('idle_in_transaction_session_timeout', ${ms}, true), set_config('statement_timeout', ${ms}, true)`.execute(
    tx.db,
  );
}

/** `p`, or a RangeLeaseExpired after `ms` (the promise itself is left to settle unobserved). */
function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RangeLeaseExpired(`${what} took over ${ms} ms: given back`)), ms);
  });
  p.catch(() => undefined);
  return Promise.race([p, expired]).finally(() => clearTimeout(timer));
}

/**
 * Claims the lowest pending range ending at or below `maxTo` that no other worker holds, reads it, and commits
 * what it read with the range's completion and the checkpoint's advance, in one transaction (bounded by
 * `work.leaseMs`, see `RangeWork`). Undefined: nothing left to claim.
 */
export async function claimRange<T>(
  store: Store,
  k: RangeKey,
  maxTo: number,
  worker: string,
  work: RangeWork<T>,
): Promise<{ range: ClaimedRange; result: T } | undefined> {
  return inTransaction(store, async (tx) => {
    await leaseTransaction(tx, work.leaseMs);
    const row = await tx.db
      .selectFrom('indexer_ranges')
      .select(['from_block', 'to_block'])
      .where('chain_id', '=', k.chainId)
      .where('source', '=', k.source)
      .where('done_at', 'is', null)
      .where('to_block', '<=', maxTo)
      .orderBy('from_block')
      .limit(1)
      .forUpdate()
      .skipLocked()
      .executeTakeFirst();
    if (!row) return undefined;
    const range = { from: row.from_block, to: row.to_block };
    const result = await withDeadline(work.fetch(range), work.leaseMs / 2, `range ${range.from}–${range.to}`);
    await work.write(tx, result);
    await tx.db
      .updateTable('indexer_ranges')
      .set({ done_at: new Date(), worker })
      .where('chain_id', '=', k.chainId)
      .where('source', '=', k.source)
      .where('from_block', '=', range.from)
      .execute();
    await advanceCheckpoint(tx, k);
    return { range, result };
  });
}

/**
 * Takes the source's phase lock on `client` (a session-level advisory lock), with the session bounded by
 * `idle_session_timeout = leaseMs`: a holder that stops using its connection for that long (a hung or frozen
 * process) is disconnected by the server, which releases the lock. `withPhaseLock` keeps a live holder's session
 * busy with a heartbeat.
 */
export async function lockPhase(client: pg.ClientBase, k: RangeKey, mode: 'shared' | 'exclusive', leaseMs: number): Promise<void> {
  await client.query(`select set_config('idle_session_timeout', $1, false)`, [String(Math.round(leaseMs))]);
  await client.query(`select pg_advisory_lock${mode === 'shared' ? '_shared' : ''}(hashtext($1))`, [lockKey(k, 'phase')]);
}

/**
 * Runs `fn` holding the source's phase lock: SHARED while workers index final ranges, EXCLUSIVE for the reorg
 * check, the walk-back and the unfinalized tail. A session-level advisory lock, on a connection of its own for the
 * whole of `fn`, kept alive by a heartbeat every third of `leaseMs` (see `lockPhase`); a crashed or hung holder's
 * lock goes with its connection. A heartbeat that fails means the lock was lost: `fn` runs to its end, then the
 * call fails.
 */
export async function withPhaseLock<T>(
  pool: pg.Pool,
  k: RangeKey,
  mode: 'shared' | 'exclusive',
  leaseMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let clean = false; // the lock released and the connection fit to reuse; otherwise it is closed (which releases it)
  let lost: unknown;
  let beat: NodeJS.Timeout | undefined;
  const ended = (err: Error): void => void (lost ??= err);
  client.on('error', ended); // the server ended the session: the lock is gone (and the process must not crash)
  try {
    await lockPhase(client, k, mode, leaseMs);
    beat = setInterval(() => {
      client.query('select 1').catch((err: unknown) => (lost ??= err));
    }, leaseMs / 3);
    let result: T;
    try {
      result = await fn();
    } finally {
      clearInterval(beat);
      clean = await client
        .query(
          `select pg_advisory_unlock${mode === 'shared' ? '_shared' : ''}(hashtext($1)), set_config('idle_session_timeout', '0', false)`,
          [lockKey(k, 'phase')],
        )
        .then(
          () => true,
          () => false,
        );
    }
    if (lost !== undefined)
      throw new Error(`lost the indexer's ${mode} phase lock of chain ${k.chainId} (${k.source}): ${(lost as Error).message}`, {
        cause: lost,
      });
    return result;
  } finally {
    clearInterval(beat);
    client.removeListener('error', ended);
    client.release(clean ? undefined : true);
  }
}
