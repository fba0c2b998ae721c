import {
  isError,
  type Interface,
  NonceManager,
  Transaction,
  type BaseContract,
  type Provider,
  type Signer,
  type TransactionReceipt,
  type TransactionRequest,
} from 'ethers';
import type { Kysely } from 'kysely';
import { RetryableError, retry, type Config, type Database, type Logger, type Row } from '../core';
import { beginPublication, publicationsOf, updatePublication, type PublicationKind } from './store';

/** How publications are sent, waited for and replaced (the `oracle.*` keys of the config). */
export interface SendConfig {
  /** Blocks on top of the including one, its own included. Default: 1. */
  confirmations: number;
  /** Re-send the same nonce with higher fees when not mined after this long. Default: 60 s. */
  replaceAfterSeconds: number;
  /** Fee increase of each replacement (nodes refuse less than 10 %). Default: 12.5. */
  feeBumpPercent: number;
  /** Replacements before giving up (the attempts stay recorded; the next run resumes them). Default: 5. */
  maxFeeBumps: number;
  /** Margin on the gas estimate. Default: 20. */
  gasMarginPercent: number;
  /** Ceiling of the max fee per gas. Default: none. */
  maxFeePerGasWei?: bigint;
  /** Receipt polling interval. Default: 1 000 ms. */
  pollIntervalMs: number;
  /** Retries of an RPC call that failed transiently (429, 5xx, time-out, reset). Default: 5. */
  rpcRetries: number;
  /** First back-off of those retries. Default: 200 ms. */
  rpcRetryDelayMs: number;
}

export const DEFAULT_SEND_CONFIG: SendConfig = {
  confirmations: 1,
  replaceAfterSeconds: 60,
  feeBumpPercent: 12.5,
  maxFeeBumps: 5,
  gasMarginPercent: 20,
  pollIntervalMs: 1_000,
  rpcRetries: 5,
  rpcRetryDelayMs: 200,
};

/** The sender's settings from the validated config. */
export function sendConfigFrom(config: Config): SendConfig {
  const o = config.oracle;
  return {
    ...DEFAULT_SEND_CONFIG,
    confirmations: o.confirmations,
    replaceAfterSeconds: o.replaceAfterSeconds,
    feeBumpPercent: o.feeBumpPercent,
    maxFeeBumps: o.maxFeeBumps,
    gasMarginPercent: o.gasMarginPercent,
    maxFeePerGasWei: o.maxFeePerGasGwei === undefined ? undefined : BigInt(Math.round(o.maxFeePerGasGwei * 1e9)),
    pollIntervalMs: o.txPollIntervalMs,
    rpcRetries: config.chain.retries,
  };
}

/** The call a publication makes. */
export interface PublicationCall {
  to: string;
  data: string;
  value?: bigint;
  /** The target's interface, to name a revert (e.g. `RiskOracleExpired(…)`) in errors. */
  iface?: Interface;
}

/** Where a publication attempt stands; a throwing {@link SendOptions.onStep} simulates a crash right there. */
export type SendStep = 'signed' | 'broadcast';

export interface SendOptions {
  db: Kysely<Database>;
  /** Signs and pays; a NonceManager is kept in step with the nonces used. */
  runner: Signer;
  chainId: number;
  /** What is published (the EIP-712 digest of the batch or epoch): attempts are recorded and found under it. */
  digest: string;
  kind: PublicationKind;
  call: PublicationCall;
  /** True when the chain already holds what this publication writes (then nothing is sent). */
  onChain: () => Promise<boolean>;
  config?: Partial<SendConfig>;
  log: Logger;
  /** Called at each step of each attempt, for tests. */
  onStep?: (step: SendStep, attempt: { attempt: number; txHash: string; nonce: number }) => Promise<void> | void;
}

export interface SentPublication {
  /** False when the chain already held the publication and no transaction of ours carries it. */
  submitted: boolean;
  txHash?: string;
  receipt?: TransactionReceipt;
  gasUsed?: bigint;
  blockNumber?: number;
  /** The confirmed attempt's number. */
  attempt?: number;
}

type Fees = { maxFeePerGas: bigint; maxPriorityFeePerGas?: bigint };
type Attempt = Row<'publications'>;
/** `again`: the nonce moved under us or a receipt vanished; start over from the stored attempts. */
type Outcome = SentPublication | 'again';

interface Context extends SendOptions {
  cfg: SendConfig;
  provider: Provider;
  from: string;
  label: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const bigMax = (a: bigint, b: bigint) => (a > b ? a : b);
const short = (err: unknown) => ((err as { shortMessage?: string }).shortMessage ?? (err as Error).message ?? String(err)).slice(0, 300);
/** `x` raised by `percent`, rounded up (a replacement must reach at least the node's minimum increase). */
const raise = (x: bigint, percent: number) => (x * BigInt(Math.round((100 + percent) * 100)) + 9_999n) / 10_000n;

/** The signer a contract was connected with; publications need one that can sign transactions. */
export function signerOf(contract: BaseContract, what: string): Signer {
  const runner = contract.runner as Partial<Signer> | null;
  if (!runner?.provider || typeof runner.signTransaction !== 'function' || typeof runner.getAddress !== 'function')
    throw new Error(`${what}: the contract is not connected to a signer with a provider; connect it to the publisher's key`);
  return runner as Signer;
}

/**
 * Publishes one call once, whatever happened before: finds the attempts recorded under the digest (one that is
 * mined is confirmed, not resent), sends nothing when the chain already holds the publication, and otherwise
 * estimates gas (with a margin), signs, records the attempt with its hash, nonce and fees before broadcasting it,
 * and waits for the confirmations. An attempt not mined within `replaceAfterSeconds` is re-sent with the same
 * nonce and fees raised by `feeBumpPercent`, so that exactly one of them can land. Transient RPC failures are
 * retried. A crash at any point leaves records from which the next call resumes.
 */
export async function sendPublication(options: SendOptions): Promise<SentPublication> {
  const cfg = { ...DEFAULT_SEND_CONFIG, ...options.config };
  if (cfg.feeBumpPercent < 10) throw new Error(`feeBumpPercent is ${cfg.feeBumpPercent}; nodes refuse a replacement below +10 %`);
  const provider = options.runner.provider;
  if (!provider) throw new Error(`publication ${options.digest} (${options.kind}): the signer has no provider`);
  const from = await options.runner.getAddress();
  const ctx: Context = {
    ...options,
    cfg,
    provider,
    from,
    label: `publication ${options.digest} (${options.kind}, chain ${options.chainId})`,
  };
  for (let pass = 0; pass < 4; pass++) {
    const outcome = await sendOnce(ctx);
    if (outcome !== 'again') return outcome;
  }
  throw new RetryableError(`${ctx.label}: the nonce or the receipt kept changing under the sender (a reorg?); try again`);
}

/**
 * Brings the records of a digest up to date without sending anything: an attempt that is mined is confirmed (the
 * others marked replaced), a confirmed one whose receipt is gone is marked dropped, and with `heldOnChain` (the
 * caller saw the chain hold the publication) attempts still open are closed as dropped. Returns the confirmed
 * publication, if any.
 */
export async function settlePublication(
  options: Pick<SendOptions, 'db' | 'runner' | 'chainId' | 'digest' | 'kind' | 'config' | 'log'> & { heldOnChain?: boolean },
): Promise<SentPublication | undefined> {
  const provider = options.runner.provider;
  if (!provider) throw new Error(`publication ${options.digest} (${options.kind}): the signer has no provider`);
  const ctx: Context = {
    ...options,
    cfg: { ...DEFAULT_SEND_CONFIG, ...options.config },
    provider,
    from: await options.runner.getAddress(),
    label: `publication ${options.digest} (${options.kind}, chain ${options.chainId})`,
    call: { to: '', data: '0x' },
    onChain: async () => false,
  };
  const settled = await settle(ctx);
  if (settled && settled !== 'again') return settled;
  if (options.heldOnChain) await markOpen(ctx, 'dropped', 'the chain holds this publication from another transaction');
  return undefined;
}

/** One RPC call, retried while it fails transiently; the final error names the call and the publication. */
async function rpc<T>(ctx: Context, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await retry(fn, {
      retries: ctx.cfg.rpcRetries,
      baseDelayMs: ctx.cfg.rpcRetryDelayMs,
      onRetry: (err, attempt, delayMs) => ctx.log.warn({ call: what, attempt, delayMs, error: short(err) }, 'rpc call failed; retrying'),
    });
  } catch (err) {
    throw Object.assign(new Error(`${ctx.label}: ${what} failed: ${short(err)}`, { cause: err }), {
      code: (err as { code?: unknown }).code,
    });
  }
}

async function sendOnce(ctx: Context): Promise<Outcome> {
  const { db, chainId, digest, log } = ctx;
  const settled = await settle(ctx);
  if (settled) return settled;
  if (await rpc(ctx, 'the on-chain check', ctx.onChain)) {
    await markOpen(ctx, 'dropped', 'the chain holds this publication from another transaction');
    log.info({ digest, kind: ctx.kind }, 'already on-chain; nothing sent');
    return { submitted: false };
  }

  const attempts = await publicationsOf(db, chainId, digest);
  const open = [...attempts]
    .reverse()
    .find(
      (a) => isOpen(a) && a.nonce !== null && a.sender === ctx.from.toLowerCase() && a.gas_limit !== null && a.max_fee_per_gas !== null,
    );
  const mined = await rpc(ctx, 'eth_getTransactionCount(latest)', () => ctx.provider.getTransactionCount(ctx.from, 'latest'));
  let nonce: number;
  let gasLimit: bigint;
  let fees: Fees;
  if (open && open.nonce! >= mined) {
    // an attempt of ours may still be in a mempool under this nonce: outbid it rather than send a second one
    nonce = open.nonce!;
    gasLimit = BigInt(open.gas_limit!);
    fees = bump(ctx, feesOf(open), await networkFees(ctx));
    log.info({ digest, nonce, attempt: open.attempt }, 'resuming an unconfirmed publication with higher fees');
  } else {
    if (open) await markOpen(ctx, 'dropped', `nonce ${open.nonce} was used by another transaction`);
    gasLimit = await estimate(ctx);
    fees = capped(ctx, await networkFees(ctx));
    nonce = await takeNonce(ctx);
  }

  for (let bumps = 0; ; bumps++) {
    const request: TransactionRequest = {
      chainId,
      from: ctx.from,
      to: ctx.call.to,
      data: ctx.call.data,
      value: ctx.call.value ?? 0n,
      nonce,
      gasLimit,
      ...(fees.maxPriorityFeePerGas === undefined
        ? { type: 0, gasPrice: fees.maxFeePerGas }
        : { type: 2, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas }),
    };
    const signed = await ctx.runner.signTransaction(request);
    const txHash = Transaction.from(signed).hash!;
    const attempt = await beginPublication(db, chainId, digest, ctx.kind, {
      txHash,
      sender: ctx.from,
      nonce,
      to: ctx.call.to,
      data: ctx.call.data,
      value: ctx.call.value ?? 0n,
      gasLimit,
      ...fees,
    });
    await ctx.onStep?.('signed', { attempt, txHash, nonce });
    const sent = await broadcast(ctx, signed, txHash).catch(async (err: unknown) => {
      await updatePublication(db, chainId, digest, attempt, { status: 'failed', error: short(err) });
      throw err;
    });
    if (sent === 'nonce-used') {
      await updatePublication(db, chainId, digest, attempt, { status: 'dropped', error: `nonce ${nonce} already used` });
      return 'again';
    }
    if (sent === 'underpriced') {
      await updatePublication(db, chainId, digest, attempt, { status: 'failed', error: 'replacement underpriced' });
    } else {
      await markOpen(ctx, 'replaced', `replaced by attempt ${attempt}`, attempt);
      await updatePublication(db, chainId, digest, attempt, { status: 'submitted' });
      log.info(
        { digest, kind: ctx.kind, attempt, tx: txHash, nonce, maxFeePerGas: fees.maxFeePerGas.toString(), gasLimit: gasLimit.toString() },
        'publication sent',
      );
      await ctx.onStep?.('broadcast', { attempt, txHash, nonce });
      const hashes = (await publicationsOf(db, chainId, digest)).filter((a) => a.nonce === nonce && a.tx_hash && a.status !== 'failed');
      const landed = await waitForReceipt(ctx, hashes, Date.now() + ctx.cfg.replaceAfterSeconds * 1_000);
      if (landed) return confirm(ctx, landed.attempt, landed.receipt, true);
      if (await rpc(ctx, 'the on-chain check', ctx.onChain)) return 'again';
    }
    if (bumps >= ctx.cfg.maxFeeBumps)
      throw new RetryableError(
        `${ctx.label}: not mined after ${bumps} fee bump(s) of ${ctx.cfg.replaceAfterSeconds} s each (nonce ${nonce}, ` +
          `max fee ${fees.maxFeePerGas} wei); the attempts stay recorded and the next run resumes them`,
      );
    fees = bump(ctx, fees, await networkFees(ctx));
    log.warn({ digest, nonce, maxFeePerGas: fees.maxFeePerGas.toString() }, 'publication not mined in time; replacing it with higher fees');
  }
}

const isOpen = (a: Attempt) => a.status === 'pending' || a.status === 'submitted';

/** Marks every open attempt of the digest (but `except`). */
async function markOpen(ctx: Context, status: 'replaced' | 'dropped', error: string, except?: number): Promise<void> {
  for (const a of await publicationsOf(ctx.db, ctx.chainId, ctx.digest))
    if (isOpen(a) && a.attempt !== except) await updatePublication(ctx.db, ctx.chainId, ctx.digest, a.attempt, { status, error });
}

/** Looks for a receipt of every recorded attempt; confirms the one that landed. */
async function settle(ctx: Context): Promise<SentPublication | 'again' | undefined> {
  for (const a of await publicationsOf(ctx.db, ctx.chainId, ctx.digest)) {
    if (!a.tx_hash) continue;
    const receipt = await rpc(ctx, `eth_getTransactionReceipt(${a.tx_hash})`, () => ctx.provider.getTransactionReceipt(a.tx_hash!));
    if (!receipt) {
      if (a.status === 'confirmed') {
        await updatePublication(ctx.db, ctx.chainId, ctx.digest, a.attempt, {
          status: 'dropped',
          error: `receipt gone: dropped or reorged out of block ${a.block_number}`,
        });
        ctx.log.warn({ digest: ctx.digest, tx: a.tx_hash, block: a.block_number }, 'a confirmed publication is no longer on-chain');
      }
      continue;
    }
    if (receipt.status === 0) {
      if (a.status !== 'failed')
        await updatePublication(ctx.db, ctx.chainId, ctx.digest, a.attempt, {
          status: 'failed',
          error: `reverted in block ${receipt.blockNumber}`,
          blockNumber: receipt.blockNumber,
        });
      continue;
    }
    return confirm(ctx, a, receipt, false);
  }
  return undefined;
}

/** Waits for the confirmations, checks the receipt is still there, and records the confirmed attempt. */
async function confirm(ctx: Context, a: Attempt, receipt: TransactionReceipt, fresh: boolean): Promise<Outcome> {
  const { db, chainId, digest } = ctx;
  if (receipt.status === 0) {
    await updatePublication(db, chainId, digest, a.attempt, {
      status: 'failed',
      error: `reverted in block ${receipt.blockNumber}`,
      blockNumber: receipt.blockNumber,
    });
    throw new Error(`${ctx.label}: transaction ${receipt.hash} reverted in block ${receipt.blockNumber}`);
  }
  if (ctx.cfg.confirmations > 1) {
    const target = receipt.blockNumber + ctx.cfg.confirmations - 1;
    while ((await rpc(ctx, 'eth_blockNumber', () => ctx.provider.getBlockNumber())) < target) await sleep(ctx.cfg.pollIntervalMs);
    const again = await rpc(ctx, `eth_getTransactionReceipt(${receipt.hash})`, () => ctx.provider.getTransactionReceipt(receipt.hash));
    if (!again || again.blockHash !== receipt.blockHash) return 'again';
    receipt = again;
  }
  await updatePublication(db, chainId, digest, a.attempt, {
    status: 'confirmed',
    gasUsed: Number(receipt.gasUsed),
    blockNumber: receipt.blockNumber,
    blockHash: receipt.blockHash,
  });
  await markOpen(ctx, 'replaced', `attempt ${a.attempt} was mined`, a.attempt);
  if (fresh || a.status !== 'confirmed' || a.block_hash !== receipt.blockHash)
    ctx.log.info(
      { digest, kind: ctx.kind, tx: receipt.hash, block: receipt.blockNumber, gasUsed: receipt.gasUsed.toString() },
      'publication confirmed',
    );
  return { submitted: true, txHash: receipt.hash, receipt, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber, attempt: a.attempt };
}

async function waitForReceipt(
  ctx: Context,
  attempts: Attempt[],
  deadline: number,
): Promise<{ attempt: Attempt; receipt: TransactionReceipt } | undefined> {
  for (;;) {
    for (const a of attempts) {
      const receipt = await rpc(ctx, `eth_getTransactionReceipt(${a.tx_hash})`, () => ctx.provider.getTransactionReceipt(a.tx_hash!));
      if (receipt) return { attempt: a, receipt };
    }
    if (Date.now() >= deadline) return undefined;
    await sleep(Math.min(ctx.cfg.pollIntervalMs, Math.max(0, deadline - Date.now())));
  }
}

/** Broadcasts a signed transaction; a node that already knows it (an answer lost on the way back) counts as sent. */
async function broadcast(ctx: Context, signed: string, txHash: string): Promise<'sent' | 'nonce-used' | 'underpriced'> {
  try {
    await rpc(ctx, 'eth_sendRawTransaction', () => ctx.provider.broadcastTransaction(signed));
    return 'sent';
  } catch (err) {
    const known = await rpc(ctx, `eth_getTransactionByHash(${txHash})`, () => ctx.provider.getTransaction(txHash)).catch(() => null);
    if (known) return 'sent';
    const cause = (err as Error).cause ?? err;
    if (isError(cause, 'NONCE_EXPIRED')) return 'nonce-used';
    if (isError(cause, 'REPLACEMENT_UNDERPRICED')) return 'underpriced';
    throw err;
  }
}

async function estimate(ctx: Context): Promise<bigint> {
  let estimated: bigint;
  try {
    estimated = await rpc(ctx, 'eth_estimateGas', () =>
      ctx.runner.estimateGas({ from: ctx.from, to: ctx.call.to, data: ctx.call.data, value: ctx.call.value ?? 0n }),
    );
  } catch (err) {
    const reason = revertReason(ctx, err);
    const attempt = await beginPublication(ctx.db, ctx.chainId, ctx.digest, ctx.kind);
    await updatePublication(ctx.db, ctx.chainId, ctx.digest, attempt, {
      status: 'failed',
      error: `gas estimation: ${reason ?? short(err)}`,
    });
    if (!reason) throw err;
    throw new Error(`${ctx.label}: the call reverts at gas estimation with ${reason}; nothing was sent`, { cause: err });
  }
  return (estimated * BigInt(Math.round((100 + ctx.cfg.gasMarginPercent) * 100))) / 10_000n;
}

/** `Name(arg, …)` of a custom-error revert, when the target's interface knows it. */
function revertReason(ctx: Context, err: unknown): string | undefined {
  for (let e = err as { data?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.data !== 'string' || !ctx.call.iface) continue;
    const parsed = ctx.call.iface.parseError(e.data);
    if (parsed) return `${parsed.name}(${parsed.args.map(String).join(', ')})`;
  }
  return undefined;
}

async function networkFees(ctx: Context): Promise<Fees> {
  const data = await rpc(ctx, 'the fee data', () => ctx.provider.getFeeData());
  if (data.maxFeePerGas !== null && data.maxPriorityFeePerGas !== null)
    return { maxFeePerGas: data.maxFeePerGas, maxPriorityFeePerGas: data.maxPriorityFeePerGas };
  if (data.gasPrice !== null) return { maxFeePerGas: data.gasPrice };
  throw new Error(`${ctx.label}: the node gives neither EIP-1559 fees nor a gas price`);
}

function capped(ctx: Context, fees: Fees): Fees {
  const cap = ctx.cfg.maxFeePerGasWei;
  if (cap === undefined || fees.maxFeePerGas <= cap) return fees;
  return {
    maxFeePerGas: cap,
    ...(fees.maxPriorityFeePerGas === undefined
      ? {}
      : { maxPriorityFeePerGas: fees.maxPriorityFeePerGas > cap ? cap : fees.maxPriorityFeePerGas }),
  };
}

/** Fees of a replacement: each at least `feeBumpPercent` above the last, and no lower than the network's now. */
function bump(ctx: Context, last: Fees, network: Fees): Fees {
  const pct = ctx.cfg.feeBumpPercent;
  const minMax = raise(last.maxFeePerGas, pct);
  const next: Fees = { maxFeePerGas: bigMax(minMax, network.maxFeePerGas) };
  if (last.maxPriorityFeePerGas !== undefined) {
    next.maxPriorityFeePerGas = bigMax(raise(last.maxPriorityFeePerGas, pct), network.maxPriorityFeePerGas ?? 0n);
    if (next.maxPriorityFeePerGas > next.maxFeePerGas) next.maxFeePerGas = next.maxPriorityFeePerGas;
  }
  const cap = ctx.cfg.maxFeePerGasWei;
  if (cap !== undefined && next.maxFeePerGas > cap) {
    if (cap < minMax || (next.maxPriorityFeePerGas ?? 0n) > cap)
      throw new RetryableError(`${ctx.label}: a replacement would need a max fee of ${minMax} wei, above the ceiling of ${cap} wei`);
    next.maxFeePerGas = cap;
  }
  return next;
}

const feesOf = (a: Attempt): Fees => ({
  maxFeePerGas: BigInt(a.max_fee_per_gas!),
  ...(a.max_priority_fee_per_gas === null ? {} : { maxPriorityFeePerGas: BigInt(a.max_priority_fee_per_gas) }),
});

/**
 * The next nonce of the sender, from the node's pending count. A NonceManager is brought in step (reset when it
 * disagrees with the node, e.g. after a dropped transaction) and advanced past the nonce taken here.
 */
async function takeNonce(ctx: Context): Promise<number> {
  const pending = await rpc(ctx, 'eth_getTransactionCount(pending)', () => ctx.provider.getTransactionCount(ctx.from, 'pending'));
  const runner = ctx.runner;
  if (!(runner instanceof NonceManager)) return pending;
  if ((await runner.getNonce('pending')) !== pending) {
    runner.reset();
    await runner.getNonce('pending');
  }
  runner.increment();
  return pending;
}
