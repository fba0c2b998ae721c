import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Contract, ContractFactory, parseUnits, ZeroAddress, type Signer } from 'ethers';
import { artifact } from '../compile';

/**
 * Deploys a real Aave V3 market from `@aave/core-v3`'s compiled artifacts (DESIGN.md, Aave V3 facts): addresses
 * provider, ACL, Pool and PoolConfigurator with their logic libraries linked, AaveOracle on settable Chainlink-style
 * aggregators, token implementations, a rate strategy, the data provider, and one reserve per asset.
 */
const AAVE = path.join(__dirname, '..', '..', 'node_modules', '@aave', 'core-v3', 'artifacts', 'contracts');

export interface HardhatArtifact {
  abi: unknown[];
  bytecode: string;
  linkReferences: Record<string, Record<string, Array<{ start: number; length: number }>>>;
}

export function aaveArtifact(relative: string): HardhatArtifact {
  return JSON.parse(readFileSync(path.join(AAVE, relative), 'utf8')) as HardhatArtifact;
}

/** Splices library addresses into the bytecode at the positions the artifact's linkReferences name. */
export function linkBytecode(a: HardhatArtifact, libraries: Record<string, string>): string {
  let hex = a.bytecode.slice(2);
  for (const refs of Object.values(a.linkReferences)) {
    for (const [name, places] of Object.entries(refs)) {
      const address = libraries[name];
      if (!address) throw new Error(`library ${name} is not deployed`);
      for (const { start, length } of places)
        hex = hex.slice(0, start * 2) + address.slice(2).toLowerCase() + hex.slice((start + length) * 2);
    }
  }
  return `0x${hex}`;
}

async function deployAave(
  signer: Signer,
  relative: string,
  args: unknown[] = [],
  libraries: Record<string, string> = {},
): Promise<Contract> {
  const a = aaveArtifact(relative);
  const factory = new ContractFactory(a.abi as never[], linkBytecode(a, libraries), signer);
  const contract = await factory.deploy(...args);
  await contract.waitForDeployment();
  return contract as Contract;
}

export interface ReserveSpec {
  symbol: string;
  decimals: number;
  /** USD price with 8 decimals' worth of precision (e.g. 2300.5). */
  priceUsd: number;
  /** Initial collateral parameters, Aave units. */
  ltv: number;
  liquidationThreshold: number;
  liquidationBonus: number;
}

/** Four reserves at realistic initial parameters: a wrapped ETH, a wrapped BTC, a USD stablecoin, a governance token. */
export const DEFAULT_RESERVES: ReserveSpec[] = [
  { symbol: 'WETH', decimals: 18, priceUsd: 2_300, ltv: 8_000, liquidationThreshold: 8_250, liquidationBonus: 10_500 },
  { symbol: 'WBTC', decimals: 8, priceUsd: 42_000, ltv: 7_300, liquidationThreshold: 7_800, liquidationBonus: 10_650 },
  { symbol: 'USDC', decimals: 6, priceUsd: 1, ltv: 7_700, liquidationThreshold: 8_000, liquidationBonus: 10_450 },
  { symbol: 'GOV', decimals: 18, priceUsd: 12, ltv: 5_000, liquidationThreshold: 6_500, liquidationBonus: 11_000 },
];

export interface AaveMarket {
  addressesProvider: Contract;
  aclManager: Contract;
  pool: Contract;
  configurator: Contract;
  oracle: Contract;
  dataProvider: Contract;
  reserves: Array<{ symbol: string; decimals: number; token: Contract; aggregator: Contract; address: string }>;
}

const RAY = (percent: number): bigint => parseUnits(String(percent / 100), 27);

export async function deployAaveMarket(admin: Signer, reserves: ReserveSpec[] = DEFAULT_RESERVES): Promise<AaveMarket> {
  const owner = await admin.getAddress();
  const addressesProvider = await deployAave(admin, 'protocol/configuration/PoolAddressesProvider.sol/PoolAddressesProvider.json', [
    'risk-oracle',
    owner,
  ]);
  await (await addressesProvider.getFunction('setACLAdmin')(owner)).wait();
  const aclManager = await deployAave(admin, 'protocol/configuration/ACLManager.sol/ACLManager.json', [
    await addressesProvider.getAddress(),
  ]);
  await (await addressesProvider.getFunction('setACLManager')(await aclManager.getAddress())).wait();
  await (await aclManager.getFunction('addPoolAdmin')(owner)).wait();

  const libs: Record<string, string> = {};
  for (const name of ['BorrowLogic', 'BridgeLogic', 'EModeLogic', 'LiquidationLogic', 'PoolLogic', 'SupplyLogic', 'ConfiguratorLogic']) {
    libs[name] = await (await deployAave(admin, `protocol/libraries/logic/${name}.sol/${name}.json`)).getAddress();
  }
  // FlashLoanLogic itself links BorrowLogic
  libs.FlashLoanLogic = await (
    await deployAave(admin, 'protocol/libraries/logic/FlashLoanLogic.sol/FlashLoanLogic.json', [], libs)
  ).getAddress();

  const provider = await addressesProvider.getAddress();
  const poolImpl = await deployAave(admin, 'protocol/pool/Pool.sol/Pool.json', [provider], libs);
  await (await addressesProvider.getFunction('setPoolImpl')(await poolImpl.getAddress())).wait();
  const pool = new Contract(
    await addressesProvider.getFunction('getPool')(),
    aaveArtifact('protocol/pool/Pool.sol/Pool.json').abi as never[],
    admin,
  );
  const configuratorImpl = await deployAave(admin, 'protocol/pool/PoolConfigurator.sol/PoolConfigurator.json', [], libs);
  await (await addressesProvider.getFunction('setPoolConfiguratorImpl')(await configuratorImpl.getAddress())).wait();
  const configurator = new Contract(
    await addressesProvider.getFunction('getPoolConfigurator')(),
    aaveArtifact('protocol/pool/PoolConfigurator.sol/PoolConfigurator.json').abi as never[],
    admin,
  );

  const aggregatorArtifact = await artifact('SettableAggregator');
  const deployed = [];
  for (const r of reserves) {
    const token = await deployAave(admin, 'mocks/tokens/MintableERC20.sol/MintableERC20.json', [
      `Risk Oracle ${r.symbol}`,
      r.symbol,
      r.decimals,
    ]);
    const aggregator = (await new ContractFactory(aggregatorArtifact.abi as never[], aggregatorArtifact.bytecode, admin).deploy(
      `${r.symbol} / USD`,
      BigInt(Math.round(r.priceUsd * 1e8)),
    )) as Contract;
    await aggregator.waitForDeployment();
    deployed.push({ symbol: r.symbol, decimals: r.decimals, token, aggregator, address: await token.getAddress() });
  }
  const oracle = await deployAave(admin, 'misc/AaveOracle.sol/AaveOracle.json', [
    provider,
    deployed.map((d) => d.address),
    await Promise.all(deployed.map((d) => d.aggregator.getAddress())),
    ZeroAddress,
    ZeroAddress,
    10n ** 8n,
  ]);
  await (await addressesProvider.getFunction('setPriceOracle')(await oracle.getAddress())).wait();
  const dataProvider = await deployAave(admin, 'misc/AaveProtocolDataProvider.sol/AaveProtocolDataProvider.json', [provider]);
  await (await addressesProvider.getFunction('setPoolDataProvider')(await dataProvider.getAddress())).wait();

  const poolAddress = await pool.getAddress();
  const aToken = await deployAave(admin, 'protocol/tokenization/AToken.sol/AToken.json', [poolAddress]);
  const stableDebt = await deployAave(admin, 'protocol/tokenization/StableDebtToken.sol/StableDebtToken.json', [poolAddress]);
  const variableDebt = await deployAave(admin, 'protocol/tokenization/VariableDebtToken.sol/VariableDebtToken.json', [poolAddress]);
  const strategy = await deployAave(admin, 'protocol/pool/DefaultReserveInterestRateStrategy.sol/DefaultReserveInterestRateStrategy.json', [
    provider,
    RAY(80),
    RAY(0),
    RAY(4),
    RAY(75),
    RAY(2),
    RAY(75),
    RAY(2),
    RAY(5),
    RAY(20),
  ]);
  const inputs = await Promise.all(
    deployed.map(async (d) => ({
      aTokenImpl: await aToken.getAddress(),
      stableDebtTokenImpl: await stableDebt.getAddress(),
      variableDebtTokenImpl: await variableDebt.getAddress(),
      underlyingAssetDecimals: d.decimals,
      interestRateStrategyAddress: await strategy.getAddress(),
      underlyingAsset: d.address,
      treasury: owner,
      incentivesController: ZeroAddress,
      aTokenName: `Aave ${d.symbol}`,
      aTokenSymbol: `a${d.symbol}`,
      variableDebtTokenName: `Variable debt ${d.symbol}`,
      variableDebtTokenSymbol: `variableDebt${d.symbol}`,
      stableDebtTokenName: `Stable debt ${d.symbol}`,
      stableDebtTokenSymbol: `stableDebt${d.symbol}`,
      params: '0x',
    })),
  );
  await (await configurator.getFunction('initReserves')(inputs)).wait();
  for (const [i, r] of reserves.entries()) {
    const asset = deployed[i]!.address;
    await (await configurator.getFunction('configureReserveAsCollateral')(asset, r.ltv, r.liquidationThreshold, r.liquidationBonus)).wait();
    await (await configurator.getFunction('setReserveBorrowing')(asset, true)).wait();
  }
  return { addressesProvider, aclManager, pool, configurator, oracle, dataProvider, reserves: deployed };
}

/** Aave's collateral parameters for an asset, decoded from the data provider. */
export async function aaveCollateralConfig(
  market: AaveMarket,
  asset: string,
): Promise<{ ltv: number; liquidationThreshold: number; liquidationBonus: number }> {
  const c = await market.dataProvider.getFunction('getReserveConfigurationData')(asset);
  return { ltv: Number(c.ltv), liquidationThreshold: Number(c.liquidationThreshold), liquidationBonus: Number(c.liquidationBonus) };
}
