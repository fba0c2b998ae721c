import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { migrate, openDatabase, type DatabaseHandle } from '../core';
import path from 'node:path';

/**
 * Shared by the benchmark scripts: each prints human lines while it runs and, as its last stdout line, one JSON
 * object of figures (so `npm run bench:x -- --json | tail -1` is machine-readable).
 */
export const wantsJson = (): boolean => process.argv.includes('--json');

export function progress(text: string): void {
  process.stderr.write(`${text}\n`);
}

export function emitFigures(figures: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(figures, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
}

/** Wall-clock seconds of `fn`, with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const started = process.hrtime.bigint();
  const result = await fn();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, result };
}

/**
 * A cache folder for generated benchmark inputs, keyed by what generated them (`params`, JSON): change a
 * parameter (or `version`, when the generator changes) and a fresh one is built. Under
 * node_modules/.cache/risk-oracle (RISK_ORACLE_BENCH_CACHE overrides), so `npm ci` or `rm -rf` clears it.
 */
export function benchCacheDir(name: string, params: Record<string, unknown>): string {
  const key = createHash('sha256').update(JSON.stringify(params)).digest('hex').slice(0, 16);
  const root = process.env.RISK_ORACLE_BENCH_CACHE ?? path.join(__dirname, '..', 'node_modules', '.cache', 'risk-oracle');
  return path.join(root, name, key);
}

/** A migrated schema of its own on the Postgres at `url`, dropped again by `close()`: a benchmark leaves nothing behind. */
export async function freshPostgres(url: string, prefix: string, poolSize?: number): Promise<DatabaseHandle> {
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  const handle = await openDatabase({ url, schema, ...(poolSize === undefined ? {} : { poolSize }) });
  await migrate(handle.db, schema);
  return {
    ...handle,
    async close() {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(handle.db);
      await handle.close();
    },
  };
}
