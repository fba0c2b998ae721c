import type { Kysely } from 'kysely';

/**
 * The collateral model's liquidity proxy: market depth in USD (e.g. the USD that moves the price 2 %) beside a
 * price, where the source gives one (a price CSV's `liquidity_usd` / `depth_usd` column, the simulator). Null where
 * it does not: on-chain feeds answer prices only.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('price_points').addColumn('liquidity_usd', 'numeric').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('price_points').dropColumn('liquidity_usd').execute();
}
