import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase } from '../../core/test/db';
import { rng } from '../testing/market';
import { rewindableActivity, startTestChain, type TestChain } from '../testing/setup';
import { indexedRows } from '../testing/snapshot';
import { runIndexer, type RunIndexerOptions } from './runner';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;
const url = process.env.DATABASE_URL;
const FINALITY = 8;

/**
 * Range workers and reorgs together (Postgres): three workers follow a chain that keeps reorganising above the
 * finality depth (evm_snapshot / evm_revert, then other transactions), claiming final ranges while the tail is
 * replaced; the tables end exactly as a clean index of the final chain leaves them.
 */
(url ? describe : describe.skip)(`range workers under reorgs${url ? '' : ' (skipped: set DATABASE_URL to run)'}`, () => {
  let chain: TestChain;
  const dbs: TestDb[] = [];
  beforeAll(async () => {
    chain = await startTestChain({ wallets: 20 });
  });
  afterAll(async () => {
    await chain.stop();
    for (const db of dbs) await db.close();
  });

  it('workers indexing final ranges while the chain reorgs end in the rows of a clean run of the final chain', async () => {
    const random = rng(17);
    const { provider, market } = chain;
    const { head: headNumber, mine, rewind } = rewindableActivity(chain, random, 6);
    const [db, clean] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    dbs.push(db, clean);
    const options = (extra: Partial<RunIndexerOptions>): RunIndexerOptions => ({
      db,
      provider,
      addresses: market.addresses,
      fromBlock: 0,
      finalityDepth: FINALITY,
      blockRange: 2,
      maxBlockRange: 4,
      pollIntervalMs: 20,
      workers: 3,
      ...extra,
    });

    await mine(30);
    const stop = new AbortController();
    const byWorker = new Set<number>();
    let workerBlocks = 0; // final blocks committed by workers after the chain first reorganised
    let reorgs = 0;
    const following = runIndexer(
      options({
        follow: true,
        signal: stop.signal,
        onBatch: (b) => {
          if (b.worker === undefined) return;
          byWorker.add(b.worker);
          if (reorgs > 0) workerBlocks += b.to - b.from + 1;
        },
      }),
    );
    following.catch(() => undefined); // awaited below
    let highest = await headNumber(); // no reorg may reach below highest − FINALITY: those blocks are final
    for (let i = 0; i < 25; i++) {
      await sleep(40 + Math.floor(random() * 120)); // the workers and the tail move on meanwhile
      const head = await headNumber();
      const base = Math.max(head - 1 - Math.floor(random() * FINALITY), highest - FINALITY);
      if (base < head && (await rewind(base))) reorgs++;
      // a different history, sometimes shorter than the one it replaced
      await mine(1 + Math.floor(random() * (FINALITY + 2)));
      highest = Math.max(highest, await headNumber());
    }
    await sleep(300);
    stop.abort();
    const followed = await following;
    // one last pass after the chain settled (the follower may have stopped mid-way)
    const last = await runIndexer(options({}));
    expect(reorgs).toBeGreaterThanOrEqual(20);
    expect(followed.reorgs.length + last.reorgs.length).toBeGreaterThan(0);
    expect(byWorker.size).toBeGreaterThan(1); // final ranges really were claimed by several workers while it reorganised
    expect(workerBlocks).toBeGreaterThan(FINALITY); // more than one finality window of blocks, claimed while reorganising

    await runIndexer({ ...options({ db: clean }), workers: undefined });
    const expected = await indexedRows(clean.db, chain.anvil.chainId);
    expect(expected.lending_events!.length).toBeGreaterThan(50);
    const { blocks, ...rows } = await indexedRows(db.db, chain.anvil.chainId);
    const { blocks: cleanBlocks, ...expectedRows } = expected;
    expect(rows).toEqual(expectedRows);
    // the headers kept for reorg detection depend on the history seen (a block once unfinalized keeps its header
    // until the window passes it): each is the final chain's, and the unfinalized tail is all there
    const head = await headNumber();
    for (const b of blocks as Array<{ number: number; hash: string; parent_hash: string }>) {
      const onChain = (await provider.getBlock(Number(b.number)))!;
      expect({ number: Number(b.number), hash: b.hash, parent: b.parent_hash }).toEqual({
        number: onChain.number,
        hash: onChain.hash,
        parent: onChain.parentHash,
      });
    }
    const kept = new Set((blocks as Array<{ number: number }>).map((b) => Number(b.number)));
    for (let n = head - FINALITY + 1; n <= head; n++) expect(kept.has(n)).toBe(true);
    expect(cleanBlocks!.length).toBeGreaterThan(0);
    expect(await db.db.selectFrom('indexer_ranges').selectAll().execute()).toEqual([]);
  }, 180_000);
});
