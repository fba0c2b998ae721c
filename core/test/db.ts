import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { migrate, openDatabase, type DatabaseHandle } from '../db';

/**
 * A migrated, empty database for one test file: in-memory PGlite by default, or, when DATABASE_URL is set, a
 * fresh schema on that Postgres (so parallel jest workers never share tables), dropped by `close()`.
 */
export async function createTestDatabase(): Promise<DatabaseHandle & { schema: string | undefined }> {
  const url = process.env.DATABASE_URL;
  const schema = url ? `t_${process.pid}_${randomBytes(4).toString('hex')}` : undefined;
  const handle = await openDatabase({ url, dataDir: 'memory://', schema, poolSize: 4 });
  await migrate(handle.db, schema);
  return {
    ...handle,
    schema,
    async close() {
      if (schema) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(handle.db);
      await handle.close();
    },
  };
}
