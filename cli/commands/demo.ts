import path from 'node:path';
import type { Command } from 'commander';
import { runDemo } from '../demo/run';
import { commandContext } from '../context';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the pipeline end to end on a local anvil chain and an embedded database (no server to install)')
    .option('--out <dir>', 'where summary.json (and the report) are written', './out/demo')
    .action(async (opts: { out: string }, command: Command) => {
      const ctx = commandContext(command);
      const summary = await runDemo({ outDir: path.resolve(opts.out), databaseUrl: ctx.config.database.url, quiet: false });
      const lines = [
        `chain ${summary.chain.chainId} at block ${summary.chain.blockNumber}; ${summary.database.kind} database with ${summary.database.migrations} migration(s)`,
        `finished in ${summary.totalSeconds.toFixed(1)} s; summary: ${summary.report}`,
      ];
      ctx.print(lines.join('\n'), summary);
    });
}
