import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ANVIL_PID_DIR } from '../anvil';
import { isAlive } from '../process';

/**
 * Kills any anvil whose owning process has died (a jest worker killed mid-test cannot run its own clean-up).
 * Anvils of other, still running processes are left alone.
 */
export default async function globalTeardown(): Promise<void> {
  let entries: string[];
  try {
    entries = readdirSync(ANVIL_PID_DIR);
  } catch {
    return; // no anvil was ever started
  }
  for (const entry of entries) {
    const file = path.join(ANVIL_PID_DIR, entry);
    const owner = Number(readFileSync(file, 'utf8'));
    if (isAlive(owner)) continue;
    try {
      process.kill(Number(entry), 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(file, { force: true });
  }
}
