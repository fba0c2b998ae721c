import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Kysely, PostgresDialect, sql, type PostgresPool, type PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Database } from '../../core';

/**
 * Where the indexer writes: a kysely handle, plus the pg pool on a real Postgres (for COPY). Every write of a batch
 * happens in one transaction; rows are bulk-written with COPY on Postgres and multi-row inserts on PGlite, and
 * always land through `INSERT ... ON CONFLICT DO NOTHING`, so writing a batch twice is a no-op.
 */
export interface Store {
  db: Kysely<Database>;
  /** Set on Postgres: bulk writes use COPY over one of its connections. */
  pool?: pg.Pool | undefined;
}

/** Tables the indexer bulk-writes, each with every column it writes. */
export type BulkTable =
  | 'lending_events'
  | 'reserve_updates'
  | 'collateral_configs'
  | 'price_points'
  | 'oracle_events'
  | 'a_token_transfers'
  | 'emode_events'
  | 'wallet_positions'
  | 'health_factors';
type Cell = string | number | boolean | null | bigint | undefined;
type BulkRow = Record<string, Cell>;

export interface Tx {
  db: Kysely<Database>;
  /** Inserts rows, skipping any whose key exists. */
  insert(table: BulkTable, rows: readonly object[]): Promise<void>;
}

/** One pg client as a kysely "pool", so kysely queries and COPY share a transaction. */
function singleClient(client: pg.PoolClient): PostgresPool {
  const wrapped = { query: client.query.bind(client), release: () => undefined } as unknown as PostgresPoolClient;
  return { connect: async () => wrapped, end: async () => undefined };
}

const MAX_PARAMS = 60_000; // Postgres allows 65 535 bind parameters per statement

async function insertValues(db: Kysely<Database>, table: BulkTable, rows: readonly object[]): Promise<void> {
  const columns = Object.keys(rows[0]!).length;
  const chunk = Math.max(1, Math.floor(MAX_PARAMS / columns));
  for (let i = 0; i < rows.length; i += chunk) {
    await db
      .insertInto(table)
      .values(rows.slice(i, i + chunk) as never)
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

const SPECIAL = /[\\\t\n\r]/;

/** COPY text format: tab-separated, `\N` for null, backslash escapes. */
function copyLine(row: BulkRow, columns: string[]): string {
  return `${columns
    .map((c) => {
      const v = row[c];
      if (v === null || v === undefined) return '\\N';
      if (typeof v === 'boolean') return v ? 't' : 'f';
      const text = String(v);
      // almost every cell (numbers, hex, decimals) needs no escaping: test once rather than run four replaces
      return SPECIAL.test(text) ? text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : text;
    })
    .join('\t')}\n`;
}

async function insertCopy(client: pg.PoolClient, db: Kysely<Database>, table: BulkTable, rows: readonly object[]): Promise<void> {
  const columns = Object.keys(rows[0]!);
  const temp = `_ro_copy_${table}`;
  // a session-local staging table, emptied at commit (or rollback)
  await sql`create temp table if not exists ${sql.id(temp)} (like ${sql.table(table)} including defaults) on commit delete rows`.execute(
    db,
  );
  const lines = (function* () {
    const BATCH = 1_000;
    for (let i = 0; i < rows.length; i += BATCH) {
      let text = '';
      for (const row of rows.slice(i, i + BATCH)) text += copyLine(row as BulkRow, columns);
      yield text;
    }
  })();
  const list = columns.map((c) => `"${c}"`).join(', ');
  await pipeline(Readable.from(lines), client.query(copyFrom(`copy ${temp} (${list}) from stdin`)));
  await sql`insert into ${sql.table(table)} (${sql.raw(list)}) select ${sql.raw(list)} from ${sql.id(temp)} on conflict do nothing`.execute(
    db,
  );
  await sql`truncate ${sql.id(temp)}`.execute(db);
}

/** Rows at or above this count go through COPY on Postgres; fewer are cheaper as one INSERT. */
const COPY_THRESHOLD = 200;

/** Runs `fn` in one transaction; its `insert` uses COPY on Postgres for large batches. */
export async function inTransaction<T>(store: Store, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (!store.pool) {
    return store.db
      .transaction()
      .execute((trx) => fn({ db: trx, insert: async (table, rows) => (rows.length ? insertValues(trx, table, rows) : undefined) }));
  }
  const client = await store.pool.connect();
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: singleClient(client) }) });
  let broken = false;
  // the server may end the session while the transaction waits (a lease ran out, see store/ranges.ts): the next
  // statement fails; without a listener the 'error' event would bring the whole process down
  const ended = (): void => void (broken = true);
  client.on('error', ended);
  try {
    return await db.transaction().execute((trx) =>
      fn({
        db: trx,
        async insert(table, rows) {
          if (rows.length === 0) return;
          if (rows.length < COPY_THRESHOLD) return insertValues(trx, table, rows);
          return insertCopy(client, trx, table, rows);
        },
      }),
    );
  } catch (err) {
    broken = true;
    throw err;
  } finally {
    // a failed COPY can leave the connection mid-protocol: discard it rather than return it to the pool
    client.removeListener('error', ended);
    client.release(broken ? true : undefined);
  }
}
