import { sql, type Kysely } from 'kysely';

/**
 * The first schema for every stage. Conventions:
 * - uint256 amounts are `numeric(78,0)` (read as decimal strings, never floats); prices are exact `numeric`.
 * - block numbers and unix-second timestamps are `bigint` (read as JS numbers: they stay far below 2^53).
 * - addresses and hashes are lower-case 0x-hex `text`.
 * - every event table has a natural unique key, so re-running any write is a no-op.
 */
// Migrations are frozen in time and must not depend on the current Database type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  const uint = sql`numeric(78,0)`;

  await db.schema
    .createTable('chains')
    .addColumn('chain_id', 'bigint', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.defaultTo(sql`now()`).notNull())
    .execute();

  // ---- indexer: blocks, checkpoints -------------------------------------------------------------
  await db.schema
    .createTable('blocks')
    .addColumn('chain_id', 'bigint', (c) => c.notNull())
    .addColumn('number', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('parent_hash', 'text', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('blocks_pk', ['chain_id', 'number'])
    .execute();

  await db.schema
    .createTable('indexer_checkpoints')
    .addColumn('chain_id', 'bigint', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('block_number', 'bigint', (c) => c.notNull())
    .addColumn('block_hash', 'text')
    .addColumn('cursor', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.defaultTo(sql`now()`).notNull())
    .addPrimaryKeyConstraint('indexer_checkpoints_pk', ['chain_id', 'source'])
    .execute();

  // ---- market: assets, events, prices -----------------------------------------------------------
  await db.schema
    .createTable('assets')
    .addColumn('chain_id', 'bigint', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('symbol', 'text', (c) => c.notNull())
    .addColumn('decimals', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('volatile', 'stable', 'eth', 'btc')`))
    .addColumn('price_feed', 'text')
    .addPrimaryKeyConstraint('assets_pk', ['chain_id', 'address'])
    .execute();

  await db.schema
    .createTable('lending_events')
    .addColumn('chain_id', 'bigint', (c) => c.notNull())
    .addColumn('block_number', 'bigint', (c) => c.notNull())
    .addColumn('tx_hash', 'text', (c) => c.notNull())
    .addColumn('log_index', 'integer', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addColumn('kind', 'text', (c) =>
      c.notNull().check(sql`kind in ('supply', 'withdraw', 'borrow', 'repay', 'liquidation', 'collateral_enabled', 'collateral_disabled')`),
    )
    .addColumn('reserve', 'text', (c) => c.notNull())
    .addColumn('user_address', 'text', (c) => c.notNull())
    .addColumn('on_behalf_of', 'text')
    .addColumn('amount', uint, (c) => c.notNull())
    .addColumn('interest_rate_mode', 'integer')
    .addColumn('use_a_tokens', 'boolean')
    .addColumn('debt_asset', 'text')
    .addColumn('liquidated_collateral_amount', uint)
    .addColumn('liquidator', 'text')
    .addColumn('source', 'text', (c) => c.notNull().defaultTo('rpc'))
    .addPrimaryKeyConstraint('lending_events_pk', ['chain_id', 'tx_hash', 'log_index'])
    .execute();
  await db.schema.createIndex('lending_events_user_idx').on('lending_events').columns(['chain_id', 'user_address', 'timestamp']).execute();
  await db.schema.createIndex('lending_events_block_idx').on('lending_events').columns(['chain_id', 'block_number']).execute();

  await db.schema
    .createTable('reserve_updates')
    .addColumn('chain_id', 'bigint', (c) => c.notNull())
    .addColumn('block_number', 'bigint', (c) => c.notNull())
    .addColumn('tx_hash', 'text', (c) => c.notNull())
    .addColumn('log_index', 'integer', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addColumn('reserve', 'text', (c) => c.notNull())
    .addColumn('liquidity_rate', uint, (c) => c.notNull())
    .addColumn('stable_borrow_rate', uint, (c) => c.notNull())
    .addColumn('variable_borrow_rate', uint, (c) => c.notNull())
    .addColumn('liquidity_index', uint, (c) => c.notNull())
    .addColumn('variable_borrow_index', uint, (c) => c.notNull())
    .addPrimaryKeyConstraint('reserve_updates_pk', ['chain_id', 'tx_hash', 'log_index'])
    .execute();
  await db.schema.createIndex('reserve_updates_block_idx').on('reserve_updates').columns(['chain_id', 'reserve', 'block_number']).execute();

  await db.schema
    .createTable('collateral_configs')
    .addColumn('chain_id', 'bigint', (c) => c.notNull())
    .addColumn('block_number', 'bigint', (c) => c.notNull())
    .addColumn('tx_hash', 'text', (c) => c.notNull())
    .addColumn('log_index', 'integer', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addColumn('asset', 'text', (c) => c.notNull())
    .addColumn('ltv', 'integer', (c) => c.notNull())
    .addColumn('liquidation_threshold', 'integer', (c) => c.notNull())
    .addColumn('liquidation_bonus', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('collateral_configs_pk', ['chain_id', 'tx_hash', 'log_index'])
    .execute();

  // Prices from any source: on-chain feeds (chain_id > 0, block set) or CSV/subgraph imports (chain_id 0 for off-chain).
  await db.schema
    .createTable('price_points')
    .addColumn('chain_id', 'bigint', (c) => c.notNull())
    .addColumn('asset', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addColumn('price_usd', 'numeric', (c) => c.notNull())
    .addColumn('block_number', 'bigint')
    .addPrimaryKeyConstraint('price_points_pk', ['chain_id', 'asset', 'source', 'timestamp'])
    .execute();
  await db.schema.createIndex('price_points_block_idx').on('price_points').columns(['chain_id', 'block_number']).execute();

  // ---- derived: positions and health factors -----------------------------------------------------
  await db.schema
    .createTable('wallet_positions')
    .addColumn('chain_id', 'bigint', (c) => c.notNull())
    .addColumn('wallet', 'text', (c) => c.notNull())
    .addColumn('reserve', 'text', (c) => c.notNull())
    .addColumn('block_number', 'bigint', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addColumn('collateral', uint, (c) => c.notNull())
    .addColumn('debt', uint, (c) => c.notNull())
    .addColumn('collateral_enabled', 'boolean', (c) => c.notNull())
    .addPrimaryKeyConstraint('wallet_positions_pk', ['chain_id', 'wallet', 'reserve', 'block_number'])
    .execute();

  await db.schema
    .createTable('health_factors')
    .addColumn('chain_id', 'bigint', (c) => c.notNull())
    .addColumn('wallet', 'text', (c) => c.notNull())
    .addColumn('block_number', 'bigint', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addColumn('collateral_usd', 'numeric', (c) => c.notNull())
    .addColumn('debt_usd', 'numeric', (c) => c.notNull())
    // null when there is no debt (infinite health factor)
    .addColumn('health_factor', 'numeric')
    .addPrimaryKeyConstraint('health_factors_pk', ['chain_id', 'wallet', 'block_number'])
    .execute();

  // ---- models: feature snapshots and artifacts ----------------------------------------------------
  await db.schema
    .createTable('feature_snapshots')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('credit', 'collateral')`))
    .addColumn('chain_id', 'bigint', (c) => c.notNull())
    .addColumn('block_number', 'bigint', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addColumn('feature_spec_hash', 'text', (c) => c.notNull())
    .addColumn('row_count', 'integer', (c) => c.notNull())
    .addColumn('merkle_root', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.defaultTo(sql`now()`).notNull())
    .execute();

  await db.schema
    .createTable('feature_rows')
    .addColumn('snapshot_id', 'text', (c) => c.notNull().references('feature_snapshots.id').onDelete('cascade'))
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('features', 'jsonb', (c) => c.notNull())
    .addColumn('label', 'double precision')
    .addPrimaryKeyConstraint('feature_rows_pk', ['snapshot_id', 'entity'])
    .execute();

  await db.schema
    .createTable('model_artifacts')
    .addColumn('model_id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('credit', 'collateral')`))
    .addColumn('weights_hash', 'text')
    .addColumn('feature_spec_hash', 'text', (c) => c.notNull())
    .addColumn('seed', 'integer', (c) => c.notNull())
    .addColumn('backend', 'text', (c) => c.notNull())
    .addColumn('metrics', 'jsonb', (c) => c.notNull())
    .addColumn('artifact', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('trained'))
    .addColumn('created_at', 'timestamptz', (c) => c.defaultTo(sql`now()`).notNull())
    .execute();

  // ---- oracle: rounds, epochs, scores, signatures, publications, guards -------------------------------
  await db.schema
    .createTable('risk_parameter_rounds')
    .addColumn('chain_id', 'bigint', (c) => c.notNull())
    .addColumn('asset', 'text', (c) => c.notNull())
    .addColumn('round', 'bigint', (c) => c.notNull())
    .addColumn('ltv', 'integer', (c) => c.notNull())
    .addColumn('liquidation_threshold', 'integer', (c) => c.notNull())
    .addColumn('liquidation_bonus', 'integer', (c) => c.notNull())
    .addColumn('model_id', 'text', (c) => c.notNull())
    .addColumn('inputs_root', 'text', (c) => c.notNull())
    .addColumn('valid_until', 'bigint', (c) => c.notNull())
    .addColumn('at_block', 'bigint', (c) => c.notNull())
    .addColumn('batch_digest', 'text')
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('proposed')
        .check(sql`status in ('proposed', 'held', 'signed', 'submitted', 'published', 'applied', 'failed')`),
    )
    .addColumn('explanation', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.defaultTo(sql`now()`).notNull())
    .addPrimaryKeyConstraint('risk_parameter_rounds_pk', ['chain_id', 'asset', 'round'])
    .execute();

  await db.schema
    .createTable('credit_epochs')
    .addColumn('chain_id', 'bigint', (c) => c.notNull())
    .addColumn('epoch', 'bigint', (c) => c.notNull())
    .addColumn('root', 'text', (c) => c.notNull())
    .addColumn('model_id', 'text', (c) => c.notNull())
    .addColumn('wallet_count', 'integer', (c) => c.notNull())
    .addColumn('at_block', 'bigint', (c) => c.notNull())
    .addColumn('digest', 'text')
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('proposed')
        .check(sql`status in ('proposed', 'held', 'signed', 'submitted', 'published', 'invalidated', 'failed')`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.defaultTo(sql`now()`).notNull())
    .addPrimaryKeyConstraint('credit_epochs_pk', ['chain_id', 'epoch'])
    .execute();

  await db.schema
    .createTable('credit_scores')
    .addColumn('chain_id', 'bigint', (c) => c.notNull())
    .addColumn('epoch', 'bigint', (c) => c.notNull())
    .addColumn('wallet', 'text', (c) => c.notNull())
    .addColumn('score', 'integer', (c) => c.notNull())
    .addColumn('pd', uint, (c) => c.notNull())
    .addColumn('features_hash', 'text', (c) => c.notNull())
    .addColumn('features', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('credit_scores_pk', ['chain_id', 'epoch', 'wallet'])
    .execute();

  await db.schema
    .createTable('signatures')
    .addColumn('chain_id', 'bigint', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('signer', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('parameters', 'epoch')`))
    .addColumn('signature', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.defaultTo(sql`now()`).notNull())
    .addPrimaryKeyConstraint('signatures_pk', ['chain_id', 'digest', 'signer'])
    .execute();

  await db.schema
    .createTable('publications')
    .addColumn('chain_id', 'bigint', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('parameters', 'epoch', 'apply', 'challenge')`))
    .addColumn('tx_hash', 'text')
    .addColumn('nonce', 'integer')
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('pending', 'submitted', 'confirmed', 'replaced', 'dropped', 'failed')`),
    )
    .addColumn('gas_used', 'bigint')
    .addColumn('block_number', 'bigint')
    .addColumn('error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.defaultTo(sql`now()`).notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.defaultTo(sql`now()`).notNull())
    .addPrimaryKeyConstraint('publications_pk', ['chain_id', 'digest', 'attempt'])
    .execute();

  await db.schema
    .createTable('guard_decisions')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('chain_id', 'bigint', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('guard', 'text', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull().check(sql`decision in ('pass', 'clip', 'hold')`))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('details', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.defaultTo(sql`now()`).notNull())
    .execute();

  await db.schema
    .createTable('alerts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('severity', 'text', (c) => c.notNull().check(sql`severity in ('info', 'warning', 'critical')`))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('details', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.defaultTo(sql`now()`).notNull())
    .addColumn('resolved_at', 'timestamptz')
    .execute();
}
