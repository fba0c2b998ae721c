import { ZeroHash } from 'ethers';
import type { Kysely } from 'kysely';
import type { ModelRegistry } from '../contracts/build/types';
import type { Database } from '../core/schema';
import { collateralProposer, loadStoredCollateralArtifact, type CollateralArtifact, type PricePoint } from '../models';
import { loadRoundPrices, type PriceBasis } from './prices';
import { DEFAULT_COLLATERAL_MODEL, modelIdOf, proposeFromPrices, type CollateralModelSpec, type CollateralProposal } from './propose';

/**
 * The collateral model a parameter round runs: a trained artifact (its canonical float64 inference, the same bits
 * on every signer) or the oracle's empirical-quantile spec. Either way `modelId` is what the round publishes.
 */
export type CollateralModel = { modelId: string; artifact: CollateralArtifact } | { modelId: string; spec: CollateralModelSpec };

/** The empirical-quantile spec: what the oracle runs while the DAO has put no collateral model in force. */
export const EMPIRICAL_COLLATERAL_MODEL: CollateralModel = { modelId: modelIdOf(DEFAULT_COLLATERAL_MODEL), spec: DEFAULT_COLLATERAL_MODEL };

/** ModelRegistry's `Kind.Collateral`. */
export const COLLATERAL_KIND = 1;

/**
 * The collateral model in force at a block: `ModelRegistry.activeModel(Collateral)` with its artifact from this
 * database (`model import`), or the empirical-quantile spec while none is in force. An active model whose artifact
 * is not stored is an error: a round must never fall back silently to another model than the DAO's.
 */
export async function collateralModelInForce(
  db: Kysely<Database>,
  registry: ModelRegistry,
  blockTag?: number,
): Promise<CollateralModel & { inForce: boolean }> {
  const active = await registry.activeModel(COLLATERAL_KIND, blockTag === undefined ? {} : { blockTag });
  if (active === ZeroHash) return { ...EMPIRICAL_COLLATERAL_MODEL, inForce: false };
  const stored = await loadStoredCollateralArtifact(db, active);
  if (!stored)
    throw new Error(
      `the collateral model in force${blockTag === undefined ? '' : ` at block ${blockTag}`} (${active}) has no stored artifact: risk-oracle model import --artifact FILE`,
    );
  return { modelId: stored.modelId, artifact: stored.artifact, inForce: true };
}

/** One asset as a collateral model sees it: its prices up to the proposal's time, and its peg if it is pegged. */
export interface ModelAsset {
  symbol: string;
  prices: readonly PricePoint[];
  peg?: number;
}

/** A proposal with the predicted adverse move it was mapped from. */
export type ModelProposal = CollateralProposal & { move: number };

/**
 * A proposal function for `model` over `assets` at time `at`: the artifact's canonical inference (features from
 * the asset's and the reference asset's prices) or the empirical spec (the asset's own prices). Each call throws
 * when that asset cannot be proposed for (too short a history, no reference series), naming why.
 */
export function collateralProposerOf(
  model: CollateralModel,
  assets: readonly ModelAsset[],
  at: number,
): (asset: ModelAsset) => ModelProposal {
  if ('spec' in model) {
    return (asset) => {
      const p = proposeFromPrices(asset.prices, at, model.spec);
      return { ...p, move: Number(p.explanation.adverseMove) };
    };
  }
  const propose = collateralProposer(model.artifact);
  const reference = assets.find((a) => a.symbol.toUpperCase() === model.artifact.referenceAsset.toUpperCase());
  return (asset) => {
    if (!reference) throw new Error(`no prices for the collateral model's reference asset ${model.artifact.referenceAsset}`);
    const p = propose({
      symbol: asset.symbol,
      at,
      prices: asset.prices,
      reference: reference.prices,
      ...(asset.peg === undefined ? {} : { peg: asset.peg }),
    });
    return { params: p.params, inputsRoot: p.inputsRoot, explanation: { ...p.explanation }, move: p.explanation.predictedMove };
  };
}

/** Peg of an asset of `assets.kind` 'stable' (USD stablecoins): the depeg features read the distance from it. */
export const pegOf = (kind: string | undefined): number | undefined => (kind === 'stable' ? 1 : undefined);

/**
 * Re-derives one asset's proposal for a recorded round (a signer before signing, `verify` after publication): the
 * asset's prices on the round's basis, and for an artifact its reference asset's, found by symbol among this
 * chain's indexed assets; pegs from the assets table, as the proposer had them.
 */
export async function proposeForRound(
  db: Kysely<Database>,
  model: CollateralModel,
  basis: PriceBasis & { chainId: number },
  asset: { address: string; symbol: string },
): Promise<ModelProposal> {
  const known = await db.selectFrom('assets').select(['address', 'symbol', 'kind']).where('chain_id', '=', basis.chainId).execute();
  const load = async (a: { address: string; symbol: string }): Promise<ModelAsset> => ({
    symbol: a.symbol,
    prices: await loadRoundPrices(db, { ...basis, asset: a.address, symbol: a.symbol }),
    ...(() => {
      const peg = pegOf(known.find((k) => k.address === a.address.toLowerCase())?.kind);
      return peg === undefined ? {} : { peg };
    })(),
  });
  const own = await load(asset);
  const referenceSymbol = 'artifact' in model ? model.artifact.referenceAsset.toUpperCase() : undefined;
  const reference =
    referenceSymbol === undefined || referenceSymbol === asset.symbol.toUpperCase()
      ? undefined
      : known.find((k) => k.symbol.toUpperCase() === referenceSymbol);
  const assets = reference ? [own, await load(reference)] : [own];
  return collateralProposerOf(model, assets, basis.at)(own);
}
