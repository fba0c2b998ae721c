import type { Kysely } from 'kysely';

/**
 * The events of this project's own contracts (RiskOracle, RiskSteward, CreditScoreRegistry), indexed like Aave's:
 * what was published, applied to Aave, proved, challenged and reconfigured, reorg-safe by block. Arguments are
 * kept whole as JSON; the asset, round and epoch an event names are columns, for the monitor's queries.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('oracle_events')
    .addColumn('chain_id', 'bigint', (c) => c.notNull())
    .addColumn('block_number', 'bigint', (c) => c.notNull())
    .addColumn('tx_hash', 'text', (c) => c.notNull())
    .addColumn('log_index', 'integer', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addColumn('contract', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('asset', 'text')
    .addColumn('round', 'bigint')
    .addColumn('epoch', 'bigint')
    .addColumn('args', 'jsonb', (c) => c.notNull())
    .addPrimaryKeyConstraint('oracle_events_pk', ['chain_id', 'tx_hash', 'log_index'])
    .execute();
  await db.schema.createIndex('oracle_events_block_idx').on('oracle_events').columns(['chain_id', 'block_number']).execute();
  await db.schema.createIndex('oracle_events_event_idx').on('oracle_events').columns(['chain_id', 'event', 'block_number']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('oracle_events').execute();
}
