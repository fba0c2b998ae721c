import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runDemo } from './run';

describe('risk-oracle demo', () => {
  it('runs end to end and writes a report with charts and a summary that matches the chain', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'ro-demo-'));
    const summary = await runDemo({ outDir: out, days: 60, quiet: true, databaseUrl: process.env.DATABASE_URL });
    expect(summary.rounds.map((r) => r.symbol)).toEqual(['WETH', 'WBTC', 'USDC', 'GOV']);
    for (const r of summary.rounds.filter((x) => x.publishable)) {
      expect(r.round).toBe(1);
      expect(r.ltv).toBeLessThanOrEqual(r.liquidationThreshold);
      expect(Math.floor((r.liquidationThreshold * r.liquidationBonus + 5_000) / 10_000)).toBeLessThanOrEqual(10_000);
    }
    // the stablecoin stays under the DAO's 85 % cap
    expect(summary.rounds.find((r) => r.symbol === 'USDC')!.liquidationThreshold).toBeLessThanOrEqual(8_500);
    expect(summary.gas.publishBatch4Assets).toBeGreaterThan(0);
    // Aave's own configuration now equals what the oracle published
    for (const a of summary.aave) {
      const r = summary.rounds.find((x) => x.symbol === a.symbol)!;
      expect(a.after).toEqual({ ltv: r.ltv, liquidationThreshold: r.liquidationThreshold, liquidationBonus: r.liquidationBonus });
    }
    expect(summary.aave.length).toBe(summary.rounds.filter((r) => r.publishable).length);
    expect(summary.verify).toEqual({ checked: summary.rounds.filter((r) => r.publishable).length, mismatches: 0, differences: [] });
    expect(summary.backtest.baseline.meanLtv).toBeCloseTo((0.8 + 0.73 + 0.77 + 0.5) / 4, 6);
    const saved = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(saved.modelId).toBe(summary.modelId);
    const html = readFileSync(summary.report, 'utf8');
    for (const id of ['prices', 'parameters', 'backtest', 'published', 'aave', 'verify', 'gas']) expect(html).toContain(`id="${id}"`);
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(3);
    expect(html).not.toMatch(/<script|src="http/);
    expect(existsSync(path.join(out, 'report.html'))).toBe(true);
  });
});
