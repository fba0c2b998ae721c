import type { Command } from 'commander';
import {
  createLogger,
  loadConfig,
  migrate,
  openDatabase,
  registerSecret,
  type Config,
  type ConfigInput,
  type DatabaseHandle,
  type Logger,
} from '../core';

/** Options every command accepts (declared once on the root program). */
export interface GlobalOptions {
  config?: string;
  databaseUrl?: string;
  dataDir?: string;
  rpc?: string;
  deployment?: string;
  logLevel?: string;
  json?: boolean;
}

export interface CommandContext {
  config: Config;
  log: Logger;
  json: boolean;
  /** Writes the command's result: one JSON line with --json, the human text otherwise. */
  print(human: string, machine: unknown): void;
}

function flagsToConfig(opts: GlobalOptions): ConfigInput {
  const flags: ConfigInput = {};
  if (opts.databaseUrl || opts.dataDir)
    flags.database = { ...(opts.databaseUrl ? { url: opts.databaseUrl } : {}), ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) };
  if (opts.rpc || opts.deployment)
    flags.chain = { ...(opts.rpc ? { rpcUrl: opts.rpc } : {}), ...(opts.deployment ? { deployment: opts.deployment } : {}) };
  if (opts.logLevel) flags.log = { level: opts.logLevel as Config['log']['level'] };
  return flags;
}

/** Loads the config (defaults < file < env < flags) and a logger for the command being run. */
export function commandContext(command: Command): CommandContext {
  const opts = command.optsWithGlobals<GlobalOptions>();
  const config = loadConfig({ file: opts.config, flags: flagsToConfig(opts) });
  registerSecret(config.subgraph.apiKey);
  const json = opts.json === true;
  // with --json, stdout carries only the result; logs go to stderr and are quieter
  const log = createLogger({ level: json && !opts.logLevel ? 'warn' : config.log.level });
  return {
    config,
    log,
    json,
    print(human, machine) {
      process.stdout.write(
        json ? `${JSON.stringify(machine, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n` : `${human}\n`,
      );
    },
  };
}

/** Opens the configured database and applies pending migrations (the app migrates at start-up). */
export async function openMigratedDatabase(ctx: CommandContext): Promise<DatabaseHandle> {
  const handle = await openDatabase({
    url: ctx.config.database.url,
    dataDir: ctx.config.database.dataDir,
    poolSize: ctx.config.database.poolSize,
  });
  try {
    const applied = await migrate(handle.db);
    if (applied.length > 0) ctx.log.info({ applied, database: handle.location }, 'applied migrations');
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}

/** Runs `fn` with a migrated database and always closes it. */
export async function withDatabase<T>(ctx: CommandContext, fn: (handle: DatabaseHandle) => Promise<T>): Promise<T> {
  const handle = await openMigratedDatabase(ctx);
  try {
    return await fn(handle);
  } finally {
    await handle.close();
  }
}
