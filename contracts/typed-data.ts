import { Signature, TypedDataEncoder, type Signer, type TypedDataDomain } from 'ethers';

/**
 * The EIP-712 messages the signers sign, exactly as RiskOracle hashes them (a differential test checks the
 * digests against the contract's own `updateDigest` / `batchDigest`).
 */
export interface ParameterUpdate {
  asset: string;
  ltv: number;
  liquidationThreshold: number;
  liquidationBonus: number;
  round: bigint;
  validUntil: bigint;
  modelId: string;
  inputsRoot: string;
}

const PARAMETER_UPDATE = [
  { name: 'asset', type: 'address' },
  { name: 'ltv', type: 'uint16' },
  { name: 'liquidationThreshold', type: 'uint16' },
  { name: 'liquidationBonus', type: 'uint16' },
  { name: 'round', type: 'uint64' },
  { name: 'validUntil', type: 'uint64' },
  { name: 'modelId', type: 'bytes32' },
  { name: 'inputsRoot', type: 'bytes32' },
];

export const UPDATE_TYPES = { ParameterUpdate: PARAMETER_UPDATE };
export const BATCH_TYPES = { ParameterBatch: [{ name: 'updates', type: 'ParameterUpdate[]' }], ParameterUpdate: PARAMETER_UPDATE };

/** RiskOracle's domain: bound to the chain and the contract, so a signature is good for one deployment only. */
export function riskOracleDomain(chainId: bigint | number, verifyingContract: string): TypedDataDomain {
  return { name: 'RiskOracle', version: '1', chainId, verifyingContract };
}

export function updateDigest(domain: TypedDataDomain, update: ParameterUpdate): string {
  return TypedDataEncoder.hash(domain, UPDATE_TYPES, update);
}

export function batchDigest(domain: TypedDataDomain, updates: ParameterUpdate[]): string {
  return TypedDataEncoder.hash(domain, BATCH_TYPES, { updates });
}

export interface SignatureStruct {
  v: number;
  r: string;
  s: string;
}

/** A signer's signature of a digest's typed data, split into (v, r, s) with its signer address. */
export async function signUpdate(
  signer: Signer,
  domain: TypedDataDomain,
  update: ParameterUpdate,
): Promise<{ signer: string; signature: SignatureStruct }> {
  const sig = Signature.from(await signer.signTypedData(domain, UPDATE_TYPES, update));
  return { signer: await signer.getAddress(), signature: { v: sig.v, r: sig.r, s: sig.s } };
}

export async function signBatch(
  signer: Signer,
  domain: TypedDataDomain,
  updates: ParameterUpdate[],
): Promise<{ signer: string; signature: SignatureStruct }> {
  const sig = Signature.from(await signer.signTypedData(domain, BATCH_TYPES, { updates }));
  return { signer: await signer.getAddress(), signature: { v: sig.v, r: sig.r, s: sig.s } };
}

/** Signatures in the order the contract requires: by signer address, ascending. */
export function sortBySigner<T extends { signer: string }>(signed: T[]): T[] {
  return [...signed].sort((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : BigInt(a.signer) > BigInt(b.signer) ? 1 : 0));
}

/** A credit epoch as the signers sign it (CreditScoreRegistry's EIP-712 `CreditEpoch`). */
export interface CreditEpoch {
  epoch: bigint;
  root: string;
  modelId: string;
  walletCount: bigint;
}

export const EPOCH_TYPES = {
  CreditEpoch: [
    { name: 'epoch', type: 'uint64' },
    { name: 'root', type: 'bytes32' },
    { name: 'modelId', type: 'bytes32' },
    { name: 'walletCount', type: 'uint64' },
  ],
};

export function creditRegistryDomain(chainId: bigint | number, verifyingContract: string): TypedDataDomain {
  return { name: 'CreditScoreRegistry', version: '1', chainId, verifyingContract };
}

export const epochDigest = (domain: TypedDataDomain, epoch: CreditEpoch): string => TypedDataEncoder.hash(domain, EPOCH_TYPES, epoch);

export async function signEpoch(
  signer: Signer,
  domain: TypedDataDomain,
  epoch: CreditEpoch,
): Promise<{ signer: string; signature: SignatureStruct }> {
  const sig = Signature.from(await signer.signTypedData(domain, EPOCH_TYPES, epoch));
  return { signer: await signer.getAddress(), signature: { v: sig.v, r: sig.r, s: sig.s } };
}
