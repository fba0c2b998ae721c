import { isAddress } from 'ethers';
import type { Kysely } from 'kysely';
import type { Database } from '../core';
import { loadEpoch, type StoredEpoch } from './credit-epoch';
import type { Route } from './server';

/** What an integrator needs to call `CreditScoreRegistry.prove` or `verifyScore` for a wallet. */
export interface ScoreAnswer {
  wallet: string;
  epoch: number;
  score: number;
  /** WAD (1e18 = 100 %), as a decimal string. */
  pd: string;
  featuresHash: string;
  modelId: string;
  root: string;
  proof: string[];
}

type Db = Kysely<Database>;

/** The latest published (not invalidated) epoch holding the wallet, or the given epoch. */
async function epochFor(db: Db, chainId: number, wallet: string, epoch?: number): Promise<number | undefined> {
  let q = db
    .selectFrom('credit_scores as s')
    .innerJoin('credit_epochs as e', (j) => j.onRef('e.chain_id', '=', 's.chain_id').onRef('e.epoch', '=', 's.epoch'))
    .select('s.epoch')
    .where('s.chain_id', '=', chainId)
    .where('s.wallet', '=', wallet.toLowerCase());
  q = epoch === undefined ? q.where('e.status', '=', 'published') : q.where('s.epoch', '=', epoch);
  const row = await q.orderBy('s.epoch', 'desc').limit(1).executeTakeFirst();
  return row?.epoch;
}

/**
 * A wallet's score and Merkle proof. Epoch trees are rebuilt from the stored leaves once and kept (`cache`), so a
 * lookup costs one query after the first.
 */
export async function scoreProof(
  db: Db,
  chainId: number,
  wallet: string,
  options: { epoch?: number; cache?: Map<string, StoredEpoch> } = {},
): Promise<ScoreAnswer | undefined> {
  if (!isAddress(wallet)) throw new Error(`not an address: ${JSON.stringify(wallet)}`);
  const epoch = await epochFor(db, chainId, wallet, options.epoch);
  if (epoch === undefined) return undefined;
  const key = `${chainId}:${epoch}`;
  const stored = options.cache?.get(key) ?? (await loadEpoch(db, chainId, epoch));
  if (options.cache && !options.cache.has(key)) {
    // a few recent epochs are enough: lookups go to the latest
    if (options.cache.size >= 8) options.cache.delete(options.cache.keys().next().value!);
    options.cache.set(key, stored);
  }
  const found = stored.tree.proof(wallet);
  if (!found) return undefined;
  return {
    wallet: found.leaf.wallet,
    epoch,
    score: found.leaf.score,
    pd: found.leaf.pd.toString(),
    featuresHash: found.leaf.featuresHash,
    modelId: stored.modelId,
    root: stored.root,
    proof: found.proof,
  };
}

const json = (status: number, body: unknown) => ({ status, type: 'application/json', body: `${JSON.stringify(body)}\n` });

/** `GET /score/:wallet[?epoch=N]`: the wallet's latest published score with its proof (400 bad input, 404 unknown). */
export function scoreRoute(db: Db, chainId: number): Route {
  const cache = new Map<string, StoredEpoch>();
  return async (_req, url) => {
    const match = /^\/score\/([^/]+)$/.exec(url.pathname);
    if (!match) return undefined;
    const wallet: string = decodeURIComponent(match[1]!);
    if (!isAddress(wallet)) return json(400, { error: `not an address: ${JSON.stringify(match[1]!.slice(0, 64))}` });
    const raw = url.searchParams.get('epoch');
    const epoch = raw === null ? undefined : Number(raw);
    if (epoch !== undefined && (!Number.isSafeInteger(epoch) || epoch < 1)) return json(400, { error: `epoch must be a positive integer` });
    const answer = await scoreProof(db, chainId, wallet, { epoch, cache });
    return answer ? json(200, answer) : json(404, { error: `no ${epoch ? `epoch ${epoch} ` : 'published '}score for ${wallet}` });
  };
}
