import type { Command } from 'commander';
import { migrate, migrationStatus, openDatabase } from '../../core';
import { commandContext } from '../context';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations (PGlite by default, Postgres with DATABASE_URL)')
    .option('--status', 'list migrations and whether each has run, without applying any')
    .action(async (opts: { status?: boolean }, command: Command) => {
      const ctx = commandContext(command);
      const handle = await openDatabase({ url: ctx.config.database.url, dataDir: ctx.config.database.dataDir });
      try {
        if (opts.status) {
          const status = await migrationStatus(handle.db);
          const pending = status.filter((m) => m.executedAt === null).length;
          const lines = status.map((m) => `${m.executedAt ? 'applied' : 'pending'}  ${m.name}${m.executedAt ? `  (${m.executedAt})` : ''}`);
          ctx.print(`${lines.join('\n')}\n${pending} pending; database: ${handle.location}`, {
            database: handle.location,
            pending,
            migrations: status,
          });
          return;
        }
        const applied = await migrate(handle.db);
        ctx.print(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'database is up to date', {
          database: handle.location,
          applied,
        });
      } finally {
        await handle.close();
      }
    });
}
