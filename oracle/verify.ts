import type { Kysely } from 'kysely';
import type { Database } from '../core';
import type { ModelRegistry, RiskOracle } from '../contracts/build/types';
import { readChainState, type SeedSource } from './chain-state';
import { guardParameters } from './guards';
import { queryLogsInRanges, type LogRangeOptions } from './logs';
import { collateralModelInForce, proposeForRound, type CollateralModel } from './collateral-model';
import type { PriceSource } from './prices';
import { modelIdOf, type CollateralModelSpec } from './propose';

export interface Mismatch {
  asset: string;
  round: number;
  field: string;
  published: string;
  derived: string;
}

export interface VerifyReport {
  checked: number;
  mismatches: Mismatch[];
}

/**
 * Re-derives every published round from public data and compares it bit for bit with the chain: the events say
 * what was published (and what was in force before); the model spec (whose hash must be the published modelId),
 * the prices and the bounds in force at that block say what should have been. Every difference is reported.
 */
export async function verifyRounds(options: {
  db: Kysely<Database>;
  oracle: RiskOracle;
  chainId: number;
  /** What the oracle runs while no collateral model is in force (the empirical-quantile spec). */
  spec: CollateralModelSpec;
  /** The registry whose collateral model in force at each round's block it must have run; without it, `spec`. */
  models?: ModelRegistry;
  round?: number;
  /** The seed the proposer used before each asset's first round (see `readChainState`). */
  seed?: SeedSource;
  /** First block to read events from (the deployment's block). Default: 0. */
  fromBlock?: number;
  /** Last block to read events from. Default: the head. */
  toBlock?: number;
  /** How events are read: in ranges of `chunk` blocks, smaller where the RPC refuses (range-limited RPCs). */
  logRange?: LogRangeOptions;
}): Promise<VerifyReport> {
  const { db, oracle, chainId, spec } = options;
  const provider = oracle.runner?.provider;
  if (options.toBlock === undefined && !provider) throw new Error('the RiskOracle contract has no provider to read the chain with');
  const to = options.toBlock ?? (await provider!.getBlockNumber());
  const events = await queryLogsInRanges(
    (from, end) => oracle.queryFilter(oracle.filters.ParametersUpdated(), from, end),
    options.fromBlock ?? 0,
    to,
    options.logRange,
  );
  const mismatches: Mismatch[] = [];
  let checked = 0;
  const empirical: CollateralModel = { modelId: modelIdOf(spec), spec };
  const inForce = new Map<number, Promise<CollateralModel>>();
  const modelAt = (block: number): Promise<CollateralModel> => {
    if (!options.models) return Promise.resolve(empirical);
    if (!inForce.has(block))
      inForce.set(
        block,
        collateralModelInForce(db, options.models, block).then((m) => (m.inForce ? m : empirical)),
      );
    return inForce.get(block)!;
  };
  for (const event of events) {
    const e = event.args;
    const asset = e.asset.toLowerCase();
    const round = Number(e.round);
    if (options.round !== undefined && round !== options.round) continue;
    checked++;
    const differ = (field: string, published: unknown, derived: unknown): void => {
      if (String(published) !== String(derived))
        mismatches.push({ asset, round, field, published: String(published), derived: String(derived) });
    };
    const record = await db
      .selectFrom('risk_parameter_rounds as r')
      .innerJoin('assets as a', (j) => j.onRef('a.address', '=', 'r.asset').onRef('a.chain_id', '=', 'r.chain_id'))
      .select(['a.symbol', 'r.explanation', 'r.at_block'])
      .where('r.chain_id', '=', chainId)
      .where('r.asset', '=', asset)
      .where('r.round', '=', round)
      .executeTakeFirst();
    const recorded = (record?.explanation ?? {}) as { at?: number; priceSource?: PriceSource };
    const at = recorded.at;
    if (!record || at === undefined) {
      mismatches.push({
        asset,
        round,
        field: 'inputs',
        published: 'round on-chain',
        derived: 'no local record of its data time or symbol: index the chain and import its prices first',
      });
      continue;
    }
    // as the signers recomputed it: the model in force at the round's block, on the same prices (feed answers
    // indexed up to that block, or the imported series)
    const model = await modelAt(record.at_block);
    differ('modelId', e.modelId, model.modelId);
    const basis = { priceSource: recorded.priceSource ?? 'csv', block: record.at_block, at, chainId };
    const proposal = await proposeForRound(db, model, basis, { address: asset, symbol: record.symbol });
    differ('inputsRoot', e.inputsRoot, proposal.inputsRoot);
    // the chain as the signers saw it: bounds and state just before the publication's block
    const [{ bounds, current }, block] = await Promise.all([
      readChainState(oracle, e.asset, event.blockNumber - 1, options.seed),
      event.getBlock(),
    ]);
    const guarded = guardParameters(proposal.params, current, bounds, block.timestamp);
    differ('ltv', e.ltv, guarded.params.ltv);
    differ('liquidationThreshold', e.liquidationThreshold, guarded.params.liquidationThreshold);
    differ('liquidationBonus', e.liquidationBonus, guarded.params.liquidationBonus);
  }
  return { checked, mismatches };
}
