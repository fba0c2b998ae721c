import type { CreditHistory, MarketData } from './types';

/** Hand-computable fixtures shared by the TypeScript and SQL feature tests. */
export const DAY = 86_400;
export const T0 = 1_700_006_400; // a UTC midnight
export const WETH = '0x0000000000000000000000000000000000000001';
export const USDC = '0x0000000000000000000000000000000000000002';
const hours = (n: number) => Float64Array.from({ length: n }, (_, i) => T0 + i * 3_600);

/** WETH at 2000 then 2200 alternating every hour for 20 days; USDC at 1. */
export function fixtureMarket(): MarketData {
  const t = hours(24 * 20);
  return {
    prices: new Map([
      [WETH, { t, p: t.map((_, i) => (i % 2 === 0 ? 2_000 : 2_200)) }],
      [USDC, { t, p: t.map(() => 1) }],
    ]),
    stable: new Map([
      [WETH, false],
      [USDC, true],
    ]),
  };
}

/** Day 1: supply 1 WETH (2000 $), borrow 900 USDC; day 3: repay 900, withdraw; day 10: supply 2 WETH, borrow 2000. */
export function fixtureHistory(): CreditHistory {
  const at = (day: number) => T0 + day * DAY;
  return {
    wallet: '0xabc',
    events: [
      { timestamp: at(1), block: 100, kind: 'supply', asset: WETH, amount: 1 },
      { timestamp: at(1), block: 100, kind: 'borrow', asset: USDC, amount: 900 },
      { timestamp: at(3), block: 300, kind: 'repay', asset: USDC, amount: 900 },
      { timestamp: at(3), block: 300, kind: 'withdraw', asset: WETH, amount: 1 },
      { timestamp: at(10), block: 1_000, kind: 'supply', asset: WETH, amount: 2 },
      { timestamp: at(10), block: 1_000, kind: 'borrow', asset: USDC, amount: 2_000 },
      // after t (day 12): a liquidation on day 14
      { timestamp: at(14), block: 1_400, kind: 'liquidation', asset: WETH, amount: 2_000, collateralAmount: 2 },
    ],
    snapshots: [
      { timestamp: at(1), block: 100, collateralUsd: 2_000, debtUsd: 900, healthFactor: 1.66 },
      { timestamp: at(3), block: 300, collateralUsd: 0, debtUsd: 0, healthFactor: null },
      { timestamp: at(10), block: 1_000, collateralUsd: 4_000, debtUsd: 2_000, healthFactor: 1.05 },
      { timestamp: at(14), block: 1_399, collateralUsd: 2_300, debtUsd: 2_000, healthFactor: 0.95 },
    ],
  };
}
