import { CREDIT_FEATURES, creditFeatures, creditLabel, featureSpecHash, HF_CAP } from './features';
import { DAY, fixtureHistory, fixtureMarket, T0, USDC } from './test-fixtures';

describe('credit features', () => {
  const market = fixtureMarket();
  const t = T0 + 12 * DAY;
  const f = Object.fromEntries(CREDIT_FEATURES.map((d, i) => [d.name, creditFeatures(fixtureHistory(), t, market)[i]!]));

  it('has at least 20 features, each with a unit and window, and a stable spec hash', () => {
    expect(CREDIT_FEATURES.length).toBeGreaterThanOrEqual(20);
    expect(new Set(CREDIT_FEATURES.map((d) => d.name)).size).toBe(CREDIT_FEATURES.length);
    expect(featureSpecHash()).toMatch(/^0x[0-9a-f]{64}$/);
    expect(featureSpecHash(CREDIT_FEATURES.slice(1))).not.toBe(featureSpecHash());
  });

  it('hand-computed fixture', () => {
    // events at day 1, 3 and 10 (hour 0 of each day: WETH at 2000, even hour)
    expect(f).toMatchObject({
      age_days: 11,
      days_since_last: 2,
      active_days: 3,
      n_supply: 2,
      n_borrow: 2,
      n_repay: 1,
      n_withdraw: 1,
      n_liquidation: 0,
    });
    expect(f.supply_usd).toBeCloseTo(Math.log1p(2_000 + 4_000), 12);
    expect(f.borrow_usd).toBeCloseTo(Math.log1p(2_900), 12);
    expect(f.repay_usd).toBeCloseTo(Math.log1p(900), 12);
    expect(f.withdraw_usd).toBeCloseTo(Math.log1p(2_000), 12);
    expect(f.repaid_over_borrowed).toBeCloseTo(900 / 2_900, 12);
    // utilisations 900/(2000·0.75) = 0.6 and 2000/(4000·0.75) = 2/3
    expect(f.mean_utilisation).toBeCloseTo((0.6 + 2 / 3) / 2, 12);
    expect(f.max_utilisation).toBeCloseTo(2 / 3, 12);
    expect(f.mean_borrow_logit).toBeCloseTo((Math.log(0.6 / 0.4) + Math.log(2)) / 2, 12);
    expect(f).toMatchObject({ min_health_factor: 1.05, n_hf_below_1_1: 1, current_health_factor: 1.05, distinct_assets: 2 });
    expect(f.current_utilisation).toBeCloseTo(2 / 3, 12);
    expect(f).toMatchObject({ volatile_supply_share: 1, stable_debt_share: 1, open_volatile_share: 1 });
    // WETH returns alternate ±ln(1.1) every hour: 168 returns of ln(1.1)² in 168 hours, realised sd ln(1.1) per hour
    expect(f.open_collateral_vol_7d).toBeCloseTo(Math.log(1.1), 12);
    expect(HF_CAP).toBe(10);
  });

  it('no leakage: events and snapshots at or after t do not change the features', () => {
    const h = fixtureHistory();
    const before = creditFeatures(h, t, market);
    h.events.push({ timestamp: t, block: 1_200, kind: 'borrow', asset: USDC, amount: 1e6 });
    h.snapshots.push({ timestamp: t, block: 1_200, collateralUsd: 1, debtUsd: 1e6, healthFactor: 0.01 });
    h.events.sort((a, b) => a.timestamp - b.timestamp);
    h.snapshots.sort((a, b) => a.timestamp - b.timestamp);
    expect(creditFeatures(h, t, market)).toEqual(before);
  });

  it('labels: a liquidation or HF < 1 within (t, t + H]', () => {
    expect(creditLabel(fixtureHistory(), t, 30 * DAY)).toBe(1);
    expect(creditLabel(fixtureHistory(), t, 1 * DAY)).toBe(0);
    const h = fixtureHistory();
    h.events.pop();
    expect(creditLabel(h, t, 30 * DAY)).toBe(1); // the 0.95 snapshot
    h.snapshots.pop();
    expect(creditLabel(h, t, 30 * DAY)).toBe(0);
  });

  it('an empty history gives zeros and caps, and a missing price is a clear error', () => {
    const empty = creditFeatures({ wallet: '0x', events: [], snapshots: [] }, t, market);
    expect(empty[CREDIT_FEATURES.findIndex((d) => d.name === 'min_health_factor')]).toBe(HF_CAP);
    expect(empty.every((v) => Number.isFinite(v))).toBe(true);
    const h = fixtureHistory();
    h.events[0] = { ...h.events[0]!, asset: '0xdead' };
    expect(() => creditFeatures(h, t, market)).toThrow('no price for 0xdead at or before');
  });
});
