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

  it('trailing volatility by hand, using only returns before step i', () => {
    const p = Float64Array.from([1, Math.E, 1, Math.E, 100]);
    // returns before step 4: +1, −1, +1 → mean 1/3, sample variance (4/9 + 16/9 + 4/9) / 2 = 4/3
    expect(trailingVolatility(p, 4, 10)).toBeCloseTo(Math.sqrt(4 / 3), 12);
    expect(trailingVolatility(p, 2, 10)).toBe(0);
  });
});
