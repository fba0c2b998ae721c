import type { Kysely, Transaction } from 'kysely';
import type { Database, EpochStatus, PublicationStatus, RoundStatus } from '../core';
import type { ScoreLeaf } from './epoch';
import type { GuardDecision } from './guards';

type Db = Kysely<Database> | Transaction<Database>;

/** One asset's parameters for a round, in Aave units. */
export interface RoundRecord {
  chainId: number;
  asset: string;
  round: number;
  ltv: number;
  liquidationThreshold: number;
  liquidationBonus: number;
  modelId: string;
  inputsRoot: string;
  validUntil: number;
  atBlock: number;
  status: RoundStatus;
  explanation?: unknown;
}

/**
 * Records a proposal and every guard decision behind it in one transaction. Idempotent by (chain, asset, round):
 * a re-run after a crash does not duplicate the round, and its decisions are only written with the round.
 */
export async function saveRound(db: Kysely<Database>, round: RoundRecord, decisions: GuardDecision[]): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('risk_parameter_rounds')
      .values({
        chain_id: round.chainId,
        asset: round.asset.toLowerCase(),
        round: round.round,
        ltv: round.ltv,
        liquidation_threshold: round.liquidationThreshold,
        liquidation_bonus: round.liquidationBonus,
        model_id: round.modelId,
        inputs_root: round.inputsRoot,
        valid_until: round.validUntil,
        at_block: round.atBlock,
        batch_digest: null,
        status: round.status,
        explanation: round.explanation === undefined ? null : JSON.stringify(round.explanation),
      })
      .onConflict((oc) => oc.columns(['chain_id', 'asset', 'round']).doNothing())
      .returning('round')
      .executeTakeFirst();
    if (!inserted) return false;
    await recordDecisions(trx, round.chainId, `round:${round.asset.toLowerCase()}:${round.round}`, decisions);
    return true;
  });
}

export async function recordDecisions(db: Db, chainId: number, subject: string, decisions: GuardDecision[]): Promise<void> {
  if (decisions.length === 0) return;
  await db
    .insertInto('guard_decisions')
    .values(
      decisions.map((d) => ({
        chain_id: chainId,
        subject,
        guard: d.guard,
        decision: d.decision,
        reason: d.reason,
        details: d.details === undefined ? null : JSON.stringify(d.details),
      })),
    )
    .execute();
}

export async function setRoundStatus(
  db: Db,
  chainId: number,
  asset: string,
  round: number,
  status: RoundStatus,
  batchDigest?: string,
): Promise<void> {
  await db
    .updateTable('risk_parameter_rounds')
    .set({ status, ...(batchDigest ? { batch_digest: batchDigest } : {}) })
    .where('chain_id', '=', chainId)
    .where('asset', '=', asset.toLowerCase())
    .where('round', '=', round)
    .execute();
}

export interface EpochRecord {
  chainId: number;
  epoch: number;
  root: string;
  modelId: string;
  atBlock: number;
  status: EpochStatus;
  /** Leaves with the hex of each wallet's packed features. */
  leaves: Array<ScoreLeaf & { features: string }>;
}

const SCORE_BATCH = 2_000;

/** Stores an epoch and all its scores atomically; idempotent by (chain, epoch). Returns false if it existed. */
export async function saveEpoch(db: Kysely<Database>, epoch: EpochRecord): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('credit_epochs')
      .values({
        chain_id: epoch.chainId,
        epoch: epoch.epoch,
        root: epoch.root,
        model_id: epoch.modelId,
        wallet_count: epoch.leaves.length,
        at_block: epoch.atBlock,
        digest: null,
        status: epoch.status,
      })
      .onConflict((oc) => oc.columns(['chain_id', 'epoch']).doNothing())
      .returning('epoch')
      .executeTakeFirst();
    if (!inserted) return false;
    for (let i = 0; i < epoch.leaves.length; i += SCORE_BATCH) {
      await trx
        .insertInto('credit_scores')
        .values(
          epoch.leaves.slice(i, i + SCORE_BATCH).map((l) => ({
            chain_id: epoch.chainId,
            epoch: epoch.epoch,
            wallet: l.wallet.toLowerCase(),
            score: l.score,
            pd: l.pd,
            features_hash: l.featuresHash,
            features: l.features,
          })),
        )
        .execute();
    }
    return true;
  });
}

/** An epoch's leaves in a stable order (by wallet), to rebuild its tree. */
export async function epochLeaves(db: Db, chainId: number, epoch: number): Promise<Array<ScoreLeaf & { features: string }>> {
  const rows = await db
    .selectFrom('credit_scores')
    .selectAll()
    .where('chain_id', '=', chainId)
    .where('epoch', '=', epoch)
    .orderBy('wallet')
    .execute();
  return rows.map((r) => ({ wallet: r.wallet, score: r.score, pd: BigInt(r.pd), featuresHash: r.features_hash, features: r.features }));
}

export interface SignatureRecord {
  chainId: number;
  digest: string;
  signer: string;
  kind: 'parameters' | 'epoch';
  signature: string;
}

/** Stores a signer's signature; a second copy from the same signer for the same digest is ignored. */
export async function addSignature(db: Db, s: SignatureRecord): Promise<void> {
  await db
    .insertInto('signatures')
    .values({ chain_id: s.chainId, digest: s.digest, signer: s.signer.toLowerCase(), kind: s.kind, signature: s.signature })
    .onConflict((oc) => oc.columns(['chain_id', 'digest', 'signer']).doNothing())
    .execute();
}

/** Signatures for a digest, ordered by signer address ascending (the order the contracts require). */
export async function signaturesFor(db: Db, chainId: number, digest: string): Promise<Array<{ signer: string; signature: string }>> {
  return db
    .selectFrom('signatures')
    .select(['signer', 'signature'])
    .where('chain_id', '=', chainId)
    .where('digest', '=', digest)
    .orderBy('signer')
    .execute();
}

export interface PublicationUpdate {
  status: PublicationStatus;
  txHash?: string;
  nonce?: number;
  gasUsed?: number;
  blockNumber?: number;
  error?: string;
}

/** Starts the next attempt at publishing a digest; returns its attempt number. */
export async function beginPublication(
  db: Db,
  chainId: number,
  digest: string,
  kind: 'parameters' | 'epoch' | 'apply' | 'challenge',
): Promise<number> {
  const last = await db
    .selectFrom('publications')
    .select((eb) => eb.fn.max('attempt').as('attempt'))
    .where('chain_id', '=', chainId)
    .where('digest', '=', digest)
    .executeTakeFirst();
  const attempt = (last?.attempt ?? 0) + 1;
  await db
    .insertInto('publications')
    .values({
      chain_id: chainId,
      digest,
      attempt,
      kind,
      status: 'pending',
      tx_hash: null,
      nonce: null,
      gas_used: null,
      block_number: null,
      error: null,
    })
    .execute();
  return attempt;
}

export async function updatePublication(
  db: Db,
  chainId: number,
  digest: string,
  attempt: number,
  update: PublicationUpdate,
): Promise<void> {
  await db
    .updateTable('publications')
    .set({
      status: update.status,
      updated_at: new Date(),
      ...(update.txHash !== undefined ? { tx_hash: update.txHash } : {}),
      ...(update.nonce !== undefined ? { nonce: update.nonce } : {}),
      ...(update.gasUsed !== undefined ? { gas_used: update.gasUsed } : {}),
      ...(update.blockNumber !== undefined ? { block_number: update.blockNumber } : {}),
      ...(update.error !== undefined ? { error: update.error } : {}),
    })
    .where('chain_id', '=', chainId)
    .where('digest', '=', digest)
    .where('attempt', '=', attempt)
    .execute();
}

/** Every attempt at a digest, oldest first. */
export async function publicationsOf(db: Db, chainId: number, digest: string) {
  return db
    .selectFrom('publications')
    .selectAll()
    .where('chain_id', '=', chainId)
    .where('digest', '=', digest)
    .orderBy('attempt')
    .execute();
}

export async function raiseAlert(
  db: Db,
  severity: 'info' | 'warning' | 'critical',
  kind: string,
  message: string,
  details?: unknown,
): Promise<void> {
  await db
    .insertInto('alerts')
    .values({ severity, kind, message, details: details === undefined ? null : JSON.stringify(details) })
    .execute();
}
