import { Command, Option } from 'commander';
import { registerBacktest } from './commands/backtest';
import { registerChain } from './commands/chain';
import { registerCredit } from './commands/credit';
import { registerDashboard } from './commands/dashboard';
import { registerDemo } from './commands/demo';
import { registerDoctor } from './commands/doctor';
import { registerEvaluate } from './commands/evaluate';
import { registerGuardian } from './commands/guardian';
import { registerMigrate } from './commands/migrate';
import { registerModel } from './commands/model';
import { registerOracle } from './commands/oracle';
import { registerIndex } from './commands/index-chain';
import { registerIndexSubgraph } from './commands/index-subgraph';
import { registerImportPrices } from './commands/prices';
import { registerRun } from './commands/run';
import { registerScore } from './commands/score';
import { registerTrain } from './commands/train';
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
    .option('--deployment <file>', 'deployment JSON with the contract addresses (written by chain deploy)')
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .option('--json', 'machine-readable output: the last line on stdout is one JSON object')
    .showHelpAfterError()
    .exitOverride();
  registerDemo(program);
  registerMigrate(program);
  registerImportPrices(program);
  registerBacktest(program);
  registerOracle(program);
  registerRun(program);
  registerGuardian(program);
  registerDashboard(program);
  registerVerify(program);
  registerCredit(program);
  registerChain(program);
  registerIndex(program);
  registerIndexSubgraph(program);
  registerTrain(program);
  registerScore(program);
  registerEvaluate(program);
  registerModel(program);
  registerDoctor(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}
