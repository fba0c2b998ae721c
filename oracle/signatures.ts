import { recoverAddress } from 'ethers';
import { sortBySigner, type SignatureStruct } from '../contracts';

/** A stored signature as `signaturesFor` returns it: the signer's address and the JSON of its (v, r, s). */
export interface StoredSignature {
  signer: string;
  signature: string;
}

/**
 * The signatures a publication can carry, as RiskOracle and CreditScoreRegistry check them: each recovers to the
 * signer it was stored under, that signer is in the set now (`isSigner` at the chain's current state: a signer
 * removed since it signed would make the transaction revert), one per signer, sorted by signer ascending; the
 * first `threshold` of them. Throws, naming what was set aside and why, when fewer than `threshold` remain.
 */
export async function usableSignatures(options: {
  stored: readonly StoredSignature[];
  digest: string;
  isSigner: (address: string) => Promise<boolean>;
  threshold: number;
  /** What is published, for the error: `batch 0x…`, `credit epoch 3`. */
  what: string;
}): Promise<SignatureStruct[]> {
  const usable = new Map<string, SignatureStruct>();
  const setAside: string[] = [];
  for (const s of options.stored) {
    const recovered = recover(options.digest, s.signature);
    if (!recovered || recovered.toLowerCase() !== s.signer.toLowerCase())
      setAside.push(`${s.signer} (its signature does not recover to it)`);
    else if (usable.has(recovered.toLowerCase())) continue;
    else if (!(await options.isSigner(recovered))) setAside.push(`${s.signer} (not in RiskOracle's signer set now)`);
    else usable.set(recovered.toLowerCase(), JSON.parse(s.signature) as SignatureStruct);
  }
  if (usable.size < options.threshold)
    throw new Error(
      `only ${usable.size} signature(s) for ${options.what}; the oracle needs ${options.threshold}` +
        (setAside.length ? ` (set aside: ${setAside.join(', ')})` : ''),
    );
  return sortBySigner([...usable].map(([signer, signature]) => ({ signer, signature })))
    .slice(0, options.threshold)
    .map((s) => s.signature);
}

/** The address a stored signature of `digest` recovers to; undefined when it is not a well-formed signature. */
function recover(digest: string, json: string): string | undefined {
  try {
    const { v, r, s } = JSON.parse(json) as SignatureStruct;
    return recoverAddress(digest, { v, r, s });
  } catch {
    return undefined;
  }
}
