import type { BaseWallet, TypedDataDomain } from 'ethers';
import { DEFAULT_BOUNDS } from './deploy/all';
import { signUpdate, sortBySigner, type ParameterUpdate, type SignatureStruct } from './typed-data';

/** Bounds wide enough for any realistic parameters: a 5-point step limit and no delay (tests and benchmarks). */
export const WIDE_BOUNDS = { ...DEFAULT_BOUNDS, minDelay: 0 };

/** Every wallet signs the update; signatures come back in the order RiskOracle requires. */
export async function signedBy(wallets: BaseWallet[], domain: TypedDataDomain, update: ParameterUpdate): Promise<SignatureStruct[]> {
  return sortBySigner(await Promise.all(wallets.map((w) => signUpdate(w, domain, update)))).map((s) => s.signature);
}
