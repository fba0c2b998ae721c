import { createTestDatabase } from '../../core/test/db';
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

  const borrow = (mode: number, block: number, tx: string) => ({
    chain_id: 1,
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
});
