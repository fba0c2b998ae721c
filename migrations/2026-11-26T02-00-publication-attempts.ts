import type { Kysely } from 'kysely';

/**
 * What a restart needs to resume a publication attempt without sending it twice: the sender, the call (to, data,
 * value), the gas limit and fees it was signed with (a replacement must outbid them), and the hash of the block
 * that included it (a later different hash, or none, means a reorg dropped it).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('publications')
    .addColumn('sender', 'text')
    .addColumn('to_address', 'text')
    .addColumn('calldata', 'text')
    .addColumn('value', 'numeric(78, 0)')
    .addColumn('gas_limit', 'numeric(78, 0)')
    .addColumn('max_fee_per_gas', 'numeric(78, 0)')
    .addColumn('max_priority_fee_per_gas', 'numeric(78, 0)')
    .addColumn('block_hash', 'text')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('publications')
    .dropColumn('sender')
    .dropColumn('to_address')
    .dropColumn('calldata')
    .dropColumn('value')
    .dropColumn('gas_limit')
    .dropColumn('max_fee_per_gas')
    .dropColumn('max_priority_fee_per_gas')
    .dropColumn('block_hash')
    .execute();
}
