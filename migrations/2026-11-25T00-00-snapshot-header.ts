import type { Kysely } from 'kysely';

/**
 * An evaluation snapshot's header (name, horizon, grid, feature names, counts): with its rows it rebuilds the
 * published file byte for byte, so a snapshot stored in the database has the same id as its file.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('feature_snapshots').addColumn('header', 'jsonb').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('feature_snapshots').dropColumn('header').execute();
}
