import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expandCsvPaths, readPriceFile } from '../indexer';
import {
  DEFAULT_TAIL_OPTIONS,
  GUARDRAIL_PRESETS,
  baselineFor,
  marketSignals,
  parseBaseline,
  prepareMarket,
  sweepFrontier,
  type Baseline,
  type GuardrailPreset,
  type PricePoint,
} from '../models';
import { EXAMPLE_BASELINE, writeExamplePrices } from '../sim';
import { emitFigures, progress } from './lib';

/**
 * `npm run bench:collateral -- [--json]`: the tail model against static parameters on the frontier (bad debt at
 * the baseline's mean LTV, DESIGN.md › Backtest), on two data sets and under both guardrail presets:
 *  - `real2021`: ../shared/data/prices-2021 (13 assets, real hourly prices) against Aave V3 Ethereum's parameters;
 *  - `demo`: the demo's simulated market (writeExamplePrices, 4 assets, 180 days) against the demo's baseline.
 * Per data set and preset: `badDebtRatio` overall and per asset class (≤ 0.5 is the goal; Number.MAX_VALUE where
 * only the baseline has no bad debt or the curve does not reach its LTV), the matched figures, and the seconds to
 * fit the model's signals (`fitSeconds`) and to run the sweep (`backtestSeconds`). The peer is Aave's static
 * parameters, measured in the same run on the same borrowers.
 */
const SHARED = path.join(__dirname, '..', '..', 'shared', 'data');

function readSeries(paths: string[]): Record<string, PricePoint[]> {
  const series: Record<string, PricePoint[]> = {};
  for (const file of expandCsvPaths(paths))
    for (const r of readPriceFile(file))
      (series[r.asset] ??= []).push({ t: r.timestamp, p: Number(r.price), ...(r.liquidity ? { liquidityUsd: Number(r.liquidity) } : {}) });
  return series;
}

function evaluate(name: string, series: Record<string, PricePoint[]>, baseline: Baseline): Record<string, unknown> {
  const market = prepareMarket(series, { stepSeconds: 3_600 });
  const fitStarted = performance.now();
  marketSignals(market, DEFAULT_TAIL_OPTIONS);
  const fitSeconds = (performance.now() - fitStarted) / 1000;
  const out: Record<string, unknown> = { assets: market.assets.length, steps: market.steps, fitSeconds };
  for (const preset of Object.keys(GUARDRAIL_PRESETS) as GuardrailPreset[]) {
    const started = performance.now();
    const report = sweepFrontier(market, { guardrails: GUARDRAIL_PRESETS[preset], baseline: baselineFor(market, baseline) });
    const backtestSeconds = (performance.now() - started) / 1000;
    const classes = Object.fromEntries(report.classes.map((c) => [c.class, c.matched]));
    const worst = Math.max(report.matched.badDebtRatio, ...report.classes.map((c) => c.matched.badDebtRatio));
    progress(
      `${name} ${preset}: ratio ${report.matched.badDebtRatio.toPrecision(3)} overall, ${report.classes.map((c) => `${c.class} ${c.matched.badDebtRatio === Number.MAX_VALUE ? '∞' : c.matched.badDebtRatio.toPrecision(3)}`).join(', ')} (${backtestSeconds.toFixed(1)} s)`,
    );
    out[preset] = { matched: report.matched, classes, goalMet: worst <= 0.5, backtestSeconds, settings: report.frontier.length };
  }
  return out;
}

function main(): void {
  const figures: Record<string, unknown> = { model: 'tail', horizonSeconds: DEFAULT_TAIL_OPTIONS.horizonSeconds };
  const real = path.join(SHARED, 'prices-2021');
  if (existsSync(real)) {
    progress('real 2021 prices (13 assets) vs Aave V3 static parameters');
    const baseline = parseBaseline(JSON.parse(readFileSync(path.join(SHARED, 'static-params-aave-v3.json'), 'utf8')), 'static-params');
    figures.real2021 = evaluate('real2021', readSeries([real]), baseline);
  } else progress(`${real} is absent: the real-data figures are skipped`);
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-collateral-'));
  try {
    progress("the demo's simulated market (180 days) vs the demo's baseline");
    figures.demo = evaluate(
      'demo',
      readSeries(writeExamplePrices(dir, { days: 180, assets: ['WETH', 'WBTC', 'USDC', 'GOV'] })),
      EXAMPLE_BASELINE,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  emitFigures(figures);
}

main();
