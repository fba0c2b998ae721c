import type { BaseContract, EventLog, Log } from 'ethers';
import type { Kysely } from 'kysely';
import type { Database } from '../core';
import {
  IPoolReserveConfiguration__factory,
  RiskOracle__factory,
  RiskSteward__factory,
  type ModelRegistry,
  type RiskOracle,
} from '../contracts/build/types';
import type { TypedEventLog } from '../contracts/build/types/common';
import type { FallBackRecordedEvent, ParametersUpdatedEvent } from '../contracts/build/types/RiskOracle';
import { readChainState, type SeedSource } from './chain-state';
import { guardParameters, type CollateralParams } from './guards';
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

/**
 * A guardian's fall-back as RiskOracle recorded it: an unsigned round (zero provenance) holding what Aave has after
 * it, not model output, so it is reported, never re-derived. Its values are checked against the steward instead.
 */
export interface FallBack {
  asset: string;
  /** RiskOracle's round that holds the parameters (the round stopped plus one). */
  round: number;
  block: number;
  txHash: string;
  /** `restored`: Aave got back what it had before `ofRound`; `skipped`: `ofRound` was published, never applied. */
  action: 'restored' | 'skipped';
  ofRound: number;
  /** The guardian (or the DAO) who called the steward. */
  by: string;
  /** What RiskOracle (and Aave) hold after it. */
  params: CollateralParams;
  /** What RiskOracle held before (the round the guardian stopped). */
  replaced: CollateralParams;
}

export interface VerifyReport {
  /** Signed rounds re-derived. */
  checked: number;
  mismatches: Mismatch[];
  /** Fall-backs found (checked against the steward's record, never counted in `checked`). */
  fallBacks: FallBack[];
}

type Published = TypedEventLog<ParametersUpdatedEvent.Event>;
type Recorded = TypedEventLog<FallBackRecordedEvent.Event>;
const ORACLE = RiskOracle__factory.createInterface();
const STEWARD = RiskSteward__factory.createInterface();
/** Both kinds of round in one log query: signed publications, and fall-backs recorded by the steward. */
const ROUND_TOPICS = [[ORACLE.getEvent('ParametersUpdated').topicHash, ORACLE.getEvent('FallBackRecorded').topicHash]];
const eventName = (l: Log | EventLog): string | undefined => ('eventName' in l ? l.eventName : undefined);
const paramsOf = (p: { ltv: bigint; liquidationThreshold: bigint; liquidationBonus: bigint }): CollateralParams => ({
  ltv: Number(p.ltv),
  liquidationThreshold: Number(p.liquidationThreshold),
  liquidationBonus: Number(p.liquidationBonus),
});

/**
 * Reads a fall-back's story from its transaction (the steward's `ParametersRestored` or `RoundSkipped` beside
 * RiskOracle's `FallBackRecorded`) and checks its values against the chain just before its block: a restore must
 * give back exactly what the steward had recorded (`previous`), a skip must keep exactly what Aave had, over a
 * round that was RiskOracle's latest and not applied. Differences are returned as mismatches of the recorded round.
 */
async function checkFallBack(event: Recorded): Promise<{ fallBack?: FallBack; mismatches: Mismatch[] }> {
  const e = event.args;
  const asset = e.asset.toLowerCase();
  const round = Number(e.round);
  const mismatches: Mismatch[] = [];
  const differ = (field: string, published: unknown, derived: unknown): void => {
    if (String(published) !== String(derived))
      mismatches.push({ asset, round, field, published: String(published), derived: String(derived) });
  };
  const receipt = await event.getTransactionReceipt();
  const told = receipt.logs
    .filter((l) => l.address.toLowerCase() === e.steward.toLowerCase())
    .map((l) => STEWARD.parseLog(l))
    .find((d) => (d?.name === 'ParametersRestored' || d?.name === 'RoundSkipped') && String(d.args.asset).toLowerCase() === asset);
  if (!told) {
    differ(
      'fallBack',
      `recorded by ${e.steward.toLowerCase()}`,
      'no ParametersRestored or RoundSkipped of that steward in the transaction',
    );
    return { mismatches };
  }
  const params = paramsOf(e);
  const fallBack: FallBack = {
    asset,
    round,
    block: event.blockNumber,
    txHash: event.transactionHash,
    action: told.name === 'ParametersRestored' ? 'restored' : 'skipped',
    ofRound: Number(told.args.round),
    by: String(told.args.by).toLowerCase(),
    params,
    replaced: {
      ltv: Number(e.oldLtv),
      liquidationThreshold: Number(e.oldLiquidationThreshold),
      liquidationBonus: Number(e.oldLiquidationBonus),
    },
  };
  const before = { blockTag: event.blockNumber - 1 };
  const steward = RiskSteward__factory.connect(e.steward, event.provider);
  let expected: CollateralParams;
  if (fallBack.action === 'restored') {
    const previous = await steward.previous(e.asset, before);
    differ('fallBack.undoneRound', fallBack.ofRound, previous.round);
    expected = paramsOf(previous);
  } else {
    const [latest, applied, pool] = await Promise.all([
      RiskOracle__factory.connect(event.address, event.provider).latest(e.asset, before),
      steward.appliedRound(e.asset, before),
      steward.pool(before),
    ]);
    differ('fallBack.skippedRound', fallBack.ofRound, latest.round);
    if (applied >= latest.round) differ('fallBack.skippedRound', `${fallBack.ofRound} (not applied)`, `applied up to ${applied}`);
    const config = (await IPoolReserveConfiguration__factory.connect(pool, event.provider).getConfiguration(e.asset, before)).data;
    expected = {
      ltv: Number(config & 0xffffn),
      liquidationThreshold: Number((config >> 16n) & 0xffffn),
      liquidationBonus: Number((config >> 32n) & 0xffffn),
    };
  }
  for (const field of ['ltv', 'liquidationThreshold', 'liquidationBonus'] as const) {
    differ(`fallBack.${field}`, params[field], expected[field]);
    differ(`fallBack.${field}`, params[field], Number(told.args[field]));
  }
  return { fallBack, mismatches };
}

/**
 * Re-derives every published round from public data and compares it bit for bit with the chain: the events say
 * what was published (and what was in force before); the model spec (whose hash must be the published modelId),
 * the prices and the bounds in force at that block say what should have been. Every difference is reported.
 * Rounds recorded by a guardian's fall-back are listed in `fallBacks` and checked against the steward's record
 * (see `checkFallBack`); the signed round after one is re-derived from the state the fall-back left.
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
  const logs = await queryLogsInRanges(
    (from, end) => (oracle as BaseContract).queryFilter(ROUND_TOPICS, from, end),
    options.fromBlock ?? 0,
    to,
    options.logRange,
  );
  // each log carries one of the two topics asked for, so ethers decoded it with that event's fragment
  const events = logs.filter((l) => eventName(l) === 'ParametersUpdated') as unknown as Published[];
  const recorded = (logs.filter((l) => eventName(l) === 'FallBackRecorded') as unknown as Recorded[]).filter(
    (l) => options.round === undefined || Number(l.args.round) === options.round,
  );
  const mismatches: Mismatch[] = [];
  const fallBacks: FallBack[] = [];
  for (const event of recorded) {
    const found = await checkFallBack(event);
    if (found.fallBack) fallBacks.push(found.fallBack);
    mismatches.push(...found.mismatches);
  }
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
    const explained = (record?.explanation ?? {}) as { at?: number; priceSource?: PriceSource };
    const at = explained.at;
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
    const basis = { priceSource: explained.priceSource ?? 'csv', block: record.at_block, at, chainId };
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
  return { checked, mismatches, fallBacks };
}
