import { PGlite } from '@electric-sql/pglite';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Kysely, Migrator, PostgresDialect, sql, type MigrationResultSet } from 'kysely';
import pg from 'pg';
import { migrationProvider } from '../../migrations';
import { UserError } from '../errors';
import type { Database } from '../schema';
import { PGliteDialect } from './pglite-dialect';

export { PGliteDialect } from './pglite-dialect';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

export interface DatabaseOptions {
  /** Postgres connection string; unset selects PGlite. */
  url?: string;
  /** PGlite data directory, or `memory://`. */
  dataDir?: string;
  /** Postgres only: a schema to use (created if missing) so that several users share one database. */
  schema?: string;
  poolSize?: number;
}

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly kind: 'pglite' | 'postgres';
  /** Where the data lives, without credentials. */
  readonly location: string;
  /** The pg pool on Postgres (for COPY), undefined on PGlite. */
  readonly pool: pg.Pool | undefined;
  /** The PGlite instance on PGlite, undefined on Postgres. */
  readonly pglite: PGlite | undefined;
  close(): Promise<void>;
}

/** Postgres URL with the password hidden, for logs and errors. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid DATABASE_URL)';
  }
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Opens the configured database: a pg pool when a URL is given, otherwise embedded PGlite. */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.url) return openPostgres(options.url, options);
  const dataDir = options.dataDir ?? 'memory://';
  if (!dataDir.startsWith('memory://')) mkdirSync(path.resolve(dataDir), { recursive: true });
  const pglite = await PGlite.create(dataDir.startsWith('memory://') ? undefined : path.resolve(dataDir), {
    parsers: { [INT8_OID]: (v: string) => Number(v), [NUMERIC_OID]: (v: string) => v },
  });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return { db, kind: 'pglite', location: dataDir, pool: undefined, pglite, close: () => db.destroy() };
}

async function openPostgres(url: string, options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.schema && !SCHEMA_NAME.test(options.schema)) throw new UserError(`Invalid schema name ${options.schema}`);
  const types = {
    getTypeParser: ((oid: number, format?: string) => {
      if (oid === INT8_OID) return (v: string) => Number(v);
      return pg.types.getTypeParser(oid, format as 'text');
    }) as typeof pg.types.getTypeParser,
  };
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    types,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  try {
    const client = await pool.connect();
    if (options.schema) await client.query(`create schema if not exists ${options.schema}`);
    client.release();
  } catch (err) {
    await pool.end();
    throw new UserError(
      `Cannot connect to Postgres at ${describeUrl(url)}: ${(err as Error).message}. Check DATABASE_URL, or unset it to use the embedded database.`,
    );
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, kind: 'postgres', location: describeUrl(url), pool, pglite: undefined, close: () => db.destroy() };
}

function migrator(db: Kysely<Database>, schema?: string): Migrator {
  return new Migrator({ db, provider: migrationProvider, ...(schema ? { migrationTableSchema: schema } : {}) });
}

/** Applies every pending migration under the migrator's lock; a second call is a no-op. Throws on the first failure. */
export async function migrate(db: Kysely<Database>, schema?: string): Promise<string[]> {
  let { error, results }: MigrationResultSet = await migrator(db, schema).migrateToLatest();
  // kysely's Migrator introspects the tables of every schema first: another session dropping its own schema
  // meanwhile fails that read, with nothing of ours changed (migrations run under a lock, once each): read again
  for (let retry = 0; retry < 3 && error && droppedMeanwhile(error, schema); retry++)
    ({ error, results } = await migrator(db, schema).migrateToLatest());
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    throw new Error(`Migration ${failed?.migrationName ?? '(unknown)'} failed: ${(error as Error).message ?? String(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** A "schema X does not exist" error about a schema other than ours (see `migrate`). */
function droppedMeanwhile(error: unknown, schema: string | undefined): boolean {
  const missing = /schema "([^"]+)" does not exist/.exec(String((error as Error | undefined)?.message ?? error));
  return missing !== null && missing[1] !== schema;
}

export interface MigrationStatus {
  name: string;
  executedAt: string | null;
}

/**
 * Every known migration and when it ran (null: pending). Reads kysely's migration table directly: the Migrator's
 * own `getMigrations` introspects every table of every schema, which fails now and then on a Postgres where other
 * sessions create and drop schemas at the same time (parallel test workers, other tenants).
 */
export async function migrationStatus(db: Kysely<Database>, schema?: string): Promise<MigrationStatus[]> {
  const table = schema ? `${schema}.kysely_migration` : 'kysely_migration';
  const { rows } = await sql<{ present: string | null }>`select to_regclass(${table})::text as present`.execute(db);
  const executed = new Map<string, string>();
  if (rows[0]?.present) {
    const done = await sql<{ name: string; timestamp: string }>`select name, timestamp from ${sql.table(table)}`.execute(db);
    for (const r of done.rows) executed.set(r.name, new Date(r.timestamp).toISOString());
  }
  const names = Object.keys(await migrationProvider.getMigrations()).sort();
  return names.map((name) => ({ name, executedAt: executed.get(name) ?? null }));
}

/** Cheap reachability check. */
export async function ping(db: Kysely<Database>): Promise<void> {
  await sql`select 1`.execute(db);
}
export * from './lock';
