import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JsonRpcProvider, toBeHex, Wallet, type HDNodeWallet } from 'ethers';
import { migrate, openDatabase, startAnvil, type AnvilInstance, type DatabaseHandle } from '../core';
import { deployAll, writeDeployment, type Bounds, type Deployment } from '../contracts';
import { writeExamplePrices } from '../sim/example-prices';
import { createTestDatabase } from '../core/test/db';
import { main } from './main';

/** Runs the CLI in this process (a tsx start-up per call would dominate the tests) and captures its output. */
export async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
    process.env = saved;
  }
}

/** The `--json` result: the last stdout line. Each command prints its own shape; the tests read what they check. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the shape is the command's, asserted field by field
export const lastJson = (stdout: string): Record<string, any> => JSON.parse(stdout.trim().split('\n').pop()!);

/** Runs the CLI with --json and returns its result; throws with its stderr unless it exits with `code`. */
export async function cliJson(args: string[], env: Record<string, string>, code = 0): Promise<ReturnType<typeof lastJson>> {
  const r = await cli([...args, '--json'], env);
  if (r.code !== code) throw new Error(`risk-oracle ${args.join(' ')} exited ${r.code}, not ${code}: ${r.stderr}`);
  return lastJson(r.stdout);
}

/** Runs the CLI expecting a refusal (exit 1); returns what it printed to stderr. */
export async function cliRefused(args: string[], env: Record<string, string>): Promise<string> {
  const r = await cli(args, env);
  if (r.code !== 1) throw new Error(`risk-oracle ${args.join(' ')} exited ${r.code}, not 1 (a refusal): ${r.stdout}${r.stderr}`);
  return r.stderr;
}

/** The database the CLI runs against, and the test's own way into it between CLI runs. */
export interface CliDatabase {
  env: Record<string, string>;
  open(): Promise<DatabaseHandle>;
  /** Opens the database for `f` and closes it after (PGlite allows one process at a time: the CLI's or the test's). */
  withDb<T>(f: (db: DatabaseHandle['db']) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * The database the CLI runs against: a PGlite data directory, or, with DATABASE_URL, a fresh schema on that
 * Postgres reached through the connection's search_path.
 */
export async function cliDatabase(dir: string): Promise<CliDatabase> {
  const url = process.env.DATABASE_URL;
  const base = { RISK_ORACLE_LOG_LEVEL: 'silent', RISK_ORACLE_BACKEND: 'wasm' };
  const withOpen =
    (open: () => Promise<DatabaseHandle>) =>
    async <T>(f: (db: DatabaseHandle['db']) => Promise<T>): Promise<T> => {
      const h = await open();
      try {
        return await f(h.db);
      } finally {
        await h.close();
      }
    };
  if (!url) {
    const dataDir = path.join(dir, 'db');
    const open = () => openDatabase({ dataDir });
    return {
      env: { ...base, DATABASE_URL: '', RISK_ORACLE_DATABASE_DATA_DIR: dataDir },
      open,
      withDb: withOpen(open),
      close: async () => undefined,
    };
  }
  const test = await createTestDatabase();
  const scoped = `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${test.schema}`)}`;
  const open = async (): Promise<DatabaseHandle> => ({ ...test, close: async () => undefined });
  return {
    env: { ...base, DATABASE_URL: scoped },
    open,
    withDb: withOpen(open),
    close: () => test.close(),
  };
}

export interface OracleChain {
  dir: string;
  anvil: AnvilInstance;
  provider: JsonRpcProvider;
  deployment: Deployment;
  signers: HDNodeWallet[];
  publisher: HDNodeWallet;
  /** The CLI's environment: a PGlite data dir, the RPC, the deployment file, SIGNER_0…4 and PUBLISHER_KEY. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * A chain with everything deployed (5 signers, 3 must sign; the guardian is anvil's account 0, the deployer, unless
 * given), a funded publisher outside the signer set, a migrated
 * database and 45 days of example prices imported: where propose, sign, publish and run start from.
 */
export async function startOracleChain(options: { bounds?: Bounds; logLevel?: string; guardian?: string } = {}): Promise<OracleChain> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ro-oracle-chain-'));
  const deploymentFile = path.join(dir, 'deployment.json');
  const signers = Array.from({ length: 5 }, () => Wallet.createRandom());
  const publisher = Wallet.createRandom();
  const anvil = await startAnvil();
  const provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 20 });
  const deployment = await deployAll(await provider.getSigner(0), {
    signers: signers.map((s) => s.address),
    threshold: 3,
    ...(options.bounds ? { bounds: options.bounds } : {}),
    ...(options.guardian ? { guardian: options.guardian } : {}),
  });
  writeDeployment(deploymentFile, deployment);
  await provider.send('anvil_setBalance', [publisher.address, toBeHex(10n ** 19n)]);
  const handle = await openDatabase({ dataDir: path.join(dir, 'db') });
  await migrate(handle.db);
  await handle.close();
  writeExamplePrices(dir, { days: 45, assets: ['WETH', 'WBTC', 'USDC', 'GOV'] });
  const env = {
    DATABASE_URL: '',
    RISK_ORACLE_DATABASE_DATA_DIR: path.join(dir, 'db'),
    RPC_URL: anvil.rpcUrl,
    RISK_ORACLE_LOG_LEVEL: options.logLevel ?? 'silent',
    RISK_ORACLE_CHAIN_DEPLOYMENT: deploymentFile,
    ...Object.fromEntries(signers.map((s, i) => [`SIGNER_${i}`, s.privateKey])),
    PUBLISHER_KEY: publisher.privateKey,
  };
  const imported = await cli(['import-prices', dir], env);
  if (imported.code !== 0) throw new Error(`import-prices failed: ${imported.stderr}`);
  return {
    dir,
    anvil,
    provider,
    deployment,
    signers,
    publisher,
    env,
    async stop() {
      provider.destroy();
      await anvil.stop();
    },
  };
}

/** Polls `check` every 500 ms until it gives a value (errors count as not yet), or fails after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
