import { createRandom, normal, type Random } from '../../core/random';
import { ASSET_CLASS_PROFILES, assetProfile, classifyByPrices, knownAssetClass } from './asset-class';
import { DEFAULT_TAIL_OPTIONS, rollingMedian, tailSignals, tailTarget, type TailSignals } from './tail-model';
import { fitTail, sortedQuantile, tailQuantile, type TailFit } from './tail';

const DAY = 24; // steps of an hourly grid

/** A draw from the generalised Pareto distribution by inversion: σ/ξ ((1 − U)^−ξ − 1), or −σ ln(1 − U) for ξ = 0. */
const gpd = (random: Random, scale: number, shape: number): number => {
  const u = random();
  return shape === 0 ? -scale * Math.log(1 - u) : (scale / shape) * (Math.pow(1 - u, -shape) - 1);
};

/** A geometric random walk: `sigma` the sd of one step's log return. */
function walk(random: Random, steps: number, start: number, sigma: number): number[] {
  const out = [start];
  for (let i = 1; i < steps; i++) out.push(out[i - 1]! * Math.exp(sigma * normal(random)));
  return out;
}

const lt = (signals: TailSignals, i: number, q: number): number => tailTarget(signals, i, q)!.params.liquidationThreshold;

describe('the tail fit (peaks over threshold, GPD by probability-weighted moments)', () => {
  it('recovers the shape and scale of a generalised Pareto sample', () => {
    const random = createRandom(101);
    const scale = 0.01;
    const shape = 0.25;
    const values = Array.from({ length: 100_000 }, () => gpd(random, scale, shape));
    const fit = fitTail(values)!;
    // the threshold is the sample's 95th percentile; the true one is σ/ξ (0.05^−ξ − 1)
    const u = (scale / shape) * (Math.pow(0.05, -shape) - 1);
    expect(Math.abs(fit.threshold / u - 1)).toBeLessThan(0.03);
    expect(fit.exceedRate).toBeCloseTo(0.05, 3);
    // excesses of a GPD over u are GPD with the same shape and scale σ + ξ u
    expect(Math.abs(fit.shape - shape)).toBeLessThan(0.06);
    expect(Math.abs(fit.scale / (scale + shape * u) - 1)).toBeLessThan(0.08);
    expect(fit.count).toBe(100_000);
    expect(fit.max).toBe(Math.max(...values));
    // the fitted 99.9 % quantile is near the true one, σ/ξ (0.001^−ξ − 1)
    const true999 = (scale / shape) * (Math.pow(0.001, -shape) - 1);
    expect(Math.abs(tailQuantile(fit, 0.999) / true999 - 1)).toBeLessThan(0.1);
  });

  it('recovers an exponential tail (ξ = 0) and its scale', () => {
    const random = createRandom(202);
    const values = Array.from({ length: 100_000 }, () => gpd(random, 0.02, 0));
    const fit = fitTail(values)!;
    // memoryless: the excesses over any threshold are exponential with the same mean
    expect(Math.abs(fit.threshold / (-0.02 * Math.log(0.05)) - 1)).toBeLessThan(0.03);
    expect(fit.shape).toBeGreaterThanOrEqual(0);
    expect(fit.shape).toBeLessThan(0.05);
    expect(Math.abs(fit.scale / 0.02 - 1)).toBeLessThan(0.08);
  });

  it('clamps the shape to [0, 0.5]: a bounded (uniform) tail gives ξ = 0, a very heavy one 0.5', () => {
    const random = createRandom(303);
    const uniform = Array.from({ length: 100_000 }, () => random());
    const fit = fitTail(uniform)!;
    // the uniform's excesses over u are uniform on (0, 1 − u): ξ = −1 unclamped, never negative here
    expect(fit.shape).toBe(0);
    // with ξ fixed at 0, σ is the mean excess: (1 − 0.95) / 2
    expect(Math.abs(fit.scale / 0.025 - 1)).toBeLessThan(0.05);
    // so the fitted quantile runs past the sample's maximum instead of stopping at it
    expect(tailQuantile(fit, 0.9999)).toBeGreaterThan(fit.max);
    // ξ = 2 (infinite mean): clamped to 0.5
    const heavy = Array.from({ length: 20_000 }, () => gpd(random, 1, 2));
    expect(fitTail(heavy)!.shape).toBe(0.5);
  });

  it('needs 100 finite values, and reads negative moves as zero', () => {
    const random = createRandom(404);
    const values = Array.from({ length: 99 }, () => random());
    expect(fitTail(values)).toBeUndefined();
    expect(fitTail([...values, NaN, Infinity])).toBeUndefined();
    expect(fitTail([...values, 0.5])).toBeDefined();
    const negatives = fitTail(Array.from({ length: 200 }, (_, k) => (k < 150 ? -1 : k / 200)))!;
    expect(negatives.count).toBe(200);
    expect(negatives.threshold).toBeGreaterThanOrEqual(0);
  });

  it('tailQuantile follows the closed forms, by hand', () => {
    const fit: TailFit = { threshold: 0.1, exceedRate: 0.05, scale: 0.02, shape: 0, count: 1_000, max: 0.3 };
    // ξ = 0: u + σ ln(ζ / (1 − q))
    expect(tailQuantile(fit, 0.99)).toBeCloseTo(0.1 + 0.02 * Math.log(5), 12);
    expect(tailQuantile(fit, 0.999)).toBeCloseTo(0.1 + 0.02 * Math.log(50), 12);
    // ξ = 0.5: u + σ/ξ ((ζ / (1 − q))^ξ − 1)
    expect(tailQuantile({ ...fit, shape: 0.5 }, 0.99)).toBeCloseTo(0.1 + (0.02 / 0.5) * (Math.sqrt(5) - 1), 12);
    // at or below the threshold's level (q ≤ 1 − ζ) the model says only "the threshold"
    expect(tailQuantile(fit, 0.9)).toBe(0.1);
    expect(tailQuantile(fit, 0.95)).toBe(0.1);
    expect(() => tailQuantile(fit, 1)).toThrow(/q in \(0, 1\)/);
    expect(() => tailQuantile(fit, 0)).toThrow(/q in \(0, 1\)/);
    // higher quantile, larger move
    expect(tailQuantile(fit, 0.995)).toBeGreaterThan(tailQuantile(fit, 0.99));
  });

  it('sortedQuantile interpolates linearly between order statistics', () => {
    expect(sortedQuantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(sortedQuantile([0, 10], 0.95)).toBeCloseTo(9.5, 12);
    expect(sortedQuantile([3, 5, 9], 1)).toBe(9);
    expect(sortedQuantile([3, 5, 9], 0)).toBe(3);
  });
});

describe('the tail model', () => {
  it('a crash after a calm quarter tightens the target, and a calm two months do not loosen it back', () => {
    // hourly: 90 calm days (2.2 %/h), a 35 % fall over 4 hours, 120 calm days; the same noise without the fall beside it
    const random = createRandom(7);
    const crashAt = 90 * DAY;
    const n = crashAt + 120 * DAY;
    const noise = Array.from({ length: n }, (_, i) => (i === 0 ? 0 : 0.022 * normal(random)));
    let calmLog = Math.log(10);
    let crashLog = calmLog;
    const calm: number[] = [];
    const crashed: number[] = [];
    for (let i = 0; i < n; i++) {
      calmLog += noise[i]!;
      crashLog += noise[i]! + (i >= crashAt && i < crashAt + 4 ? Math.log(0.65) / 4 : 0);
      calm.push(Math.exp(calmLog));
      crashed.push(Math.exp(crashLog));
    }
    expect(crashed[crashAt + 3]! / calm[crashAt + 3]!).toBeCloseTo(0.65, 12);
    // a rare-event appetite: one 12 h window in a thousand
    const q = 0.999;
    const withCrash = tailSignals(crashed, 'governance');
    const without = tailSignals(calm, 'governance');
    const before = tailTarget(withCrash, crashAt - 1, q)!;
    // the level before the crash is the model's, not the class ceiling's (else "lower" would say little)
    expect(before.explanation.driver).not.toBe('ceiling');
    const { maxLtv, ltvBuffer } = ASSET_CLASS_PROFILES.governance;
    expect(before.params.liquidationThreshold).toBeLessThan(maxLtv + ltvBuffer);
    // identical histories, identical targets
    for (let i = 14 * DAY; i < crashAt; i += 7) expect(tailTarget(withCrash, i, q)).toEqual(tailTarget(without, i, q));
    // from the day after the crash through 60 calm days: lower than before it, and than without it
    for (let i = crashAt + DAY; i <= crashAt + 61 * DAY; i++) {
      const after = tailTarget(withCrash, i, q)!;
      expect(after.params.liquidationThreshold).toBeLessThan(before.params.liquidationThreshold);
      expect(after.params.ltv).toBeLessThan(before.params.ltv);
      expect(after.params.liquidationThreshold).toBeLessThan(lt(without, i, q));
      expect(after.params.liquidationThreshold * (1 + after.params.liquidationBonus)).toBeLessThanOrEqual(1);
    }
    // two months on, the year's tail itself carries the memory, not the 7-day regime term
    const late = tailTarget(withCrash, crashAt + 60 * DAY, q)!;
    expect(late.explanation.tail).toBeGreaterThan(tailTarget(without, crashAt + 60 * DAY, q)!.explanation.tail);
    expect(late.explanation.tail).toBeGreaterThan(before.explanation.tail);
    expect(withCrash.fits[crashAt + 60 * DAY]!.max).toBeGreaterThanOrEqual(0.35 - 1e-9);
  });

  it('a stablecoin drifting off its peg tightens at the first sign, driven by the peg', () => {
    const random = createRandom(8);
    const driftAt = 60 * DAY;
    const prices = Array.from({ length: driftAt }, () => 1 + 0.0005 * normal(random));
    // down to 0.90 over two days, linearly, then held there
    for (let j = 0; j < 2 * DAY; j++) prices.push(1 - (0.1 * (j + 1)) / (2 * DAY));
    for (let j = 0; j < 2 * DAY; j++) prices.push(0.9 + 0.0005 * normal(random));
    const signals = tailSignals(prices, 'stablecoin');
    const q = 0.99;
    const ceiling = ASSET_CLASS_PROFILES.stablecoin.maxLtv + ASSET_CLASS_PROFILES.stablecoin.ltvBuffer;
    // a calm stablecoin sits at its ceiling
    const before = tailTarget(signals, driftAt - 1, q)!;
    expect(before.explanation.driver).toBe('ceiling');
    expect(before.params.liquidationThreshold).toBeCloseTo(ceiling, 12);
    const crosses = prices.findIndex((p) => p <= 0.97);
    expect(crosses).toBeGreaterThan(driftAt);
    const falls = prices.findIndex((_, i) => i >= 14 * DAY && lt(signals, i, q) < before.params.liquidationThreshold);
    // no false alarm in the calm months, and a move at or before the price crosses 0.97
    expect(falls).toBeGreaterThanOrEqual(driftAt);
    expect(falls).toBeLessThanOrEqual(crosses);
    const at = tailTarget(signals, crosses, q)!;
    expect(at.explanation.driver).toBe('peg');
    expect(at.params.liquidationThreshold).toBeLessThan(ceiling);
    // the peg term by hand: |median of the last 6 prices − 1| plus twice its growth over the day
    const window = prices.slice(crosses - 5, crosses + 1).sort((a, b) => a - b);
    const deviation = Math.abs((window[2]! + window[3]!) / 2 - 1);
    expect(signals.pegDeviation[crosses]).toBeCloseTo(deviation, 12);
    const dayAgo = signals.pegDeviation[crosses - DAY]!;
    expect(dayAgo).toBeLessThan(0.002);
    expect(at.explanation.peg).toBeCloseTo(deviation + 2 * (deviation - dayAgo), 12);
    // and the threshold keeps a position at it solvent after that move and the bonus
    expect(at.params.liquidationThreshold).toBeCloseTo((1 - at.explanation.move) / (1 + at.explanation.bonus), 12);
    expect(at.explanation.move).toBeGreaterThanOrEqual(at.explanation.peg);
    // off the peg, it stays tight
    for (let i = crosses; i < prices.length; i++) expect(lt(signals, i, q)).toBeLessThan(ceiling);
  });

  it('a one-hour print at 0.93 that reverts at once moves neither the peg term (a 6 h median) nor the tail or regime (a 3-step median)', () => {
    const random = createRandom(9);
    const calm = Array.from({ length: 60 * DAY }, () => 1 + 0.0005 * normal(random));
    const spikeAt = 50 * DAY + 5;
    const spiked = calm.map((p, i) => (i === spikeAt ? 0.93 : p));
    const a = tailSignals(spiked, 'stablecoin');
    const b = tailSignals(calm, 'stablecoin');
    for (let i = spikeAt; i < spikeAt + DAY; i++) {
      expect(a.pegDeviation[i]).toBeLessThan(0.002);
      expect(Math.abs(a.pegDeviation[i]! - b.pegDeviation[i]!)).toBeLessThan(0.001);
      expect(tailTarget(a, i, 0.99)!.explanation.peg).toBeLessThan(0.005);
    }
    // a raw price would have read a 7 % depeg; the one before the spike and the one after its window are untouched
    expect(Math.abs(spiked[spikeAt]! - 1)).toBeCloseTo(0.07, 12);
    expect(a.pegDeviation[spikeAt - 1]).toBe(b.pegDeviation[spikeAt - 1]);
    expect(a.pegDeviation[spikeAt + 6]).toBe(b.pegDeviation[spikeAt + 6]);
    // the target before the next refit is that of the calm path: still at the ceiling
    expect(tailTarget(a, spikeAt, 0.99)!.params).toEqual(tailTarget(b, spikeAt, 0.99)!.params);
    // nor does it enter the year's tail or the regime (moves read a 3-step median, which the spike only nudges to a
    // neighbour's value): weeks later, at the most cautious quantile, the calm path's tail, regime and parameters
    for (const i of [spikeAt + DAY, spikeAt + 7 * DAY, 60 * DAY - 1]) {
      expect(Math.abs(a.fits[i]!.max - b.fits[i]!.max)).toBeLessThan(0.001);
      expect(Math.abs(a.volRatio[i]! - b.volRatio[i]!)).toBeLessThan(0.01);
      expect(
        Math.abs(tailTarget(a, i, 0.999)!.params.liquidationThreshold - tailTarget(b, i, 0.999)!.params.liquidationThreshold),
      ).toBeLessThan(0.001);
    }
  });

  it('the regime term tightens in a turbulent week and never loosens in a calm one', () => {
    const random = createRandom(11);
    const n = 67 * DAY;
    const turnAt = 60 * DAY;
    // 60 days at 1 %/h then a week at 3 %/h; and the reverse
    const turbulent = walk(random, turnAt, 5, 0.01).concat(walk(random, n - turnAt, 5, 0.03));
    const calming = walk(random, turnAt, 5, 0.03).concat(walk(random, n - turnAt, 5, 0.005));
    const i = n - 1;
    // by hand: the root mean square of one-step log returns (of the 3-step trailing median, which drops single bad
    // prints) over the last 7 days, over that since the start
    const rms = (raw: number[], from: number): number => {
      const p = rollingMedian(raw, 3);
      let s = 0;
      for (let k = from; k <= i; k++) s += Math.log(p[k]! / p[k - 1]!) ** 2;
      return Math.sqrt(s / (i - from + 1));
    };
    const up = tailSignals(turbulent, 'governance');
    const ratio = rms(turbulent, i - 7 * DAY + 1) / rms(turbulent, 1);
    expect(ratio).toBeGreaterThan(1.5);
    expect(up.volRatio[i]).toBeCloseTo(Math.min(3, ratio), 9);
    const t = tailTarget(up, i, 0.99)!;
    expect(t.explanation.regime).toBeCloseTo(t.explanation.tail * (up.volRatio[i]! - 1), 12);
    // the liquidation wave's impact at the class's default depth: 2 % × $3M / $1.5M
    expect(t.explanation.cascade).toBeCloseTo(
      (0.02 * DEFAULT_TAIL_OPTIONS.liquidationUsd) / ASSET_CLASS_PROFILES.governance.defaultDepthUsd,
      12,
    );
    expect(t.explanation.move).toBeCloseTo(t.explanation.tail * up.volRatio[i]! + t.explanation.cascade, 12);
    const down = tailSignals(calming, 'governance');
    expect(down.volRatio[i]).toBeLessThan(0.5);
    const c = tailTarget(down, i, 0.99)!;
    // a calm week does not shrink the year's tail
    expect(c.explanation.regime).toBe(0);
    expect(c.explanation.move).toBe(c.explanation.tail + c.explanation.cascade);
    expect(c.explanation.driver).toBe('tail');
    expect(c.params.liquidationThreshold).toBeCloseTo(
      (1 - c.explanation.tail - c.explanation.cascade) / (1 + c.params.liquidationBonus),
      12,
    );
  });

  it('rollingMedian takes the median of the finite values of the window', () => {
    const m = rollingMedian([1, 5, NaN, 3, 100, 2], 3);
    expect(Array.from(m)).toEqual([1, 3, 3, 4, 51.5, 3]);
    expect(Number.isNaN(rollingMedian([NaN, 1], 1)[0]!)).toBe(true);
  });

  it('an ETH staking token 5 % under its ratio peak to ETH raises the peg term', () => {
    const random = createRandom(10);
    const n = 40 * DAY;
    const dropAt = 30 * DAY;
    const eth = walk(random, n, 2_000, 0.01);
    // the ratio grows with staking rewards, then loses 5 %
    const ratio = eth.map((_, i) => 1.05 * (1 + 4e-6 * i) * (i >= dropAt ? 0.95 : 1));
    const token = eth.map((p, i) => p * ratio[i]!);
    const signals = tailSignals(token, 'eth', DEFAULT_TAIL_OPTIONS, { reference: eth });
    // a growing ratio is always at its peak
    for (let i = 0; i < dropAt; i++) expect(signals.pegDeviation[i]).toBeLessThan(1e-9);
    // once the median has turned (half the 6 h window), about 5 % off the peak
    for (let i = dropAt + 4; i < n; i++) expect(Math.abs(signals.pegDeviation[i]! - 0.05)).toBeLessThan(0.003);
    const q = 0.99;
    const before = tailTarget(signals, dropAt - 1, q)!;
    const after = tailTarget(signals, dropAt + 6, q)!;
    expect(after.explanation.peg).toBeGreaterThan(before.explanation.peg + 0.05);
    // deviation and its growth over the day: about 5 % + 2 × 5 %
    expect(after.explanation.peg).toBeCloseTo(signals.pegDeviation[dropAt + 6]! * 3, 12);
    expect(after.params.liquidationThreshold).toBeLessThan(before.params.liquidationThreshold);
    // without the reference the class has no peg to read
    expect(Array.from(tailSignals(token, 'eth').pegDeviation).every((d) => d === 0)).toBe(true);
    // and ETH itself (a ratio of 1) never depegs from itself
    expect(Math.max(...tailSignals(eth, 'eth', DEFAULT_TAIL_OPTIONS, { reference: eth }).pegDeviation)).toBe(0);
  });

  it('a market 20x thinner asks a larger bonus and gives a lower threshold for the same prices', () => {
    const random = createRandom(12);
    const prices = walk(random, 40 * DAY, 5, 0.03);
    // a $1M liquidation wave
    const o = { ...DEFAULT_TAIL_OPTIONS, liquidationUsd: 1_000_000 };
    const deep = tailSignals(prices, 'governance', o, { liquidity: prices.map(() => 2_000_000) });
    const thin = tailSignals(prices, 'governance', o, { liquidity: prices.map(() => 100_000) });
    const fallback = tailSignals(prices, 'governance', o, { liquidity: prices.map(() => NaN) });
    for (const i of [20 * DAY, 30 * DAY + 7, 40 * DAY - 1]) {
      const d = tailTarget(deep, i, 0.99, o)!;
      const t = tailTarget(thin, i, 0.99, o)!;
      // slippage = base + 1 % × $1M / depth; bonus = slippage + gas + margin within [min, max]
      expect(d.explanation.slippage).toBeCloseTo(0.003 + (0.01 * 1e6) / 2e6, 12);
      expect(t.explanation.slippage).toBeCloseTo(0.003 + (0.01 * 1e6) / 1e5, 12);
      expect(d.params.liquidationBonus).toBeCloseTo(o.minBonus, 12); // 0.03 is below the 4 % floor
      expect(t.params.liquidationBonus).toBeCloseTo(0.103 + 0.002 + 0.02, 12);
      expect(t.params.liquidationThreshold).toBeLessThan(d.params.liquidationThreshold);
      expect(t.params.ltv).toBeLessThan(d.params.ltv);
      // the wave's own price impact (2 % × $1M / depth) adds to the move: 1 % deep, 20 % thin; lt × (1 + bonus) = 1 − move
      expect(d.explanation.driver).not.toBe('ceiling');
      expect(t.explanation.driver).toBe('liquidity');
      expect(d.explanation.cascade).toBeCloseTo(0.01, 12);
      expect(t.explanation.cascade).toBeCloseTo(0.2, 12);
      expect(t.explanation.move - d.explanation.move).toBeCloseTo(0.19, 12);
      expect(t.params.liquidationThreshold * (1 + 0.125)).toBeCloseTo(1 - t.explanation.move, 12);
      expect(d.params.liquidationThreshold * (1 + 0.04)).toBeCloseTo(1 - d.explanation.move, 12);
      // no depth in the data: the class default
      expect(tailTarget(fallback, i, 0.99, o)!.explanation.slippage).toBeCloseTo(
        0.003 + (0.01 * 1e6) / ASSET_CLASS_PROFILES.governance.defaultDepthUsd,
        12,
      );
    }
  });

  it('reads no price after step i: replacing the future changes no signal or target at i', () => {
    const random = createRandom(13);
    const n = 60 * DAY;
    const eth = walk(random, n, 2_000, 0.01);
    const cases: Array<{ prices: number[]; cls: 'governance' | 'stablecoin' | 'eth' }> = [
      { prices: walk(random, n, 5, 0.02), cls: 'governance' },
      { prices: Array.from({ length: n }, (_, i) => 1 + 0.002 * Math.sin(i / 17) + 0.001 * normal(random)), cls: 'stablecoin' },
      { prices: eth.map((p, i) => p * 1.05 * (1 + 0.01 * Math.sin(i / 50))), cls: 'eth' },
    ];
    const liquidity = Array.from({ length: n }, (_, i) => 1e6 * (2 + Math.sin(i / 30)));
    for (const { prices, cls } of cases) {
      const full = tailSignals(prices, cls, DEFAULT_TAIL_OPTIONS, { liquidity, reference: eth });
      for (const i of [100, 15 * DAY - 1, 15 * DAY, 31 * DAY + 11, 45 * DAY]) {
        // after i: a crash to a tenth, a different depth and a different reference
        const changed = prices.map((p, k) => (k > i ? p * 0.1 : p));
        const changedEth = eth.map((p, k) => (k > i ? p * 3 : p));
        const changedLiquidity = liquidity.map((d, k) => (k > i ? 1 : d));
        const cut = tailSignals(changed, cls, DEFAULT_TAIL_OPTIONS, { liquidity: changedLiquidity, reference: changedEth });
        expect(cut.fits[i]).toEqual(full.fits[i]);
        expect(cut.volRatio[i]).toBe(full.volRatio[i]);
        expect(cut.pegDeviation[i]).toBe(full.pegDeviation[i]);
        expect(cut.pegSpeed[i]).toBe(full.pegSpeed[i]);
        expect(cut.depth[i]).toBe(full.depth[i]);
        for (const q of [0.95, 0.99, 0.999]) expect(tailTarget(cut, i, q)).toEqual(tailTarget(full, i, q));
        // the change is real: the last fit differs
        expect(cut.fits[n - 1]).not.toEqual(full.fits[n - 1]);
      }
      // too little history: no target
      expect(tailTarget(full, 14 * DAY - 1, 0.99)).toBeUndefined();
      expect(tailTarget(full, 14 * DAY, 0.99)).toBeDefined();
    }
  });

  it('rejects non-positive or non-finite prices', () => {
    expect(() => tailSignals([1, 0, 1], 'governance')).toThrow(/price at step 1 is 0/);
    expect(() => tailSignals([1, NaN], 'governance')).toThrow(/price at step 1 is NaN/);
  });
});

describe('asset classes', () => {
  it('classes unknown symbols by their prices', () => {
    const random = createRandom(14);
    const n = 30 * DAY;
    const stable = Array.from({ length: n }, () => 1 + 0.002 * normal(random));
    const eth = walk(random, n, 2_000, 0.01);
    const staked = eth.map((p) => 1.05 * p);
    const token = walk(random, n, 20, 0.03);
    expect(classifyByPrices(stable)).toBe('stablecoin');
    expect(classifyByPrices(stable, eth)).toBe('stablecoin');
    expect(classifyByPrices(staked, eth)).toBe('eth');
    expect(classifyByPrices(staked)).toBe('governance'); // without a reference nothing says it tracks ETH
    expect(classifyByPrices(token, eth)).toBe('governance');
    expect(classifyByPrices(token)).toBe('governance');
    // a stablecoin that spends a fifth of its time 10 % off the peg is not one
    expect(classifyByPrices(stable.map((p, i) => (i % 5 === 0 ? 0.9 : p)))).toBe('governance');
  });

  it('knows symbols by name, case-insensitively', () => {
    expect(knownAssetClass('wstETH')).toBe('eth');
    expect(knownAssetClass('WETH')).toBe('eth');
    expect(knownAssetClass('USDC')).toBe('stablecoin');
    expect(knownAssetClass('usdc')).toBe('stablecoin');
    expect(knownAssetClass('WBTC')).toBe('btc');
    expect(knownAssetClass('UNI')).toBeUndefined();
    expect(knownAssetClass('USDCX')).toBeUndefined();
  });

  it('a synthetic or unknown stablecoin gets a lower ceiling than a reserve-backed one on the same calm prices', () => {
    for (const s of ['UST', 'FEI', 'sUSD', 'FRAX', 'XUSD']) expect(assetProfile(s, 'stablecoin').maxLtv).toBe(0.75);
    for (const s of ['USDC', 'usdt', 'DAI']) expect(assetProfile(s, 'stablecoin')).toBe(ASSET_CLASS_PROFILES.stablecoin);
    expect(assetProfile('WETH', 'eth')).toBe(ASSET_CLASS_PROFILES.eth);
    const random = createRandom(31);
    const calm = Array.from({ length: 60 * DAY }, () => 1 + 0.0005 * normal(random));
    const at = (symbol: string) =>
      tailTarget(
        tailSignals(calm, 'stablecoin', DEFAULT_TAIL_OPTIONS, { profile: assetProfile(symbol, 'stablecoin') }),
        60 * DAY - 1,
        0.99,
      )!;
    expect(at('USDC').params.ltv).toBeCloseTo(ASSET_CLASS_PROFILES.stablecoin.maxLtv, 12);
    expect(at('UST').params.ltv).toBeCloseTo(0.75, 12);
    expect(at('UST').explanation.driver).toBe('ceiling');
  });
});
