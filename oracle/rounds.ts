import type { BaseWallet } from 'ethers';
import type { Kysely } from 'kysely';
import type { Database, Logger } from '../core';
import { batchDigest, riskOracleDomain, signBatch, type ParameterUpdate } from '../contracts';
import type { RiskOracle } from '../contracts/build/types';
import { loadPriceSeries } from '../indexer/csv/import';
import { readChainState, type SeedSource } from './chain-state';
import { guardParameters } from './guards';
import { DEFAULT_COLLATERAL_MODEL, modelIdOf, proposeFromPrices, type CollateralModelSpec } from './propose';
import { publishParameterBatch, type PublishResult } from './publish';
import type { SendConfig } from './send';
import { addSignature, type RoundRecord } from './store';

/** A proposed round waiting for signatures or publication, as stored by `propose`. */
export interface PendingRound extends Omit<RoundRecord, 'chainId' | 'status' | 'explanation'> {
  symbol: string;
  /** Data time of the proposal: prices after it were not used. */
  at: number;
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
    const e = (r.explanation ?? {}) as { at?: number; symbol?: string };
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
 * What an independent signer does before signing: recompute every pending round from its own prices, the model
 * spec and the chain as it was at the proposal's block, and list every field that differs.
 */
export async function recomputePending(
  db: Db,
  oracle: RiskOracle,
  rounds: readonly PendingRound[],
  spec: CollateralModelSpec = DEFAULT_COLLATERAL_MODEL,
  seed?: SeedSource,
): Promise<Difference[]> {
  const differences: Difference[] = [];
  const provider = oracle.runner?.provider;
  if (!provider) throw new Error('the RiskOracle contract has no provider to read the chain with');
  for (const r of rounds) {
    const differ = (field: string, proposed: unknown, recomputed: unknown) => {
      if (String(proposed) !== String(recomputed))
        differences.push({ symbol: r.symbol, round: r.round, field, proposed: String(proposed), recomputed: String(recomputed) });
    };
    const proposal = proposeFromPrices(await loadPriceSeries(db, r.symbol), r.at, spec);
    const [{ bounds, current, round }, block] = await Promise.all([
      readChainState(oracle, r.asset, r.atBlock, seed),
      provider.getBlock(r.atBlock),
    ]);
    if (!block) throw new Error(`block ${r.atBlock} of ${r.symbol}'s proposal is not on this chain`);
    const guarded = guardParameters(proposal.params, current, bounds, block.timestamp);
    differ('round', r.round, round + 1);
    differ('modelId', r.modelId, modelIdOf(spec));
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
  spec?: CollateralModelSpec;
  seed?: SeedSource;
  now: number;
  log: Logger;
}): Promise<{ digest: string; rounds: PendingRound[] }> {
  const { db, oracle, chainId, signer } = options;
  const rounds = await pendingRounds(db, chainId);
  if (rounds.length === 0) throw new Error(`nothing to sign on chain ${chainId}: run propose first`);
  if (!(await oracle.isSigner(signer.address))) throw new Error(`${signer.address} is not in RiskOracle's signer set`);
  const expired = rounds.filter((r) => r.validUntil <= options.now);
  if (expired.length) throw new Error(`the proposal expired at ${expired[0]!.validUntil} (chain time ${options.now}): propose again`);
  const differences = await recomputePending(db, oracle, rounds, options.spec, options.seed);
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
