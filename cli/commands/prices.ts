import type { Command } from 'commander';
import { importPrices, type ImportOptions } from '../../indexer';
import { commandContext, withDatabase } from '../context';

const day = (t: number): string => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

export function registerImportPrices(program: Command): void {
  program
    .command('import-prices')
    .description('import USD price history from CSV files or directories (idempotent; each file all-or-nothing)')
    .argument('<paths...>', 'CSV files, or directories whose *.csv files are imported')
    .option('--symbol <symbol>', 'symbol for files without a symbol column (default: from the file name, WETH_usd.csv → WETH)')
    .option('--symbol-column <name>', 'column holding the symbol')
    .option('--timestamp-column <name>', 'column holding the time (unix s, unix ms or ISO-8601)')
    .option('--price-column <name>', 'column holding the USD price')
    .option('--liquidity-column <name>', 'column holding the market depth in USD (optional; liquidity_usd, depth_usd, … detected)')
    .action(async (paths: string[], opts: ImportOptions, command: Command) => {
      const ctx = commandContext(command);
      const files = await withDatabase(ctx, (h) => importPrices(h.db, paths, opts));
      const assets = files.flatMap((f) => f.assets);
      const lines = assets.map(
        (a) =>
          `${a.asset.padEnd(8)} ${String(a.rows).padStart(8)} rows (${a.inserted} new${a.withDepth ? `, ${a.withDepth} with market depth` : ''})  ${day(a.from)} … ${day(a.to)}`,
      );
      ctx.print(`${lines.join('\n')}\nimported ${files.length} file(s)`, { files });
    });
}
