import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EXAMPLE_BASELINE, writeExamplePrices } from '../sim/example-prices';

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

  it('--frontier sweeps the risk appetite and ends with the documented JSON, without touching the configured database', () => {
    const fresh = mkdtempSync(path.join(tmpdir(), 'ro-bt-frontier-'));
    const four = writeExamplePrices(fresh, { days: 120, assets: ['WETH', 'WBTC', 'USDC', 'GOV'] });
    const base = path.join(fresh, 'baseline.json');
    writeFileSync(base, JSON.stringify(EXAMPLE_BASELINE));
    const settings = '0.9,0.95,0.97,0.98,0.99,0.995,0.999';
    const run = cli(
      ['backtest', '--prices', ...four, '--baseline', base, '--frontier', '--settings', settings, '--guardrails', 'aave', '--json'],
      fresh,
    );
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(Object.keys(r.baseline).sort()).toEqual(['badDebtPct', 'badDebtUsd', 'meanLtv']);
    expect(r.frontier.map((p: { setting: number }) => p.setting)).toEqual(settings.split(',').map(Number));
    expect(Object.keys(r.matched).sort()).toEqual(
      [
        'badDebtRatio',
        'baselineBadDebtPct',
        'baselineMeanLtv',
        'modelBadDebtPctAtBaselineLtv',
        'modelMeanLtvAtBaselineBadDebt',
        'reachesBaselineLtv',
      ].sort(),
    );
    expect(r.matched.baselineMeanLtv).toBeCloseTo((0.8 + 0.73 + 0.77 + 0.5) / 4, 6);
    expect(r.guardrails).toMatchObject({ name: 'aave', maxTighten: 0.005, maxLoosen: 0.005, minDelaySeconds: 86_400 });
    // one entry per asset class present, named by symbol or price behaviour
    expect(Object.fromEntries(r.classes.map((c: { class: string; symbols: string[] }) => [c.class, c.symbols]))).toEqual({
      stablecoin: ['USDC'],
      eth: ['WETH'],
      btc: ['WBTC'],
      governance: ['GOV'],
    });
    expect(r.assets.map((a: { symbol: string; frontier: unknown[] }) => [a.symbol, a.frontier.length])).toEqual([
      ['GOV', 7],
      ['USDC', 7],
      ['WBTC', 7],
      ['WETH', 7],
    ]);
    // a read-only analysis: the configured database was never opened
    expect(existsSync(path.join(fresh, 'db'))).toBe(false);
  });

  it('two backtests on different sources of the same asset both run (each on its own temporary database)', () => {
    const other = mkdtempSync(path.join(tmpdir(), 'ro-bt-other-'));
    const [weth] = writeExamplePrices(other, { days: 90, seed: 99, assets: ['WETH'] });
    const base = path.join(other, 'baseline.json');
    writeFileSync(base, JSON.stringify({ WETH: { ltv: 0.8, liquidationThreshold: 0.83, liquidationBonus: 0.05 } }));
    expect(cli(['backtest', '--prices', files[0]!, '--baseline', base, '--json'], other).code).toBe(0);
    const second = cli(['backtest', '--prices', weth!, '--baseline', base, '--json'], other);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(existsSync(path.join(other, 'db'))).toBe(false);
    // told to, it imports into the configured database, which then refuses the other source's prices
    expect(cli(['backtest', '--prices', files[0]!, '--baseline', base, '--into-database'], other).code).toBe(0);
    const clash = cli(['backtest', '--prices', weth!, '--baseline', base, '--into-database'], other);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toMatch(/WETH at \d+ is already stored with price/);
  });

  it('names a bad --guardrails, --settings or --class', () => {
    const args = ['backtest', '--prices', files[0]!, '--baseline', baseline];
    expect(cli([...args, '--guardrails', 'loose'], dir).stderr).toMatch(/--guardrails must be one of default, aave, got "loose"/);
    expect(cli([...args, '--frontier', '--settings', '0.9'], dir).stderr).toMatch(/--settings takes at least two quantiles/);
    expect(cli([...args, '--class', 'WETH=meme'], dir).stderr).toMatch(/--class expects SYMBOL=CLASS/);
    // three hours of prices: the model never proposes, and says so rather than passing the baseline off as its own
    const short = path.join(dir, 'AAA.csv');
    writeFileSync(short, 'timestamp,price\n1700000000,100\n1700003600,99\n1700007200,98\n');
    const aaa = path.join(dir, 'aaa.json');
    writeFileSync(aaa, JSON.stringify({ AAA: { ltv: 0.5, liquidationThreshold: 0.6, liquidationBonus: 0.1 } }));
    const idle = cli(['backtest', '--prices', short, '--baseline', aaa, '--frontier'], dir);
    expect(idle.code).toBe(0);
    expect(idle.stderr).toMatch(/AAA: too little history for the model \(14 days\), which kept the baseline's parameters throughout/);
  });
});
