import type { BaseWallet, Signer, TransactionReceipt } from 'ethers';
import type { Kysely } from 'kysely';
import type { Database, Logger } from '../core';
import { batchDigest, riskOracleDomain, signBatch, type ParameterUpdate } from '../contracts';
import type { CreditScoreRegistry, RiskOracle } from '../contracts/build/types';
import { sendPublication, settlePublication, signerOf, type PublicationCall, type SendConfig, type SendOptions } from './send';
import { usableSignatures } from './signatures';
import { setEpochStatus } from './credit-epoch';
import { addSignature, publicationsOf, publicationsToRecheck, setRoundStatus, signaturesFor, type PublicationKind } from './store';

export interface PublishResult {
  digest: string;
  /** False when every update was already on-chain (an idempotent re-run). */
  submitted: boolean;
  txHash?: string;
  gasUsed?: bigint;
  blockNumber?: number;
  receipt?: TransactionReceipt;
}

/**
 * Collects k-of-n signatures for a batch (each signer signs the EIP-712 digest; signatures are stored), then
 * submits `publishBatch` once through {@link sendPublication}. Idempotent by round: updates whose round is already
 * on-chain are not resent, and an earlier attempt at the same batch that is mined or still in a mempool is
 * confirmed or outbid (same nonce) rather than sent again, so a restart after a crash anywhere never publishes a
 * round twice or skips one.
 */
export async function publishParameterBatch(options: {
  db: Kysely<Database>;
  oracle: RiskOracle;
  chainId: number;
  updates: ParameterUpdate[];
  signers: BaseWallet[];
  log: Logger;
  /** Sending, replacement and confirmation settings. Default: {@link DEFAULT_SEND_CONFIG}. */
  send?: Partial<SendConfig>;
  /** For tests: a throw at a step simulates a crash there. */
  onStep?: SendOptions['onStep'];
}): Promise<PublishResult> {
  const { db, oracle, chainId, log } = options;
  const address = await oracle.getAddress();
  const domain = riskOracleDomain(chainId, address);
  const runner = signerOf(oracle, 'publishing a parameter batch');
  const pending: ParameterUpdate[] = [];
  for (const u of options.updates) {
    const onChain = await oracle.latest(u.asset);
    if (onChain.round >= u.round) {
      log.info({ asset: u.asset, round: u.round.toString() }, 'round already on-chain; not resubmitted');
      await setRoundStatus(db, chainId, u.asset, Number(u.round), 'published');
    } else pending.push(u);
  }
  const digest = batchDigest(domain, options.updates);
  if (pending.length === 0) {
    // an attempt of an earlier run may have carried it: record which (the chain holds the rounds either way)
    const settled = await settlePublication({
      db,
      runner,
      chainId,
      digest,
      kind: 'parameters',
      config: options.send,
      log,
      heldOnChain: true,
    });
    return { digest, submitted: false, txHash: settled?.txHash };
  }
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
  const signatures = await usableSignatures({
    stored: await signaturesFor(db, chainId, pendingDigest),
    digest: pendingDigest,
    isSigner: (address) => oracle.isSigner(address),
    threshold: Number(await oracle.threshold()),
    what: `batch ${pendingDigest}`,
  });
  for (const u of pending) await setRoundStatus(db, chainId, u.asset, Number(u.round), 'signed', pendingDigest);

  const sent = await sendPublication({
    db,
    runner,
    chainId,
    digest: pendingDigest,
    kind: 'parameters',
    call: { to: address, data: oracle.interface.encodeFunctionData('publishBatch', [pending, signatures]), iface: oracle.interface },
    onChain: () => roundsOnChain(oracle, pending),
    config: options.send,
    log,
    onStep: options.onStep,
  });
  for (const u of pending) await setRoundStatus(db, chainId, u.asset, Number(u.round), 'published');
  if (sent.receipt)
    log.info(
      { digest: pendingDigest, tx: sent.txHash, gasUsed: sent.gasUsed?.toString(), assets: pending.length },
      'published parameter batch',
    );
  return { digest: pendingDigest, ...sent };
}

/** True when RiskOracle holds every update's round (or a later one) for its asset. */
async function roundsOnChain(oracle: RiskOracle, updates: ReadonlyArray<{ asset: string; round: bigint }>): Promise<boolean> {
  for (const u of updates) if ((await oracle.latest(u.asset)).round < u.round) return false;
  return true;
}

export interface RecheckOutcome {
  digest: string;
  kind: PublicationKind;
  /**
   * `ok`: confirmed and its receipt is still in the same block; `confirmed`: an attempt was found mined (after a
   * crash, or re-mined in another block); `resubmitted`: it had been dropped or reorged out and was sent again;
   * `on-chain`: the chain holds it from another transaction; `failed`: see `error` (retried at the next recheck).
   */
  outcome: 'ok' | 'confirmed' | 'resubmitted' | 'on-chain' | 'failed';
  txHash?: string;
  error?: string;
}

/**
 * Looks again at every publication still open (a crash or a give-up left it pending or submitted) and every one
 * confirmed in the last `depthBlocks` blocks: one whose receipt is gone or moved to another block (dropped from a
 * mempool, reorged out) and whose round or epoch is not on-chain is sent again with the same call (same
 * signatures), replacing any copy still in a mempool. Meant to run each daemon cycle; cheap when all is well (one
 * receipt per recent publication). Needs the contracts of the kinds to check: `oracle` for parameter batches,
 * `registry` for credit epochs.
 */
export async function recheckPublications(options: {
  db: Kysely<Database>;
  chainId: number;
  /** The publisher's signer (the daemon's NonceManager), which pays for resubmissions. */
  runner: Signer;
  oracle?: RiskOracle;
  registry?: CreditScoreRegistry;
  /** How far back a confirmed publication is checked. Default: 64 blocks. */
  depthBlocks?: number;
  send?: Partial<SendConfig>;
  log: Logger;
}): Promise<RecheckOutcome[]> {
  const { db, chainId, runner, oracle, registry, log } = options;
  const provider = runner.provider;
  if (!provider) throw new Error(`rechecking publications on chain ${chainId}: the signer has no provider`);
  const head = await provider.getBlockNumber();
  const kinds: PublicationKind[] = [...(oracle ? ['parameters' as const] : []), ...(registry ? ['epoch' as const] : [])];
  const outcomes: RecheckOutcome[] = [];
  for (const { digest, kind } of await publicationsToRecheck(db, chainId, head - (options.depthBlocks ?? 64), kinds)) {
    const attempts = await publicationsOf(db, chainId, digest);
    const last = [...attempts].reverse().find((a) => a.calldata !== null && a.to_address !== null);
    const recorded = last && recordedCall({ db, chainId, kind, oracle, registry }, last.to_address!, last.calldata!, last.value);
    // a crash after the transaction landed, even after its confirmation was recorded, may have left the round or
    // epoch short of `published`: each outcome below that finds it on-chain marks it
    const confirmed = attempts.find((a) => a.status === 'confirmed');
    if (confirmed?.tx_hash) {
      const receipt = await provider.getTransactionReceipt(confirmed.tx_hash);
      if (receipt && receipt.blockHash === confirmed.block_hash) {
        await recorded?.markPublished();
        outcomes.push({ digest, kind, outcome: 'ok', txHash: confirmed.tx_hash });
        continue;
      }
    }
    const known = new Set(attempts.map((a) => a.tx_hash));
    try {
      if (!recorded) throw new Error(`publication ${digest} (${kind}) has no recorded call to send again`);
      const { call, onChain, markPublished } = recorded;
      const sent = await sendPublication({ db, runner, chainId, digest, kind, call, onChain, config: options.send, log });
      await markPublished();
      const outcome = !sent.submitted ? 'on-chain' : known.has(sent.txHash!) ? 'confirmed' : 'resubmitted';
      if (outcome === 'resubmitted') log.warn({ digest, kind, tx: sent.txHash }, 'a dropped or reorged publication was resubmitted');
      outcomes.push({ digest, kind, outcome, txHash: sent.txHash });
    } catch (err) {
      log.error({ digest, kind, error: (err as Error).message }, 'rechecking a publication failed');
      outcomes.push({ digest, kind, outcome: 'failed', error: (err as Error).message });
    }
  }
  return outcomes;
}

/**
 * A recorded publication's call decoded: what to send again, how to tell the chain holds it, and how to mark its
 * rounds or epoch published.
 */
function recordedCall(
  where: {
    db: Kysely<Database>;
    chainId: number;
    kind: PublicationKind;
    oracle?: RiskOracle;
    registry?: CreditScoreRegistry;
  },
  to: string,
  data: string,
  value: string | null,
): { call: PublicationCall; onChain: () => Promise<boolean>; markPublished: () => Promise<void> } {
  const { db, chainId, oracle, registry } = where;
  if (where.kind === 'parameters') {
    const [updates] = oracle!.interface.decodeFunctionData('publishBatch', data) as unknown as [Array<{ asset: string; round: bigint }>];
    const rounds = updates.map((u) => ({ asset: u.asset, round: u.round }));
    return {
      call: { to, data, value: BigInt(value ?? 0), iface: oracle!.interface },
      onChain: () => roundsOnChain(oracle!, rounds),
      markPublished: async () => {
        for (const r of rounds) await setRoundStatus(db, chainId, r.asset, Number(r.round), 'published');
      },
    };
  }
  const [epoch] = registry!.interface.decodeFunctionData('publishEpoch', data) as unknown as [bigint];
  return {
    call: { to, data, value: BigInt(value ?? 0), iface: registry!.interface },
    onChain: async () => (await registry!.epochOf(epoch)).stored.publishedAt !== 0n,
    markPublished: async () => void (await setEpochStatus(db, chainId, Number(epoch), 'published')),
  };
}
