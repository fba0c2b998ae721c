import type { DecodedRows } from '../rpc/events';
import type { BlockHeader } from '../rpc/logs';
import { inTransaction, type Store, type Tx } from './bulk';

export interface Checkpoint {
  block: number;
  hash: string | null;
  cursor: string | null;
}

/** The last committed block of `source` on `chainId`, if any. */
export async function loadCheckpoint(store: Store, chainId: number, source: string): Promise<Checkpoint | undefined> {
  const row = await store.db
    .selectFrom('indexer_checkpoints')
    .select(['block_number', 'block_hash', 'cursor'])
    .where('chain_id', '=', chainId)
    .where('source', '=', source)
    .executeTakeFirst();
  return row ? { block: row.block_number, hash: row.block_hash, cursor: row.cursor } : undefined;
}

/** Upserts a checkpoint inside the caller's transaction. */
export async function saveCheckpoint(tx: Tx, chainId: number, source: string, cp: Checkpoint): Promise<void> {
  const values = { block_number: cp.block, block_hash: cp.hash, cursor: cp.cursor, updated_at: new Date() };
  await tx.db
    .insertInto('indexer_checkpoints')
    .values({ chain_id: chainId, source, ...values })
    .onConflict((oc) => oc.columns(['chain_id', 'source']).doUpdateSet(values))
    .execute();
}

export interface Batch {
  chainId: number;
  source: string;
  rows: DecodedRows;
  /** Headers of unfinalized blocks, kept for reorg detection. */
  headers: BlockHeader[];
  checkpoint: Checkpoint;
  /** Block headers below this number are dropped (only the finality window is kept). */
  keepBlocksFrom: number;
}

/** Inserts decoded rows inside the caller's transaction (rows already stored are skipped). */
export async function insertRows(tx: Tx, rows: DecodedRows): Promise<void> {
  await tx.insert('lending_events', rows.lending_events);
  await tx.insert('reserve_updates', rows.reserve_updates);
  await tx.insert('collateral_configs', rows.collateral_configs);
  await tx.insert('price_points', rows.price_points);
  await tx.insert('oracle_events', rows.oracle_events);
  await tx.insert('a_token_transfers', rows.a_token_transfers);
  await tx.insert('emode_events', rows.emode_events);
}

/** Writes a batch's rows, its block headers and its checkpoint in one transaction: all of it, or (after a crash) none. */
export async function writeBatch(store: Store, batch: Batch, extra?: (tx: Tx) => Promise<void>): Promise<void> {
  await inTransaction(store, async (tx) => {
    await insertRows(tx, batch.rows);
    if (batch.headers.length) {
      await tx.db
        .insertInto('blocks')
        .values(
          batch.headers.map((h) => ({
            chain_id: batch.chainId,
            number: h.number,
            hash: h.hash,
            parent_hash: h.parentHash,
            timestamp: h.timestamp,
          })),
        )
        .onConflict((oc) =>
          oc.columns(['chain_id', 'number']).doUpdateSet((eb) => ({
            hash: eb.ref('excluded.hash'),
            parent_hash: eb.ref('excluded.parent_hash'),
            timestamp: eb.ref('excluded.timestamp'),
          })),
        )
        .execute();
    }
    await tx.db.deleteFrom('blocks').where('chain_id', '=', batch.chainId).where('number', '<', batch.keepBlocksFrom).execute();
    await extra?.(tx);
    await saveCheckpoint(tx, batch.chainId, batch.source, batch.checkpoint);
  });
}

/** The stored hash of block `n` (from the blocks kept for reorg detection), if known. */
export async function storedHash(store: Store, chainId: number, n: number): Promise<string | undefined> {
  const row = await store.db.selectFrom('blocks').select('hash').where('chain_id', '=', chainId).where('number', '=', n).executeTakeFirst();
  return row?.hash;
}

/** Stored block headers, newest first (the walk-back after a reorg compares them with the chain's). */
export async function storedBlocks(store: Store, chainId: number): Promise<Array<{ number: number; hash: string }>> {
  return store.db.selectFrom('blocks').select(['number', 'hash']).where('chain_id', '=', chainId).orderBy('number', 'desc').execute();
}

/** Tables whose rows carry the block they came from, and are removed above a reorg's common ancestor. */
export const BY_BLOCK = [
  'lending_events',
  'reserve_updates',
  'collateral_configs',
  'price_points',
  'oracle_events',
  'a_token_transfers',
  'emode_events',
  'wallet_positions',
  'health_factors',
] as const;

/**
 * Undoes everything above `ancestor` on `chainId` in one transaction: events, prices, derived rows and block
 * headers; every checkpoint of the chain above it comes back to it (the caller then re-indexes from there).
 */
export async function rollbackTo(store: Store, chainId: number, ancestor: { number: number; hash: string }): Promise<void> {
  await inTransaction(store, async (tx) => {
    // first, so that it waits (on the range's row lock) for a worker still holding a range above the ancestor,
    // and the deletes below then see what that worker committed; the ranges are planned again from the ancestor
    await tx.db.deleteFrom('indexer_ranges').where('chain_id', '=', chainId).where('to_block', '>', ancestor.number).execute();
    const kept = await tx.db
      .selectFrom('blocks')
      .where('chain_id', '=', chainId)
      .where('number', '=', ancestor.number)
      .select('timestamp')
      .executeTakeFirst();
    for (const table of BY_BLOCK) {
      await tx.db.deleteFrom(table).where('chain_id', '=', chainId).where('block_number', '>', ancestor.number).execute();
    }
    await tx.db.deleteFrom('blocks').where('chain_id', '=', chainId).where('number', '>', ancestor.number).execute();
    await tx.db
      .updateTable('indexer_checkpoints')
      .set({ block_number: ancestor.number, block_hash: ancestor.hash, updated_at: new Date() })
      .where('chain_id', '=', chainId)
      .where('source', 'like', 'rpc:%')
      .where('block_number', '>', ancestor.number)
      .execute();
    // A cursor source (the subgraph) past the ancestor had rows deleted above: it resumes from the whole of the
    // ancestor's timestamp (what is still stored there is skipped on insert), or from the start when that time
    // is not known; left alone, it would never read the deleted rows again.
    const rewound = kept ? JSON.stringify({ timestamp: Number(kept.timestamp), id: '' }) : null;
    await tx.db
      .updateTable('indexer_checkpoints')
      .set({ block_number: ancestor.number, block_hash: null, cursor: rewound, updated_at: new Date() })
      .where('chain_id', '=', chainId)
      .where('source', 'not like', 'rpc:%')
      .where('block_number', '>', ancestor.number)
      .execute();
  });
}
