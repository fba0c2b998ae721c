import type { BaseWallet, TypedDataDomain } from 'ethers';
import { DEFAULT_BOUNDS } from './deploy/all';
import { signEpoch, signUpdate, sortBySigner, type CreditEpoch, type ParameterUpdate, type SignatureStruct } from './typed-data';

/** Bounds wide enough for any realistic parameters: a 5-point step limit and no delay (tests and benchmarks). */
export const WIDE_BOUNDS = { ...DEFAULT_BOUNDS, minDelay: 0 };

/** Every wallet signs the update; signatures come back in the order RiskOracle requires. */
export async function signedBy(wallets: BaseWallet[], domain: TypedDataDomain, update: ParameterUpdate): Promise<SignatureStruct[]> {
  return sortBySigner(await Promise.all(wallets.map((w) => signUpdate(w, domain, update)))).map((s) => s.signature);
}

/** Every wallet signs the credit epoch; signatures come back in the order CreditScoreRegistry requires. */
export async function epochSignedBy(wallets: BaseWallet[], domain: TypedDataDomain, epoch: CreditEpoch): Promise<SignatureStruct[]> {
  return sortBySigner(await Promise.all(wallets.map((w) => signEpoch(w, domain, epoch)))).map((s) => s.signature);
}

/** A custom error as `Name(arg, …)` (bigints in decimal), the way tests compare reverts with their context. */
export async function revertOf(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => 'ok',
    (e: { revert?: { name: string; args: readonly unknown[] }; shortMessage?: string }) =>
      e.revert ? `${e.revert.name}(${e.revert.args.map(String).join(',')})` : `unknown: ${e.shortMessage}`,
  );
}
