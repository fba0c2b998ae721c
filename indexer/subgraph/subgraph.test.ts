import { createTestDatabase } from '../../core/test/db';
import { startGraphqlServer, type GraphqlServer } from '../testing/graphql-server';
import { eventCount, generateFixtures, type FixtureCounts, type SubgraphFixtures } from '../testing/subgraph-fixtures';
import { rollbackTo } from '../store/batch';
import { runSubgraphIndexer, type SubgraphIndexerOptions } from '.';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

const CHAIN = 1;
const API_KEY = 'sk-test-5f2c9a71d04e88b3';
const COUNTS: FixtureCounts = {
  supplies: 2_300,
  redeemUnderlyings: 300,
  borrows: 700,
  repays: 400,
  liquidationCalls: 80,
  priceHistoryItems: 600,
};

/** Everything the subgraph source writes, in key order (for comparing runs row for row). */
async function rows(h: TestDb): Promise<Record<string, unknown[]>> {
  return {
    lending_events: await h.db.selectFrom('lending_events').selectAll().orderBy('tx_hash').orderBy('log_index').execute(),
    price_points: await h.db.selectFrom('price_points').selectAll().orderBy('asset').orderBy('timestamp').execute(),
    assets: await h.db.selectFrom('assets').selectAll().orderBy('address').execute(),
  };
}

async function clear(h: TestDb): Promise<void> {
  for (const t of ['lending_events', 'price_points', 'assets', 'indexer_checkpoints'] as const) await h.db.deleteFrom(t).execute();
}

describe(`subgraph indexer (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  let fixtures: SubgraphFixtures;
  let server: GraphqlServer;
  let a: TestDb;
  let reference: Record<string, unknown[]>;

  const index = (h: TestDb, extra: Partial<SubgraphIndexerOptions> = {}) =>
    runSubgraphIndexer({
      db: h,
      endpoint: server.url,
      apiKey: API_KEY,
      chainId: CHAIN,
      requestsPerSecond: 1_000,
      retry: { retries: 4, baseDelayMs: 5, maxDelayMs: 20 },
      ...extra,
    });

  beforeAll(async () => {
    fixtures = generateFixtures(7, COUNTS);
    [a, server] = await Promise.all([createTestDatabase(), startGraphqlServer(fixtures, { apiKey: API_KEY })]);
    await index(a);
    reference = await rows(a); // one uninterrupted run: what every other run must end in
  });
  afterAll(async () => {
    await server?.close();
    await a?.close();
  });
  beforeEach(async () => {
    server.setFixtures(fixtures);
    await clear(a);
  });

  it('pages through every list, maps the entities, and a second run adds nothing', async () => {
    const first = await index(a);
    expect(first.items.supplies).toBe(COUNTS.supplies); // 3 pages of 1000
    expect(first.pages).toBeGreaterThanOrEqual(8);
    expect(first.assets).toBe(fixtures.reserves.length);
    expect(await rows(a)).toEqual(reference);
    expect(reference.lending_events).toHaveLength(eventCount(fixtures));
    expect(reference.price_points).toHaveLength(fixtures.priceHistoryItems.length);
    expect(reference.assets).toHaveLength(fixtures.reserves.length);
    expect(new Set(reference.lending_events!.map((r) => (r as { source: string }).source))).toEqual(new Set(['subgraph']));

    const supply = fixtures.supplies[0]!;
    const [block, , , logIndex] = supply.id.split(':');
    const row = await a.db.selectFrom('lending_events').selectAll().where('tx_hash', '=', supply.txHash).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      chain_id: CHAIN,
      block_number: Number(block),
      log_index: Number(logIndex),
      kind: 'supply',
      reserve: supply.reserve.underlyingAsset,
      user_address: supply.caller.id,
      on_behalf_of: supply.user.id,
      amount: supply.amount,
      timestamp: supply.timestamp,
    });
    const liq = fixtures.liquidationCalls[0]!;
    expect(await a.db.selectFrom('lending_events').selectAll().where('tx_hash', '=', liq.txHash).executeTakeFirstOrThrow()).toMatchObject({
      kind: 'liquidation',
      reserve: liq.collateralReserve.underlyingAsset,
      debt_asset: liq.principalReserve.underlyingAsset,
      amount: liq.principalAmount,
      liquidated_collateral_amount: liq.collateralAmount,
      liquidator: liq.liquidator,
    });

    const before = server.requests;
    const again = await index(a);
    expect(again.pages).toBeLessThanOrEqual(6); // the last timestamp of each list, read again
    expect(server.requests - before).toBeLessThan(20);
    expect(await rows(a)).toEqual(reference);
    const cps = await a.db.selectFrom('indexer_checkpoints').selectAll().orderBy('source').execute();
    expect(cps.map((c) => c.source)).toContain('subgraph:aave-v3:supplies');
  });

  it('a reorg rollback below its cursors rewinds them: the next run restores every deleted row', async () => {
    await index(a);
    const sorted = [...fixtures.supplies].sort((x, y) => x.timestamp - y.timestamp);
    const middle = sorted[Math.floor(sorted.length / 2)]!;
    const ancestor = { number: Number(middle.id.split(':')[0]), hash: `0x${'cd'.repeat(32)}` };
    for (const known of [true, false]) {
      if (known)
        await a.db
          .insertInto('blocks')
          .values({
            chain_id: CHAIN,
            number: ancestor.number,
            hash: ancestor.hash,
            parent_hash: `0x${'00'.repeat(32)}`,
            timestamp: middle.timestamp,
          })
          .execute();
      await rollbackTo(a, CHAIN, ancestor);
      const left = await a.db
        .selectFrom('lending_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(left.n)).toBeLessThan(eventCount(fixtures));
      const cp = await a.db
        .selectFrom('indexer_checkpoints')
        .selectAll()
        .where('source', '=', 'subgraph:aave-v3:supplies')
        .executeTakeFirstOrThrow();
      expect(cp.block_number).toBe(ancestor.number);
      // with the ancestor's time known the cursor restarts at that time, else at the beginning
      expect(cp.cursor).toBe(known ? JSON.stringify({ timestamp: middle.timestamp, id: '' }) : null);
      await index(a);
      expect(await rows(a)).toEqual(reference);
      await a.db.deleteFrom('blocks').where('chain_id', '=', CHAIN).execute();
    }
  });

  it('resumes from the cursor after an abort midway: the same rows as one uninterrupted run', async () => {
    // small pages, so that pages end inside a timestamp and the "rest of this timestamp" query is exercised; each
    // run stops once it has read ~500 items (a resumed run first reads its cursor's timestamp again, a page per list)
    let stops = 0;
    let finished = false;
    for (let run = 0; run < 30 && !finished; run++) {
      const controller = new AbortController();
      let read = 0;
      const result = await index(a, {
        pageSize: 233,
        signal: controller.signal,
        onPage: ({ items }) => {
          if ((read += items) >= 500) controller.abort();
        },
      });
      finished = !result.aborted;
      if (result.aborted) stops++;
      const count = await a.db
        .selectFrom('lending_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(count.n)).toBeLessThanOrEqual(eventCount(fixtures));
    }
    expect(finished).toBe(true);
    expect(stops).toBeGreaterThanOrEqual(5);
    expect(await rows(a)).toEqual(reference);
  });

  it("a later run picks up items added at its cursor's timestamp, even with ids that sort lower (L2 blocks)", async () => {
    await index(a, { entities: ['supplies'] });
    const grown = structuredClone(fixtures);
    const last = grown.supplies.reduce((x, y) => (y.timestamp > x.timestamp || (y.timestamp === x.timestamp && y.id > x.id) ? y : x));
    const txHash = `0x${'ab'.repeat(32)}`;
    grown.supplies.push({ ...last, id: `100:0:${txHash}:1:0`, txHash }); // "100:…" < "17…:…"
    server.setFixtures(grown);
    await index(a, { entities: ['supplies'] });
    expect(await a.db.selectFrom('lending_events').selectAll().where('tx_hash', '=', txHash).execute()).toHaveLength(1);
    expect(await a.db.selectFrom('lending_events').selectAll().execute()).toHaveLength(fixtures.supplies.length + 1);
  });

  it('keeps to the requests-per-second limit', async () => {
    const started = Date.now();
    const result = await index(a, { entities: ['liquidationCalls'], pageSize: 20, requestsPerSecond: 20 });
    expect(result.requests).toBeGreaterThanOrEqual(6); // reserves, 4 pages, the empty end
    expect(Date.now() - started).toBeGreaterThanOrEqual((result.requests - 1) * 50 - 5);
  });

  it('retries injected 429 and 500 answers', async () => {
    server.failNext(429, 500); // on the reserves query
    let pages = 0;
    const result = await index(a, { onPage: () => (++pages === 2 ? server.failNext(429, 500, 503, 429) : undefined) });
    expect(result.retries).toBe(6);
    expect(await rows(a)).toEqual(reference);
  });

  it('stops after the retries are spent, naming the endpoint and the cursor, and resumes', async () => {
    let pages = 0;
    const failing = index(a, { onPage: () => (++pages === 3 ? server.failNext(...Array<number>(5).fill(500)) : undefined) });
    await expect(failing).rejects.toThrow(
      /^subgraph http:\/\/127\.0\.0\.1:\d+\/\S+: \w+ after \(timestamp \d+, id \S+\): answered HTTP 500: injected HTTP 500 \(committed up to here; run again to resume\)$/,
    );
    await index(a);
    expect(await rows(a)).toEqual(reference);
  });

  it('a wrong API key gives a clear error naming the endpoint, with the key redacted', async () => {
    const wrong = 'sk-wrong-0a1b2c3d4e5f6789';
    const err = (await index(a, { apiKey: wrong, endpoint: `${server.url}?key=${wrong}` }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(
      /subgraph http:\/\/127\.0\.0\.1:\d+\/subgraphs\/name\/aave\/protocol-v3\?key=\[redacted\]: reserves: refused the API key \(HTTP 401: auth error/,
    );
    expect(err.message).not.toContain(wrong);
    expect(err.message).not.toContain(API_KEY);
    expect(await a.db.selectFrom('lending_events').selectAll().execute()).toEqual([]);
  });

  it('a malformed value stops with the entity, id and field named, and nothing from that page is written', async () => {
    const broken = structuredClone(fixtures);
    const ordered = broken.supplies.slice().sort((x, y) => x.timestamp - y.timestamp || (x.id < y.id ? -1 : 1));
    const bad = ordered[1_500]!; // after the first page of 1000
    bad.amount = '12e5';
    server.setFixtures(broken);
    const err = (await index(a, { entities: ['supplies'] }).catch((e: unknown) => e)) as Error;
    expect(err.message).toContain(`supplies ${bad.id}: field amount is "12e5", not an unsigned integer`);
    expect(err.message).toMatch(/^subgraph http:\/\/127\.0\.0\.1:\d+\/\S+: supplies after \(timestamp \d+, id [^)]+\)/);
    expect(err.message).toContain('nothing from this page was written');
    // what is stored is exactly the pages before the broken one: a prefix of the list, at least a page, short of it
    const written = new Set((await a.db.selectFrom('lending_events').select('tx_hash').execute()).map((r) => r.tx_hash));
    expect(written.size).toBeGreaterThanOrEqual(1_000);
    expect(written.size).toBeLessThanOrEqual(1_500);
    expect(written).toEqual(new Set(ordered.slice(0, written.size).map((s) => s.txHash)));
  });
});
