import type { Kysely } from 'kysely';

/**
 * A credit epoch's data time: wallets are scored from indexed history strictly before it. Block numbers alone do
 * not fix it (several blocks share a second on a fast chain), and a signer must rebuild exactly the same rows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('credit_epochs').addColumn('data_time', 'bigint').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('credit_epochs').dropColumn('data_time').execute();
}
