import { createTestDatabase } from '../../core/test/db';
import type { Store } from '../store/bulk';
import { rollbackTo } from '../store/batch';
import { derivePositions } from './positions';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

/**
 * Stable-rate debt is not followed (Aave v3.2 removed it; the local market has it off): a stable borrow must stop
 * the derivation with an error naming it, never be counted as variable debt.
 */
describe('position derivation', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDatabase();
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });

  const borrow = (mode: number, block: number, tx: string, chainId = 1) => ({
    chain_id: chainId,
    block_number: block,
    tx_hash: tx,
    log_index: 0,
    timestamp: 1_700_000_000 + block,
    kind: 'borrow' as const,
    reserve: '0x00000000000000000000000000000000000000aa',
    user_address: '0x00000000000000000000000000000000000000b0',
    on_behalf_of: '0x00000000000000000000000000000000000000b0',
    amount: '1000',
    interest_rate_mode: mode,
    use_a_tokens: null,
    debt_asset: null,
    liquidated_collateral_amount: null,
    liquidator: null,
  });

  it('refuses a stable-rate borrow with an error naming the wallet, block and transaction, and derives nothing past it', async () => {
    await db.db
      .insertInto('lending_events')
      .values([borrow(2, 5, '0x05'), borrow(1, 7, '0x07')])
      .execute();
    await expect(derivePositions(db, 1, 10)).rejects.toThrow(
      /stable-rate borrow of 1000 of reserve 0x0+aa by wallet 0x0+b0 at block 7 \(tx 0x07\)/,
    );
    const rows = await db.db.selectFrom('wallet_positions').selectAll().execute();
    expect(rows).toEqual([]); // the window's transaction rolled back: not even the variable borrow before it
    await expect(derivePositions(db, 1, 6)).resolves.toBeUndefined(); // up to the block before it derives
    expect(await db.db.selectFrom('wallet_positions').select(['block_number', 'debt']).execute()).toEqual([
      { block_number: 5, debt: '1000' },
    ]);
  });

  it('starts a window from what the previous one left in memory only while the stored checkpoint is the one it wrote', async () => {
    const supply = (amount: string, block: number, tx: string) => ({
      ...borrow(2, block, tx, 2),
      kind: 'supply' as const,
      amount,
      interest_rate_mode: null,
    });
    const collateralAt = async (block: number) =>
      (
        await db.db
          .selectFrom('wallet_positions')
          .select('collateral')
          .where('chain_id', '=', 2)
          .where('block_number', '=', block)
          .executeTakeFirst()
      )?.collateral;
    await db.db
      .insertInto('lending_events')
      .values(supply('1000', 4, '0x14'))
      .execute();
    await derivePositions(db, 2, 5); // this process keeps 1000 supplied at block 5
    expect(await collateralAt(4)).toBe('1000');
    // a reorg replaces block 4, and another process (another store) derives up to block 5 again
    await rollbackTo(db, 2, { number: 3, hash: '0x03' });
    await db.db
      .insertInto('lending_events')
      .values(supply('2000', 4, '0x24'))
      .execute();
    const other: Store = { db: db.db, pool: db.pool };
    await derivePositions(other, 2, 5);
    expect(await collateralAt(4)).toBe('2000');
    // same checkpoint block as this process left, another window wrote it: the store's positions, not memory's
    await db.db
      .insertInto('lending_events')
      .values(supply('10', 8, '0x18'))
      .execute();
    await derivePositions(db, 2, 10);
    expect(await collateralAt(8)).toBe('2010');
  });
});
