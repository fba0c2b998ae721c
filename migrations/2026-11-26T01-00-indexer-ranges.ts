import { sql, type Kysely } from 'kysely';

/**
 * Block ranges that indexer workers claim on a shared Postgres (`SELECT ... FOR UPDATE SKIP LOCKED`): a range is
 * pending until the worker holding it commits its rows and `done_at` in one transaction. Ranges at or below the
 * checkpoint are deleted as it moves past them, so the table holds only the work in flight.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('indexer_ranges')
    .addColumn('chain_id', 'bigint', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('from_block', 'bigint', (c) => c.notNull())
    .addColumn('to_block', 'bigint', (c) => c.notNull())
    .addColumn('done_at', 'timestamptz')
    .addColumn('worker', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.defaultTo(sql`now()`).notNull())
    .addPrimaryKeyConstraint('indexer_ranges_pk', ['chain_id', 'source', 'from_block'])
    .addCheckConstraint('indexer_ranges_order', sql`to_block >= from_block`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('indexer_ranges').execute();
}
