import { getBytes, hexlify, keccak256, type BaseWallet, type TransactionReceipt } from 'ethers';
import type { Kysely } from 'kysely';
import type { Database, EpochStatus, Logger } from '../core';
import type { GuardDecision } from './guards';
import { creditRegistryDomain, epochDigest, signEpoch, type CreditEpoch } from '../contracts';
import { RiskOracle__factory, type CreditScoreRegistry } from '../contracts/build/types';
import { decodeFeatures, encodeFeatures, inferQuantized, type QuantizedModel } from '../models/quantize';
import { buildScoreTree, type ScoreLeaf, type ScoreTree } from './epoch';
import { sendPublication, settlePublication, signerOf, type SendConfig, type SendOptions } from './send';
import { usableSignatures } from './signatures';
import { addSignature, beginPublication, epochLeaves, saveEpoch, signaturesFor, updatePublication } from './store';

/** One wallet's canonical score with the quantised inputs it was computed from (what a challenger needs). */
export interface EpochEntry {
  wallet: string;
  score: number;
  pd: bigint;
  /** Q16 inputs of the canonical model; the leaf commits to their keccak256. */
  features: number[];
}

/** A stored epoch's record: what signing and publishing need, without reading its leaves. */
export interface EpochRecord {
  chainId: number;
  epoch: number;
  root: string;
  modelId: string;
  atBlock: number;
  /** Wallets were scored from history strictly before it (undefined for epochs stored before it was kept). */
  dataTime?: number;
  status: EpochStatus;
  /** Stored leaves (scored wallets). */
  walletCount: number;
}

/** A stored epoch with its leaves and their tree, checked against the record's root: for proofs and audits. */
export interface StoredEpoch extends EpochRecord {
  tree: ScoreTree;
  leaves: Array<ScoreLeaf & { features: string }>;
}

type Db = Kysely<Database>;

const leafOf = (e: EpochEntry): ScoreLeaf & { features: string } => {
  const packed = encodeFeatures(e.features);
  return { wallet: e.wallet.toLowerCase(), score: e.score, pd: e.pd, featuresHash: keccak256(packed), features: hexlify(packed) };
};

/** The epoch's leaves in wallet order and their tree: what a proposer stores and a signer recomputes. */
export function epochTree(entries: readonly EpochEntry[]): { leaves: Array<ScoreLeaf & { features: string }>; tree: ScoreTree } {
  const leaves = entries.map(leafOf).sort((a, b) => (a.wallet < b.wallet ? -1 : a.wallet > b.wallet ? 1 : 0));
  return { leaves, tree: buildScoreTree(leaves) };
}

/**
 * Builds a credit epoch from canonical scores and stores it with every leaf and its guard decisions (one
 * transaction). Idempotent: the same epoch proposed again is a no-op. Another root under the same number
 * supersedes an epoch still proposed or held, and is an error once the stored one is signed for publication.
 */
export async function proposeCreditEpoch(options: {
  db: Db;
  chainId: number;
  epoch: number;
  modelId: string;
  atBlock: number;
  entries: readonly EpochEntry[];
  dataTime?: number;
  /** Default 'proposed'; 'held' keeps a guarded epoch on record without ever publishing it. */
  status?: 'proposed' | 'held';
  decisions?: GuardDecision[];
}): Promise<StoredEpoch> {
  const { leaves, tree } = epochTree(options.entries);
  await saveEpoch(options.db, {
    chainId: options.chainId,
    epoch: options.epoch,
    root: tree.root,
    modelId: options.modelId,
    atBlock: options.atBlock,
    dataTime: options.dataTime,
    status: options.status ?? 'proposed',
    decisions: options.decisions,
    leaves,
  });
  // the record tells whether this proposal is what is stored; its leaves are the ones just written
  const record = await epochRecord(options.db, options.chainId, options.epoch);
  if (record.root !== tree.root)
    throw new Error(`credit epoch ${options.epoch} is already stored with root ${record.root}; this proposal's root is ${tree.root}`);
  return { ...record, tree, leaves };
}

/** The stored record of an epoch and its number of leaves (one count, no leaf read). */
export async function epochRecord(db: Db, chainId: number, epoch: number): Promise<EpochRecord> {
  const row = await db
    .selectFrom('credit_epochs')
    .select(['root', 'model_id', 'at_block', 'data_time', 'status'])
    .select((eb) =>
      eb
        .selectFrom('credit_scores')
        .select((c) => c.fn.countAll<string>().as('n'))
        .where('credit_scores.chain_id', '=', chainId)
        .where('credit_scores.epoch', '=', epoch)
        .as('wallets'),
    )
    .where('chain_id', '=', chainId)
    .where('epoch', '=', epoch)
    .executeTakeFirst();
  if (!row) throw new Error(`credit epoch ${epoch} on chain ${chainId} is not in the database`);
  return {
    chainId,
    epoch,
    root: row.root,
    modelId: row.model_id,
    atBlock: row.at_block,
    dataTime: row.data_time ?? undefined,
    status: row.status,
    walletCount: Number(row.wallets ?? 0),
  };
}

/** An epoch as stored, with its tree rebuilt from the stored leaves (the root is checked against the record). */
export async function loadEpoch(db: Db, chainId: number, epoch: number): Promise<StoredEpoch> {
  const record = await epochRecord(db, chainId, epoch);
  const leaves = await epochLeaves(db, chainId, epoch);
  const tree = buildScoreTree(leaves);
  if (tree.root !== record.root)
    throw new Error(`credit epoch ${epoch}: the stored leaves give root ${tree.root}, the record says ${record.root}`);
  return { ...record, tree, leaves };
}

export interface EpochPublication {
  digest: string;
  /** False when the epoch was already on-chain with this root (an idempotent re-run). */
  submitted: boolean;
  txHash?: string;
  gasUsed?: bigint;
}

/**
 * Records where a stored epoch stands (`published` once the chain holds it, whichever transaction carried it). An
 * invalidated epoch stays invalidated.
 */
export const setEpochStatus = (db: Db, chainId: number, epoch: number, status: 'signed' | 'published' | 'invalidated', digest?: string) =>
  db
    .updateTable('credit_epochs')
    .set({ status, ...(digest ? { digest } : {}) })
    .where('chain_id', '=', chainId)
    .where('epoch', '=', epoch)
    .where('status', '!=', 'invalidated')
    .execute();

/**
 * Signs a stored epoch with each given signer (signatures kept in Postgres) and, once RiskOracle's threshold is
 * met, publishes it with the registry's bond. Idempotent: an epoch already on-chain with this root is not resent;
 * one on-chain with another root is an error.
 */
export async function publishCreditEpoch(options: {
  db: Db;
  registry: CreditScoreRegistry;
  chainId: number;
  epoch: number;
  signers: BaseWallet[];
  /** Signatures to send at least; the signer set's threshold on-chain when that is higher (or this is omitted). */
  threshold?: number;
  log: Logger;
  /** Sending, replacement and confirmation settings. Default: {@link DEFAULT_SEND_CONFIG}. */
  send?: Partial<SendConfig>;
  /** For tests: a throw at a step simulates a crash there. */
  onStep?: SendOptions['onStep'];
}): Promise<EpochPublication> {
  const { db, registry, chainId, log } = options;
  const stored = await epochRecord(db, chainId, options.epoch);
  const message: CreditEpoch = {
    epoch: BigInt(stored.epoch),
    root: stored.root,
    modelId: stored.modelId,
    walletCount: BigInt(stored.walletCount),
  };
  const domain = creditRegistryDomain(chainId, await registry.getAddress());
  const digest = epochDigest(domain, message);
  const onChain = (await registry.epochOf(stored.epoch)).stored;
  if (onChain.publishedAt !== 0n) {
    if (onChain.root !== stored.root)
      throw new Error(`credit epoch ${stored.epoch} is on-chain with root ${onChain.root}, not ${stored.root}`);
    await setEpochStatus(db, chainId, stored.epoch, 'published', digest);
    const runner = signerOf(registry, `publishing credit epoch ${stored.epoch}`);
    // record which of our attempts carried it, if one did (a crash before its confirmation was recorded)
    const ours = await settlePublication({ db, runner, chainId, digest, kind: 'epoch', config: options.send, log, heldOnChain: true });
    return { digest, submitted: false, ...(ours?.txHash ? { txHash: ours.txHash, gasUsed: ours.gasUsed } : {}) };
  }
  for (const signer of options.signers) {
    const { signature } = await signEpoch(signer, domain, message);
    await addSignature(db, { chainId, digest, signer: signer.address, kind: 'epoch', signature: JSON.stringify(signature) });
  }
  // the registry checks RiskOracle's set and threshold as they are now, whatever they were when the signers signed
  const signerSet = RiskOracle__factory.connect(await registry.signerSource(), registry.runner);
  const signatures = await usableSignatures({
    stored: await signaturesFor(db, chainId, digest),
    digest,
    isSigner: (address) => signerSet.isSigner(address),
    threshold: Math.max(options.threshold ?? 0, Number(await signerSet.threshold())),
    what: `credit epoch ${stored.epoch}`,
  });
  await setEpochStatus(db, chainId, stored.epoch, 'signed', digest);

  // sent once whatever happened before: an earlier attempt mined or in a mempool is confirmed or outbid, not repeated
  const sent = await sendPublication({
    db,
    runner: signerOf(registry, `publishing credit epoch ${stored.epoch}`),
    chainId,
    digest,
    kind: 'epoch',
    call: {
      to: await registry.getAddress(),
      data: registry.interface.encodeFunctionData('publishEpoch', [
        message.epoch,
        message.root,
        message.modelId,
        message.walletCount,
        signatures,
      ]),
      value: await registry.requiredBond(),
      iface: registry.interface,
    },
    onChain: async () => (await registry.epochOf(stored.epoch)).stored.publishedAt !== 0n,
    config: options.send,
    log,
    onStep: options.onStep,
  });
  await setEpochStatus(db, chainId, stored.epoch, 'published');
  log.info({ epoch: stored.epoch, root: stored.root, wallets: stored.walletCount, tx: sent.txHash }, 'published credit epoch');
  return { digest, submitted: sent.submitted, txHash: sent.txHash, gasUsed: sent.gasUsed };
}

/** A wallet's leaf and Merkle proof in a stored epoch (what `prove` and the `/score/:wallet` endpoint serve). */
export async function epochProof(
  db: Db,
  chainId: number,
  epoch: number,
  wallet: string,
): Promise<{ leaf: ScoreLeaf; proof: string[]; features: string }> {
  const stored = await loadEpoch(db, chainId, epoch);
  const found = stored.tree.proof(wallet);
  const leaf = stored.leaves.find((l) => l.wallet === wallet.toLowerCase());
  if (!found || !leaf) throw new Error(`wallet ${wallet} is not in credit epoch ${epoch}`);
  return { ...found, features: leaf.features };
}

export interface WrongScore {
  wallet: string;
  published: { score: number; pd: bigint };
  recomputed: { score: number; pd: bigint };
}

/**
 * Recomputes every leaf of a stored epoch with the canonical model from the features it commits to, as the
 * registry's challenge does on-chain: the leaves whose score or PD differ are challengeable.
 */
export async function auditCreditEpoch(db: Db, chainId: number, epoch: number, model: QuantizedModel): Promise<WrongScore[]> {
  const stored = await loadEpoch(db, chainId, epoch);
  const wrong: WrongScore[] = [];
  for (const leaf of stored.leaves) {
    if (keccak256(leaf.features) !== leaf.featuresHash)
      throw new Error(`credit epoch ${epoch}: ${leaf.wallet}'s features do not match its hash`);
    const r = inferQuantized(model, decodeFeatures(getBytes(leaf.features)));
    if (r.score !== leaf.score || r.pd !== leaf.pd)
      wrong.push({ wallet: leaf.wallet, published: { score: leaf.score, pd: leaf.pd }, recomputed: { score: r.score, pd: r.pd } });
  }
  return wrong;
}

/**
 * Challenges one leaf of a published epoch: the registry recomputes the score on-chain from the committed
 * features and the registered weights, and on a difference invalidates the epoch and pays the bond to the caller.
 */
export async function challengeCreditEpoch(options: {
  db: Db;
  registry: CreditScoreRegistry;
  chainId: number;
  epoch: number;
  wallet: string;
  weights: Uint8Array;
  log: Logger;
}): Promise<TransactionReceipt> {
  const { db, registry, chainId, epoch, log } = options;
  const { leaf, proof, features } = await epochProof(db, chainId, epoch, options.wallet);
  const claim = { epoch, wallet: leaf.wallet, score: leaf.score, pd: leaf.pd };
  const digest = keccak256(getBytes(`${(await loadEpoch(db, chainId, epoch)).root}${leaf.wallet.slice(2)}`));
  const attempt = await beginPublication(db, chainId, digest, 'challenge');
  try {
    const receipt = (await (await registry.challenge(claim, features, hexlify(options.weights), proof)).wait()) as TransactionReceipt;
    await updatePublication(db, chainId, digest, attempt, {
      status: 'confirmed',
      txHash: receipt.hash,
      gasUsed: Number(receipt.gasUsed),
      blockNumber: receipt.blockNumber,
    });
    await setEpochStatus(db, chainId, epoch, 'invalidated');
    log.info({ epoch, wallet: leaf.wallet, tx: receipt.hash }, 'credit epoch challenged and invalidated');
    return receipt;
  } catch (err) {
    await updatePublication(db, chainId, digest, attempt, { status: 'failed', error: (err as Error).message.slice(0, 500) });
    throw err;
  }
}
