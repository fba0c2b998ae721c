import fc from 'fast-check';
import {
  driftDecision,
  outOfSupportShare,
  populationStabilityIndex,
  referenceDistribution,
  referenceDistributions,
  supportDecision,
} from './drift';
import { guardParameters, invariantViolations, percentMul, type AssetBounds, type CollateralParams, type OnChainState } from './guards';

const bounds: AssetBounds = {
  min: { ltv: 0, liquidationThreshold: 0, liquidationBonus: 10_000 },
  max: { ltv: 8_500, liquidationThreshold: 9_000, liquidationBonus: 11_500 },
  maxChangeBps: 300,
  minDelaySeconds: 3_600,
};
const current: OnChainState = { ltv: 7_500, liquidationThreshold: 8_000, liquidationBonus: 10_500, updatedAt: 1_000 };
const later = 1_000 + 7_200;

describe('guards', () => {
  it('passes a proposal inside bounds, steps and invariants unchanged', () => {
    const proposal = { ltv: 7_600, liquidationThreshold: 8_100, liquidationBonus: 10_600 };
    const result = guardParameters(proposal, current, bounds, later);
    expect(result.publishable).toBe(true);
    expect(result.params).toEqual(proposal);
    expect(result.decisions.every((d) => d.decision === 'pass')).toBe(true);
  });

  it.each([
    ['NaN', { ltv: NaN, liquidationThreshold: 8_000, liquidationBonus: 10_500 }, /ltv is NaN/],
    ['infinity', { ltv: 7_000, liquidationThreshold: Infinity, liquidationBonus: 10_500 }, /liquidationThreshold is Infinity/],
    ['fraction', { ltv: 7_000.5, liquidationThreshold: 8_000, liquidationBonus: 10_500 }, /not a whole number/],
    ['out of range', { ltv: -1, liquidationThreshold: 8_000, liquidationBonus: 10_500 }, /outside \[0, 20000\]/],
  ])('holds a %s output', (_name, proposal, reason) => {
    const result = guardParameters(proposal as CollateralParams, current, bounds, later);
    expect(result.publishable).toBe(false);
    expect(result.decisions.at(-1)!.reason).toMatch(reason);
  });

  it('clips to the DAO bounds and to the step limit, recording both', () => {
    const result = guardParameters({ ltv: 9_900, liquidationThreshold: 7_000, liquidationBonus: 10_500 }, current, bounds, later);
    expect(result.params.liquidationThreshold).toBe(7_700); // step 8000 - 300
    // ltv: bound 8500, then step 7500 + 300 = 7800, then down to the clipped threshold
    expect(result.params.ltv).toBe(7_700);
    expect(result.decisions.filter((d) => d.decision === 'clip').map((d) => d.guard)).toEqual(['bounds', 'step', 'step', 'invariants']);
    expect(result.publishable).toBe(true);
  });

  it('holds when the invariants cannot be restored within the step limits', () => {
    // the threshold may only fall to 7700, but the DAO's ltv floor (7900) is above it
    const tight = { ...bounds, min: { ...bounds.min, ltv: 7_900 } };
    const result = guardParameters({ ltv: 8_000, liquidationThreshold: 7_000, liquidationBonus: 10_500 }, current, tight, later);
    expect(result.publishable).toBe(false);
    expect(result.decisions.at(-1)!.reason).toMatch(/ltv 7800 > liquidation threshold 7700/);
  });

  it('holds until the minimum delay has passed', () => {
    const result = guardParameters({ ...current }, current, bounds, current.updatedAt + 60);
    expect(result.publishable).toBe(false);
    expect(result.decisions.find((d) => d.guard === 'delay')!.reason).toMatch(/only 60 s since the last update/);
  });

  it("before the first round, steps from the market's own (seeded) parameters with no delay; unseeded, the first round is free", () => {
    const proposal = { ltv: 5_000, liquidationThreshold: 5_500, liquidationBonus: 10_800 };
    const seeded: OnChainState = { ltv: 8_000, liquidationThreshold: 8_250, liquidationBonus: 10_500, updatedAt: 0, seeded: true };
    const first = guardParameters(proposal, seeded, bounds, 10);
    expect(first.params).toEqual({ ltv: 7_700, liquidationThreshold: 7_950, liquidationBonus: 10_800 });
    expect(first.publishable).toBe(true);
    expect(first.decisions.some((d) => d.guard === 'delay')).toBe(false);
    const unseeded = guardParameters(proposal, { ...seeded, seeded: false }, bounds, 10);
    expect(unseeded.params).toEqual(proposal);
  });

  it('checks the invariants jointly: a liquidation threshold × bonus over 100 % is held', () => {
    expect(invariantViolations({ ltv: 8_000, liquidationThreshold: 9_500, liquidationBonus: 10_600 })[0]).toMatch(
      /× bonus = 10070 bps > 100 %/,
    );
    expect(invariantViolations({ ltv: 0, liquidationThreshold: 0, liquidationBonus: 0 })).toEqual([]);
    expect(invariantViolations({ ltv: 0, liquidationThreshold: 5_000, liquidationBonus: 10_000 })[0]).toMatch(/must exceed 10000/);
  });

  it('property: whatever the model says, a publishable result satisfies bounds, steps and Aave invariants', () => {
    const param = fc.oneof(fc.integer({ min: -5_000, max: 25_000 }), fc.constant(NaN), fc.double({ noNaN: false }));
    fc.assert(
      fc.property(param, param, param, fc.integer({ min: 0, max: 20_000 }), (ltv, liquidationThreshold, liquidationBonus, elapsed) => {
        const result = guardParameters({ ltv, liquidationThreshold, liquidationBonus }, current, bounds, current.updatedAt + elapsed);
        if (!result.publishable) return;
        const p = result.params;
        expect(invariantViolations(p)).toEqual([]);
        for (const key of ['ltv', 'liquidationThreshold', 'liquidationBonus'] as const) {
          expect(p[key]).toBeGreaterThanOrEqual(Math.max(bounds.min[key], current[key] - bounds.maxChangeBps));
          expect(p[key]).toBeLessThanOrEqual(Math.min(bounds.max[key], current[key] + bounds.maxChangeBps));
        }
        expect(elapsed).toBeGreaterThanOrEqual(bounds.minDelaySeconds);
      }),
      { numRuns: 2_000 },
    );
  });

  it('percentMul rounds half up like Aave', () => {
    expect(percentMul(9_500, 10_500)).toBe(9_975);
    expect(percentMul(1, 5_000)).toBe(1);
    expect(percentMul(1, 4_999)).toBe(0);
  });
});

describe('drift guard', () => {
  const training = Array.from({ length: 5_000 }, (_, i) => Math.sin(i) * 3 + (i % 7));

  it('passes data from the training distribution and holds shifted data, naming the feature', () => {
    const ref = referenceDistribution('utilisation', training);
    expect(populationStabilityIndex(ref, training)).toBeCloseTo(0, 6);
    expect(driftDecision([ref], { utilisation: training.slice(0, 2_000) }).decision).toBe('pass');
    const shifted = training.map((v) => v + 4);
    const held = driftDecision([ref], { utilisation: shifted });
    expect(held.decision).toBe('hold');
    expect(held.reason).toMatch(/utilisation \(PSI \d+\.\d+\)/);
  });

  it('judges a market-level feature by its training range, not by PSI: one value per asset passes inside it, a market the model never saw holds', () => {
    // volatility over a year of training rows, row-major with one other feature
    const vols = training.map((v) => 0.0002 + Math.abs(v) / 1_000);
    const x = training.flatMap((v, i) => [v, vols[i]!]);
    const refs = referenceDistributions(['utilisation', 'vol'], x, [...training.keys()], { marketLevel: ['vol'] });
    expect(refs[0]!.support).toBeUndefined();
    expect(refs[1]!.support).toEqual({ low: Math.min(...vols), high: Math.max(...vols) });
    // everyone scored at one instant: two assets, two values, a PSI far above the threshold
    const oneInstant = training.slice(0, 400).map((_, i) => (i % 2 ? 0.004 : 0.006));
    const passed = driftDecision(refs, { utilisation: training.slice(0, 400), vol: oneInstant });
    expect((passed.details as { psi: Record<string, number> }).psi.vol).toBeGreaterThan(1);
    expect(passed).toMatchObject({ decision: 'pass', details: { outOfSupport: { vol: 0 } } });
    // a stablecoin feed that never moves (0) lies within the margin below the smallest training value
    expect(outOfSupportShare(refs[1]!, [0])).toBe(0);
    // a tenth of the wallets may lie outside; more holds, naming the share and the side
    const high = refs[1]!.support!.high * 2;
    expect(driftDecision(refs, { utilisation: training.slice(0, 2_000), vol: [...oneInstant.slice(0, 9), high] }).decision).toBe('pass');
    const held = driftDecision(refs, { utilisation: training.slice(0, 2_000), vol: [...oneInstant.slice(0, 8), high, high] });
    expect(held.decision).toBe('hold');
    expect(held.reason).toMatch(/vol \(20\.0 % of wallets outside the training range .*: 0 below, 2 above\)/);
  });

  it('holds one feature row (a collateral round) outside the training range, and a missing or non-finite feature', () => {
    const refs = referenceDistributions(['vol', 'skew'], [0.01, -1, 0.03, 1, 0.02, 0], [0, 1, 2], { marketLevel: ['vol', 'skew'] });
    expect(supportDecision(refs, { vol: 0.02, skew: 0.5 })).toMatchObject({ decision: 'pass' });
    // within the margin (a tenth of the width) still counts as seen
    expect(supportDecision(refs, { vol: 0.031, skew: -1.1 })).toMatchObject({ decision: 'pass' });
    const held = supportDecision(refs, { vol: 0.05, skew: 0 });
    expect(held).toMatchObject({ guard: 'drift', decision: 'hold' });
    expect(held.reason).toBe('features outside the training range: vol 0.05000 (trained on 0.008000–0.03200)');
    expect(supportDecision(refs, { vol: NaN }).reason).toBe('features outside the training range: vol (NaN), skew (missing)');
  });

  it('treats missing features and non-finite values as drift', () => {
    const ref = referenceDistribution('age', training);
    expect(driftDecision([ref], {}).reason).toMatch(/age \(missing\)/);
    expect(driftDecision([ref], { age: [1, NaN] }).reason).toMatch(/age \(non-finite values\)/);
    expect(() => referenceDistribution('empty', [NaN])).toThrow(/feature empty: no finite training values/);
  });
});
