import type { Kysely } from 'kysely';
import { UserError, type Database } from '../../core';

/** Parses a whole-number flag (≥ `min`); undefined stays undefined. */
export function wholeFlag(value: string | undefined, flag: string, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new UserError(`${flag} must be a whole number ≥ ${min}, got ${JSON.stringify(value)}`);
  return n;
}

/** The chain whose indexed data a command reads: the flag, else the config, else the only chain with lending events. */
export async function dataChainId(db: Kysely<Database>, explicit: number | undefined): Promise<number> {
  if (explicit !== undefined) return explicit;
  const chains = await db.selectFrom('lending_events').select('chain_id').distinct().orderBy('chain_id').execute();
  if (chains.length === 1) return chains[0]!.chain_id;
  if (chains.length === 0) throw new UserError('the database holds no lending events: run index (or train credit --simulate N) first');
  throw new UserError(`the database holds lending events of chains ${chains.map((c) => c.chain_id).join(', ')}: pick one with --chain-id`);
}
