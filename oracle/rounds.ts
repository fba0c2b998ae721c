import type { BaseWallet } from 'ethers';
import type { Kysely } from 'kysely';
import { UserError, type Database, type Logger } from '../core';
import { batchDigest, riskOracleDomain, signBatch, type ParameterUpdate } from '../contracts';
import type { ModelRegistry, RiskOracle } from '../contracts/build/types';
import { readChainState, type SeedSource } from './chain-state';
import { FreshnessError, indexedBlock, stalePrices } from './freshness';
import { guardParameters } from './guards';
import { latestTime, loadRoundPrices, type PriceSource } from './prices';
import { collateralModelInForce, EMPIRICAL_COLLATERAL_MODEL, proposeForRound, type CollateralModel } from './collateral-model';
import { publishParameterBatch, type PublishResult } from './publish';
import type { SendConfig } from './send';
import { addSignature, type RoundRecord } from './store';

/** A proposed round waiting for signatures or publication, as stored by `propose`. */
export interface PendingRound extends Omit<RoundRecord, 'chainId' | 'status' | 'explanation'> {
  symbol: string;
  /** Data time of the proposal: prices after it were not used. */
  at: number;
  /** Where its prices came from; rounds recorded before this was recorded are `csv`. */
  priceSource: PriceSource;
}

type Db = Kysely<Database>;

/** Every round of the chain that was proposed (not held) and is not yet published, ordered by asset. */
export async function pendingRounds(db: Db, chainId: number): Promise<PendingRound[]> {
  const rows = await db
    .selectFrom('risk_parameter_rounds')
    .selectAll()
    .where('chain_id', '=', chainId)
    .where('status', 'in', ['proposed', 'signed'])
    .orderBy('asset')
    .orderBy('round')
    .execute();
  return rows.map((r) => {
    const e = (r.explanation ?? {}) as { at?: number; symbol?: string; priceSource?: PriceSource };
    if (e.at === undefined || e.symbol === undefined) throw new Error(`round ${r.round} of ${r.asset} has no recorded data time or symbol`);
    return {
      asset: r.asset,
      symbol: e.symbol,
      round: r.round,
      ltv: r.ltv,
      liquidationThreshold: r.liquidation_threshold,
      liquidationBonus: r.liquidation_bonus,
      modelId: r.model_id,
      inputsRoot: r.inputs_root,
      validUntil: r.valid_until,
      atBlock: r.at_block,
      at: e.at,
      priceSource: e.priceSource ?? 'csv',
    };
  });
}

export const updateOf = (r: PendingRound): ParameterUpdate => ({
  asset: r.asset,
  ltv: r.ltv,
  liquidationThreshold: r.liquidationThreshold,
  liquidationBonus: r.liquidationBonus,
  round: BigInt(r.round),
  validUntil: BigInt(r.validUntil),
  modelId: r.modelId,
  inputsRoot: r.inputsRoot,
});

export interface Difference {
  symbol: string;
  round: number;
  field: string;
  proposed: string;
  recomputed: string;
}

/**
 * Refuses (UserError) when this signer's own index has not reached the block a chain-priced round was built at:
 * its prices up to that block are not all known here, so it cannot recompute the round.
 */
async function assertIndexedTo(db: Db, chainId: number, rounds: readonly PendingRound[]): Promise<void> {
  const needed = Math.max(-1, ...rounds.filter((r) => r.priceSource === 'chain').map((r) => r.atBlock));
  if (needed < 0) return;
  const reached = await indexedBlock(db, chainId);
  if (reached === undefined || reached < needed)
    throw new UserError(
      `refusing to sign: this signer's index of chain ${chainId} has ${reached === undefined ? 'nothing yet' : `reached block ${reached}`}; the proposal was built from prices indexed up to block ${needed}: run risk-oracle index, then sign again`,
    );
}

/**
 * What an independent signer does before signing: recompute every pending round from its own prices (the source
 * and block the proposal records, so its own index for chain prices), the model spec and the chain as it was at
 * the proposal's block, and list every field that differs. Refuses outright when its index has not reached the
 * proposal's block or, with `maxPriceAgeSeconds`, when its prices are stale at the proposal's data time.
 */
export async function recomputePending(
  db: Db,
  oracle: RiskOracle,
  rounds: readonly PendingRound[],
  options: {
    chainId: number;
    /** Where the model in force is read (at each proposal's block); without it, the empirical-quantile spec. */
    models?: ModelRegistry;
    seed?: SeedSource;
    maxPriceAgeSeconds?: number;
  },
): Promise<Difference[]> {
  const { chainId, seed } = options;
  const inForce = new Map<number, CollateralModel>();
  const modelAt = async (block: number): Promise<CollateralModel> => {
    if (!options.models) return EMPIRICAL_COLLATERAL_MODEL;
    if (!inForce.has(block)) inForce.set(block, await collateralModelInForce(db, options.models, block));
    return inForce.get(block)!;
  };
  const differences: Difference[] = [];
  const provider = oracle.runner?.provider;
  if (!provider) throw new Error('the RiskOracle contract has no provider to read the chain with');
  await assertIndexedTo(db, chainId, rounds);
  for (const r of rounds) {
    const differ = (field: string, proposed: unknown, recomputed: unknown) => {
      if (String(proposed) !== String(recomputed))
        differences.push({ symbol: r.symbol, round: r.round, field, proposed: String(proposed), recomputed: String(recomputed) });
    };
    const basis = { priceSource: r.priceSource, block: r.atBlock, at: r.at, chainId };
    const prices = await loadRoundPrices(db, { ...basis, asset: r.asset, symbol: r.symbol });
    if (options.maxPriceAgeSeconds !== undefined) {
      const stale = stalePrices({ [r.symbol]: latestTime(prices) }, r.at, options.maxPriceAgeSeconds);
      if (stale.length) throw new FreshnessError(stale, 'sign');
    }
    const model = await modelAt(r.atBlock);
    const proposal = await proposeForRound(db, model, basis, { address: r.asset, symbol: r.symbol });
    const [{ bounds, current, round }, block] = await Promise.all([
      readChainState(oracle, r.asset, r.atBlock, seed),
      provider.getBlock(r.atBlock),
    ]);
    if (!block) throw new Error(`block ${r.atBlock} of ${r.symbol}'s proposal is not on this chain`);
    const guarded = guardParameters(proposal.params, current, bounds, block.timestamp);
    differ('round', r.round, round + 1);
    differ('modelId', r.modelId, model.modelId);
    differ('inputsRoot', r.inputsRoot, proposal.inputsRoot);
    differ('ltv', r.ltv, guarded.params.ltv);
    differ('liquidationThreshold', r.liquidationThreshold, guarded.params.liquidationThreshold);
    differ('liquidationBonus', r.liquidationBonus, guarded.params.liquidationBonus);
    if (!guarded.publishable) differ('publishable', true, false);
  }
  return differences;
}

/**
 * Signs the pending batch with one key, only if this signer's own recomputation gives exactly the proposal;
 * the signature is stored for the publisher. Refuses an empty or expired batch and a key outside the signer set.
 */
export async function signPendingRounds(options: {
  db: Db;
  oracle: RiskOracle;
  chainId: number;
  signer: BaseWallet;
  /** The registry whose collateral model in force the signer recomputes with (see `recomputePending`). */
  models?: ModelRegistry;
  seed?: SeedSource;
  /** This signer's `oracle.maxPriceAgeSeconds`: it refuses prices older than that at the proposal's data time. */
  maxPriceAgeSeconds?: number;
  now: number;
  log: Logger;
}): Promise<{ digest: string; rounds: PendingRound[] }> {
  const { db, oracle, chainId, signer } = options;
  const rounds = await pendingRounds(db, chainId);
  if (rounds.length === 0) throw new Error(`nothing to sign on chain ${chainId}: run propose first`);
  if (!(await oracle.isSigner(signer.address))) throw new Error(`${signer.address} is not in RiskOracle's signer set`);
  const expired = rounds.filter((r) => r.validUntil <= options.now);
  if (expired.length) throw new Error(`the proposal expired at ${expired[0]!.validUntil} (chain time ${options.now}): propose again`);
  const differences = await recomputePending(db, oracle, rounds, {
    chainId,
    models: options.models,
    seed: options.seed,
    maxPriceAgeSeconds: options.maxPriceAgeSeconds,
  });
  if (differences.length > 0) {
    const lines = differences.map((d) => `${d.symbol} round ${d.round} ${d.field}: proposed ${d.proposed}, recomputed ${d.recomputed}`);
    throw new Error(`refusing to sign: this signer's recomputation differs from the proposal\n  ${lines.join('\n  ')}`);
  }
  const updates = rounds.map(updateOf);
  const domain = riskOracleDomain(chainId, await oracle.getAddress());
  const digest = batchDigest(domain, updates);
  const { signature } = await signBatch(signer, domain, updates);
  await addSignature(db, { chainId, digest, signer: signer.address, kind: 'parameters', signature: JSON.stringify(signature) });
  options.log.info({ digest, signer: signer.address, rounds: rounds.length }, 'signed the pending parameter batch');
  return { digest, rounds };
}

/** Publishes the pending batch with the signatures collected so far (idempotent by round). */
export async function publishPendingRounds(options: {
  db: Db;
  oracle: RiskOracle;
  chainId: number;
  send?: Partial<SendConfig>;
  log: Logger;
}): Promise<PublishResult & { rounds: PendingRound[] }> {
  const rounds = await pendingRounds(options.db, options.chainId);
  if (rounds.length === 0) throw new Error(`nothing to publish on chain ${options.chainId}: run propose and sign first`);
  const result = await publishParameterBatch({ ...options, updates: rounds.map(updateOf), signers: [] });
  return { ...result, rounds };
}
