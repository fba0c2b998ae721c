import { forwardAdverseMoves, quantile, resample, trailingAdverseQuantile } from '../collateral/adverse';
import { mapAdverseMove } from '../collateral/mapping';
import { generatePopulation, runBacktest } from './engine';
import { staticPath } from './policies';

const HOUR = 3_600;

describe('adverse moves', () => {
  it('forward-fills gaps on the grid and rejects non-positive prices', () => {
    const grid = resample(
      [
        { t: 0, p: 10 },
        { t: 3 * HOUR, p: 7 },
      ],
      HOUR,
      0,
      4 * HOUR,
    );
    expect(grid.p).toEqual([10, 10, 10, 7, 7]);
    expect(() => resample([{ t: 0, p: NaN }], HOUR, 0, HOUR)).toThrow(/price at 0 is NaN/);
  });

  it('computes the worst forward fall in each window, and never uses a window that has not ended', () => {
    const p = [100, 90, 95, 50, 80, 100, 100];
    const moves = forwardAdverseMoves(p, 2);
    const expected = [0.1, 1 - 50 / 90, 1 - 50 / 95, 0, 0];
    expected.forEach((m, i) => expect(moves[i]).toBeCloseTo(m, 12));
    expect(Number.isNaN(moves[5]!)).toBe(true);
    // naive O(n·h) reference on random data
    const rnd = Array.from({ length: 500 }, (_, i) => 100 + 20 * Math.sin(i / 7) + (i % 13));
    const fast = forwardAdverseMoves(rnd, 9);
    for (let i = 0; i + 9 < rnd.length; i++) expect(fast[i]).toBeCloseTo(1 - Math.min(...rnd.slice(i, i + 10)) / rnd[i]!, 12);
    // before step 3 only the window starting at 0 has ended (start ≤ 3 − 2 − 1): one sample
    expect(trailingAdverseQuantile(moves, 3, 2, 10, 0.5, 1)).toBeCloseTo(0.1);
    expect(trailingAdverseQuantile(moves, 3, 2, 10, 0.5, 5)).toBeUndefined();
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
  });

  it('maps a move to parameters that keep a position at the threshold solvent', () => {
    const mapped = mapAdverseMove(0.2, { slippage: 0.01, gasCost: 0, bonusMargin: 0.04, ltvBuffer: 0.05, minBonus: 0.02, maxBonus: 0.15 });
    expect(mapped.fractions.liquidationBonus).toBeCloseTo(0.05);
    expect(mapped.fractions.liquidationThreshold).toBeCloseTo(0.8 / 1.05);
    expect(mapped.bps).toEqual({ ltv: 7_119, liquidationThreshold: 7_619, liquidationBonus: 10_500 });
    expect(() => mapAdverseMove(NaN)).toThrow(/adverse move must be a fraction/);
  });
});

const noSlippage = { delaySteps: 0, slippageBase: 0, slippagePerMillion: 0 };

describe('backtest engine', () => {
  it('a known crash: one borrower at the maximum LTV, bad debt computed by hand', () => {
    // collateral worth $1000 at $100, borrowing 80 % = $800; the price falls to $50 at step 2
    const prices = [[100, 100, 50, 50]];
    const params = [{ ltv: 0.8, liquidationThreshold: 0.85, liquidationBonus: 0.05 }];
    const openings = [{ step: 0, asset: 0, sizeUsd: 1_000, fraction: 1, lifetimeSteps: 100 }];
    const result = runBacktest(['X'], prices, staticPath(params), openings, noSlippage);
    // at step 2: value 500 < 800 × 1.05, so everything is seized and 500 / 1.05 repaid
    expect(result.liquidations).toBe(1);
    expect(result.badDebtUsd).toBeCloseTo(800 - 500 / 1.05, 9);
    expect(result.badDebtPct).toBeCloseTo((100 * (800 - 500 / 1.05)) / 800, 9);
    expect(result.meanLtv).toBeCloseTo(0.8);
  });

  it('a fall the threshold covers: the over-borrowed position is liquidated without bad debt, the healthy one is not', () => {
    const prices = [[100, 90, 90, 90]];
    const params = [{ ltv: 0.5, liquidationThreshold: 0.6, liquidationBonus: 0.1 }];
    const healthy = { step: 0, asset: 0, sizeUsd: 1_000, fraction: 1, lifetimeSteps: 100 };
    // debt 500; at $90 value 900: HF = 900·0.6/500 = 1.08, healthy. Borrow more (fraction 1.2 of ltv = 600): HF 0.9
    const risky = { ...healthy, fraction: 1.2 };
    const result = runBacktest(['X'], prices, staticPath(params), [healthy, risky], noSlippage);
    expect(result.liquidations).toBe(1);
    expect(result.badDebtUsd).toBe(0); // 900 ≥ 600 × 1.1
  });

  it('liquidators wait while slippage exceeds the bonus, and the wait costs bad debt', () => {
    const prices = [[100, 80, 60, 40]];
    const params = [{ ltv: 0.75, liquidationThreshold: 0.8, liquidationBonus: 0.02 }];
    const openings = [{ step: 0, asset: 0, sizeUsd: 1_000_000, fraction: 1, lifetimeSteps: 100 }];
    // slippage 0.5 % + 5 % per $1M of collateral stays above the 2 % bonus: nobody liquidates; marked to the last price
    const waiting = runBacktest(['X'], prices, staticPath(params), openings, {
      delaySteps: 0,
      slippageBase: 0.005,
      slippagePerMillion: 0.05,
    });
    expect(waiting.liquidations).toBe(0);
    expect(waiting.badDebtUsd).toBeCloseTo(750_000 - 400_000 / 1.02, 6);
    const prompt = runBacktest(['X'], prices, staticPath(params), openings, noSlippage);
    expect(prompt.liquidations).toBe(1);
    expect(prompt.badDebtUsd).toBeLessThan(waiting.badDebtUsd);
  });

  it('the same borrowers face every parameter set, and tighter parameters lose less in a crash', () => {
    const steps = 24 * 60;
    const crashAt = 24 * 45;
    const prices = [
      Array.from({ length: steps }, (_, i) =>
        i < crashAt ? 2_000 * (1 + 0.01 * Math.sin(i / 5)) : 2_000 * (i < crashAt + 3 ? 1 - 0.12 * (i - crashAt + 1) : 0.62),
      ),
    ];
    const openings = generatePopulation(1, steps, {
      seed: 3,
      openRate: 0.5,
      shareAtMax: 0.3,
      lifetimeMeanSteps: 24 * 20,
      sizeMedianUsd: 20_000,
      sizeSigma: 0.5,
    });
    expect(
      generatePopulation(1, steps, {
        seed: 3,
        openRate: 0.5,
        shareAtMax: 0.3,
        lifetimeMeanSteps: 24 * 20,
        sizeMedianUsd: 20_000,
        sizeSigma: 0.5,
      }),
    ).toEqual(openings);
    const loose = runBacktest(['ETH'], prices, staticPath([{ ltv: 0.85, liquidationThreshold: 0.88, liquidationBonus: 0.04 }]), openings);
    const tight = runBacktest(['ETH'], prices, staticPath([{ ltv: 0.6, liquidationThreshold: 0.7, liquidationBonus: 0.08 }]), openings);
    expect(loose.badDebtUsd).toBeGreaterThan(tight.badDebtUsd);
    expect(loose.meanLtv).toBeGreaterThan(tight.meanLtv);
    // same borrowers: only their debt scales with the allowed LTV
    expect(loose.assets[0]!.borrowedUsd / 0.85).toBeCloseTo(tight.assets[0]!.borrowedUsd / 0.6, 3);
    expect(() => runBacktest(['ETH', 'BTC'], prices, staticPath([]), openings)).toThrow(/every asset needs a price/);
  });
});
