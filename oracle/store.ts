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

/** Round statuses a new proposal may replace: nothing has been signed for submission or sent yet. */
const REPLACEABLE = ['proposed', 'held'] as const;

/**
 * Records a proposal and every guard decision behind it in one transaction. Idempotent by (chain, asset, round):
 * the same proposal again (a re-run after a crash) changes nothing and returns false. A round not yet on its way
 * to the chain (proposed or held) is superseded by a new proposal that differs, or once it has expired at `now`:
 * otherwise a held or stale round would block its round number for ever. Signatures are kept by digest, so those
 * of the superseded proposal simply stop counting. The superseded round's decisions stay, as history.
 */
export async function saveRound(
  db: Kysely<Database>,
  round: RoundRecord,
  decisions: GuardDecision[],
  options: { now?: number } = {},
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('risk_parameter_rounds')
      .selectAll()
      .where('chain_id', '=', round.chainId)
      .where('asset', '=', round.asset.toLowerCase())
      .where('round', '=', round.round)
      .executeTakeFirst();
    if (existing) {
      const same =
        existing.status === round.status &&
        existing.ltv === round.ltv &&
        existing.liquidation_threshold === round.liquidationThreshold &&
        existing.liquidation_bonus === round.liquidationBonus &&
        existing.model_id === round.modelId &&
        existing.inputs_root === round.inputsRoot;
      const expired = options.now !== undefined && existing.valid_until <= options.now;
      if (!(REPLACEABLE as readonly string[]).includes(existing.status) || (same && !expired)) return false;
      await trx
        .deleteFrom('risk_parameter_rounds')
        .where('chain_id', '=', round.chainId)
        .where('asset', '=', round.asset.toLowerCase())
        .where('round', '=', round.round)
        .execute();
    }
    await trx
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
      .execute();
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
  /** Data time: wallets scored from history strictly before it. */
  dataTime?: number;
  status: EpochStatus;
  /** The guards' decisions, recorded with the epoch under `epoch:N`. */
  decisions?: GuardDecision[];
  /** Leaves with the hex of each wallet's packed features. */
  leaves: Array<ScoreLeaf & { features: string }>;
}

const SCORE_BATCH = 2_000;

/**
 * Stores an epoch and all its scores atomically; idempotent by (chain, epoch): the same epoch again returns false.
 * An epoch still proposed or held is superseded by a different one under the same number (its leaves go with
 * it); one signed for submission or published is never replaced.
 */
export async function saveEpoch(db: Kysely<Database>, epoch: EpochRecord): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('credit_epochs')
      .select(['root', 'model_id', 'status', 'data_time'])
      .where('chain_id', '=', epoch.chainId)
      .where('epoch', '=', epoch.epoch)
      .executeTakeFirst();
    if (existing) {
      const same =
        existing.root === epoch.root &&
        existing.model_id === epoch.modelId &&
        existing.status === epoch.status &&
        existing.data_time === (epoch.dataTime ?? null);
      if (same || !(REPLACEABLE as readonly string[]).includes(existing.status)) return false;
      for (const table of ['credit_scores', 'credit_epochs'] as const)
        await trx.deleteFrom(table).where('chain_id', '=', epoch.chainId).where('epoch', '=', epoch.epoch).execute();
    }
    await trx
      .insertInto('credit_epochs')
      .values({
        chain_id: epoch.chainId,
        epoch: epoch.epoch,
        root: epoch.root,
        model_id: epoch.modelId,
        wallet_count: epoch.leaves.length,
        at_block: epoch.atBlock,
        data_time: epoch.dataTime ?? null,
        digest: null,
        status: epoch.status,
      })
      .execute();
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
    if (epoch.decisions?.length) await recordDecisions(trx, epoch.chainId, `epoch:${epoch.epoch}`, epoch.decisions);
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
  blockHash?: string;
  error?: string;
}

export type PublicationKind = 'parameters' | 'epoch' | 'apply' | 'challenge';

/** The signed transaction of an attempt: what a restart needs to find it, outbid it or send its call again. */
export interface AttemptTx {
  txHash: string;
  sender: string;
  nonce: number;
  to: string;
  data: string;
  value: bigint;
  gasLimit: bigint;
  /** EIP-1559 max fee, or a legacy transaction's gas price. */
  maxFeePerGas: bigint;
  /** Unset for a legacy transaction. */
  maxPriorityFeePerGas?: bigint;
}

/**
 * Starts the next attempt at publishing a digest; returns its attempt number. With `tx` the attempt is recorded
 * as signed but not yet broadcast ('pending' with its hash and nonce), so a crash before the broadcast is found.
 */
export async function beginPublication(db: Db, chainId: number, digest: string, kind: PublicationKind, tx?: AttemptTx): Promise<number> {
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
      tx_hash: tx?.txHash ?? null,
      nonce: tx?.nonce ?? null,
      gas_used: null,
      block_number: null,
      error: null,
      ...(tx
        ? {
            sender: tx.sender.toLowerCase(),
            to_address: tx.to.toLowerCase(),
            calldata: tx.data,
            value: tx.value,
            gas_limit: tx.gasLimit,
            max_fee_per_gas: tx.maxFeePerGas,
            max_priority_fee_per_gas: tx.maxPriorityFeePerGas ?? null,
          }
        : {}),
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
      ...(update.blockHash !== undefined ? { block_hash: update.blockHash } : {}),
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

/**
 * Digests whose publication needs a look: an attempt still pending or submitted (a crash or a give-up left it),
 * or one confirmed at or after `sinceBlock` (shallow enough for a reorg to have dropped it). Oldest first.
 */
export async function publicationsToRecheck(
  db: Db,
  chainId: number,
  sinceBlock: number,
  kinds: readonly PublicationKind[],
): Promise<Array<{ digest: string; kind: PublicationKind }>> {
  if (kinds.length === 0) return [];
  const rows = await db
    .selectFrom('publications')
    .select(['digest', 'kind'])
    .select((eb) => eb.fn.min('created_at').as('first'))
    .where('chain_id', '=', chainId)
    .where('kind', 'in', kinds)
    .where('calldata', 'is not', null)
    .where((eb) =>
      eb.or([eb('status', 'in', ['pending', 'submitted']), eb.and([eb('status', '=', 'confirmed'), eb('block_number', '>=', sinceBlock)])]),
    )
    .groupBy(['digest', 'kind'])
    .orderBy('first')
    .execute();
  return rows.map((r) => ({ digest: r.digest, kind: r.kind }));
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
