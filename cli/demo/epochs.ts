import type { BaseWallet } from 'ethers';
import type { Kysely } from 'kysely';
import type { Database, Logger } from '../../core';
import type { CreditScoreRegistry, ModelRegistry } from '../../contracts/build/types';
import { creditModelInForce, proposeNextEpoch, publishPendingEpoch, scoreEpoch, signPendingEpoch } from '../../oracle/credit-round';
import type { EpochEntry } from '../../oracle/credit-epoch';
import type { GuardDecision } from '../../oracle/guards';

/** The drift guard's default threshold (`oracle.driftThreshold`): PSI above it is a "significant shift". */
export const DEFAULT_DRIFT_THRESHOLD = 0.25;
/**
 * The threshold the demo falls back to when the default holds epoch 1, e.g. on the user's own price files: the model
 * trained on simulated histories and regimes, and a market far from them shows as PSI on wallet-level features. The
 * hold and its alert stay on record and the report names the features; a market-level feature outside the training
 * range still holds (no PSI threshold lifts that), and the demo stops with the guard's reason.
 */
export const DEMO_DRIFT_FALLBACK = 10;

export interface DriftReport {
  /** PSI per feature of the scored wallets against the model's training distribution. */
  psi: Record<string, number>;
  /** Market-level features: the share of scored wallets outside the training range. */
  outOfSupport: Record<string, number>;
  /** What the guard decided at the default threshold (a held epoch is on record). */
  atDefault: GuardDecision;
  /** The threshold the epoch was published under: the default, or the fallback after a hold. */
  threshold: number;
}

export interface OracleEpoch {
  epoch: number;
  root: string;
  modelId: string;
  dataTime: number;
  wallets: number;
  /** Signers that recomputed the epoch and signed it, in order. */
  signers: string[];
  gas: number;
  drift: DriftReport;
  /** The published entries, as every signer recomputed them. */
  entries: EpochEntry[];
}

/**
 * The next credit epoch through the oracle's own pipeline with the model in force (ModelRegistry.activeModel):
 * `proposeNextEpoch` at the default drift threshold (if held, again at `DEMO_DRIFT_FALLBACK`, superseding the held
 * proposal under the same number), `signPendingEpoch` by each of `signers` in turn (each recomputes the epoch from
 * the index and the model in force before signing), and `publishPendingEpoch` once the threshold of signatures is
 * stored.
 */
export async function publishNextEpoch(options: {
  db: Kysely<Database>;
  chainId: number;
  models: ModelRegistry;
  registry: CreditScoreRegistry;
  signerSet: { isSigner(address: string): Promise<boolean> };
  signers: BaseWallet[];
  threshold: number;
  atBlock: number;
  log: Logger;
}): Promise<OracleEpoch> {
  const { db, chainId, log } = options;
  const propose = (driftThreshold: number) =>
    proposeNextEpoch({ db, chainId, models: options.models, registry: options.registry, atBlock: options.atBlock, driftThreshold, log });
  const first = await propose(DEFAULT_DRIFT_THRESHOLD);
  if (!first) throw new Error('no credit model is in force: the DAO must promote one before an epoch can be proposed');
  const atDefault = first.decisions.find((d) => d.guard === 'drift');
  if (!atDefault) throw new Error(`credit epoch ${first.epoch} (${first.status}) carries no drift decision`);
  const threshold = first.status === 'proposed' ? DEFAULT_DRIFT_THRESHOLD : DEMO_DRIFT_FALLBACK;
  const proposal = first.status === 'proposed' ? first : await propose(threshold);
  if (proposal?.status !== 'proposed')
    throw new Error(
      `credit epoch ${proposal?.epoch} ${proposal?.status ?? 'not proposed'} at drift threshold ${threshold}: ${proposal?.decisions
        .filter((d) => d.decision === 'hold')
        .map((d) => d.reason)
        .join('; ')}`,
    );
  for (const signer of options.signers) await signPendingEpoch({ ...options, signers: [signer], driftThreshold: threshold });
  const published = await publishPendingEpoch({ db, chainId, registry: options.registry, threshold: options.threshold, log });
  if (!published?.submitted) throw new Error(`credit epoch ${proposal.epoch} was not submitted`);
  // what each signer recomputed: the published leaves with their features (for proofs, the report and the challenge)
  const model = await creditModelInForce(db, options.models, proposal.atBlock);
  const scored = await scoreEpoch(db, chainId, model!, proposal.dataTime, threshold);
  const details = atDefault.details as { psi?: Record<string, number>; outOfSupport?: Record<string, number> } | undefined;
  return {
    epoch: proposal.epoch,
    root: proposal.root,
    modelId: proposal.modelId,
    dataTime: proposal.dataTime,
    wallets: proposal.wallets,
    signers: options.signers.map((s) => s.address),
    gas: Number(published.gasUsed ?? 0n),
    drift: { psi: details?.psi ?? {}, outOfSupport: details?.outOfSupport ?? {}, atDefault, threshold },
    entries: scored.entries,
  };
}
