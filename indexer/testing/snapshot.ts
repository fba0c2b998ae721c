import type { Kysely } from 'kysely';
import type { Database } from '../../core';
import { BY_BLOCK } from '../store/batch';

/** Every row the RPC indexer writes for a chain (events, prices, derived rows, kept block headers), in key order. */
export async function indexedRows(db: Kysely<Database>, chainId: number): Promise<Record<string, unknown[]>> {
  const events = ['lending_events', 'reserve_updates', 'collateral_configs', 'oracle_events', 'a_token_transfers', 'emode_events'] as const;
  const out: Record<string, unknown[]> = {};
  for (const t of events) {
    out[t] = await db.selectFrom(t).selectAll().where('chain_id', '=', chainId).orderBy('block_number').orderBy('log_index').execute();
  }
  out.price_points = await db
    .selectFrom('price_points')
    .selectAll()
    .where('chain_id', '=', chainId)
    .orderBy('asset')
    .orderBy('timestamp')
    .execute();
  out.wallet_positions = await db
    .selectFrom('wallet_positions')
    .selectAll()
    .where('chain_id', '=', chainId)
    .orderBy('wallet')
    .orderBy('reserve')
    .orderBy('block_number')
    .execute();
  out.health_factors = await db
    .selectFrom('health_factors')
    .selectAll()
    .where('chain_id', '=', chainId)
    .orderBy('wallet')
    .orderBy('block_number')
    .execute();
  out.blocks = await db.selectFrom('blocks').selectAll().where('chain_id', '=', chainId).orderBy('number').execute();
  return out;
}

/** Empties everything the indexers write (tests reuse one database: creating one takes seconds on PGlite). */
export async function clearIndexedRows(db: Kysely<Database>): Promise<void> {
  const tables = [...BY_BLOCK, 'blocks', 'indexer_checkpoints', 'assets'] as const;
  for (const t of tables) await db.deleteFrom(t).execute();
}
