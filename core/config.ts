import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UserError } from './errors';

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * The one configuration object. Every key has a default; precedence is
 * defaults < `risk-oracle.config.json` < environment < CLI flags.
 */
export const configSchema = z.object({
  database: z
    .object({
      /** Postgres connection string. Default: unset, which selects the embedded PGlite database. Env: DATABASE_URL. */
      url: z.string().url().optional(),
      /** PGlite data directory; `memory://` for an in-memory database. Default: ./.risk-oracle/db. */
      dataDir: z.string().min(1).default('./.risk-oracle/db'),
      /** Pool size for a real Postgres. Default: 10. */
      poolSize: z.number().int().min(1).max(200).default(10),
    })
    .prefault({}),
  chain: z
    .object({
      /** JSON-RPC endpoint. Default: unset. Env: RPC_URL. */
      rpcUrl: z.string().url().optional(),
      /** Expected chain id; a mismatch with the RPC is an error. Default: unset (take the RPC's). */
      chainId: z.number().int().positive().optional(),
      /** Per-request time-out. Default: 30 000 ms. */
      timeoutMs: z.number().int().min(100).default(30_000),
      /** Retries on 429, 5xx, time-outs and malformed answers. Default: 6. */
      retries: z.number().int().min(0).max(50).default(6),
      /** Path of a deployment JSON (addresses). Default: unset. */
      deployment: z.string().optional(),
    })
    .prefault({}),
  indexer: z
    .object({
      /** Blocks behind the head considered final (reorg-safe). Default: 12. */
      finalityDepth: z.number().int().min(0).max(10_000).default(12),
      /** First `eth_getLogs` range; adapts between 1 and maxBlockRange. Default: 2 000. */
      blockRange: z.number().int().min(1).default(2_000),
      /** Largest `eth_getLogs` range. Default: 10 000. */
      maxBlockRange: z.number().int().min(1).default(10_000),
      /** Concurrent RPC requests. Default: 4. */
      concurrency: z.number().int().min(1).max(64).default(4),
      /** Poll interval with --follow. Default: 2 000 ms. */
      pollIntervalMs: z.number().int().min(50).default(2_000),
      /** --workers: how long a hung worker keeps its block range (or phase lock) before another takes it over. Default: 120 000 ms. */
      leaseMs: z.number().int().min(100).default(120_000),
    })
    .prefault({}),
  subgraph: z
    .object({
      /** Aave-V3-shaped subgraph endpoint. Default: unset. */
      url: z.string().url().optional(),
      /** API key, sent as a bearer token; never logged. Default: unset. */
      apiKey: z.string().optional(),
      /** Entities per page. Default: 1 000. */
      pageSize: z.number().int().min(1).max(1_000).default(1_000),
    })
    .prefault({}),
  models: z
    .object({
      /** Training seed. Default: 42. */
      seed: z.number().int().min(0).default(42),
      /** Force a TF.js backend (tensorflow-gpu, tensorflow, wasm, cpu). Default: best available. Env: RISK_ORACLE_BACKEND. */
      backend: z.enum(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']).optional(),
      /** Credit label horizon. Default: 30 days. */
      horizonDays: z.number().positive().default(30),
    })
    .prefault({}),
  oracle: z
    .object({
      /** Refuse to propose when the indexer is further behind the head. Default: 50 blocks. */
      maxIndexerLagBlocks: z.number().int().min(0).default(50),
      /**
       * Where parameter rounds take their prices: `chain`, the price-feed answers the RPC indexer stored, up to the
       * round's block; `csv`, prices imported with `import-prices` (back-fills, markets without feeds). Default: chain.
       */
      priceSource: z.enum(['chain', 'csv']).default('chain'),
      /**
       * Refuse to propose (or sign) when an asset's latest price is older than this at the round's data time.
       * Default: 90 000 s (25 h): Chainlink feeds update on a deviation or at their heartbeat, which is 24 h for
       * the calmest (stablecoin) feeds, so a healthy feed is never older than a day; the hour on top covers a
       * late heartbeat round and block time.
       */
      maxPriceAgeSeconds: z.number().int().min(1).default(90_000),
      /** Lifetime of a signed update. Default: 3 600 s. */
      validForSeconds: z.number().int().min(60).default(3_600),
      /** Blocks a publication must have on top of it, its own included, before it counts as confirmed. Default: 1. */
      confirmations: z.number().int().min(1).max(1_000).default(1),
      /** A publication not mined after this long is re-sent with the same nonce and higher fees. Default: 60 s. */
      replaceAfterSeconds: z.number().positive().default(60),
      /** Fee increase of each replacement; nodes refuse less than 10 %. Default: 12.5 %. */
      feeBumpPercent: z.number().min(10).max(1_000).default(12.5),
      /** Replacements before the publisher gives up (the attempts stay recorded; a restart resumes). Default: 5. */
      maxFeeBumps: z.number().int().min(0).max(50).default(5),
      /** Margin added to the gas estimate. Default: 20 %. */
      gasMarginPercent: z.number().min(0).max(500).default(20),
      /** Ceiling of a publication's max fee per gas, in gwei. Default: unset (no ceiling). */
      maxFeePerGasGwei: z.number().positive().optional(),
      /** How often a publication's receipt is polled. Default: 1 000 ms. */
      txPollIntervalMs: z.number().int().min(10).default(1_000),
      /** Hold a credit epoch when a feature's PSI against the model's training data exceeds this. Default: 0.25. */
      driftThreshold: z.number().positive().default(0.25),
    })
    .prefault({}),
  server: z
    .object({
      /** Bind address of the daemon's HTTP server. Default: 127.0.0.1. */
      host: z.string().default('127.0.0.1'),
      /** Port of /metrics, /healthz and the dashboard. Default: 9464. */
      port: z.number().int().min(0).max(65_535).default(9464),
    })
    .prefault({}),
  log: z
    .object({
      /** Default: info. Env: RISK_ORACLE_LOG_LEVEL. */
      level: logLevel.default('info'),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
/** Any subset of the config, as given by a file, the environment or flags. */
export type ConfigInput = { [K in keyof Config]?: Partial<Config[K]> };

export const CONFIG_FILE = 'risk-oracle.config.json';

/** Environment names that do not follow the RISK_ORACLE_SECTION_KEY pattern. */
const ENV_ALIASES: Record<string, string> = {
  DATABASE_URL: 'database.url',
  RPC_URL: 'chain.rpcUrl',
  RISK_ORACLE_BACKEND: 'models.backend',
};

const toEnvName = (section: string, key: string): string =>
  `RISK_ORACLE_${section}_${key}`.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();

type Leaf = { path: string; envNames: string[]; numeric: boolean };

/** The base zod type of a leaf, under its default/optional wrappers. */
function baseType(schema: z.ZodType): string {
  let current = schema as unknown as { def: { type: string; innerType?: z.ZodType } };
  while (current.def.innerType && ['default', 'optional', 'prefault'].includes(current.def.type)) {
    current = current.def.innerType as unknown as typeof current;
  }
  return current.def.type;
}

function leaves(): Leaf[] {
  const aliases = new Map(Object.entries(ENV_ALIASES).map(([name, dotted]) => [dotted, name]));
  const out: Leaf[] = [];
  for (const [section, sectionSchema] of Object.entries(configSchema.shape)) {
    const inner = (sectionSchema as unknown as { def: { innerType: z.ZodObject } }).def.innerType;
    for (const [key, leaf] of Object.entries(inner.shape)) {
      const dotted = `${section}.${key}`;
      const alias = aliases.get(dotted);
      out.push({
        path: dotted,
        envNames: [...(alias ? [alias] : []), toEnvName(section, key)],
        numeric: baseType(leaf as z.ZodType) === 'number',
      });
    }
  }
  return out;
}

/** Reads RISK_ORACLE_* (and the aliases) into a partial config, remembering which variable set each key. */
export function configFromEnv(env: NodeJS.ProcessEnv, sources: Map<string, string> = new Map()): ConfigInput {
  const out: Record<string, Record<string, unknown>> = {};
  for (const leaf of leaves()) {
    const name = leaf.envNames.find((n) => env[n] !== undefined && env[n] !== '');
    if (!name) continue;
    const raw = env[name] as string;
    const [section, key] = leaf.path.split('.') as [string, string];
    out[section] ??= {};
    // numbers are parsed here; anything unparsable stays a string so that validation names it
    out[section][key] = leaf.numeric && /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    sources.set(leaf.path, `env ${name}`);
  }
  return out as ConfigInput;
}

/** Reads the optional JSON config file; a malformed file is an error naming it. */
export function configFromFile(file: string): ConfigInput {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ConfigInput;
  } catch (err) {
    throw new UserError(`Invalid configuration file ${file}: ${(err as Error).message}`);
  }
}

function merge(...layers: ConfigInput[]): ConfigInput {
  const out: Record<string, Record<string, unknown>> = {};
  for (const layer of layers) {
    for (const [section, values] of Object.entries(layer)) {
      if (values === undefined) continue;
      out[section] = { ...(out[section] ?? {}), ...(values as Record<string, unknown>) };
    }
  }
  return out as ConfigInput;
}

export interface LoadConfigOptions {
  /** Directory holding risk-oracle.config.json. Default: the working directory. */
  cwd?: string;
  /** An explicit config file (CLI --config); missing is then an error. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Values from CLI flags: the highest precedence. */
  flags?: ConfigInput;
}

/** Builds and validates the config. A bad value throws a UserError naming the key, its source, the value and what is allowed. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const file = options.file ?? path.join(options.cwd ?? process.cwd(), CONFIG_FILE);
  if (options.file && !existsSync(options.file)) throw new UserError(`Configuration file ${options.file} does not exist`);
  const sources = new Map<string, string>();
  const fromFile = configFromFile(file);
  for (const [section, values] of Object.entries(fromFile))
    for (const key of Object.keys(values ?? {})) sources.set(`${section}.${key}`, file);
  const fromEnv = configFromEnv(options.env ?? process.env, sources);
  for (const [section, values] of Object.entries(options.flags ?? {}))
    for (const key of Object.keys(values ?? {})) sources.set(`${section}.${key}`, 'a command-line flag');
  const merged = merge(fromFile, fromEnv, options.flags ?? {});
  const parsed = configSchema.safeParse(merged);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const key = issue.path.join('.');
    const value = issue.path.reduce<unknown>((obj, k) => (obj as Record<string | number, unknown> | undefined)?.[k as string], merged);
    const where = sources.get(key) ?? 'defaults';
    return `  ${key} = ${JSON.stringify(value)} (from ${where}): ${issue.message}`;
  });
  throw new UserError(`Invalid configuration:\n${lines.join('\n')}`);
}

/** Every environment variable the config reads, for `--help` and the README. */
export function configEnvNames(): string[] {
  return leaves().flatMap((l) => l.envNames);
}
