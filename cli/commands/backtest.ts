import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UserError } from '../../core';
import { importPrices, loadPriceSeries } from '../../indexer';
import { compareBaselineWithModel, parseBaseline, parseDuration } from '../../models';
import { commandContext, withDatabase } from '../context';

interface BacktestFlags {
  prices: string[];
  baseline: string;
  cadence: string;
  horizon: string;
  quantile: string;
  maxChange: string;
  seed: string;
}

const pct = (x: number): string => `${x.toFixed(3)} %`;

export function registerBacktest(program: Command): void {
  program
    .command('backtest')
    .description('replay price history with a borrower population: static baseline parameters vs the model, walk-forward')
    .requiredOption('--prices <paths...>', 'price CSV files or directories (imported as import-prices does)')
    .requiredOption(
      '--baseline <file>',
      'baseline parameters: { "WETH": { "ltv": 0.8, "liquidationThreshold": 0.83, "liquidationBonus": 0.05 } }',
    )
    .option('--cadence <duration>', 'parameter update cadence and time step', '1h')
    .option('--horizon <duration>', 'liquidation horizon the threshold must survive', '24h')
    .option('--quantile <q>', 'quantile of the adverse move', '0.99')
    .option('--max-change <fraction>', 'largest change per update, as the on-chain step limit', '0.03')
    .option('--seed <n>', 'seed of the borrower population', '7')
    .action(async (opts: BacktestFlags, command: Command) => {
      const ctx = commandContext(command);
      let baselineJson: unknown;
      try {
        baselineJson = JSON.parse(readFileSync(opts.baseline, 'utf8'));
      } catch (err) {
        throw new UserError(`${opts.baseline}: ${(err as Error).message}`);
      }
      const baseline = parseBaseline(baselineJson, opts.baseline);
      const quantile = Number(opts.quantile);
      if (!(quantile > 0 && quantile < 1)) throw new UserError(`--quantile must be in (0, 1), got ${opts.quantile}`);
      const result = await withDatabase(ctx, async (h) => {
        const files = await importPrices(h.db, opts.prices);
        const symbols = [...new Set(files.flatMap((f) => f.assets.map((a) => a.asset)))];
        const series = Object.fromEntries(await Promise.all(symbols.map(async (s) => [s, await loadPriceSeries(h.db, s)] as const)));
        return compareBaselineWithModel(series, baseline, {
          cadenceSeconds: parseDuration(opts.cadence),
          horizonSeconds: parseDuration(opts.horizon),
          quantile,
          maxChange: Number(opts.maxChange),
          seed: Number(opts.seed),
        });
      });
      const rows = result.assets.map(
        (a) =>
          `${a.symbol.padEnd(8)} baseline: bad debt $${a.baseline.badDebtUsd.toFixed(0)} (${pct(a.baseline.badDebtPct)}), mean LTV ${a.baseline.meanLtv.toFixed(3)}, ${a.baseline.liquidations} liq.  |  model: bad debt $${a.model.badDebtUsd.toFixed(0)} (${pct(a.model.badDebtPct)}), mean LTV ${a.model.meanLtv.toFixed(3)}, ${a.model.liquidations} liq.`,
      );
      const total = `TOTAL    baseline: $${result.baseline.badDebtUsd.toFixed(0)} (${pct(result.baseline.badDebtPct)}), mean LTV ${result.baseline.meanLtv.toFixed(3)}  |  model: $${result.model.badDebtUsd.toFixed(0)} (${pct(result.model.badDebtPct)}), mean LTV ${result.model.meanLtv.toFixed(3)}`;
      ctx.print(
        `${result.steps} steps from ${new Date(result.from * 1000).toISOString()} to ${new Date(result.to * 1000).toISOString()}\n${rows.join('\n')}\n${total}`,
        {
          baseline: result.baseline,
          model: result.model,
          assets: result.assets,
          steps: result.steps,
          from: result.from,
          to: result.to,
        },
      );
    });
}
