import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeExamplePrices } from '../sim/example-prices';

const BIN = path.join(__dirname, '..', 'bin', 'risk-oracle.js');

function cli(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    cwd,
    env: { ...process.env, DATABASE_URL: '', RISK_ORACLE_DATABASE_DATA_DIR: path.join(cwd, 'db') },
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('risk-oracle import-prices and backtest', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ro-bt-'));
  const files = writeExamplePrices(dir);
  const baseline = path.join(dir, 'baseline.json');
  writeFileSync(
    baseline,
    JSON.stringify({
      WETH: { ltv: 0.86, liquidationThreshold: 0.9, liquidationBonus: 0.04 },
      usdc: { ltv: 0.87, liquidationThreshold: 0.9, liquidationBonus: 0.04 },
    }),
  );

  it('imports CSV prices, then compares static and model parameters; --json ends with the documented object', () => {
    const imported = cli(['import-prices', dir, '--json'], dir);
    expect(imported.code).toBe(0);
    const assets = JSON.parse(imported.stdout.trim().split('\n').pop()!).files.flatMap(
      (f: { assets: Array<{ asset: string; rows: number }> }) => f.assets,
    );
    expect(assets.map((a: { asset: string; rows: number; withDepth: number }) => [a.asset, a.withDepth === a.rows]).sort()).toEqual([
      ['USDC', false],
      ['WETH', true], // the example WETH file carries a depth column
    ]);
    expect(cli(['import-prices', files[0]!], dir).stdout).toMatch(/WETH +\d+ rows \(0 new, \d+ with market depth\)/);

    const run = cli(['backtest', '--prices', ...files, '--baseline', baseline, '--cadence', '1h', '--json'], dir);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').pop()!);
    for (const side of ['baseline', 'model']) {
      expect(Object.keys(result[side]).sort()).toEqual(['badDebtPct', 'badDebtUsd', 'liquidations', 'meanLtv']);
    }
    expect(result.assets.map((a: { symbol: string }) => a.symbol)).toEqual(['USDC', 'WETH']);
    expect(result.baseline.meanLtv).toBeCloseTo((0.86 + 0.87) / 2, 6);
    // the loose baseline loses money in the crash; the walk-forward model, tightened by the volatility before it, loses less
    expect(result.baseline.badDebtUsd).toBeGreaterThan(0);
    expect(result.model.badDebtUsd).toBeLessThan(result.baseline.badDebtUsd);
  });

  it('names the problem in a bad baseline file or a missing asset', () => {
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ WETH: { ltv: 0.95, liquidationThreshold: 0.9, liquidationBonus: 0.04 } }));
    const r = cli(['backtest', '--prices', files[0]!, '--baseline', bad], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.json: WETH: ltv must not exceed liquidationThreshold/);
    const partial = path.join(dir, 'partial.json');
    writeFileSync(partial, JSON.stringify({ WETH: { ltv: 0.8, liquidationThreshold: 0.85, liquidationBonus: 0.05 } }));
    const missing = cli(['backtest', '--prices', ...files, '--baseline', partial], dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/the baseline file has no parameters for USDC/);
  });
});
