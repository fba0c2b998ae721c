import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { getAddress } from 'ethers';

/** The leaf of a credit epoch (docs/canonical-model.md): what `CreditScoreRegistry.prove` checks. */
export interface ScoreLeaf {
  wallet: string;
  score: number;
  /** WAD (1e18 = 100 %). */
  pd: bigint;
  featuresHash: string;
}

export const SCORE_LEAF_TYPES = ['address', 'uint256', 'uint256', 'bytes32'] as const;

type LeafTuple = [string, string, string, string];

const toTuple = (leaf: ScoreLeaf): LeafTuple => [getAddress(leaf.wallet), String(leaf.score), leaf.pd.toString(), leaf.featuresHash];

export interface ScoreTree {
  root: string;
  size: number;
  /** Proof for a wallet's leaf, or undefined if the wallet is not in the epoch. */
  proof(wallet: string): { leaf: ScoreLeaf; proof: string[] } | undefined;
  /** The tree's JSON dump (OpenZeppelin's format), enough to rebuild every proof. */
  dump(): unknown;
}

/**
 * Builds an epoch's Merkle tree with OpenZeppelin's StandardMerkleTree (double-hashed, sorted pairs), so the
 * contract checks proofs with `MerkleProof.verify`. A wallet may appear once.
 */
export function buildScoreTree(leaves: readonly ScoreLeaf[]): ScoreTree {
  if (leaves.length === 0) throw new Error('a credit epoch needs at least one scored wallet');
  const index = new Map<string, number>();
  leaves.forEach((leaf, i) => {
    const key = leaf.wallet.toLowerCase();
    if (index.has(key)) throw new Error(`wallet ${leaf.wallet} appears twice in the epoch`);
    index.set(key, i);
  });
  const tree = StandardMerkleTree.of(leaves.map(toTuple), [...SCORE_LEAF_TYPES]);
  return {
    root: tree.root,
    size: leaves.length,
    proof(wallet) {
      const i = index.get(wallet.toLowerCase());
      if (i === undefined) return undefined;
      return { leaf: leaves[i]!, proof: tree.getProof(i) };
    },
    dump: () => tree.dump(),
  };
}

/** Checks a proof off-chain exactly as the contract does. */
export function verifyScoreProof(root: string, leaf: ScoreLeaf, proof: string[]): boolean {
  return StandardMerkleTree.verify(root, [...SCORE_LEAF_TYPES], toTuple(leaf), proof);
}
