import { Command, Option } from 'commander';
import { registerBacktest } from './commands/backtest';
import { registerDemo } from './commands/demo';
import { registerDoctor } from './commands/doctor';
import { registerMigrate } from './commands/migrate';
import { registerImportPrices } from './commands/prices';
import { registerVerify } from './commands/verify';

/** The `risk-oracle` command tree. Each feature registers one command; the commands parse and call the modules. */
export function buildProgram(): Command {
  const program = new Command('risk-oracle')
    .description('Open, verifiable risk-parameter oracle for DeFi lending')
    .version(require('../package.json').version as string)
    .option('--config <file>', 'configuration file (default: ./risk-oracle.config.json when present)')
    .option('--database-url <url>', 'Postgres connection string (default: embedded PGlite; env DATABASE_URL)')
    .option('--data-dir <dir>', 'PGlite data directory (default: ./.risk-oracle/db)')
    .option('--rpc <url>', 'JSON-RPC endpoint (env RPC_URL)')
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .option('--json', 'machine-readable output: the last line on stdout is one JSON object')
    .showHelpAfterError()
    .exitOverride();
  registerDemo(program);
  registerMigrate(program);
  registerImportPrices(program);
  registerBacktest(program);
  registerVerify(program);
  registerDoctor(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}
