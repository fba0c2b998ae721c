import type { Kysely } from 'kysely';
import { UserError, type Database } from '../core';
import type { CreditScoreRegistry } from '../contracts/build/types';
import { creditModelFor, type CreditModelSource } from '../models/credit/stored';
import { auditCreditEpoch, loadEpoch } from './credit-epoch';

export interface EpochMismatch {
  epoch: number;
  /** The wallet, or `epoch` for the epoch's own fields. */
  wallet: string;
  field: 'root' | 'modelId' | 'score' | 'pd';
  published: string;
  derived: string;
}

export interface EpochVerifyReport {
  epochs: number;
  scores: number;
  mismatches: EpochMismatch[];
  /** Epochs the registry already invalidated (their differences are listed, not counted). */
  invalidated: number[];
  /** The models the scores were recomputed with, by id, and where each came from. */
  models: Record<string, string>;
}

/**
 * Re-derives credit epochs: the stored leaves must give the root the registry holds, the registry must name the
 * epoch's model, and every score and PD must be what the canonical model computes from the features the leaf
 * commits to. The model is the stored artifact of each epoch's own model (`creditModelFor`), or `model` for every
 * epoch when one is given (an epoch of another model is then a `modelId` mismatch); an epoch whose model is in
 * neither is refused, naming the model. Epochs the registry has invalidated are reported apart.
 */
export async function verifyEpochs(options: {
  db: Kysely<Database>;
  registry: CreditScoreRegistry;
  chainId: number;
  /** Overrides the stored artifacts (`verify --artifact FILE`). */
  model?: CreditModelSource;
  epochs?: number[];
}): Promise<EpochVerifyReport> {
  const { db, registry, chainId } = options;
  const numbers =
    options.epochs ??
    (
      await db
        .selectFrom('credit_epochs')
        .select('epoch')
        .where('chain_id', '=', chainId)
        .where('status', 'in', ['published', 'invalidated'])
        .orderBy('epoch')
        .execute()
    ).map((r) => r.epoch);
  const report: EpochVerifyReport = { epochs: 0, scores: 0, mismatches: [], invalidated: [], models: {} };
  const loaded = new Map<string, CreditModelSource>();
  const modelOf = async (epoch: number, modelId: string): Promise<CreditModelSource> => {
    if (options.model) return options.model;
    const known = loaded.get(modelId);
    if (known) return known;
    const found = await creditModelFor(db, modelId, { command: 'verify' });
    if (!('model' in found)) throw new UserError(`credit epoch ${epoch} cannot be re-derived: ${found.why}`);
    loaded.set(modelId, found);
    return found;
  };
  for (const epoch of numbers) {
    const stored = await loadEpoch(db, chainId, epoch);
    const source = await modelOf(epoch, stored.modelId);
    report.models[source.modelId] = source.basis;
    const { stored: onChain, modelId } = await registry.epochOf(epoch);
    const found: EpochMismatch[] = [];
    if (onChain.root !== stored.root) found.push({ epoch, wallet: 'epoch', field: 'root', published: onChain.root, derived: stored.root });
    if (modelId !== source.modelId) found.push({ epoch, wallet: 'epoch', field: 'modelId', published: modelId, derived: source.modelId });
    for (const w of await auditCreditEpoch(db, chainId, epoch, source.model)) {
      if (w.published.score !== w.recomputed.score)
        found.push({ epoch, wallet: w.wallet, field: 'score', published: String(w.published.score), derived: String(w.recomputed.score) });
      if (w.published.pd !== w.recomputed.pd)
        found.push({ epoch, wallet: w.wallet, field: 'pd', published: w.published.pd.toString(), derived: w.recomputed.pd.toString() });
    }
    report.epochs++;
    report.scores += stored.leaves.length;
    if (onChain.invalidated) report.invalidated.push(epoch);
    else report.mismatches.push(...found);
  }
  return report;
}
