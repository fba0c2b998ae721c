import fc from 'fast-check';
import { createRandom, normal, type Random } from '../../core/random';
import { DEFAULT_TAIL_OPTIONS, tailSignals, tailTarget } from '../collateral/tail-model';
import type { PricePoint } from '../collateral/types';
import { runBacktest, type FractionParams, type Opening } from './engine';
import { badDebtAtLtv, ltvAtBadDebt, matchBaseline, type FrontierPoint } from './frontier';
import { GUARDRAIL_PRESETS, guardedUpdate, type Guardrails } from './guardrails';
import { prepareMarket } from './market';
import { staticPath } from './policies';
import { sweepFrontier } from './sweep';
import { tailModelPath } from './tail-path';

const HOUR = 3_600;
const DAY = 24; // steps of an hourly grid
const WEEK = 7 * DAY;

const point = (setting: number, meanLtv: number, badDebtPct: number): FrontierPoint => ({ setting, meanLtv, badDebtPct });
/** A known curve: (0.5, 0.1), (0.6, 0.3), (0.7, 1.0). */
const CURVE = [point(0.99, 0.5, 0.1), point(0.95, 0.6, 0.3), point(0.9, 0.7, 1.0)];
/** Every order of its points. */
const ORDERS = [
  [0, 1, 2],
  [0, 2, 1],
  [1, 0, 2],
  [1, 2, 0],
  [2, 0, 1],
  [2, 1, 0],
].map((order) => order.map((k) => CURVE[k]!));

/** A geometric random walk, with `shock(i)` added to step i's log return. */
function walk(random: Random, steps: number, start: number, sigma: number, shock: (i: number) => number = () => 0): number[] {
  const out = [start];
  for (let i = 1; i < steps; i++) out.push(out[i - 1]! * Math.exp(sigma * normal(random) + shock(i)));
  return out;
}

describe('the frontier', () => {
  it('badDebtAtLtv interpolates linearly between neighbours in LTV, never beyond the curve, whatever the order', () => {
    for (const curve of ORDERS) {
      expect(badDebtAtLtv(curve, 0.55)).toBeCloseTo(0.2, 12);
      expect(badDebtAtLtv(curve, 0.65)).toBeCloseTo(0.65, 12);
      expect(badDebtAtLtv(curve, 0.52)).toBeCloseTo(0.1 + 0.2 * 0.2, 12);
      // at a point: its value exactly
      expect(badDebtAtLtv(curve, 0.5)).toBe(0.1);
      expect(badDebtAtLtv(curve, 0.6)).toBe(0.3);
      expect(badDebtAtLtv(curve, 0.7)).toBe(1.0);
      // outside the curve: nothing, not an extrapolation
      expect(badDebtAtLtv(curve, 0.49)).toBeUndefined();
      expect(badDebtAtLtv(curve, 0.71)).toBeUndefined();
    }
    expect(badDebtAtLtv([], 0.5)).toBeUndefined();
    expect(badDebtAtLtv([point(0.9, 0.6, 2)], 0.6)).toBe(2);
  });

  it('ltvAtBadDebt finds where the piecewise-linear curve crosses a bad-debt level', () => {
    for (const curve of ORDERS) {
      // between (0.5, 0.1) and (0.6, 0.3): 0.5 + 0.1 × (0.2 − 0.1) / 0.2
      expect(ltvAtBadDebt(curve, 0.2)).toBeCloseTo(0.55, 12);
      // between (0.6, 0.3) and (0.7, 1.0): 0.6 + 0.1 × 0.2 / 0.7
      expect(ltvAtBadDebt(curve, 0.5)).toBeCloseTo(0.6 + 0.02 / 0.7, 12);
      expect(ltvAtBadDebt(curve, 0.3)).toBe(0.6);
      // at or above the whole curve: its highest LTV
      expect(ltvAtBadDebt(curve, 1.0)).toBe(0.7);
      expect(ltvAtBadDebt(curve, 5)).toBe(0.7);
      // every point above the level: none
      expect(ltvAtBadDebt(curve, 0.05)).toBeUndefined();
    }
    // not monotone: the highest LTV where the curve is at most the level (a later point back under it)
    expect(ltvAtBadDebt([point(1, 0.5, 0.1), point(2, 0.6, 0.5), point(3, 0.7, 0.2)], 0.3)).toBe(0.7);
    // a dip: under the level on [0.55, 0.65]
    expect(ltvAtBadDebt([point(1, 0.5, 0.5), point(2, 0.6, 0.1), point(3, 0.7, 0.5)], 0.3)).toBeCloseTo(0.65, 12);
  });

  it('matchBaseline compares with the baseline at its LTV, and says when it cannot', () => {
    const m = matchBaseline(CURVE, { meanLtv: 0.65, badDebtPct: 0.5 });
    expect(m.baselineMeanLtv).toBe(0.65);
    expect(m.baselineBadDebtPct).toBe(0.5);
    expect(m.reachesBaselineLtv).toBe(true);
    expect(m.modelBadDebtPctAtBaselineLtv).toBeCloseTo(0.65, 12);
    expect(m.badDebtRatio).toBeCloseTo(0.65 / 0.5, 12);
    expect(m.modelMeanLtvAtBaselineBadDebt).toBeCloseTo(0.6 + 0.02 / 0.7, 12);
    // a model with less bad debt at the same LTV: ratio below 1
    expect(matchBaseline(CURVE, { meanLtv: 0.55, badDebtPct: 0.4 }).badDebtRatio).toBeCloseTo(0.2 / 0.4, 12);
    // both without bad debt: 0
    const none = [point(0.99, 0.5, 0), point(0.9, 0.7, 0)];
    expect(matchBaseline(none, { meanLtv: 0.6, badDebtPct: 0 }).badDebtRatio).toBe(0);
    expect(matchBaseline(none, { meanLtv: 0.6, badDebtPct: 0 }).modelMeanLtvAtBaselineBadDebt).toBe(0.7);
    // only the baseline without: as bad as it gets, and finite (JSON has no Infinity)
    const onlyModel = matchBaseline(CURVE, { meanLtv: 0.6, badDebtPct: 0 });
    expect(onlyModel.badDebtRatio).toBe(Number.MAX_VALUE);
    expect(onlyModel.modelMeanLtvAtBaselineBadDebt).toBeNull();
    expect(JSON.parse(JSON.stringify(onlyModel)).badDebtRatio).toBe(Number.MAX_VALUE);
    // the curve does not reach the baseline's LTV: no comparison, counted as a loss
    for (const ltv of [0.45, 0.8]) {
      const out = matchBaseline(CURVE, { meanLtv: ltv, badDebtPct: 0.5 });
      expect(out.reachesBaselineLtv).toBe(false);
      expect(out.modelBadDebtPctAtBaselineLtv).toBeNull();
      expect(out.badDebtRatio).toBe(Number.MAX_VALUE);
    }
  });
});

describe('guardrails', () => {
  const current: FractionParams = { ltv: 0.7, liquidationThreshold: 0.75, liquidationBonus: 0.05 };

  it("Aave's preset moves each parameter at most 50 bps an update, either way", () => {
    const tighter = guardedUpdate(current, { ltv: 0.4, liquidationThreshold: 0.5, liquidationBonus: 0.12 }, GUARDRAIL_PRESETS.aave);
    expect(tighter.ltv).toBeCloseTo(0.695, 12);
    expect(tighter.liquidationThreshold).toBeCloseTo(0.745, 12);
    expect(tighter.liquidationBonus).toBeCloseTo(0.055, 12);
    const looser = guardedUpdate(current, { ltv: 0.8, liquidationThreshold: 0.85, liquidationBonus: 0.01 }, GUARDRAIL_PRESETS.aave);
    expect(looser.ltv).toBeCloseTo(0.705, 12);
    expect(looser.liquidationThreshold).toBeCloseTo(0.755, 12);
    expect(looser.liquidationBonus).toBeCloseTo(0.045, 12);
    // a target within the step is reached
    expect(guardedUpdate(current, { ltv: 0.698, liquidationThreshold: 0.752, liquidationBonus: 0.05 }, GUARDRAIL_PRESETS.aave)).toEqual({
      ltv: 0.698,
      liquidationThreshold: 0.752,
      liquidationBonus: 0.05,
    });
    expect(GUARDRAIL_PRESETS.aave.minDelaySeconds).toBe(86_400);
  });

  it('asymmetric rails tighten by the large step and loosen by the small one', () => {
    const rails: Guardrails = { maxTighten: 0.05, maxLoosen: 0.01, minDelaySeconds: 0 };
    const tighter = guardedUpdate(current, { ltv: 0.3, liquidationThreshold: 0.4, liquidationBonus: 0.15 }, rails);
    expect(tighter.ltv).toBeCloseTo(0.65, 12);
    expect(tighter.liquidationThreshold).toBeCloseTo(0.7, 12);
    expect(tighter.liquidationBonus).toBeCloseTo(0.1, 12);
    const looser = guardedUpdate(current, { ltv: 0.85, liquidationThreshold: 0.9, liquidationBonus: 0.01 }, rails);
    expect(looser.ltv).toBeCloseTo(0.71, 12);
    expect(looser.liquidationThreshold).toBeCloseTo(0.76, 12);
    expect(looser.liquidationBonus).toBeCloseTo(0.04, 12);
  });

  it("clips the target to the DAO's bounds", () => {
    const wide: Guardrails = { maxTighten: 1, maxLoosen: 1, minDelaySeconds: 0 };
    const bounds = {
      min: { ltv: 0.3, liquidationThreshold: 0.4, liquidationBonus: 0.03 },
      max: { ltv: 0.75, liquidationThreshold: 0.8, liquidationBonus: 0.1 },
    };
    expect(guardedUpdate(current, { ltv: 0.9, liquidationThreshold: 0.92, liquidationBonus: 0.01 }, wide, bounds)).toEqual({
      ltv: 0.75,
      liquidationThreshold: 0.8,
      liquidationBonus: 0.03,
    });
    expect(guardedUpdate(current, { ltv: 0.1, liquidationThreshold: 0.2, liquidationBonus: 0.3 }, wide, bounds)).toEqual({
      ltv: 0.3,
      liquidationThreshold: 0.4,
      liquidationBonus: 0.1,
    });
    // without bounds the same target goes through
    expect(guardedUpdate(current, { ltv: 0.1, liquidationThreshold: 0.2, liquidationBonus: 0.3 }, wide).ltv).toBeCloseTo(0.1, 12);
  });

  it('always keeps ltv ≤ lt and lt × (1 + bonus) ≤ 1, and moves no parameter past its step from a valid state', () => {
    const fraction = fc.double({ min: 0, max: 1, noNaN: true });
    const valid = fc.tuple(fc.double({ min: 0, max: 0.3, noNaN: true }), fraction, fraction).map(([bonus, a, b]): FractionParams => ({
      liquidationBonus: bonus,
      liquidationThreshold: a / (1 + bonus),
      ltv: (b * a) / (1 + bonus),
    }));
    const target = fc.record({
      ltv: fraction,
      liquidationThreshold: fraction,
      liquidationBonus: fc.double({ min: 0, max: 0.3, noNaN: true }),
    });
    const rails = fc.oneof(
      fc.constant<Guardrails>(GUARDRAIL_PRESETS.aave),
      fc.constant<Guardrails>(GUARDRAIL_PRESETS.default),
      fc.record({
        maxTighten: fc.double({ min: 0, max: 0.2, noNaN: true }),
        maxLoosen: fc.double({ min: 0, max: 0.2, noNaN: true }),
        minDelaySeconds: fc.constant(0),
      }),
    );
    const eps = 1e-12;
    fc.assert(
      fc.property(valid, target, rails, (from, to, r) => {
        const next = guardedUpdate(from, to, r);
        expect(next.ltv).toBeLessThanOrEqual(next.liquidationThreshold);
        expect(next.liquidationThreshold * (1 + next.liquidationBonus)).toBeLessThanOrEqual(1 + eps);
        // tightening (ltv, lt down; bonus up) at most maxTighten, loosening at most maxLoosen
        expect(from.ltv - next.ltv).toBeLessThanOrEqual(r.maxTighten + eps);
        expect(next.ltv - from.ltv).toBeLessThanOrEqual(r.maxLoosen + eps);
        expect(from.liquidationThreshold - next.liquidationThreshold).toBeLessThanOrEqual(r.maxTighten + eps);
        expect(next.liquidationThreshold - from.liquidationThreshold).toBeLessThanOrEqual(r.maxLoosen + eps);
        expect(next.liquidationBonus - from.liquidationBonus).toBeLessThanOrEqual(r.maxTighten + eps);
        expect(from.liquidationBonus - next.liquidationBonus).toBeLessThanOrEqual(r.maxLoosen + eps);
      }),
      { numRuns: 2_000 },
    );
    // from any state at all, even one that breaks them, the joint rules hold after one update
    fc.assert(
      fc.property(target, target, rails, (from, to, r) => {
        const next = guardedUpdate(from, to, r);
        expect(next.ltv).toBeLessThanOrEqual(next.liquidationThreshold);
        expect(next.liquidationThreshold * (1 + next.liquidationBonus)).toBeLessThanOrEqual(1 + eps);
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('the tail model path', () => {
  const random = createRandom(21);
  // a governance token, 100 days hourly: a 30 % fall on day 60
  const crashAt = 60 * DAY;
  const prices = walk(random, 100 * DAY, 5, 0.015, (i) => (i >= crashAt && i < crashAt + 3 ? Math.log(0.7) / 3 : 0));
  const signals = tailSignals(prices, 'governance');
  const offset = 20 * DAY;
  const steps = prices.length - offset;

  it("with Aave's preset, changes at most once a day and by at most 50 bps a parameter", () => {
    const initial = { ltv: 0.6, liquidationThreshold: 0.65, liquidationBonus: 0.07 };
    const path = tailModelPath([{ signals, offset }], steps, { quantile: 0.999, guardrails: GUARDRAIL_PRESETS.aave, initial: [initial] });
    const params = path.params[0]!;
    expect(params).toHaveLength(steps);
    const changes: number[] = [];
    // the first step already reads the warm-up's target: the initial parameters are the step before it
    for (let i = 0; i < steps; i++) {
      const a = i === 0 ? initial : params[i - 1]!;
      const b = params[i]!;
      if (a.ltv === b.ltv && a.liquidationThreshold === b.liquidationThreshold && a.liquidationBonus === b.liquidationBonus) continue;
      changes.push(i);
      expect(Math.abs(b.ltv - a.ltv)).toBeLessThanOrEqual(0.005 + 1e-12);
      expect(Math.abs(b.liquidationThreshold - a.liquidationThreshold)).toBeLessThanOrEqual(0.005 + 1e-12);
      expect(Math.abs(b.liquidationBonus - a.liquidationBonus)).toBeLessThanOrEqual(0.005 + 1e-12);
      expect(b.ltv).toBeLessThanOrEqual(b.liquidationThreshold);
    }
    // it does move (both ways over the run), never twice within 24 hours
    expect(changes.length).toBeGreaterThan(20);
    for (let k = 1; k < changes.length; k++) expect(changes[k]! - changes[k - 1]!).toBeGreaterThanOrEqual(DAY);
    const lts = params.map((p) => p.liquidationThreshold);
    const peak = Math.max(...lts.slice(0, crashAt - offset));
    expect(peak).toBeGreaterThan(initial.liquidationThreshold);
    expect(lts[steps - 1]!).toBeLessThan(peak);
    // the explanation counts one driver per target
    const drivers = path.drivers[0]!;
    expect(Object.values(drivers).reduce((s, c) => s + c, 0)).toBe(steps);
  });

  it("sets step i's parameters from prices before i only", () => {
    const initial = { ltv: 0.6, liquidationThreshold: 0.65, liquidationBonus: 0.07 };
    const options = { quantile: 0.99, guardrails: GUARDRAIL_PRESETS.default, initial: [initial] };
    const full = tailModelPath([{ signals, offset }], steps, options).params[0]!;
    for (const j of [0, 5 * DAY, crashAt - offset, crashAt - offset + 2]) {
      // the prices from backtest step j on (the asset's step offset + j) fall to a fifth
      const changed = tailSignals(
        prices.map((p, k) => (k >= offset + j ? p / 5 : p)),
        'governance',
      );
      const cut = tailModelPath([{ signals: changed, offset }], steps, options).params[0]!;
      expect(cut.slice(0, j + 1)).toEqual(full.slice(0, j + 1));
      expect(cut[j + 2 * DAY]).not.toEqual(full[j + 2 * DAY]);
    }
  });

  it('the loosening budget holds the rise of the ltv to loosenPerWeek a week, even under hourly 3-point guardrails', () => {
    const calm = tailSignals(walk(createRandom(22), 80 * DAY, 5, 0.005), 'governance');
    const initial = { ltv: 0.4, liquidationThreshold: 0.5, liquidationBonus: 0.08 };
    const run = (loosenPerWeek: number): FractionParams[] =>
      tailModelPath([{ signals: calm, offset }], 60 * DAY, {
        quantile: 0.99,
        // evidence earned at once: the weekly budget alone limits the rise
        model: { ...DEFAULT_TAIL_OPTIONS, evidenceSeconds: 3_600 },
        guardrails: GUARDRAIL_PRESETS.default,
        initial: [initial],
        loosenPerWeek,
      }).params[0]!;
    for (const budget of [0.02, 0.05]) {
      const ltv = run(budget).map((p) => p.ltv);
      for (let i = 0; i < ltv.length; i++) {
        // the target is at the class ceiling (0.72), far above: the budget alone binds, one step's share each step
        expect(ltv[i]).toBeLessThanOrEqual(initial.ltv + (budget * (i + 1)) / WEEK + 1e-9);
        if (i >= WEEK) expect(ltv[i]! - ltv[i - WEEK]!).toBeLessThanOrEqual(budget + 1e-9);
      }
      expect(ltv[4 * WEEK - 1]).toBeCloseTo(initial.ltv + 4 * budget, 9);
    }
    // without a budget, the 3-point guardrails reach the ceiling within a day
    const free = run(10);
    expect(free[DAY]!.ltv).toBeCloseTo(0.72, 12);
  });

  it('a young asset loosens beyond its listed parameters only by the share of half a year its history covers; tightening is never held back', () => {
    const prices = walk(createRandom(23), 120 * DAY, 5, 0.005);
    const calm = tailSignals(prices, 'governance');
    const listed = { ltv: 0.4, liquidationThreshold: 0.5, liquidationBonus: 0.08 };
    const path = tailModelPath([{ signals: calm, offset }], 100 * DAY, {
      quantile: 0.99,
      guardrails: GUARDRAIL_PRESETS.default,
      initial: [listed],
      loosenPerWeek: 10,
    }).params[0]!;
    for (const i of [DAY, 30 * DAY, 99 * DAY]) {
      const k = offset + i - 1;
      const target = tailTarget(calm, k, 0.99)!.params.ltv;
      expect(target).toBeGreaterThan(listed.ltv + 0.1);
      // k steps of history out of 180 days': that share of the way from 0.4 to the target, no more
      expect(path[i]!.ltv).toBeCloseTo(listed.ltv + (k / (180 * DAY)) * (target - listed.ltv), 9);
    }
    // listed above what the model asks: it goes down to its target at once (3 points an hour), whatever its age
    const generous = { ltv: 0.9, liquidationThreshold: 0.93, liquidationBonus: 0.05 };
    const down = tailModelPath([{ signals: calm, offset }], 2 * DAY, {
      quantile: 0.99,
      guardrails: GUARDRAIL_PRESETS.default,
      initial: [generous],
    }).params[0]!;
    expect(down[DAY]!.ltv).toBeCloseTo(tailTarget(calm, offset + DAY - 1, 0.99)!.params.ltv, 9);
  });
});

describe('the backtest engine with market depth and gas', () => {
  const params = [{ ltv: 0.75, liquidationThreshold: 0.8, liquidationBonus: 0.05 }];
  const big: Opening = { step: 0, asset: 0, sizeUsd: 1_000_000, fraction: 1, lifetimeSteps: 100 };
  const options = { delaySteps: 0, slippageBase: 0.003, slippagePerMillion: 0 };

  it('a large position in a thin market is left under water, and its bad debt booked; in a deep one it is liquidated', () => {
    // $1M of collateral at $100, $750k of debt; at $60 the collateral is worth $600k < 750k × 1.05: all of it is seized
    const prices = [[100, 100, 60, 50]];
    const events = (depth: number): { result: ReturnType<typeof runBacktest>; booked: Array<{ step: number; usd: number }> } => {
      const booked: Array<{ step: number; usd: number }> = [];
      const result = runBacktest(['GOV'], prices, staticPath(params), [big], options, [prices[0]!.map(() => depth)], (e) =>
        booked.push({ step: e.step, usd: e.usd }),
      );
      return { result, booked };
    };
    // $100k of depth: selling $600k costs 0.3 % + 1 % × 6 = 6.3 %, more than the 5 % bonus: nobody liquidates
    const thin = events(100_000);
    expect(thin.result.liquidations).toBe(0);
    // still open at the end, marked at $50: $750k − $500k / 1.05
    expect(thin.result.badDebtUsd).toBeCloseTo(750_000 - 500_000 / 1.05, 6);
    expect(thin.booked).toHaveLength(1);
    expect(thin.booked[0]!.step).toBe(3);
    expect(thin.booked[0]!.usd).toBeCloseTo(750_000 - 500_000 / 1.05, 6);
    // $100M: 0.3 % slippage, liquidated at $60 with $750k − $600k / 1.05 uncovered
    const deep = events(100_000_000);
    expect(deep.result.liquidations).toBe(1);
    expect(deep.result.badDebtUsd).toBeCloseTo(750_000 - 600_000 / 1.05, 6);
    expect(deep.booked).toEqual([{ step: 2, usd: expect.closeTo(750_000 - 600_000 / 1.05, 6) }]);
    expect(deep.result.badDebtUsd).toBeLessThan(thin.result.badDebtUsd);
  });

  it("a step's sales add up: the second of two liquidations in one step pays the first one's impact", () => {
    const prices = [[100, 100, 60, 60]];
    const booked: number[] = [];
    // $300k of depth: the first sale of $600k costs 0.3 % + 2 % (liquidated), the second 0.3 % + 1 % × (2 × 6 + 6) / 3 = 6.3 %
    const result = runBacktest(['GOV'], prices, staticPath(params), [big, big], options, [[3e5, 3e5, 3e5, 3e5]], (e) =>
      booked.push(e.step),
    );
    expect(result.liquidations).toBe(2);
    expect(booked).toEqual([2, 3]);
    expect(result.badDebtUsd).toBeCloseTo(2 * (750_000 - 600_000 / 1.05), 6);
    // alone, it goes at the first step
    const alone: number[] = [];
    runBacktest(['GOV'], prices, staticPath(params), [big], options, [[3e5, 3e5, 3e5, 3e5]], (e) => alone.push(e.step));
    expect(alone).toEqual([2]);
  });

  it("gas above the bonus's profit leaves a small position unliquidated", () => {
    const prices = [[100, 100, 60, 60]];
    const small: Opening = { ...big, sizeUsd: 1_000 };
    const depth = [[1e9, 1e9, 1e9, 1e9]];
    // $600 seized for $571.43 repaid: $600 × 0.997 − $571.43 ≈ $26.77 of profit
    const profit = 600 * (1 - 0.003 - (0.01 * 600) / 1e9) - 600 / 1.05;
    expect(profit).toBeGreaterThan(20);
    expect(profit).toBeLessThan(50);
    const steps = (gasUsd: number, opening: Opening): number[] => {
      const booked: number[] = [];
      const result = runBacktest(['GOV'], prices, staticPath(params), [opening], { ...options, gasUsd }, depth, (e) => booked.push(e.step));
      expect(result.liquidations).toBe(booked[0] === 2 ? 1 : 0);
      return booked;
    };
    expect(steps(50, small)).toEqual([3]); // walked away from, booked at the end
    expect(steps(20, small)).toEqual([2]);
    expect(steps(0, small)).toEqual([2]);
    // the same gas is nothing against a large position's profit
    expect(steps(50, big)).toEqual([2]);
  });

  it('refuses a depth that is missing, NaN or not positive, naming the asset and step (NaN slippage would never liquidate)', () => {
    const prices = [[100, 100, 60, 50]];
    const run = (depth: number[]) => () => runBacktest(['GOV'], prices, staticPath(params), [big], options, [depth]);
    expect(run([1e6, 1e6, NaN, 1e6])).toThrow(/GOV: market depth at step 2 is NaN/);
    expect(run([1e6, 0, 1e6, 1e6])).toThrow(/GOV: market depth at step 1 is 0/);
    expect(run([1e6, 1e6])).toThrow(/GOV: 2 depth values for 4 steps/);
  });
});

describe('the frontier sweep', () => {
  it('one point per setting, per class, the same baseline whatever the settings, less LTV for a higher quantile', () => {
    const random = createRandom(31);
    const start = 1_700_000_000;
    // GOV: 150 days with a 30 % fall on day 110; WETH from day 30: 120 days of backtest, GOV's first 30 days warm-up
    const gov = walk(random, 150 * DAY, 5, 0.02, (i) => (i >= 110 * DAY && i < 110 * DAY + 3 ? Math.log(0.7) / 3 : 0));
    const eth = walk(random, 120 * DAY, 2_000, 0.008);
    const series: Record<string, PricePoint[]> = {
      GOV: gov.map((p, i) => ({ t: start + i * HOUR, p, liquidityUsd: 800_000 })),
      WETH: eth.map((p, i) => ({ t: start + (30 * DAY + i) * HOUR, p })),
    };
    const market = prepareMarket(series, { stepSeconds: HOUR });
    expect(market.assets.map((a) => [a.symbol, a.cls, a.offset])).toEqual([
      ['GOV', 'governance', 30 * DAY],
      ['WETH', 'eth', 0],
    ]);
    expect(market.steps).toBe(120 * DAY);
    expect(market.from).toBe(start + 30 * DAY * HOUR);
    // WETH's late start sets the scored window (GOV's first 30 days are warm-up): said, since it shortens it for all
    expect(market.limitedBy).toEqual([{ symbol: 'WETH', bound: 'start', t: start + 30 * DAY * HOUR }]);
    const baseline = [
      { ltv: 0.6, liquidationThreshold: 0.7, liquidationBonus: 0.08 },
      { ltv: 0.8, liquidationThreshold: 0.83, liquidationBonus: 0.05 },
    ];
    const sweep = (settings: number[]): ReturnType<typeof sweepFrontier> =>
      sweepFrontier(market, { settings, guardrails: GUARDRAIL_PRESETS.default, baseline, population: { openRate: 0.3 } });
    const settings = [0.95, 0.99, 0.999];
    const seen: number[] = [];
    const report = sweepFrontier(market, {
      settings,
      guardrails: GUARDRAIL_PRESETS.default,
      baseline,
      population: { openRate: 0.3 },
      onSetting: (p) => seen.push(p.setting),
    });
    expect(seen).toEqual(settings);
    expect(report.steps).toBe(market.steps);
    expect(report.frontier.map((p) => p.setting)).toEqual(settings);
    // the classes present, each with its symbols and one point per setting
    expect(report.classes.map((c) => [c.class, c.symbols])).toEqual([
      ['eth', ['WETH']],
      ['governance', ['GOV']],
    ]);
    for (const c of report.classes) {
      expect(c.frontier.map((p) => p.setting)).toEqual(settings);
      expect(c.matched).toEqual(matchBaseline(c.frontier, c.baseline));
    }
    expect(report.assets.map((a) => a.frontier.length)).toEqual([3, 3]);
    expect(report.matched).toEqual(matchBaseline(report.frontier, report.baseline));
    // the static baseline's mean LTV is the mean of its two LTVs, every step
    expect(report.baseline.meanLtv).toBeCloseTo((0.6 + 0.8) / 2, 12);
    expect(report.classes.find((c) => c.class === 'governance')!.baseline.meanLtv).toBeCloseTo(0.6, 12);
    // the overall point is the mean of the assets' points
    report.frontier.forEach((p, k) => {
      expect(p.meanLtv).toBeCloseTo((report.assets[0]!.frontier[k]!.meanLtv + report.assets[1]!.frontier[k]!.meanLtv) / 2, 12);
    });
    // a higher quantile never allows more (hourly guardrails: the path is monotone in the target)
    for (let k = 1; k < settings.length; k++) {
      expect(report.frontier[k]!.meanLtv).toBeLessThanOrEqual(report.frontier[k - 1]!.meanLtv);
      for (const a of report.assets) expect(a.frontier[k]!.meanLtv).toBeLessThanOrEqual(a.frontier[k - 1]!.meanLtv);
    }
    expect(report.frontier[settings.length - 1]!.meanLtv).toBeLessThan(report.frontier[0]!.meanLtv);
    // other settings: the same borrowers, prices and baseline
    const other = sweep([0.9, 0.995]);
    expect(other.baseline).toEqual(report.baseline);
    expect(other.classes.map((c) => c.baseline)).toEqual(report.classes.map((c) => c.baseline));
    expect(other.assets.map((a) => a.baseline)).toEqual(report.assets.map((a) => a.baseline));
    expect(other.frontier).toHaveLength(2);
    // each asset's explanation: every hour the model has a target (from its 14th day of history on, read at the hour
    // before) is driven by exactly one term, counted per setting; GOV's 30 days of warm-up cover the whole window
    const hours = (a: (typeof report.assets)[number]) => a.frontier.map((f) => Object.values(f.drivers).reduce((x, y) => x + y, 0));
    expect(hours(report.assets.find((a) => a.symbol === 'GOV')!)).toEqual(settings.map(() => market.steps));
    expect(hours(report.assets.find((a) => a.symbol === 'WETH')!)).toEqual(settings.map(() => market.steps - 14 * DAY - 1));
  });
});
