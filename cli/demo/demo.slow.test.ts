import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runDemo } from './run';

describe('risk-oracle demo', () => {
  it('runs end to end and writes a report with charts and a summary that matches the chain', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'ro-demo-'));
    const summary = await runDemo({
      outDir: out,
      // the default market (90 days, 200 agents): what a newcomer's first run shows
      days: 90,
      quiet: true,
      databaseUrl: process.env.DATABASE_URL,
      wallets: 200,
      trainingWallets: 6_000,
    });
    expect(summary.rounds.map((r) => r.symbol)).toEqual(['WETH', 'WBTC', 'USDC', 'GOV']);
    for (const r of summary.rounds.filter((x) => x.publishable)) {
      expect(r.round).toBe(2);
      expect(r.ltv).toBeLessThanOrEqual(r.liquidationThreshold);
      expect(Math.floor((r.liquidationThreshold * r.liquidationBonus + 5_000) / 10_000)).toBeLessThanOrEqual(10_000);
    }
    // the stablecoin stays under the DAO's 85 % cap
    expect(summary.rounds.find((r) => r.symbol === 'USDC')!.liquidationThreshold).toBeLessThanOrEqual(8_500);
    expect(summary.gas.publishBatch4Assets).toBeGreaterThan(0);
    // Aave's own configuration now equals what the oracle published last
    for (const a of summary.aave.filter((x) => x.round === 2)) {
      const r = summary.rounds.find((x) => x.symbol === a.symbol)!;
      expect(a.after).toEqual({ ltv: r.ltv, liquidationThreshold: r.liquidationThreshold, liquidationBonus: r.liquidationBonus });
    }
    expect(summary.aave.length).toBe(2 * summary.rounds.filter((r) => r.publishable).length);
    expect(summary.verify).toEqual({
      checked: 2 * summary.rounds.filter((r) => r.publishable).length,
      mismatches: 0,
      differences: [],
      epochsChecked: 1,
      // the 200 agents and the liquidity provider: every wallet with indexed history
      scoresChecked: 201,
      epochMismatches: 0,
    });

    // the DAO's tighter bound, passed by vote, is what the next round published and Aave applied
    const gov = summary.rounds.find((r) => r.symbol === 'GOV')!;
    // promote a community model, uphold a dispute, tighten GOV
    expect(summary.dao.proposals).toHaveLength(3);
    expect(gov.ltv).toBe(summary.dao.tightened.publishedLtv);
    expect(gov.ltv).toBeLessThanOrEqual(summary.dao.tightened.maxLtvAfter);
    expect(summary.dao.tightened.maxLtvAfter).toBeLessThan(summary.aave.find((a) => a.symbol === 'GOV' && a.round === 1)!.after.ltv);

    // the on-chain market: 200 agents on Aave V3, a bot that liquidated some of them after the crash, and the
    // indexer's rows of the demo's own chain matching the chain's events kind for kind
    const mk = summary.market;
    expect(mk.agents).toBe(200);
    expect(Object.values(mk.byType).reduce((a, b) => a + b, 0)).toBe(200);
    expect(mk.reverted).toBe(0);
    expect(mk.events.borrow).toBe(mk.loans.opened);
    expect(mk.liquidations.bot).toBeGreaterThan(0);
    expect(mk.liquidations.accounts).toBeGreaterThan(0);
    expect(mk.indexed.events).toEqual(mk.events);
    expect(mk.indexed.total).toBe(Object.values(mk.events).reduce((a, b) => a + b, 0));
    expect(mk.indexed.prices).toBeGreaterThanOrEqual(mk.priceUpdates);
    expect(mk.scores).toHaveLength(200);
    // the careful borrowers score higher on average than the leveraged ones, though the model never saw a type
    const mean = (t: string) => {
      const xs = mk.scores.filter((x) => x.type === t).map((x) => x.score);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    expect(mean('careful')).toBeGreaterThan(mean('leveraged'));

    // credit: a model between chance and the Bayes limit, one honest epoch, one tampered epoch invalidated
    expect(summary.credit.auc).toBeGreaterThan(0.7);
    expect(summary.credit.auc).toBeLessThanOrEqual(summary.credit.bayesAuc! + 0.02);
    expect(summary.epochs.map((e) => [e.epoch, e.wallets, e.invalidated])).toEqual([
      [1, 201, false],
      [2, 201, true],
    ]);

    // the community path: three bonded submissions on one snapshot; the oversold claim alone fails to reproduce, is
    // disputed and rejected by vote (both bonds to the watcher); the promoted model is the one epoch 1 was scored with
    const c = summary.community;
    expect(c.snapshot.rows).toBeGreaterThan(0);
    expect(c.snapshot.positives).toBeGreaterThan(0);
    expect(c.submissions.map((s) => [s.check.reproduced, s.status, s.check.dispute !== undefined])).toEqual([
      [true, 'active', false],
      [true, 'candidate', false],
      [false, 'rejected', true],
    ]);
    expect(c.submissions[2]!.claimedAuc).toBeCloseTo(c.submissions[2]!.check.auc + 0.05, 12);
    expect(BigInt(c.disputerOwed)).toBe(2n * BigInt(c.submissions[2]!.bond));
    expect(c.promoted).toBe(summary.credit.modelId);
    expect(summary.epochs[0]!.modelId).toBe(c.promoted);
    expect(summary.epochs[0]!.signers).toEqual(summary.contracts.signers.slice(0, 3));
    // the candidate in shadow on the epoch's wallets, never published
    expect(c.shadow).toHaveLength(1);
    expect(c.shadow[0]).toMatchObject({ modelId: c.submissions[1]!.modelId, referenceModelId: c.promoted, wallets: 201, cutoff: 650 });
    expect(c.shadow[0]!.rankCorrelation).toBeGreaterThan(0.5);
    // the model trains on histories from the agents' own behaviour model, market and age: the drift guard passes the
    // epoch at the default threshold, every wallet-level PSI under it and the market-level volatility inside the
    // training range
    expect(summary.drift).toMatchObject({ defaultThreshold: 0.25, heldAtDefault: false, threshold: 0.25 });
    expect(Object.keys(summary.drift.psi)).toHaveLength(25);
    expect(Object.keys(summary.drift.outOfSupport)).toEqual(['open_collateral_vol_7d']);
    const above = Object.entries(summary.drift.psi).filter(([f, psi]) => !(f in summary.drift.outOfSupport) && psi > 0.25);
    expect(above).toEqual([]);
    expect(summary.drift.outOfSupport.open_collateral_vol_7d).toBeLessThanOrEqual(0.1);
    expect(summary.challenge).toMatchObject({ epoch: 2, found: 1, invalidated: true });
    expect(summary.creditLine.good.score).toBeGreaterThan(summary.creditLine.poor.score);
    expect(summary.creditLine.good).toMatchObject({ borrowed: '500' });
    expect(summary.creditLine.good.refused).toBeUndefined();
    expect(summary.creditLine.poor.refused).toMatch(/^CreditLine(ScoreTooLow|LimitExceeded)$/);
    expect(summary.backtest.baseline.meanLtv).toBeCloseTo((0.8 + 0.73 + 0.77 + 0.5) / 4, 6);
    // the frontier: one point per risk appetite, matched with the same baseline overall and for each of the four classes
    const f = summary.backtest.frontier;
    expect(f.frontier.length).toBeGreaterThanOrEqual(7);
    expect(f.matched.baselineMeanLtv).toBeCloseTo(summary.backtest.baseline.meanLtv, 9);
    expect(f.matched.baselineBadDebtPct).toBeCloseTo(summary.backtest.baseline.badDebtPct, 9);
    expect(f.classes.map((c) => c.class)).toEqual(['stablecoin', 'eth', 'btc', 'governance']);
    const saved = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(saved.modelId).toBe(summary.modelId);
    const html = readFileSync(summary.report, 'utf8');
    for (const id of [
      'market',
      'prices',
      'parameters',
      'backtest',
      'frontier',
      'published',
      'aave',
      'credit',
      'epochs',
      'creditline',
      'dao',
      'challenge',
      'community',
      'shadow',
      'drift',
      'verify',
      'gas',
    ])
      expect(html).toContain(`id="${id}"`);
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(6);
    expect(html).not.toMatch(/<script|src="http/);
    expect(existsSync(path.join(out, 'report.html'))).toBe(true);
    rmSync(out, { recursive: true, force: true });
  }, 300_000); // 132 s (PGlite) and 163 s (Postgres) measured while other jobs shared the 2 cores
});
