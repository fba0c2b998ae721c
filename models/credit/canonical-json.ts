import { keccak256, toUtf8Bytes } from 'ethers';

/**
 * Canonical JSON: object keys sorted at every level, no whitespace, numbers as JavaScript prints them (the
 * shortest exact round-trip). The same value always gives the same bytes, so their keccak256 is a stable id.
 * Non-finite numbers are refused rather than silently written as null.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value, '$'));
}

function sortKeys(value: unknown, path: string): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`${path} is ${value}: not representable in canonical JSON`);
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map((v, i) => sortKeys(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort()
        .map((k) => [k, sortKeys(obj[k], `${path}.${k}`)]),
    );
  }
  return value;
}

export const canonicalHash = (value: unknown): string => keccak256(toUtf8Bytes(canonicalJson(value)));

/**
 * A keccak256 Merkle root over leaf hashes: pairs hashed in sorted order (as OpenZeppelin's MerkleProof
 * expects), an odd node carried up unchanged. The root of no leaves is keccak256 of nothing.
 */
export function merkleRoot(leaves: readonly string[]): string {
  if (leaves.length === 0) return keccak256(new Uint8Array(0));
  let level: Buffer[] = leaves.map((h) => Buffer.from(h.slice(2), 'hex'));
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const a = level[i]!;
      const b = level[i + 1];
      if (!b) next.push(a);
      else next.push(Buffer.from(keccak256(Buffer.compare(a, b) <= 0 ? Buffer.concat([a, b]) : Buffer.concat([b, a])).slice(2), 'hex'));
    }
    level = next;
  }
  return `0x${level[0]!.toString('hex')}`;
}
