import type { RiskOracle } from '../contracts/build/types';
import { Contract, type ContractRunner } from 'ethers';
import type { AssetBounds, CollateralParams, OnChainState } from './guards';

/** RiskOracle's stored bounds of an asset, in the guards' shape. */
export function assetBounds(b: Awaited<ReturnType<RiskOracle['bounds']>>): AssetBounds {
  return {
    min: {
      ltv: Number(b.minLtv),
      liquidationThreshold: Number(b.minLiquidationThreshold),
      liquidationBonus: Number(b.minLiquidationBonus),
    },
    max: {
      ltv: Number(b.maxLtv),
      liquidationThreshold: Number(b.maxLiquidationThreshold),
      liquidationBonus: Number(b.maxLiquidationBonus),
    },
    maxChangeBps: Number(b.maxChangeBps),
    minDelaySeconds: Number(b.minDelay),
  };
}

/** Where an asset's parameters come from before the oracle's first round (the lending market's configuration). */
export type SeedSource = (asset: string, blockTag?: number) => Promise<CollateralParams>;

/** Aave's own configuration of a reserve, read from its AaveProtocolDataProvider at a block. */
export function aaveSeed(dataProvider: string, runner: ContractRunner): SeedSource {
  const data = new Contract(
    dataProvider,
    [
      'function getReserveConfigurationData(address) view returns (uint256 decimals, uint256 ltv, uint256 liquidationThreshold, uint256 liquidationBonus, uint256 reserveFactor, bool usageAsCollateralEnabled, bool borrowingEnabled, bool stableBorrowRateEnabled, bool isActive, bool isFrozen)',
    ],
    runner,
  );
  return async (asset, blockTag) => {
    const c = await data.getFunction('getReserveConfigurationData')(asset, blockTag === undefined ? {} : { blockTag });
    return { ltv: Number(c.ltv), liquidationThreshold: Number(c.liquidationThreshold), liquidationBonus: Number(c.liquidationBonus) };
  };
}

/**
 * An asset's bounds and parameters in force on RiskOracle, at a block (default: latest), in the guards' shape.
 * Before its first round, with `seed`, the parameters are the lending market's own (the step limit applies from them).
 */
export async function readChainState(
  oracle: RiskOracle,
  asset: string,
  blockTag?: number,
  seed?: SeedSource,
): Promise<{ bounds: AssetBounds; current: OnChainState; round: number }> {
  const overrides = blockTag === undefined ? {} : { blockTag };
  const [b, s] = await Promise.all([oracle.bounds(asset, overrides), oracle.latest(asset, overrides)]);
  const seeded = s.round === 0n && seed ? { ...(await seed(asset, blockTag)), updatedAt: 0, seeded: true } : undefined;
  return {
    bounds: assetBounds(b),
    current: seeded ?? {
      ltv: Number(s.ltv),
      liquidationThreshold: Number(s.liquidationThreshold),
      liquidationBonus: Number(s.liquidationBonus),
      updatedAt: Number(s.updatedAt),
    },
    round: Number(s.round),
  };
}
