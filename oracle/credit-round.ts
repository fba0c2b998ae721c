import { ZeroHash, type BaseWallet } from 'ethers';
import type { Kysely } from 'kysely';
import { UserError, type Database, type EpochStatus, type Logger } from '../core';
import { creditRegistryDomain, epochDigest, signEpoch } from '../contracts';
import type { CreditScoreRegistry, ModelRegistry } from '../contracts/build/types';
import { afterLastEvent, CREDIT_FEATURES, creditScorer, loadStoredCreditArtifact, walletFeaturesAt, type CreditArtifact } from '../models';
import { epochRecord, epochTree, proposeCreditEpoch, publishCreditEpoch, type EpochEntry, type EpochPublication } from './credit-epoch';
import { driftDecision } from './drift';
import type { GuardDecision } from './guards';
import type { SendConfig } from './send';
import { addSignature, raiseAlert } from './store';

type Db = Kysely<Database>;

/** ModelRegistry.Kind.Credit */
const CREDIT = 0;
const SCORE_RANGE = { min: 300, max: 850 };

export interface CreditModelInForce {
  modelId: string;
  artifact: CreditArtifact;
}

/**
 * The credit model in force at a block (ModelRegistry.activeModel), with its artifact from this database: the
 * oracle scores with what the DAO voted for, never with a file someone passed. Undefined while none is in force.
 */
export async function creditModelInForce(db: Db, models: ModelRegistry, blockTag?: number): Promise<CreditModelInForce | undefined> {
  const modelId = await models.activeModel(CREDIT, blockTag === undefined ? {} : { blockTag });
  if (modelId === ZeroHash) return undefined;
  const stored = await loadStoredCreditArtifact(db, modelId);
  if (!stored)
    throw new UserError(
      `the artifact of the credit model in force (${modelId}) is not in this database: risk-oracle model import --artifact FILE`,
    );
  return { modelId: stored.modelId, artifact: stored.artifact };
}

export interface ScoredEpoch {
  entries: EpochEntry[];
  decisions: GuardDecision[];
  publishable: boolean;
}

/**
 * Scores every wallet with indexed history before `dataTime` with the model in force and guards the result:
 * feature drift against the model's training distribution (PSI per feature), non-finite features, scores outside
 * 300–850. Deterministic: the same database rows and artifact give the same entries and decisions.
 */
export async function scoreEpoch(
  db: Db,
  chainId: number,
  model: CreditModelInForce,
  dataTime: number,
  driftThreshold: number,
): Promise<ScoredEpoch> {
  const { wallets, rows } = await walletFeaturesAt(db, chainId, dataTime);
  if (wallets.length === 0) throw new UserError(`no wallet has indexed history before ${dataTime} on chain ${chainId}: nothing to score`);
  const decisions: GuardDecision[] = [];
  const references = model.artifact.training.drift;
  if (references) {
    const current = Object.fromEntries(CREDIT_FEATURES.map((f, j) => [f.name, rows.map((r) => r[j]!)]));
    decisions.push(driftDecision(references, current, driftThreshold));
  } else
    decisions.push({
      guard: 'drift',
      decision: 'pass',
      reason: 'not checked: the artifact carries no training distribution (trained before drift references were kept)',
    });
  const nonFinite = wallets.filter((_, i) => !rows[i]!.every(Number.isFinite));
  if (nonFinite.length)
    decisions.push({
      guard: 'sanity',
      decision: 'hold',
      reason: `${nonFinite.length} wallet(s) with non-finite features, e.g. ${nonFinite[0]}`,
      details: { wallets: nonFinite.slice(0, 20) },
    });
  // wallets with broken features are left out of the (held) epoch: there is nothing canonical to score them with
  const score = creditScorer(model.artifact);
  const entries: EpochEntry[] = [];
  rows.forEach((r, i) => {
    if (!r.every(Number.isFinite)) return;
    const s = score(r);
    entries.push({ wallet: wallets[i]!, score: s.score, pd: s.pd, features: s.features });
  });
  const outside = entries.filter((e) => e.score < SCORE_RANGE.min || e.score > SCORE_RANGE.max || e.pd < 0n || e.pd > 10n ** 18n);
  decisions.push(
    outside.length
      ? { guard: 'range', decision: 'hold', reason: `${outside.length} score(s) outside 300–850 or PD outside [0, 1]` }
      : { guard: 'range', decision: 'pass', reason: `${entries.length} scores within 300–850` },
  );
  return { entries, decisions, publishable: decisions.every((d) => d.decision !== 'hold') };
}

export interface EpochProposal {
  epoch: number;
  modelId: string;
  root: string;
  wallets: number;
  dataTime: number;
  atBlock: number;
  /** `waiting`: an earlier epoch is signed and not yet sent; `unchanged`: the latest published one is current. */
  status: 'proposed' | 'held' | 'waiting' | 'unchanged';
  decisions: GuardDecision[];
}

/** The lowest stored epoch above the chain's latest in one of these statuses (the next to go out), if any. */
async function storedEpochAbove(db: Db, chainId: number, latestOnChain: number, statuses: EpochStatus[]): Promise<number | undefined> {
  const row = await db
    .selectFrom('credit_epochs')
    .select('epoch')
    .where('chain_id', '=', chainId)
    .where('epoch', '>', latestOnChain)
    .where('status', 'in', statuses)
    .orderBy('epoch')
    .executeTakeFirst();
  return row?.epoch;
}

/**
 * Proposes the next credit epoch (the registry's latest + 1) at `atBlock`: the model in force at that block
 * scores every wallet with indexed history before `dataTime` (default: just after the last indexed event), and
 * the guards decide whether it may be published; a held epoch is stored with its reasons and an alert, never
 * signed. Undefined when no credit model is in force. An epoch already signed and not yet on-chain is returned
 * as `waiting` instead: it must be published first, and nothing replaces it.
 */
export async function proposeNextEpoch(options: {
  db: Db;
  chainId: number;
  models: ModelRegistry;
  registry: CreditScoreRegistry;
  atBlock: number;
  dataTime?: number;
  driftThreshold: number;
  log: Logger;
}): Promise<EpochProposal | undefined> {
  const { db, chainId, log } = options;
  const model = await creditModelInForce(db, options.models, options.atBlock);
  if (!model) {
    log.info({ atBlock: options.atBlock }, 'no credit model in force: no credit epoch proposed');
    return undefined;
  }
  const latest = Number(await options.registry.latestEpoch());
  // signed or being sent: it goes out before anything new
  const waiting = await storedEpochAbove(db, chainId, latest, ['signed', 'submitted']);
  if (waiting !== undefined) {
    const stored = await epochRecord(db, chainId, waiting);
    return {
      epoch: waiting,
      modelId: stored.modelId,
      root: stored.root,
      wallets: stored.walletCount,
      dataTime: stored.dataTime ?? 0,
      atBlock: stored.atBlock,
      status: 'waiting',
      decisions: [],
    };
  }
  const dataTime = options.dataTime ?? (await afterLastEvent(db, chainId));
  // nothing new since the latest published epoch (same model, same history): another bond would buy nothing
  const last = await db
    .selectFrom('credit_epochs')
    .select(['root', 'model_id', 'data_time', 'wallet_count', 'at_block'])
    .where('chain_id', '=', chainId)
    .where('epoch', '=', latest)
    .where('status', '=', 'published')
    .executeTakeFirst();
  if (last && last.model_id === model.modelId && last.data_time === dataTime)
    return {
      epoch: latest,
      modelId: model.modelId,
      root: last.root,
      wallets: last.wallet_count,
      dataTime,
      atBlock: last.at_block,
      status: 'unchanged',
      decisions: [],
    };
  const scored = await scoreEpoch(db, chainId, model, dataTime, options.driftThreshold);
  const epoch = latest + 1;
  if (scored.entries.length === 0)
    throw new Error(`credit epoch ${epoch}: no wallet could be scored (${scored.decisions.map((d) => d.reason).join('; ')})`);
  const status = scored.publishable ? 'proposed' : 'held';
  const base = { epoch, modelId: model.modelId, dataTime, atBlock: options.atBlock, status, decisions: scored.decisions } as const;
  const stored = await proposeCreditEpoch({ db, chainId, ...base, entries: scored.entries });
  if (scored.publishable)
    log.info({ epoch, root: stored.root, wallets: stored.leaves.length, modelId: model.modelId }, 'credit epoch proposed');
  else {
    const reasons = scored.decisions.filter((d) => d.decision === 'hold').map((d) => d.reason);
    await raiseAlert(db, 'warning', 'credit-epoch-held', `credit epoch ${epoch} held: ${reasons.join('; ')}`, { epoch });
    log.warn({ epoch, reasons }, 'credit epoch held by a guard: not published');
  }
  return { ...base, root: stored.root, wallets: stored.leaves.length };
}

/** The stored epoch waiting for signatures or publication (above the chain's latest), if any. */
export const pendingEpoch = async (db: Db, chainId: number, registry: CreditScoreRegistry): Promise<number | undefined> =>
  storedEpochAbove(db, chainId, Number(await registry.latestEpoch()), ['proposed', 'signed', 'submitted']);

/**
 * The epoch `publish` works on: one signed for submission whose transaction may already be the chain's latest
 * epoch (a publisher killed after broadcast) comes first, so that it is confirmed and marked rather than left
 * `signed`; then the pending epoch above the chain's latest.
 */
async function epochToPublish(db: Db, chainId: number, registry: CreditScoreRegistry): Promise<number | undefined> {
  const latest = Number(await registry.latestEpoch());
  return (
    (await storedEpochAbove(db, chainId, latest - 1, ['signed', 'submitted'])) ??
    (await storedEpochAbove(db, chainId, latest, ['proposed']))
  );
}

/**
 * What an independent signer does: rebuild the pending epoch from its own index (the wallets' history before the
 * epoch's data time), the model in force at the epoch's block and that model's artifact, and sign the EIP-712
 * digest only if the root, the model and the guards' verdict come out the same. Several keys on one database (the
 * daemon's) share one recomputation. Undefined when nothing is pending.
 */
export async function signPendingEpoch(options: {
  db: Db;
  chainId: number;
  models: ModelRegistry;
  registry: CreditScoreRegistry;
  /** The registry takes its signer set from RiskOracle. */
  signerSet: { isSigner(address: string): Promise<boolean> };
  signers: BaseWallet[];
  driftThreshold: number;
  log: Logger;
}): Promise<{ epoch: number; digest: string } | undefined> {
  const { db, chainId, registry } = options;
  const number = await pendingEpoch(db, chainId, registry);
  if (number === undefined) return undefined;
  for (const signer of options.signers)
    if (!(await options.signerSet.isSigner(signer.address)))
      throw new Error(`${signer.address} is not in RiskOracle's signer set: it cannot sign credit epoch ${number}`);
  const stored = await epochRecord(db, chainId, number);
  if (stored.dataTime === undefined) throw new Error(`credit epoch ${number} has no recorded data time: it cannot be recomputed`);
  const model = await creditModelInForce(db, options.models, stored.atBlock);
  const problems: string[] = [];
  if (!model) problems.push(`no credit model was in force at block ${stored.atBlock}`);
  else {
    if (model.modelId !== stored.modelId)
      problems.push(`model in force at block ${stored.atBlock} is ${model.modelId}, the epoch names ${stored.modelId}`);
    const scored = await scoreEpoch(db, chainId, model, stored.dataTime, options.driftThreshold);
    if (!scored.publishable)
      problems.push(
        `this signer's guards hold it: ${scored.decisions
          .filter((d) => d.decision === 'hold')
          .map((d) => d.reason)
          .join('; ')}`,
      );
    const recomputed = epochTree(scored.entries).tree.root;
    if (recomputed !== stored.root)
      problems.push(`root: proposed ${stored.root}, recomputed ${recomputed} from ${scored.entries.length} wallets`);
  }
  if (problems.length) throw new Error(`refusing to sign credit epoch ${number}: ${problems.join('; ')}`);
  const domain = creditRegistryDomain(chainId, await registry.getAddress());
  const message = { epoch: BigInt(number), root: stored.root, modelId: stored.modelId, walletCount: BigInt(stored.walletCount) };
  const digest = epochDigest(domain, message);
  for (const signer of options.signers) {
    const { signature } = await signEpoch(signer, domain, message);
    await addSignature(db, { chainId, digest, signer: signer.address, kind: 'epoch', signature: JSON.stringify(signature) });
    options.log.info({ epoch: number, digest, signer: signer.address }, 'signed the pending credit epoch');
  }
  return { epoch: number, digest };
}

/** Publishes the pending epoch once the signer set's threshold of stored signatures is met (idempotent). */
export async function publishPendingEpoch(options: {
  db: Db;
  chainId: number;
  registry: CreditScoreRegistry;
  threshold: number;
  send?: Partial<SendConfig>;
  log: Logger;
}): Promise<(EpochPublication & { epoch: number }) | undefined> {
  const number = await epochToPublish(options.db, options.chainId, options.registry);
  if (number === undefined) return undefined;
  return { epoch: number, ...(await publishCreditEpoch({ ...options, epoch: number, signers: [] })) };
}
