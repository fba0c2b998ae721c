import path from 'node:path';
import type { Command } from 'commander';
import { runDemo } from '../demo/run';
import { commandContext } from '../context';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the pipeline end to end on a local anvil chain and an embedded database (no server to install)')
    .option('--out <dir>', 'where report.html and summary.json are written', './out/demo')
    .option('--days <n>', 'days of simulated hourly prices', '90')
    .option('--prices <files...>', 'your own price CSVs (WETH, WBTC, USDC and GOV) instead of simulated ones')
    .action(async (opts: { out: string; days: string; prices?: string[] }, command: Command) => {
      const ctx = commandContext(command);
      const summary = await runDemo({
        outDir: path.resolve(opts.out),
        databaseUrl: ctx.config.database.url,
        days: Number(opts.days),
        prices: opts.prices,
        quiet: ctx.json,
      });
      const lines = [
        `backtest bad debt: static ${summary.backtest.baseline.badDebtPct.toFixed(3)} %, model ${summary.backtest.model.badDebtPct.toFixed(3)} % (mean LTV ${summary.backtest.baseline.meanLtv.toFixed(3)} vs ${summary.backtest.model.meanLtv.toFixed(3)})`,
        `published round ${Math.max(...summary.rounds.map((r) => r.round))} for ${summary.rounds.filter((r) => r.publishable).length} assets on RiskOracle ${summary.contracts.riskOracle} (3 of 5 signers, ${summary.gas.publishBatch4Assets} gas)`,
        ...summary.aave.map(
          (a) =>
            `Aave V3 ${a.symbol.padEnd(5)} ltv ${a.before.ltv} → ${a.after.ltv}, liquidation threshold ${a.before.liquidationThreshold} → ${a.after.liquidationThreshold}, bonus ${a.before.liquidationBonus} → ${a.after.liquidationBonus}`,
        ),
        `verify: ${summary.verify.checked} round(s) re-derived from public data, ${summary.verify.mismatches} mismatch(es)`,
        `finished in ${summary.totalSeconds.toFixed(1)} s; report: ${summary.report}`,
      ];
      ctx.print(lines.join('\n'), summary);
    });
}
