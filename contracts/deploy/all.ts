import { writeFileSync } from 'node:fs';
import { parseEther, parseUnits, type Signer } from 'ethers';
import type { CreditLine, CreditScoreRegistry, ModelRegistry, RiskOracle, RiskParameterFeedFactory, RiskSteward } from '../build/types';
import { deployAaveMarket, DEFAULT_RESERVES, type AaveMarket, type ReserveSpec } from './aave';
import {
  defaultCreditTerms,
  deployCreditLine,
  deployCreditRegistry,
  deployFeeds,
  deployRiskSteward,
  type AssetFeeds,
  type CreditTerms,
} from './credit';
import { deployDao, type Dao, type DaoOptions } from './dao';
import { deployRiskOracle, type Bounds } from './oracle';

/** Everything `deployAll` puts on a chain, as typed contracts. */
export interface Deployment {
  chainId: number;
  /** The block after which everything below exists (the indexer's start). */
  block: number;
  deployer: string;
  dao: Dao;
  market: AaveMarket;
  oracle: RiskOracle;
  feedFactory: RiskParameterFeedFactory;
  /** Chainlink-compatible feeds by reserve symbol. */
  feeds: Record<string, AssetFeeds>;
  steward: RiskSteward;
  models: ModelRegistry;
  registry: CreditScoreRegistry;
  creditLine: CreditLine;
}

export interface DeployAllOptions {
  /** The RiskOracle signer set (addresses) and how many must sign. */
  signers: string[];
  threshold: number;
  /** Who may pause RiskOracle. Default: the deployer. */
  guardian?: string;
  dao?: DaoOptions;
  /** Default: WETH, WBTC, USDC, GOV ({@link DEFAULT_RESERVES}). */
  reserves?: ReserveSpec[];
  /** RiskOracle bounds for every reserve, or per reserve symbol (others get the default). Default: {@link DEFAULT_BOUNDS}. */
  bounds?: Bounds | Record<string, Bounds>;
  /** Seconds after which the steward refuses a round. Default 1 day. */
  stewardMaxAgeSeconds?: number;
  /** CreditScoreRegistry bond and challenge window. Default 0.1 ETH and 1 hour. */
  bondWei?: bigint;
  challengeWindowSeconds?: number;
  /** CreditLine terms (it lends the reserve named `creditToken`, default USDC). */
  creditTerms?: CreditTerms;
  creditToken?: string;
  /**
   * Grant the steward Aave's RISK_ADMIN straight from the deployer, before Aave's ACL admin passes to the timelock.
   * Default true; pass false to leave it to a governance proposal (see `grantRiskAdminCall`).
   */
  grantStewardRiskAdmin?: boolean;
}

/** RiskOracle bounds used for every reserve unless given: a 5-point step limit per update and one hour between updates. */
export const DEFAULT_BOUNDS = {
  minLtv: 0,
  maxLtv: 9_000,
  minLiquidationThreshold: 0,
  maxLiquidationThreshold: 9_300,
  minLiquidationBonus: 0,
  maxLiquidationBonus: 11_500,
  maxChangeBps: 500,
  minDelay: 3_600,
} satisfies Bounds;

/**
 * Deploys the whole system onto any RPC: a real Aave V3 market, the DAO, RiskOracle with its feeds, RiskSteward,
 * ModelRegistry, CreditScoreRegistry and CreditLine, wired. The deployer does the initial set-up (bounds, feeds,
 * RiskOracle's steward, the steward's Aave role unless told otherwise), then hands every setting to the DAO's timelock: ownership of our
 * contracts, Aave's ACL admin and pool admin, and the addresses provider. From then on only proposals change them.
 */
export async function deployAll(deployer: Signer, options: DeployAllOptions): Promise<Deployment> {
  const provider = deployer.provider;
  if (!provider) throw new Error('deployAll: the deployer signer has no provider');
  const me = await deployer.getAddress();
  const chainId = Number((await provider.getNetwork()).chainId);
  const block = await provider.getBlockNumber();

  const dao = await deployDao(deployer, options.dao);
  const timelock = await dao.timelock.getAddress();
  const market = await deployAaveMarket(deployer, options.reserves ?? DEFAULT_RESERVES);
  const { oracle } = await deployRiskOracle(deployer, {
    owner: me,
    guardian: options.guardian ?? me,
    signers: options.signers,
    threshold: options.threshold,
  });
  const oracleAddress = await oracle.getAddress();
  for (const r of market.reserves) await (await oracle.setBounds(r.address, boundsOf(options.bounds, r.symbol))).wait();
  const { factory: feedFactory, feeds } = await deployFeeds(deployer, oracleAddress, market.reserves);
  const steward = await deployRiskSteward(deployer, {
    owner: timelock,
    riskOracle: oracleAddress,
    addressesProvider: await market.addressesProvider.getAddress(),
    maxAgeSeconds: options.stewardMaxAgeSeconds ?? 86_400,
  });
  // the steward records a guardian's fall-back in RiskOracle (the only caller of recordFallBack)
  await (await oracle.setSteward(await steward.getAddress())).wait();
  const { models, registry } = await deployCreditRegistry(deployer, {
    owner: timelock,
    riskOracle: oracleAddress,
    bondWei: options.bondWei ?? parseEther('0.1'),
    challengeWindowSeconds: options.challengeWindowSeconds ?? 3_600,
  });
  const symbol = options.creditToken ?? 'USDC';
  const lent = market.reserves.find((r) => r.symbol === symbol);
  if (!lent) throw new Error(`creditToken ${symbol} is not a reserve (have: ${market.reserves.map((r) => r.symbol).join(', ')})`);
  const creditLine = await deployCreditLine(deployer, {
    owner: timelock,
    token: lent.address,
    registry: await registry.getAddress(),
    terms: options.creditTerms ?? defaultCreditTerms(parseUnits('10000', lent.decimals)),
  });
  if (options.grantStewardRiskAdmin ?? true) await (await market.aclManager.getFunction('addRiskAdmin')(await steward.getAddress())).wait();
  await handOverToTimelock(market, oracle, me, timelock);
  return { chainId, block, deployer: me, dao, market, oracle, feedFactory, feeds, steward, models, registry, creditLine };
}

function boundsOf(bounds: DeployAllOptions['bounds'], symbol: string): Bounds {
  if (bounds === undefined) return DEFAULT_BOUNDS;
  if ('maxLtv' in bounds) return bounds as Bounds;
  return (bounds as Record<string, Bounds>)[symbol] ?? DEFAULT_BOUNDS;
}

/** The timelock takes Aave's admin roles and the oracle; the deployer keeps nothing. */
async function handOverToTimelock(market: AaveMarket, oracle: RiskOracle, me: string, timelock: string): Promise<void> {
  const acl = market.aclManager;
  const admin = await acl.getFunction('DEFAULT_ADMIN_ROLE')();
  await (await acl.getFunction('grantRole')(admin, timelock)).wait();
  await (await acl.getFunction('addPoolAdmin')(timelock)).wait();
  await (await acl.getFunction('removePoolAdmin')(me)).wait();
  await (await acl.getFunction('renounceRole')(admin, me)).wait();
  await (await market.addressesProvider.getFunction('setACLAdmin')(timelock)).wait();
  await (await market.addressesProvider.getFunction('transferOwnership')(timelock)).wait();
  await (await oracle.transferOwnership(timelock)).wait();
}

/** The deployment as JSON: chain id, start block and every address (what other processes load). */
export function deploymentJson(d: Deployment): Record<string, unknown> {
  return {
    chainId: d.chainId,
    block: d.block,
    deployer: d.deployer,
    dao: { token: d.dao.token.target, timelock: d.dao.timelock.target, governor: d.dao.governor.target },
    aave: {
      addressesProvider: d.market.addressesProvider.target,
      aclManager: d.market.aclManager.target,
      pool: d.market.pool.target,
      poolConfigurator: d.market.configurator.target,
      oracle: d.market.oracle.target,
      dataProvider: d.market.dataProvider.target,
      reserves: d.market.reserves.map((r) => ({
        symbol: r.symbol,
        decimals: r.decimals,
        address: r.address,
        aggregator: r.aggregator.target,
      })),
    },
    riskOracle: d.oracle.target,
    feedFactory: d.feedFactory.target,
    feeds: d.feeds,
    riskSteward: d.steward.target,
    modelRegistry: d.models.target,
    creditScoreRegistry: d.registry.target,
    creditLine: d.creditLine.target,
  };
}

/** Writes {@link deploymentJson} to `file`. */
export function writeDeployment(file: string, d: Deployment): void {
  writeFileSync(file, `${JSON.stringify(deploymentJson(d), null, 2)}\n`);
}

/** The proposal call that grants the steward Aave's RISK_ADMIN (for {@link passProposal}). */
export function grantRiskAdminCall(d: Deployment): { target: string; data: string } {
  return {
    target: String(d.market.aclManager.target),
    data: d.market.aclManager.interface.encodeFunctionData('addRiskAdmin', [String(d.steward.target)]),
  };
}
