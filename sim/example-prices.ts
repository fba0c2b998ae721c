import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRandom, normal } from '../models/backtest/random';

/**
 * Writes hourly price CSVs for tests and examples: a volatile asset with a crash, and a stablecoin that depegs
 * for a few hours. Seeded, so files are identical across runs.
 */
export function writeExamplePrices(dir: string, options: { days?: number; seed?: number } = {}): string[] {
  const hours = (options.days ?? 90) * 24;
  const random = createRandom(options.seed ?? 11);
  const start = 1_704_067_200; // 2024-01-01
  const crashAt = Math.floor(hours * 0.7);
  let eth = 2_300;
  const ethRows = ['timestamp,price'];
  const usdcRows = ['Date,Close'];
  for (let h = 0; h < hours; h++) {
    const vol = h > crashAt - 24 * 10 && h < crashAt + 24 * 5 ? 0.02 : 0.008;
    eth *= Math.exp(vol * normal(random) - (h >= crashAt && h < crashAt + 4 ? 0.12 : 0));
    ethRows.push(`${start + h * 3600},${eth.toFixed(4)}`);
    const depeg = h >= crashAt + 2 && h < crashAt + 10 ? 0.93 + 0.01 * (h - crashAt - 2) : 1 + 0.0005 * normal(random);
    usdcRows.push(`${new Date((start + h * 3600) * 1000).toISOString()},${depeg.toFixed(6)}`);
  }
  const files = [path.join(dir, 'WETH_usd.csv'), path.join(dir, 'USDC_usd.csv')];
  writeFileSync(files[0]!, `${ethRows.join('\n')}\n`);
  writeFileSync(files[1]!, `${usdcRows.join('\r\n')}\r\n`);
  return files;
}
