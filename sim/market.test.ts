import { simulateMarket, trailingVolatility } from './market';

describe('simulated market', () => {
  const market = simulateMarket({ seed: 4, days: 120 });
  const bySymbol = (s: string) => market.assets.find((a) => a.symbol === s)!.prices;

  it('is seeded: the same seed gives the same paths, another seed others', () => {
    expect(simulateMarket({ seed: 4, days: 120 }).assets[0]!.prices).toEqual(market.assets[0]!.prices);
    expect(simulateMarket({ seed: 5, days: 120 }).assets[0]!.prices).not.toEqual(market.assets[0]!.prices);
    expect(market.steps).toBe(120 * 24);
  });

  it('has a crash, a depeg of USDC, and both regimes', () => {
    const eth = bySymbol('WETH');
    expect(eth[market.crashStep + 3]! / eth[market.crashStep - 1]!).toBeLessThan(0.7);
    const usdc = bySymbol('USDC');
    expect(usdc[market.depegStep]).toBeCloseTo(0.93, 6);
    expect(Math.min(...usdc)).toBeCloseTo(0.93, 6);
    expect(Math.abs(usdc[market.depegStep + 24]! - 1)).toBeLessThan(0.01);
    expect(market.regime.includes(0) && market.regime.includes(1)).toBe(true);
    // the volatile regime is visibly more volatile
    expect(trailingVolatility(eth, market.crashStep - 1, 24)).toBeGreaterThan(2 * trailingVolatility(eth, 24 * 10, 24 * 7) * 0.9);
  });

  it('has a market depth that thins ahead of and through stress, and around the crash and the depeg', () => {
    const depth = (s: string) => market.assets.find((a) => a.symbol === s)!.liquidity;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const eth = depth('WETH');
    expect(eth.every((d) => Number.isFinite(d) && d > 0)).toBe(true);
    // calm steps with a volatile one within 12 h: the books thin before the trailing volatility can see it
    const steps = [...eth.keys()];
    const soon = steps.filter((i) => !market.regime[i] && market.regime.subarray(i, i + 13).includes(1));
    const quiet = steps.filter((i) => !market.regime.subarray(Math.max(0, i - 24), i + 25).includes(1));
    expect(soon.length).toBeGreaterThan(5);
    expect(mean(soon.map((i) => eth[i]!))).toBeLessThan(0.7 * mean(quiet.map((i) => eth[i]!)));
    expect(eth[market.crashStep + 1]!).toBeLessThan(0.3 * mean(quiet.map((i) => eth[i]!)));
    const usdc = depth('USDC');
    expect(usdc[market.depegStep]!).toBeLessThan(0.4 * usdc[market.depegStep - 24 * 3]!);
    // its own random stream: the prices are the bits the generator gave before it had depth (pinned for this seed)
    expect(market.assets[0]!.prices[100]).toBe(2292.212513757);
    expect(market.assets[2]!.prices[2000]).toBe(11.37058057152489);
  });

  it('trailing volatility by hand, using only returns before step i', () => {
    const p = Float64Array.from([1, Math.E, 1, Math.E, 100]);
    // returns before step 4: +1, −1, +1 → mean 1/3, sample variance (4/9 + 16/9 + 4/9) / 2 = 4/3
    expect(trailingVolatility(p, 4, 10)).toBeCloseTo(Math.sqrt(4 / 3), 12);
    expect(trailingVolatility(p, 2, 10)).toBe(0);
  });
});
