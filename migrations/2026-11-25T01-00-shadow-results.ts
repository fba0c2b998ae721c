import { sql, type Kysely } from 'kysely';

/**
 * What a candidate model would have done beside the model in force, on the same data at the same time: never
 * published, kept so that the DAO votes on a track record rather than a promise.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('shadow_results')
    .addColumn('chain_id', 'bigint', (c) => c.notNull())
    .addColumn('model_id', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('credit', 'collateral')`))
    .addColumn('reference_model_id', 'text', (c) => c.notNull())
    .addColumn('figures', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.defaultTo(sql`now()`).notNull())
    .addPrimaryKeyConstraint('shadow_results_pk', ['chain_id', 'model_id', 'at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('shadow_results').execute();
}
