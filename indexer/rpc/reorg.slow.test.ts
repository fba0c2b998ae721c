import { createTestDatabase } from '../../core/test/db';
import { rng } from '../testing/market';
import { rewindableActivity, startTestChain, type TestChain } from '../testing/setup';
import { indexedRows } from '../testing/snapshot';
import { runIndexer } from './runner';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

/**
 * Reorgs: the chain is rewound with evm_snapshot/evm_revert by 1–64 blocks and rebuilt with other transactions,
 * 50 times, while one database follows it; at the end it must hold exactly what a fresh index of the final
 * chain holds, row for row.
 */
describe(`reorgs (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  let chain: TestChain;
  let a: TestDb;
  let b: TestDb;
  beforeAll(async () => {
    [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    chain = await startTestChain({ wallets: 20 });
  });
  afterAll(async () => {
    await chain.stop();
    await a.close();
    await b.close();
  });

  it('after 50 random reorgs of depth 1–64 the tables equal a fresh index of the final chain', async () => {
    const random = rng(7);
    const { provider, market } = chain;
    const { head: headNumber, mine, rewind } = rewindableActivity(chain, random, 4);
    const index = (h: TestDb) =>
      runIndexer({
        db: h,
        provider,
        addresses: market.addresses,
        fromBlock: 0,
        finalityDepth: 100,
        blockRange: 5 + Math.floor(random() * 40),
      });

    await mine(70);
    let reorgs = 0;
    const depths: number[] = [];
    for (let i = 0; i < 50; i++) {
      const result = await index(a);
      reorgs += result.reorgs.length;
      const head = await headNumber();
      const depth = 1 + Math.floor(random() * Math.min(64, head - 1));
      depths.push(depth);
      const base = head - depth;
      if (!(await rewind(base))) throw new Error(`no snapshot at ${base} (head ${head}, depth ${depth})`);
      // a different history: sometimes shorter than the one it replaces, usually longer
      await mine(Math.max(1, depth + Math.floor(random() * 8) - 3));
    }
    const final = await index(a);
    reorgs += final.reorgs.length;
    expect(reorgs).toBeGreaterThanOrEqual(45); // a replaced block may, by chance, hash the same
    expect(Math.max(...depths)).toBeGreaterThan(50);
    await index(b);
    const expected = await indexedRows(b.db, chain.anvil.chainId);
    expect(expected.lending_events!.length).toBeGreaterThan(100);
    expect(await indexedRows(a.db, chain.anvil.chainId)).toEqual(expected);
  }, 240_000);
});
