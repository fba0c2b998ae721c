import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors';
import type { DatabaseHandle } from './index';
import { isAlive } from '../process';

export interface InstanceLock {
  release(): Promise<void>;
}

/**
 * One instance at a time. On Postgres: a session advisory lock held on a dedicated connection (released if the
 * process dies). On PGlite: a lock file beside the data directory (a stale one, whose process is gone, is taken over).
 */
export async function acquireInstanceLock(handle: DatabaseHandle, name: string, dataDir?: string): Promise<InstanceLock> {
  if (handle.pool) {
    const client = await handle.pool.connect();
    const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock(hashtext($1)) as locked', [name]);
    if (!rows[0]?.locked) {
      client.release();
      throw new UserError(`Another ${name} is already running against ${handle.location}; stop it first (one instance at a time)`);
    }
    return {
      async release() {
        await client.query('select pg_advisory_unlock(hashtext($1))', [name]);
        client.release();
      },
    };
  }
  const dir = path.resolve(dataDir ?? '.risk-oracle');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return { release: async () => rmSync(file, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(file, 'utf8'));
      if (isAlive(owner))
        throw new UserError(`Another ${name} (pid ${owner}) is already running on ${dir}; stop it first (one instance at a time)`);
      rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new UserError(`Could not take the ${name} lock in ${dir}`);
}
