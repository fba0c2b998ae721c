import { sql } from 'kysely';
import { createTestDatabase } from '../test/db';
import { migrate, migrationStatus } from './index';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

describe(`database (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  let handle: TestDb;
  beforeAll(async () => {
    handle = await createTestDatabase();
  });
  afterAll(async () => {
    await handle.close();
  });

  it('migrating twice is a no-op', async () => {
    expect(await migrate(handle.db, handle.schema)).toEqual([]);
    const status = await migrationStatus(handle.db, handle.schema);
    expect(status.length).toBeGreaterThan(0);
    expect(status.every((m) => m.executedAt !== null)).toBe(true);
  });

  it('writes are idempotent by natural key, and uint256 amounts survive exactly', async () => {
    const max = 2n ** 256n - 1n;
    const row = {
      chain_id: 31337,
      block_number: 10,
      tx_hash: '0xaa',
      log_index: 1,
      timestamp: 1_700_000_000,
      kind: 'borrow' as const,
      reserve: '0x01',
      user_address: '0x02',
      on_behalf_of: '0x02',
      amount: max,
      interest_rate_mode: 2,
      use_a_tokens: null,
      debt_asset: null,
      liquidated_collateral_amount: null,
      liquidator: null,
    };
    for (let i = 0; i < 3; i++)
      await handle.db
        .insertInto('lending_events')
        .values(row)
        .onConflict((oc) => oc.doNothing())
        .execute();
    const rows = await handle.db.selectFrom('lending_events').selectAll().where('tx_hash', '=', '0xaa').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.amount).toBe(max.toString());
    expect(rows[0]!.block_number).toBe(10);
    expect(rows[0]!.source).toBe('rpc');

    await handle.db
      .insertInto('indexer_checkpoints')
      .values({ chain_id: 1, source: 'rpc:test', block_number: 5, block_hash: '0x5', cursor: null })
      .onConflict((oc) => oc.columns(['chain_id', 'source']).doUpdateSet({ block_number: 6, block_hash: '0x6' }))
      .execute();
    await handle.db
      .insertInto('indexer_checkpoints')
      .values({ chain_id: 1, source: 'rpc:test', block_number: 5, block_hash: '0x5', cursor: null })
      .onConflict((oc) => oc.columns(['chain_id', 'source']).doUpdateSet({ block_number: 6, block_hash: '0x6' }))
      .execute();
    const checkpoint = await handle.db.selectFrom('indexer_checkpoints').selectAll().executeTakeFirstOrThrow();
    expect(checkpoint).toMatchObject({ block_number: 6, block_hash: '0x6' });
  });

  it('a failed transaction leaves nothing behind', async () => {
    await expect(
      handle.db.transaction().execute(async (trx) => {
        await trx.insertInto('blocks').values({ chain_id: 7, number: 1, hash: '0x1', parent_hash: '0x0', timestamp: 1 }).execute();
        await trx
          .insertInto('price_points')
          .values({ chain_id: 0, asset: 'WETH', source: 'csv', timestamp: 1, price_usd: '1.5', block_number: null })
          .execute();
        throw new Error('crash in the middle of a batch');
      }),
    ).rejects.toThrow('crash in the middle');
    expect(await handle.db.selectFrom('blocks').selectAll().where('chain_id', '=', 7).execute()).toEqual([]);
    expect(await handle.db.selectFrom('price_points').selectAll().execute()).toEqual([]);
  });

  it('enforces the schema: checks and foreign keys reject bad rows', async () => {
    await expect(
      handle.db.insertInto('feature_rows').values({ snapshot_id: 'missing', entity: '0x1', features: '{}', label: null }).execute(),
    ).rejects.toThrow(/foreign key/);
    await expect(
      sql`insert into assets (chain_id, address, symbol, decimals, kind) values (1, '0x1', 'X', 18, 'meme')`.execute(handle.db),
    ).rejects.toThrow(/check constraint/);
  });

  it('exact decimals round-trip for prices', async () => {
    await handle.db
      .insertInto('price_points')
      .values({ chain_id: 0, asset: 'USDC', source: 'csv', timestamp: 2, price_usd: '0.999912345678901234', block_number: null })
      .execute();
    const row = await handle.db.selectFrom('price_points').select('price_usd').where('asset', '=', 'USDC').executeTakeFirstOrThrow();
    expect(row.price_usd).toBe('0.999912345678901234');
  });
});
