import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '../test/db';
import { acquireInstanceLock } from './lock';

describe(`instance lock (${process.env.DATABASE_URL ? 'Postgres advisory lock' : 'PGlite lock file'})`, () => {
  it('lets one holder in, refuses a second with a clear message, and frees on release', async () => {
    const h = await createTestDatabase();
    const dir = mkdtempSync(path.join(tmpdir(), 'ro-lock-'));
    try {
      const name = `daemon-${process.pid}`;
      const first = await acquireInstanceLock(h, name, dir);
      await expect(acquireInstanceLock(h, name, dir)).rejects.toThrow(/Another daemon-\d+ .*is already running/);
      await first.release();
      const again = await acquireInstanceLock(h, name, dir);
      await again.release();
    } finally {
      await h.close();
    }
  });

  it('takes over a stale lock file left by a dead process', async () => {
    if (process.env.DATABASE_URL) return; // Postgres frees advisory locks with the session; no file involved
    const h = await createTestDatabase();
    const dir = mkdtempSync(path.join(tmpdir(), 'ro-lock-'));
    writeFileSync(path.join(dir, 'daemon.lock'), '999999999');
    const lock = await acquireInstanceLock(h, 'daemon', dir);
    await lock.release();
    await h.close();
  });
});
