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

/**
 * Claims the lowest pending range ending at or below `maxTo` that no other worker holds, runs `work` on it and
 * commits what `work` wrote with the range's completion and the checkpoint's advance, in one transaction.
 * Undefined: nothing left to claim.
 */
export async function claimRange<T>(
  store: Store,
  k: RangeKey,
  maxTo: number,
  worker: string,
  work: (tx: Tx, range: ClaimedRange) => Promise<T>,
): Promise<{ range: ClaimedRange; result: T } | undefined> {
  return inTransaction(store, async (tx) => {
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
    const result = await work(tx, range);
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
 * Runs `fn` holding the source's phase lock: SHARED while workers index final ranges, EXCLUSIVE for the reorg
 * check, the walk-back and the unfinalized tail. A session-level advisory lock, on a connection of its own for the
 * whole of `fn`; a crashed holder's lock goes with its connection.
 */
export async function withPhaseLock<T>(pool: pg.Pool, k: RangeKey, mode: 'shared' | 'exclusive', fn: () => Promise<T>): Promise<T> {
  const suffix = mode === 'shared' ? '_shared' : '';
  const key = lockKey(k, 'phase');
  const client = await pool.connect();
  let clean = false; // the lock released and the connection fit to reuse; otherwise it is closed (which releases it)
  try {
    await client.query(`select pg_advisory_lock${suffix}(hashtext($1))`, [key]);
    try {
      return await fn();
    } finally {
      clean = await client.query(`select pg_advisory_unlock${suffix}(hashtext($1))`, [key]).then(
        () => true,
        () => false,
      );
    }
  } finally {
    client.release(clean ? undefined : true);
  }
}
