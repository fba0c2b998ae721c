import type { Kysely } from 'kysely';

/**
 * The derivation reads, for every stored position, its reserve's last update at or before the position's block in
 * log order (`order by block_number desc, log_index desc limit 1`). Without `log_index` in the index, Postgres read
 * and sorted every earlier update of the reserve for each position (thousands per lookup on the benchmark chain,
 * which made derivation the indexer's bottleneck); with it, each lookup is one backward index step. The old index is
 * this one's prefix.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('reserve_updates_order_idx')
    .on('reserve_updates')
    .columns(['chain_id', 'reserve', 'block_number', 'log_index'])
    .execute();
  await db.schema.dropIndex('reserve_updates_block_idx').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('reserve_updates_block_idx').on('reserve_updates').columns(['chain_id', 'reserve', 'block_number']).execute();
  await db.schema.dropIndex('reserve_updates_order_idx').execute();
}
