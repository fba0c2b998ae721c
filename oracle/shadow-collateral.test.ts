import { ZeroHash } from 'ethers';
import type { ModelRegistry } from '../contracts/build/types';
import { createTestDatabase } from '../core/test/db';
import {
  collateralProposer,
  createCollateralSnapshot,
  evaluateCollateral,
  selectBackend,
  storeCollateralArtifact,
  trainCollateral,
  type CollateralArtifact,
} from '../models';
import { simulateMarket, writeSimulation } from '../sim';
import { DEFAULT_COLLATERAL_MODEL, modelIdOf, proposeFromPrices } from './propose';
import { createLogger, createMetricsRegistry } from '../core';
import { collateralShadowHistory, collateralShadowJob, runCollateralShadow, shadowHistory } from './shadow';
import { shadowBacktest } from './shadow-backtest';

const CHAIN = 31_337;

/** Just the three ModelRegistry reads the shadow step makes: the model in force and the listed candidates. */
function registryStub(state: { active: string; listed: string[] }): ModelRegistry {
  const stub = {
    activeModel: async () => state.active,
    modelIdAt: async (index: number) => state.listed[index - 1] ?? ZeroHash,
    model: async () => ({ status: 1n, kind: 1n }),
  };
  return stub as unknown as ModelRegistry; // a test double: the shadow step calls nothing else
}

describe(`collateral shadow (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const market = simulateMarket({ seed: 4, days: 45 });
  const series = market.assets.map((a) => ({
    symbol: a.symbol,
    prices: Array.from(a.prices),
    liquidity: Array.from(a.liquidity, Math.round), // as the simulation writes it
    ...(a.kind === 'stable' ? { peg: 1 } : {}),
  }));
  const points = (k: number) =>
    series[k]!.prices.map((p, i) => ({ t: market.start + i * market.stepSeconds, p, liquidityUsd: series[k]!.liquidity[i]! }));
  const trained: Array<{ artifact: CollateralArtifact; json: string; modelId: string }> = [];

  beforeAll(async () => {
    await selectBackend('wasm');
    db = await createTestDatabase();
    await writeSimulation(db.db, market, [], { chainId: CHAIN });
    for (const seed of [1, 2]) {
      const t = await trainCollateral(series, {
        ethSymbol: 'WETH',
        stepSeconds: 3_600,
        horizonSteps: 24,
        sampleEvery: 12,
        seed,
        backend: 'wasm',
        quantiles: [0.9, 0.99],
        epochs: 2,
        codeVersion: 'test',
      });
      t.model.model.dispose();
      trained.push(t);
      await storeCollateralArtifact(db.db, t);
    }
  }, 90_000);
  afterAll(async () => {
    await db?.close();
  });

  /** Both proposals recomputed here from the market's prices: what every asset's shadow row must hold. */
  const expected = (at: number, candidate: CollateralArtifact, reference?: CollateralArtifact) => {
    const propose = collateralProposer(candidate);
    const referenceProposer = reference && collateralProposer(reference);
    const eth = points(series.findIndex((s) => s.symbol === 'WETH'));
    return series
      .map((s, k) => {
        const input = { symbol: s.symbol, at, prices: points(k), reference: eth, ...(s.peg ? { peg: s.peg } : {}) };
        const mine = propose(input);
        const theirs = referenceProposer
          ? referenceProposer(input).params
          : proposeFromPrices(points(k), at, DEFAULT_COLLATERAL_MODEL).params;
        return {
          symbol: s.symbol,
          proposed: mine.params,
          reference: theirs,
          diff: {
            ltv: mine.params.ltv - theirs.ltv,
            liquidationThreshold: mine.params.liquidationThreshold - theirs.liquidationThreshold,
            liquidationBonus: mine.params.liquidationBonus - theirs.liquidationBonus,
          },
          predictedMove: mine.explanation.predictedMove,
        };
      })
      .sort((a, b) => (a.symbol < b.symbol ? -1 : 1));
  };

  /** Both backtests recomputed here: `evaluate` of each model on a snapshot of the index up to `at` on the candidate's grid. */
  const expectedBacktest = async (at: number, candidate: CollateralArtifact, reference?: CollateralArtifact) => {
    const row = await db.db
      .selectFrom('price_points')
      .where('chain_id', '=', CHAIN)
      .where('timestamp', '<=', at)
      .select((eb) => eb.fn.max('block_number').as('b'))
      .executeTakeFirstOrThrow();
    const snapshot = await createCollateralSnapshot(db.db, CHAIN, {
      block: Number(row.b),
      stepSeconds: 3_600,
      horizonSteps: 24,
      referenceAsset: 'WETH',
    });
    const ids = { modelId: '0x', snapshotId: 'x' };
    const mine = evaluateCollateral(candidate, ids, snapshot).backtest;
    const theirs = reference ? evaluateCollateral(reference, ids, snapshot).backtest.model : mine.baseline;
    const pick = (p: typeof theirs) => ({ badDebtPct: p.badDebtPct, meanLtv: p.meanLtv, liquidations: p.liquidations });
    return {
      from: mine.from,
      to: mine.to,
      steps: mine.steps,
      candidate: pick(mine.model),
      reference: pick(theirs),
      referenceBasis: reference ? 'model in force' : 'empirical quantile',
    };
  };

  it('beside the empirical-quantile spec while no model is in force: both proposals per asset, recorded once', async () => {
    const [a] = trained;
    const unstored = `0x${'ab'.repeat(32)}`;
    const registry = registryStub({ active: ZeroHash, listed: [a!.modelId, unstored] });
    const run = await runCollateralShadow(db.db, registry, CHAIN);
    const at = market.start + (market.steps - 1) * market.stepSeconds;
    expect(run).toMatchObject({ at, inForce: modelIdOf(DEFAULT_COLLATERAL_MODEL), empirical: true, missing: [unstored] });
    expect(run.results).toHaveLength(1);
    const r = run.results[0]!;
    expect(r.skipped).toEqual([]);
    expect(r.assets).toEqual(expected(at, a!.artifact));
    expect(r.assets.map((x) => x.symbol)).toEqual(['DAI', 'GOV', 'USDC', 'WBTC', 'WETH']);
    expect(r.maxAbsLtDiff).toBe(Math.max(...r.assets.map((x) => Math.abs(x.diff.liquidationThreshold))));
    // both policies walked forward over the same indexed window, the reference being the empirical quantile
    expect(r.backtest).toEqual(await expectedBacktest(at, a!.artifact));
    expect((r.backtest as { steps: number }).steps).toBeGreaterThan(100);

    await runCollateralShadow(db.db, registry, CHAIN); // the same time again: nothing new
    const history = await collateralShadowHistory(db.db, CHAIN, a!.modelId);
    expect(history).toEqual([r]);
    expect(await shadowHistory(db.db, CHAIN, a!.modelId)).toEqual([]); // the credit history holds credit rows only
  });

  it('beside the collateral model in force once there is one, at an earlier time', async () => {
    const [a, b] = trained;
    const at = market.start + (market.steps - 100) * market.stepSeconds;
    const run = await runCollateralShadow(db.db, registryStub({ active: b!.modelId, listed: [a!.modelId] }), CHAIN, at);
    expect(run).toMatchObject({ at, inForce: b!.modelId, empirical: false, missing: [] });
    expect(run.results[0]!.assets).toEqual(expected(at, a!.artifact, b!.artifact));
    const backtest = await expectedBacktest(at, a!.artifact, b!.artifact);
    expect(run.results[0]!.backtest).toEqual(backtest);
    expect(backtest.reference).not.toEqual((await expectedBacktest(at, a!.artifact)).reference); // not the empirical one
    // too little history before the time for a window: the backtest says why, the proposals still compare
    const early = await shadowBacktest(db.db, CHAIN, market.start + 20 * 86_400, { ...b!, modelId: b!.modelId }, a!);
    expect(early).toEqual({ unavailable: expect.stringContaining('a row needs') });
    expect((await collateralShadowHistory(db.db, CHAIN, a!.modelId)).map((h) => [h.at, h.referenceModelId])).toEqual([
      [at, b!.modelId],
      [market.start + (market.steps - 1) * market.stepSeconds, modelIdOf(DEFAULT_COLLATERAL_MODEL)],
    ]);
    await expect(runCollateralShadow(db.db, registryStub({ active: `0x${'cd'.repeat(32)}`, listed: [] }), CHAIN)).rejects.toThrow(
      `the collateral model in force (0x${'cd'.repeat(32)}) has no stored artifact: risk-oracle model import --artifact FILE`,
    );
  });

  it("the daemon's job records a step and sets its gauges per candidate", async () => {
    const [, b] = trained;
    const metrics = createMetricsRegistry();
    const registry = registryStub({ active: ZeroHash, listed: [b!.modelId] });
    await collateralShadowJob({ db: db.db, registry, chainId: CHAIN, metrics, log: createLogger({ level: 'silent' }) })();
    const [recorded] = await collateralShadowHistory(db.db, CHAIN, b!.modelId);
    expect(recorded!.referenceModelId).toBe(modelIdOf(DEFAULT_COLLATERAL_MODEL));
    const text = await metrics.metrics();
    expect(text).toContain(`risk_oracle_collateral_shadow_mean_abs_lt_diff_bps{model="${b!.modelId}"} ${recorded!.meanAbsLtDiff}`);
    expect(text).toContain(`risk_oracle_collateral_shadow_max_abs_lt_diff_bps{model="${b!.modelId}"} ${recorded!.maxAbsLtDiff}`);
    const bt = recorded!.backtest as { candidate: { badDebtPct: number }; reference: { meanLtv: number } };
    expect(text).toContain(
      `risk_oracle_collateral_shadow_backtest_bad_debt_pct{model="${b!.modelId}",policy="candidate"} ${bt.candidate.badDebtPct}`,
    );
    expect(text).toContain(
      `risk_oracle_collateral_shadow_backtest_mean_ltv{model="${b!.modelId}",policy="reference"} ${bt.reference.meanLtv}`,
    );
  });

  it("the daemon's job is a no-op without collateral candidates, even on a chain with no indexed prices yet", async () => {
    const job = (listed: string[]) =>
      collateralShadowJob({
        db: db.db,
        registry: registryStub({ active: ZeroHash, listed }),
        chainId: CHAIN + 1,
        metrics: createMetricsRegistry(),
        log: createLogger({ level: 'silent' }),
      })();
    await expect(job([])).resolves.toBeUndefined();
    // with a candidate, the same empty chain is an error naming what is missing
    await expect(job([trained[0]!.modelId])).rejects.toThrow(`no indexed prices on chain ${CHAIN + 1}: index first`);
  });
});
