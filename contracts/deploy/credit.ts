import type { Signer } from 'ethers';
import { deployContract as deploy } from './contract';
import type { CreditLine, CreditScoreRegistry, ICreditLine, ModelRegistry, RiskParameterFeedFactory, RiskSteward } from '../build/types';

/** Deploys the ModelRegistry and the CreditScoreRegistry (signers from RiskOracle), both owned by `owner`. */
export async function deployCreditRegistry(
  deployer: Signer,
  options: { owner: string; riskOracle: string; bondWei: bigint; challengeWindowSeconds: number },
): Promise<{ models: ModelRegistry; registry: CreditScoreRegistry }> {
  // submitting a model and disputing one stake the same bond as publishing an epoch
  const models = await deploy<ModelRegistry>('ModelRegistry', deployer, [options.owner, options.bondWei, options.bondWei]);
  const registry = await deploy<CreditScoreRegistry>('CreditScoreRegistry', deployer, [
    options.owner,
    options.riskOracle,
    await models.getAddress(),
    options.bondWei,
    options.challengeWindowSeconds,
  ]);
  return { models, registry };
}

/**
 * Deploys the RiskSteward for the market behind an Aave PoolAddressesProvider (it reads the Pool and the
 * PoolConfigurator from it); it still needs Aave's RISK_ADMIN role (a governance action).
 */
export async function deployRiskSteward(
  deployer: Signer,
  options: { owner: string; riskOracle: string; addressesProvider: string; maxAgeSeconds: number },
): Promise<RiskSteward> {
  return deploy<RiskSteward>('RiskSteward', deployer, [
    options.owner,
    options.riskOracle,
    options.addressesProvider,
    options.maxAgeSeconds,
  ]);
}

/** A CreditLine's terms (see ICreditLine.Terms). */
export type CreditTerms = ICreditLine.TermsStruct;

/** Example terms: scores from 550 borrow up to `maxCredit` at 850, posting 80 % down to 20 % collateral. */
export function defaultCreditTerms(maxCredit: bigint): CreditTerms {
  return { minScore: 550, minCollateralBps: 2_000, maxCollateralBps: 8_000, maxScoreAge: 30 * 86_400, maxCredit };
}

/** Deploys the example CreditLine lending `token` against the registry's scores, owned by `owner`. */
export async function deployCreditLine(
  deployer: Signer,
  options: { owner: string; token: string; registry: string; terms: CreditTerms },
): Promise<CreditLine> {
  return deploy<CreditLine>('CreditLine', deployer, [options.owner, options.token, options.registry, options.terms]);
}

/** The three Chainlink-compatible feeds of one asset. */
export interface AssetFeeds {
  ltv: string;
  liquidationThreshold: string;
  liquidationBonus: string;
}

/** Deploys the feed factory and creates the three feeds of every asset. */
export async function deployFeeds(
  deployer: Signer,
  riskOracle: string,
  assets: Array<{ symbol: string; address: string }>,
): Promise<{ factory: RiskParameterFeedFactory; feeds: Record<string, AssetFeeds> }> {
  const factory = await deploy<RiskParameterFeedFactory>('RiskParameterFeedFactory', deployer, [riskOracle]);
  const feeds: Record<string, AssetFeeds> = {};
  for (const a of assets) {
    await (await factory.createFeeds(a.address, a.symbol)).wait();
    const [ltv, liquidationThreshold, liquidationBonus] = await Promise.all([0, 1, 2].map((p) => factory.feedOf(a.address, p)));
    feeds[a.symbol] = { ltv: ltv!, liquidationThreshold: liquidationThreshold!, liquidationBonus: liquidationBonus! };
  }
  return { factory, feeds };
}
