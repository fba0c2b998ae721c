import { pricePath, type AgentReserve, type PricePath } from './agents';

/** Test fixtures of the on-chain simulation (not exported from sim/index.ts). */

/** Hourly prices for `days`: flat with a little noise, and a four-hour crash of the volatile assets at `crashDay`. */
export function crashPath(days: number, crashDay: number): PricePath {
  const hours = days * 24;
  const start = 1_704_067_200;
  const level: Record<string, number> = { WETH: 2_300, WBTC: 42_000, USDC: 1, GOV: 12 };
  const drop: Record<string, number> = { WETH: 0.12, WBTC: 0.1, USDC: 0, GOV: 0.2 };
  const series: Record<string, Array<{ t: number; p: number }>> = { WETH: [], WBTC: [], USDC: [], GOV: [] };
  for (let h = 0; h < hours; h++) {
    const crashing = h >= crashDay * 24 && h < crashDay * 24 + 4;
    for (const s of Object.keys(series)) {
      const wiggle = s === 'USDC' ? 0 : 0.003 * Math.sin(h / 5 + s.length);
      level[s] = level[s]! * Math.exp(wiggle - (crashing ? drop[s]! : 0));
      series[s]!.push({ t: start + h * 3_600, p: s === 'USDC' && crashing ? 0.96 : level[s]! });
    }
  }
  return pricePath(series);
}

export const TEST_RESERVES: AgentReserve[] = [
  { symbol: 'WETH', stable: false, ltv: 8_000 },
  { symbol: 'WBTC', stable: false, ltv: 7_300 },
  { symbol: 'USDC', stable: true, ltv: 7_700 },
  { symbol: 'GOV', stable: false, ltv: 5_000 },
];
