import { sql, type Kysely } from 'kysely';

/**
 * What the derivation needs beyond the Pool's own events to equal Aave's balances and health factors: aToken
 * transfers between wallets (the aToken's `BalanceTransfer`, a scaled amount: plain transfers, and the seized
 * collateral a liquidation moves to the liquidator or, as the liquidation protocol fee, to the treasury), and
 * e-mode (the Pool's `UserEModeSet`, the PoolConfigurator's `EModeCategoryAdded` and `EModeAssetCategoryChanged`).
 * Both are reorg-safe by block like every indexed event.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const uint = sql`numeric(78,0)`;
  await db.schema
    .createTable('a_token_transfers')
    .addColumn('chain_id', 'bigint', (c) => c.notNull())
    .addColumn('block_number', 'bigint', (c) => c.notNull())
    .addColumn('tx_hash', 'text', (c) => c.notNull())
    .addColumn('log_index', 'integer', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addColumn('reserve', 'text', (c) => c.notNull())
    .addColumn('a_token', 'text', (c) => c.notNull())
    .addColumn('from_address', 'text', (c) => c.notNull())
    .addColumn('to_address', 'text', (c) => c.notNull())
    .addColumn('scaled_amount', uint, (c) => c.notNull())
    .addColumn('liquidity_index', uint, (c) => c.notNull())
    .addPrimaryKeyConstraint('a_token_transfers_pk', ['chain_id', 'tx_hash', 'log_index'])
    .execute();
  await db.schema.createIndex('a_token_transfers_block_idx').on('a_token_transfers').columns(['chain_id', 'block_number']).execute();

  await db.schema
    .createTable('emode_events')
    .addColumn('chain_id', 'bigint', (c) => c.notNull())
    .addColumn('block_number', 'bigint', (c) => c.notNull())
    .addColumn('tx_hash', 'text', (c) => c.notNull())
    .addColumn('log_index', 'integer', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('user', 'category', 'asset')`))
    .addColumn('category_id', 'integer', (c) => c.notNull())
    .addColumn('wallet', 'text')
    .addColumn('asset', 'text')
    .addColumn('ltv', 'integer')
    .addColumn('liquidation_threshold', 'integer')
    .addColumn('liquidation_bonus', 'integer')
    .addColumn('price_source', 'text')
    .addColumn('label', 'text')
    .addPrimaryKeyConstraint('emode_events_pk', ['chain_id', 'tx_hash', 'log_index'])
    .execute();
  await db.schema.createIndex('emode_events_block_idx').on('emode_events').columns(['chain_id', 'block_number']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('emode_events').execute();
  await db.schema.dropTable('a_token_transfers').execute();
}
