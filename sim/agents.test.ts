import { planAgents, pricePath, replaySteps } from './agents';
import { crashPath, TEST_RESERVES } from './testing';
import { utilisation, WALLET_TYPES } from './wallet-types';

describe('on-chain agent plans', () => {
  const path = crashPath(40, 25);
  const steps = replaySteps(path);

  it('pricePath carries each series forward on the union of timestamps, from where all have started', () => {
    const p = pricePath({
      A: [
        { t: 10, p: 1 },
        { t: 30, p: 3 },
      ],
      B: [
        { t: 20, p: 5 },
        { t: 25, p: 6 },
      ],
    });
    expect(p).toEqual({ t: [20, 25, 30], prices: { A: [1, 1, 3], B: [5, 6, 6] } });
  });

  it('replaySteps keeps one point per 6 hours and every hour of the crash', () => {
    const crash = 25 * 24;
    for (let h = crash; h < crash + 4; h++) expect(steps).toContain(h);
    expect(steps[0]).toBe(0);
    expect(steps.at(-1)).toBe(path.t.length - 1);
    for (let i = 1; i < steps.length; i++) expect(path.t[steps[i]!]! - path.t[steps[i - 1]!]!).toBeLessThanOrEqual(6 * 3_600);
    expect(steps.length).toBeLessThan(40 * 4 + 10);
  });

  it('is deterministic for a seed and draws every hidden type', () => {
    const a = planAgents(path, steps, { seed: 3, count: 200, reserves: TEST_RESERVES });
    expect(planAgents(path, steps, { seed: 3, count: 200, reserves: TEST_RESERVES })).toEqual(a);
    expect(planAgents(path, steps, { seed: 4, count: 200, reserves: TEST_RESERVES })).not.toEqual(a);
    for (const t of WALLET_TYPES) expect(a.some((x) => x.type === t)).toBe(true);
    expect(new Set(a.map((x) => x.address.toLowerCase())).size).toBe(200);
  });

  it('plans loans one at a time, each borrowing under its collateral LTV, across all four reserves', () => {
    const agents = planAgents(path, steps, { seed: 5, count: 300, reserves: TEST_RESERVES });
    const ltv = Object.fromEntries(TEST_RESERVES.map((r) => [r.symbol, r.ltv / 10_000]));
    const used = new Set<string>();
    for (const a of agents) {
      expect(a.loans.length).toBeGreaterThan(0);
      a.loans.forEach((l, k) => {
        used.add(l.collateral);
        used.add(l.debt);
        const next = a.loans[k + 1];
        // only the last loan stays open
        if (next) {
          expect(l.close).not.toBeNull();
          expect(l.close!).toBeGreaterThan(l.open);
          expect(next.open).toBeGreaterThan(l.close!);
        } else expect(l.close).toBeNull();
        if (l.instalment !== null) {
          expect(l.instalment).toBeGreaterThan(l.open);
          expect(l.instalment).toBeLessThan(l.close!);
        }
        expect(TEST_RESERVES.find((r) => r.symbol === l.collateral)!.stable).not.toBe(
          TEST_RESERVES.find((r) => r.symbol === l.debt)!.stable,
        );
        const at = steps[l.open]!;
        const collateralUsd = l.collateralUnits * path.prices[l.collateral]![at]!;
        const debtUsd = l.debtUnits * path.prices[l.debt]![at]!;
        expect(debtUsd / collateralUsd).toBeCloseTo(ltv[l.collateral]! * Math.min(0.97, utilisation(l.utilLogit)), 9);
        expect(debtUsd).toBeLessThan(collateralUsd * ltv[l.collateral]!);
      });
    }
    expect([...used].sort()).toEqual(['GOV', 'USDC', 'WBTC', 'WETH']);
    // leveraged borrowers use more of their LTV than careful ones
    const mean = (t: string) => {
      const xs = agents.filter((a) => a.type === t).flatMap((a) => a.loans.map((l) => utilisation(l.utilLogit)));
      return xs.reduce((s, x) => s + x, 0) / xs.length;
    };
    expect(mean('leveraged')).toBeGreaterThan(mean('careful') + 0.2);
  });
});
