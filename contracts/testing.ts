import type { BaseWallet, TypedDataDomain } from 'ethers';
import { signUpdate, sortBySigner, type ParameterUpdate, type SignatureStruct } from './typed-data';

/** Bounds wide enough for any realistic parameters: a 5-point step limit and no delay (tests and benchmarks). */
export const WIDE_BOUNDS = {
  minLtv: 0,
  maxLtv: 9_000,
  minLiquidationThreshold: 0,
  maxLiquidationThreshold: 9_300,
  minLiquidationBonus: 0,
  maxLiquidationBonus: 11_500,
  maxChangeBps: 500,
  minDelay: 0,
};

/** Every wallet signs the update; signatures come back in the order RiskOracle requires. */
export async function signedBy(wallets: BaseWallet[], domain: TypedDataDomain, update: ParameterUpdate): Promise<SignatureStruct[]> {
  return sortBySigner(await Promise.all(wallets.map((w) => signUpdate(w, domain, update)))).map((s) => s.signature);
}
