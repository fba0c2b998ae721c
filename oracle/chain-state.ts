import type { RiskOracle } from '../contracts/build/types';
import type { AssetBounds, OnChainState } from './guards';

/** An asset's bounds and parameters in force on RiskOracle, at a block (default: latest), in the guards' shape. */
export async function readChainState(
  oracle: RiskOracle,
  asset: string,
  blockTag?: number,
): Promise<{ bounds: AssetBounds; current: OnChainState; round: number }> {
  const overrides = blockTag === undefined ? {} : { blockTag };
  const [b, s] = await Promise.all([oracle.bounds(asset, overrides), oracle.latest(asset, overrides)]);
  return {
    bounds: {
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
    },
    current: {
      ltv: Number(s.ltv),
      liquidationThreshold: Number(s.liquidationThreshold),
      liquidationBonus: Number(s.liquidationBonus),
      updatedAt: Number(s.updatedAt),
    },
    round: Number(s.round),
  };
}
