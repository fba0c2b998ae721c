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
 * The demo's configured threshold. The on-chain agents and the off-chain histories the model trains on come from two
 * different generators (sim/agents.ts plans loans over the demo's 60–90 days; sim/wallets.ts over a year, with a
 * loan count that does not scale with age), the feeds move every 12 hours on-chain against hourly prices in training,
 * and every agent is scored at the same instant, so market-level features (7-day volatility of the collateral) take
 * one value per asset: PSI against rows pooled over a year of observation times is large by construction
 * (up to ~7 on `open_collateral_vol_7d`). The report shows every feature's PSI and this reason.
 */
export const DEMO_DRIFT_THRESHOLD = 10;

export interface DriftReport {
  /** PSI per feature of the scored wallets against the model's training distribution. */
  psi: Record<string, number>;
  /** What the guard decided at the default threshold (the held epoch is on record) and at the demo's. */
  atDefault: GuardDecision;
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
 * `proposeNextEpoch` at the default drift threshold (held, with a `credit-epoch-held` alert), again at the demo's
 * configured threshold (superseding the held proposal under the same number), `signPendingEpoch` by each of `signers` in turn (each recomputes the epoch from the index and the model
 * in force before signing), and `publishPendingEpoch` once the threshold of signatures is stored.
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
  const held = await propose(DEFAULT_DRIFT_THRESHOLD);
  if (!held) throw new Error('no credit model is in force: the DAO must promote one before an epoch can be proposed');
  const atDefault = held.decisions.find((d) => d.guard === 'drift');
  if (!atDefault) throw new Error(`credit epoch ${held.epoch} (${held.status}) carries no drift decision`);
  const proposal = await propose(DEMO_DRIFT_THRESHOLD);
  if (proposal?.status !== 'proposed')
    throw new Error(
      `credit epoch ${proposal?.epoch} ${proposal?.status ?? 'not proposed'} at drift threshold ${DEMO_DRIFT_THRESHOLD}: ${proposal?.decisions
        .filter((d) => d.decision === 'hold')
        .map((d) => d.reason)
        .join('; ')}`,
    );
  for (const signer of options.signers) await signPendingEpoch({ ...options, signers: [signer], driftThreshold: DEMO_DRIFT_THRESHOLD });
  const published = await publishPendingEpoch({ db, chainId, registry: options.registry, threshold: options.threshold, log });
  if (!published?.submitted) throw new Error(`credit epoch ${proposal.epoch} was not submitted`);
  // what each signer recomputed: the published leaves with their features (for proofs, the report and the challenge)
  const model = await creditModelInForce(db, options.models, proposal.atBlock);
  const scored = await scoreEpoch(db, chainId, model!, proposal.dataTime, DEMO_DRIFT_THRESHOLD);
  const psi = (atDefault.details as { psi?: Record<string, number> } | undefined)?.psi ?? {};
  return {
    epoch: proposal.epoch,
    root: proposal.root,
    modelId: proposal.modelId,
    dataTime: proposal.dataTime,
    wallets: proposal.wallets,
    signers: options.signers.map((s) => s.address),
    gas: Number(published.gasUsed ?? 0n),
    drift: { psi, atDefault, threshold: DEMO_DRIFT_THRESHOLD },
    entries: scored.entries,
  };
}
