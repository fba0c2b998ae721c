import { createTestDatabase } from '../../core/test/db';
import { generateWallets, marketView, simulateMarket, walletView, writeSimulation } from '../../sim';
import { CREDIT_FEATURES, creditFeatures, creditLabel } from './features';
import { creditFeaturesSql, creditLabelsSql } from './features-sql';
import { creditObservations, scoreWalletsFromDb, trainCreditFromDb } from './pipeline';
import { selectBackend } from '../backend';
import { DAY, fixtureHistory, fixtureMarket, T0, USDC, WETH } from './test-fixtures';

type Handle = Awaited<ReturnType<typeof createTestDatabase>>;

/** Relative agreement: SQL sums in another order than JavaScript, so the last bits may differ. */
function expectSame(sqlRow: Float64Array, tsRow: Float64Array, what: string): void {
  CREDIT_FEATURES.forEach((f, j) => {
    const a = sqlRow[j]!;
    const b = tsRow[j]!;
    if (Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(b))) throw new Error(`${what}: ${f.name} is ${a} in SQL, ${b} in TypeScript`);
  });
}

describe('credit features in SQL', () => {
  let h: Handle;
  beforeAll(async () => {
    h = await createTestDatabase();
  });
  afterAll(async () => {
    await h.close();
  });

  it('the hand-computed fixture gives the same features in SQL as in TypeScript', async () => {
    const chainId = 7;
    const market = fixtureMarket();
    const history = fixtureHistory();
    await h.db
      .insertInto('assets')
      .values([
        { chain_id: chainId, address: WETH, symbol: 'WETH', decimals: 18, kind: 'eth', price_feed: null },
        { chain_id: chainId, address: USDC, symbol: 'USDC', decimals: 6, kind: 'stable', price_feed: null },
      ])
      .execute();
    for (const [asset, series] of market.prices) {
      await h.db
        .insertInto('price_points')
        .values(
          Array.from(series.t, (t, i) => ({
            chain_id: chainId,
            asset,
            source: 'chainlink',
            timestamp: t,
            price_usd: String(series.p[i]!),
            block_number: null,
          })),
        )
        .execute();
    }
    const decimals = (a: string) => (a === WETH ? 18n : 6n);
    await h.db
      .insertInto('lending_events')
      .values(
        history.events.map((e, k) => ({
          chain_id: chainId,
          block_number: e.block,
          tx_hash: `0x${k.toString(16).padStart(64, '0')}`,
          log_index: k,
          timestamp: e.timestamp,
          kind: e.kind,
          reserve: e.asset,
          user_address: history.wallet,
          on_behalf_of: null,
          amount: (BigInt(Math.round(e.amount * 1e6)) * 10n ** (decimals(e.kind === 'liquidation' ? USDC : e.asset) - 6n)).toString(),
          interest_rate_mode: null,
          use_a_tokens: null,
          debt_asset: e.kind === 'liquidation' ? USDC : null,
          liquidated_collateral_amount: e.collateralAmount ? (BigInt(e.collateralAmount) * 10n ** 18n).toString() : null,
          liquidator: null,
        })),
      )
      .execute();
    await h.db
      .insertInto('health_factors')
      .values(
        history.snapshots.map((s) => ({
          chain_id: chainId,
          wallet: history.wallet,
          block_number: s.block,
          timestamp: s.timestamp,
          collateral_usd: String(s.collateralUsd),
          debt_usd: String(s.debtUsd),
          health_factor: s.healthFactor === null ? null : String(s.healthFactor),
        })),
      )
      .execute();
    const observations = [12, 2, 0, 20].map((d) => ({ wallet: history.wallet, t: T0 + d * DAY }));
    const rows = await creditFeaturesSql(h.db, chainId, observations);
    observations.forEach((o, k) => expectSame(rows[k]!, creditFeatures(history, o.t, market), `day ${(o.t - T0) / DAY}`));
    const labels = await creditLabelsSql(h.db, chainId, observations, 30 * DAY);
    expect(Array.from(labels)).toEqual(observations.map((o) => creditLabel(history, o.t, 30 * DAY)));
    expect(Array.from(labels)).toEqual([1, 1, 1, 0]);
    // unknown wallets get the empty-history features
    const [none] = await creditFeaturesSql(h.db, chainId, [{ wallet: '0xnobody', t: T0 + 12 * DAY }]);
    expectSame(none!, creditFeatures({ wallet: '0xnobody', events: [], snapshots: [] }, T0 + 12 * DAY, market), 'empty');
  });

  it('simulated wallets written like the indexer writes them: SQL features and labels equal the in-memory ones', async () => {
    const chainId = 31_337;
    const market = simulateMarket({ seed: 21, days: 90 });
    const wallets = generateWallets(market, { seed: 21, count: 300 });
    const written = await writeSimulation(h, market, wallets, { chainId });
    expect(written.events).toBe(wallets.reduce((s, w) => s + w.events.length, 0));
    // idempotent: writing again adds nothing
    await writeSimulation(h, market, wallets, { chainId });
    const count = await h.db
      .selectFrom('lending_events')
      .where('chain_id', '=', chainId)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(written.events);

    const view = marketView(market);
    const views = wallets.map((w) => walletView(market, w));
    const observations = views.map((v) => ({ wallet: v.wallet, t: v.observedAt }));
    const rows = await creditFeaturesSql(h.db, chainId, observations);
    views.forEach((v, k) => expectSame(rows[k]!, creditFeatures(v, v.observedAt, view), v.wallet));
    const labels = await creditLabelsSql(h.db, chainId, observations, 30 * DAY);
    expect(Array.from(labels)).toEqual(views.map((v) => creditLabel(v, v.observedAt, 30 * DAY)));
    expect(Array.from(labels)).toEqual(wallets.map((w) => (w.hidden.defaulted ? 1 : 0)));
  });

  it('trains from the indexed tables and scores every wallet with the published (canonical) model', async () => {
    const chainId = 31_337; // written by the previous test
    await selectBackend('wasm');
    const horizonSeconds = 3 * DAY;
    const observations = await creditObservations(h.db, chainId, { horizonSeconds, everyDays: 4 });
    expect(observations.length).toBeGreaterThan(50);
    expect(observations.every((o, i) => i === 0 || o.t >= observations[i - 1]!.t)).toBe(true);
    const trained = await trainCreditFromDb(h.db, chainId, {
      seed: 1,
      horizonSeconds,
      everyDays: 4,
      hidden: [8],
      epochs: 3,
      backend: 'wasm',
      codeVersion: 'test',
    });
    expect(trained.modelId).toMatch(/^0x[0-9a-f]{64}$/);
    const t = observations[observations.length - 1]!.t;
    const scores = await scoreWalletsFromDb(h.db, chainId, trained.artifact, t);
    expect(scores.length).toBeGreaterThan(100);
    for (const s of scores.slice(0, 20)) {
      expect(s.score).toBeGreaterThanOrEqual(300);
      expect(s.score).toBeLessThanOrEqual(850);
      expect(s.pd).toBeGreaterThan(0n);
    }
    await expect(creditObservations(h.db, 999, { horizonSeconds })).rejects.toThrow('no lending events on chain 999');
  });
});
