import { rocAuc } from '../models/metrics';
import { simulateMarket } from './market';
import { posteriorDefaultProbability, typePosterior, utilisation, WALLET_TYPES } from './wallet-types';
import { generateWallets } from './wallets';

describe('wallet generator', () => {
  const market = simulateMarket({ seed: 2, days: 200 });
  const wallets = generateWallets(market, { seed: 3, count: 10_000 });
  const labels = wallets.map((w) => (w.hidden.defaulted ? 1 : 0));

  it('is seeded and fast', () => {
    const t0 = performance.now();
    const again = generateWallets(market, { seed: 3, count: 10_000 });
    expect(performance.now() - t0).toBeLessThan(15_000);
    expect(again[123]).toEqual(wallets[123]);
  });

  it('writes histories the indexer could have written: ordered, unique keys, the open loan at t, a liquidation after t for a default', () => {
    for (const w of wallets.slice(0, 2_000)) {
      const keys = new Set(w.events.map((e) => `${e.block}:${e.logIndex}`));
      expect(keys.size).toBe(w.events.length);
      expect(new Set(w.snapshots.map((s) => s.block)).size).toBe(w.snapshots.length);
      for (let i = 1; i < w.events.length; i++) expect(w.events[i]!.timestamp).toBeGreaterThanOrEqual(w.events[i - 1]!.timestamp);
      const before = w.events.filter((e) => e.timestamp < w.observedAt);
      expect(before.filter((e) => e.kind === 'borrow')).toHaveLength(w.observables.utilLogits.length);
      expect(before.filter((e) => e.kind === 'liquidation')).toHaveLength(w.observables.liquidated);
      const after = w.events.filter((e) => e.timestamp >= w.observedAt);
      expect(after.some((e) => e.kind === 'liquidation')).toBe(w.hidden.defaulted);
      expect(after.every((e) => e.timestamp <= w.observedAt + 30 * 86_400)).toBe(true);
    }
  });

  it("trains for a given market: only its reserves, longs and shorts sized by each reserve's LTV, no wallet older than its history", () => {
    const reserves = [
      { symbol: 'WETH', ltv: 0.8, liquidationThreshold: 0.83 },
      { symbol: 'GOV', ltv: 0.5, liquidationThreshold: 0.65 },
      { symbol: 'USDC', ltv: 0.77, liquidationThreshold: 0.8 },
    ];
    const young = generateWallets(market, { seed: 4, count: 2_000, maxAgeDays: 60, minHistoryDays: 60, reserves });
    const symbolOf = (i: number) => market.assets[i]!.symbol;
    const kinds = new Set<string>();
    for (const w of young) {
      const before = w.events.filter((e) => e.timestamp < w.observedAt);
      expect(w.observables.ageDays).toBeLessThanOrEqual(60);
      expect(w.observables.ageCapDays).toBeLessThanOrEqual(60);
      expect((w.observedAt - before[0]!.timestamp) / 86_400).toBeLessThanOrEqual(60.01);
      for (const e of w.events) expect(['WETH', 'GOV', 'USDC']).toContain(symbolOf(e.asset));
      for (let i = 0; i < before.length; i++) {
        const e = before[i]!;
        if (e.kind !== 'borrow') continue;
        const supply = before[i - 1]!;
        const stableCollateral = symbolOf(supply.asset) === 'USDC';
        kinds.add(stableCollateral ? 'short' : 'long');
        expect(symbolOf(e.asset) === 'USDC').toBe(!stableCollateral);
        // debt USD ÷ collateral USD at the opening = the collateral reserve's LTV × the loan's utilisation
        const step = Math.floor((e.timestamp - market.start) / market.stepSeconds);
        const usd = (x: typeof e) => x.amount * market.assets[x.asset]!.prices[step]!;
        const ltv = reserves.find((r) => r.symbol === symbolOf(supply.asset))!.ltv;
        const loan = before.slice(0, i + 1).filter((x) => x.kind === 'borrow').length - 1;
        expect(usd(e) / usd(supply) / (ltv * utilisation(w.observables.utilLogits[loan]!))).toBeCloseTo(1, 3);
      }
    }
    expect([...kinds].sort()).toEqual(['long', 'short']);
    // the Bayes PD still reads the generator exactly: calibrated on these wallets too
    const rate = young.filter((w) => w.hidden.defaulted).length / young.length;
    expect(Math.abs(young.reduce((a, w) => a + w.bayesPd, 0) / young.length - rate)).toBeLessThan(0.015);
    expect(() =>
      generateWallets(market, { seed: 4, count: 1, reserves: [{ symbol: 'XYZ', ltv: 0.5, liquidationThreshold: 0.6 }] }),
    ).toThrow(/the market has no XYZ/);
  });

  it('the type posterior is calibrated: among wallets given P(type) ≈ p, about p have that type', () => {
    for (const type of WALLET_TYPES) {
      const post = wallets.map((w) => typePosterior(w.observables)[type]);
      const mean = post.reduce((a, b) => a + b, 0) / post.length;
      const share = wallets.filter((w) => w.hidden.type === type).length / wallets.length;
      expect(Math.abs(mean - share)).toBeLessThan(0.01);
      const high = wallets.filter((_, i) => post[i]! > 0.6);
      if (high.length > 200) {
        const meanHigh = post.filter((p) => p > 0.6).reduce((a, b) => a + b, 0) / high.length;
        expect(Math.abs(high.filter((w) => w.hidden.type === type).length / high.length - meanHigh)).toBeLessThan(0.05);
      }
    }
  });

  it('the Bayes limit is calibrated, below the hidden PDs, and well below 1', () => {
    const bayes = wallets.map((w) => posteriorDefaultProbability(w.observables));
    expect(bayes[7]).toBe(wallets[7]!.bayesPd);
    const meanPd = bayes.reduce((a, b) => a + b, 0) / bayes.length;
    const rate = labels.reduce<number>((a, b) => a + b, 0) / labels.length;
    expect(Math.abs(meanPd - rate)).toBeLessThan(0.01);
    const bayesAuc = rocAuc(bayes, labels);
    const hiddenAuc = rocAuc(
      wallets.map((w) => w.hidden.pd),
      labels,
    );
    expect(bayesAuc).toBeGreaterThan(0.7);
    expect(bayesAuc).toBeLessThan(0.95);
    expect(bayesAuc).toBeLessThanOrEqual(hiddenAuc + 0.005);
  });
});
