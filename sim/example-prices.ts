import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRandom, normal } from '../core/random';

/**
 * What a cautious DAO might set for the example market before any model (fractions): the static baseline the demo,
 * `bench:collateral`, notebook 03 and the tests backtest against.
 */
export const EXAMPLE_BASELINE = {
  WETH: { ltv: 0.8, liquidationThreshold: 0.83, liquidationBonus: 0.05 },
  WBTC: { ltv: 0.73, liquidationThreshold: 0.78, liquidationBonus: 0.065 },
  USDC: { ltv: 0.77, liquidationThreshold: 0.8, liquidationBonus: 0.045 },
  GOV: { ltv: 0.5, liquidationThreshold: 0.65, liquidationBonus: 0.1 },
} as const;

/**
 * Writes hourly USD price CSVs for the demo, tests and examples: WETH and WBTC (correlated, calm then volatile
 * regimes, a crash), GOV (a volatile governance token with a deeper crash) and USDC (a stablecoin that depegs for a
 * few hours during the crash). WETH and GOV also carry a market depth in USD (the liquidity feature's data),
 * thinning in the stressed weeks and most around the crash, drawn from its own random stream. Seeded: identical
 * files on every run. Formats differ on purpose (unix seconds, ISO dates, CRLF, depth column names) to exercise the
 * importer.
 */
export function writeExamplePrices(
  dir: string,
  options: { days?: number; seed?: number; assets?: Array<'WETH' | 'WBTC' | 'GOV' | 'USDC'> } = {},
): string[] {
  const hours = (options.days ?? 90) * 24;
  const random = createRandom(options.seed ?? 11);
  const depthRandom = createRandom((options.seed ?? 11) ^ 0xde97);
  const depthNoise = { WETH: 0, GOV: 0 };
  const start = 1_704_067_200; // 2024-01-01
  const crashAt = Math.floor(hours * 0.7);
  const level = { WETH: 2_300, WBTC: 42_000, GOV: 12 };
  const rows: Record<string, string[]> = {
    WETH: ['timestamp,price,depth_usd'],
    WBTC: ['timestamp,price'],
    GOV: ['time,usd_price,liquidity_usd'],
    USDC: ['Date,Close'],
  };
  for (let h = 0; h < hours; h++) {
    const stressed = h > crashAt - 24 * 10 && h < crashAt + 24 * 5;
    const vol = stressed ? 0.02 : 0.008;
    const market = normal(random);
    const crash = h >= crashAt && h < crashAt + 4 ? 0.12 : 0;
    level.WETH *= Math.exp(vol * market - crash);
    level.WBTC *= Math.exp(vol * (0.8 * market + 0.6 * normal(random)) - crash * 0.8);
    level.GOV *= Math.exp(2.5 * vol * (0.6 * market + 0.8 * normal(random)) - crash * 1.6);
    const t = start + h * 3_600;
    // log-depth reverts to its base (half-life ~2 days); thinner while stressed, thinnest around the crash
    const thin = (stressed ? 0.7 : 0) + (h >= crashAt - 12 && h < crashAt + 4 ? 1.2 : 0);
    for (const s of ['WETH', 'GOV'] as const) depthNoise[s] += -0.0144 * depthNoise[s] + 0.03 * normal(depthRandom);
    const depth = (base: number, s: 'WETH' | 'GOV'): string => Math.round(base * Math.exp(depthNoise[s] - thin)).toString();
    rows.WETH!.push(`${t},${level.WETH.toFixed(4)},${depth(5e7, 'WETH')}`);
    rows.WBTC!.push(`${t},${level.WBTC.toFixed(2)}`);
    rows.GOV!.push(`${t},${level.GOV.toFixed(6)},${depth(1.5e6, 'GOV')}`);
    const usdc = h >= crashAt + 2 && h < crashAt + 10 ? 0.93 + 0.01 * (h - crashAt - 2) : 1 + 0.0005 * normal(random);
    rows.USDC!.push(`${new Date(t * 1000).toISOString()},${usdc.toFixed(6)}`);
  }
  const wanted = options.assets ?? ['WETH', 'USDC'];
  return wanted.map((symbol) => {
    const file = path.join(dir, `${symbol}_usd.csv`);
    const eol = symbol === 'USDC' ? '\r\n' : '\n';
    writeFileSync(file, `${rows[symbol]!.join(eol)}${eol}`);
    return file;
  });
}
