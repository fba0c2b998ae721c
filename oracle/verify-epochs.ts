import type { Kysely } from 'kysely';
import type { Database } from '../core';
import type { CreditScoreRegistry } from '../contracts/build/types';
import type { QuantizedModel } from '../models/quantize';
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
}

/**
 * Re-derives credit epochs: the stored leaves must give the root the registry holds, the epoch must name the
 * model given, and every score and PD must be what the canonical model computes from the features the leaf
 * commits to. Epochs the registry has invalidated are reported apart.
 */
export async function verifyEpochs(options: {
  db: Kysely<Database>;
  registry: CreditScoreRegistry;
  chainId: number;
  model: QuantizedModel;
  modelId: string;
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
  const report: EpochVerifyReport = { epochs: 0, scores: 0, mismatches: [], invalidated: [] };
  for (const epoch of numbers) {
    const stored = await loadEpoch(db, chainId, epoch);
    const { stored: onChain, modelId } = await registry.epochOf(epoch);
    const found: EpochMismatch[] = [];
    if (onChain.root !== stored.root) found.push({ epoch, wallet: 'epoch', field: 'root', published: onChain.root, derived: stored.root });
    if (modelId !== options.modelId) found.push({ epoch, wallet: 'epoch', field: 'modelId', published: modelId, derived: options.modelId });
    for (const w of await auditCreditEpoch(db, chainId, epoch, options.model)) {
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
