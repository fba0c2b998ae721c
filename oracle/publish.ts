import type { BaseWallet, TransactionReceipt } from 'ethers';
import type { Kysely } from 'kysely';
import type { Database, Logger } from '../core';
import { batchDigest, riskOracleDomain, signBatch, sortBySigner, type ParameterUpdate } from '../contracts';
import type { RiskOracle } from '../contracts/build/types';
import { addSignature, beginPublication, setRoundStatus, signaturesFor, updatePublication } from './store';

export interface PublishResult {
  digest: string;
  /** False when every update was already on-chain (an idempotent re-run). */
  submitted: boolean;
  txHash?: string;
  gasUsed?: bigint;
  blockNumber?: number;
}

/**
 * Collects k-of-n signatures for a batch (each signer signs the EIP-712 digest; signatures are stored), then
 * submits `publishBatch` once. Idempotent by round: updates whose round is already on-chain are not resent, so a
 * restart after a crash anywhere never publishes a round twice.
 */
export async function publishParameterBatch(options: {
  db: Kysely<Database>;
  oracle: RiskOracle;
  chainId: number;
  updates: ParameterUpdate[];
  signers: BaseWallet[];
  log: Logger;
}): Promise<PublishResult> {
  const { db, oracle, chainId, log } = options;
  const address = await oracle.getAddress();
  const domain = riskOracleDomain(chainId, address);
  const pending: ParameterUpdate[] = [];
  for (const u of options.updates) {
    const onChain = await oracle.latest(u.asset);
    if (onChain.round >= u.round) {
      log.info({ asset: u.asset, round: u.round.toString() }, 'round already on-chain; not resubmitted');
      await setRoundStatus(db, chainId, u.asset, Number(u.round), 'published');
    } else pending.push(u);
  }
  const digest = batchDigest(domain, options.updates);
  if (pending.length === 0) return { digest, submitted: false };
  const pendingDigest = batchDigest(domain, pending);
  for (const signer of options.signers) {
    const { signature } = await signBatch(signer, domain, pending);
    await addSignature(db, {
      chainId,
      digest: pendingDigest,
      signer: signer.address,
      kind: 'parameters',
      signature: JSON.stringify(signature),
    });
  }
  const stored = sortBySigner(await signaturesFor(db, chainId, pendingDigest));
  const threshold = Number(await oracle.threshold());
  if (stored.length < threshold)
    throw new Error(`only ${stored.length} signature(s) for batch ${pendingDigest}; the oracle needs ${threshold}`);
  const signatures = stored.slice(0, threshold).map((s) => JSON.parse(s.signature) as { v: number; r: string; s: string });
  for (const u of pending) await setRoundStatus(db, chainId, u.asset, Number(u.round), 'signed', pendingDigest);

  const attempt = await beginPublication(db, chainId, pendingDigest, 'parameters');
  try {
    const tx = await oracle.publishBatch(pending, signatures);
    await updatePublication(db, chainId, pendingDigest, attempt, { status: 'submitted', txHash: tx.hash, nonce: tx.nonce });
    const receipt = (await tx.wait()) as TransactionReceipt;
    await updatePublication(db, chainId, pendingDigest, attempt, {
      status: 'confirmed',
      gasUsed: Number(receipt.gasUsed),
      blockNumber: receipt.blockNumber,
    });
    for (const u of pending) await setRoundStatus(db, chainId, u.asset, Number(u.round), 'published');
    log.info(
      { digest: pendingDigest, tx: receipt.hash, gasUsed: receipt.gasUsed.toString(), assets: pending.length },
      'published parameter batch',
    );
    return { digest: pendingDigest, submitted: true, txHash: receipt.hash, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber };
  } catch (err) {
    await updatePublication(db, chainId, pendingDigest, attempt, { status: 'failed', error: (err as Error).message.slice(0, 500) });
    throw err;
  }
}
