import type { BaseWallet } from 'ethers';
import type { Kysely } from 'kysely';
import type { Database, Logger } from '../core';
import type { ParameterUpdate } from '../contracts';
import type { RiskOracle } from '../contracts/build/types';
import type { PricePoint } from '../models';
import { readChainState, type SeedSource } from './chain-state';
import { guardParameters, type GuardDecision, type GuardedParams } from './guards';
import { supportDecision } from './drift';
import type { PriceSource } from './prices';
import { collateralProposerOf, EMPIRICAL_COLLATERAL_MODEL, pegOf, type CollateralModel, type ModelProposal } from './collateral-model';
import { publishParameterBatch, type PublishResult } from './publish';
import { saveRound } from './store';

export interface CycleAsset {
  address: string;
  symbol: string;
  prices: PricePoint[];
  decimals?: number;
  kind?: 'volatile' | 'stable' | 'eth' | 'btc';
}

export interface AssetOutcome {
  symbol: string;
  address: string;
  proposed: { ltv: number; liquidationThreshold: number; liquidationBonus: number };
  guarded: { ltv: number; liquidationThreshold: number; liquidationBonus: number };
  publishable: boolean;
  decisions: GuardDecision[];
  round: number;
}

export interface CycleResult {
  modelId: string;
  assets: AssetOutcome[];
  publication?: PublishResult;
}

/** The model's proposal function over the cycle's assets, pegs from the assets table (as signers and `verify` read them). */
async function proposerFor(
  db: Kysely<Database>,
  chainId: number,
  model: CollateralModel,
  assets: readonly CycleAsset[],
  at: number,
): Promise<(asset: CycleAsset) => ReturnType<ReturnType<typeof collateralProposerOf>>> {
  const kinds = new Map(
    (await db.selectFrom('assets').select(['address', 'kind']).where('chain_id', '=', chainId).execute()).map((a) => [a.address, a.kind]),
  );
  const asModel = (a: CycleAsset) => {
    const peg = pegOf(kinds.get(a.address.toLowerCase()) ?? a.kind);
    return { symbol: a.symbol, prices: a.prices, ...(peg === undefined ? {} : { peg }) };
  };
  const propose = collateralProposerOf(model, assets.map(asModel), at);
  return (asset) => propose(asModel(asset));
}

/**
 * A trained model's drift guard on the proposal's feature row: a market outside the artifact's training range holds
 * the asset (the empirical spec, and artifacts trained before references were kept, have no range to check).
 */
function withDrift(guarded: GuardedParams, model: CollateralModel, proposal: ModelProposal): GuardedParams {
  const references = 'artifact' in model ? model.artifact.training.drift : undefined;
  const features = proposal.explanation.features as Record<string, number> | undefined;
  if (!references || !features) return guarded;
  const drift = supportDecision(references, features);
  return { ...guarded, decisions: [...guarded.decisions, drift], publishable: guarded.publishable && drift.decision !== 'hold' };
}

/**
 * One collateral cycle: propose from prices before `at`, guard against the chain's bounds and current values,
 * record every decision, then sign k-of-n and publish what passed, in one batch.
 */
export async function runParameterCycle(options: {
  db: Kysely<Database>;
  oracle: RiskOracle;
  chainId: number;
  assets: CycleAsset[];
  signers: BaseWallet[];
  /** Time of the proposal's data: prices after it are not used. */
  at: number;
  /** Chain time, for the guards' delay and the expiry of the signed update. */
  now: number;
  validForSeconds: number;
  atBlock: number;
  log: Logger;
  /** The collateral model in force (`collateralModelInForce`); default: the empirical-quantile spec. */
  model?: CollateralModel;
  /** Parameters before the oracle's first round (the market's own configuration); step limits apply from them. */
  seed?: SeedSource;
  /** Default true. False: propose and record only; `sign` and `publish` take it from the database. */
  publish?: boolean;
  /**
   * Where `assets`' prices came from. Given, it is recorded in each round's explanation with `atBlock`, and the
   * oracle's bounds, parameters and round are read at `atBlock` (what signers recompute against) rather than at
   * the latest block. Omitted (the caller's own prices): the explanation says nothing of it, as before.
   */
  priceSource?: PriceSource;
}): Promise<CycleResult> {
  const model = options.model ?? EMPIRICAL_COLLATERAL_MODEL;
  const modelId = model.modelId;
  const outcomes: AssetOutcome[] = [];
  const updates: ParameterUpdate[] = [];
  for (const asset of options.assets) {
    await options.db
      .insertInto('assets')
      .values({
        chain_id: options.chainId,
        address: asset.address.toLowerCase(),
        symbol: asset.symbol,
        decimals: asset.decimals ?? 18,
        kind: asset.kind ?? 'volatile',
        price_feed: null,
      })
      .onConflict((oc) => oc.columns(['chain_id', 'address']).doNothing())
      .execute();
  }
  const propose = await proposerFor(options.db, options.chainId, model, options.assets, options.at);
  for (const asset of options.assets) {
    const proposal = propose(asset);
    const stateBlock = options.priceSource === undefined ? undefined : options.atBlock;
    const { bounds, current, round: currentRound } = await readChainState(options.oracle, asset.address, stateBlock, options.seed);
    const guarded = withDrift(guardParameters(proposal.params, current, bounds, options.now), model, proposal);
    const round = currentRound + 1;
    await saveRound(
      options.db,
      {
        chainId: options.chainId,
        asset: asset.address,
        round,
        ...guarded.params,
        modelId,
        inputsRoot: proposal.inputsRoot,
        validUntil: options.now + options.validForSeconds,
        atBlock: options.atBlock,
        status: guarded.publishable ? 'proposed' : 'held',
        explanation: {
          ...proposal.explanation,
          proposed: proposal.params,
          at: options.at,
          symbol: asset.symbol,
          ...(options.priceSource === undefined ? {} : { priceSource: options.priceSource, block: options.atBlock }),
        },
      },
      guarded.decisions,
      { now: options.now },
    );
    outcomes.push({
      symbol: asset.symbol,
      address: asset.address,
      proposed: proposal.params,
      guarded: guarded.params,
      publishable: guarded.publishable,
      decisions: guarded.decisions,
      round,
    });
    if (guarded.publishable) {
      updates.push({
        asset: asset.address,
        ...guarded.params,
        round: BigInt(round),
        validUntil: BigInt(options.now + options.validForSeconds),
        modelId,
        inputsRoot: proposal.inputsRoot,
      });
    }
  }
  const publication =
    updates.length && options.publish !== false
      ? await publishParameterBatch({
          db: options.db,
          oracle: options.oracle,
          chainId: options.chainId,
          updates,
          signers: options.signers,
          log: options.log,
        })
      : undefined;
  return { modelId, assets: outcomes, publication };
}
