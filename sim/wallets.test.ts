import { rocAuc } from '../models/metrics';
import { simulateMarket } from './market';
import { posteriorDefaultProbability, typePosterior, WALLET_TYPES } from './wallet-types';
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
