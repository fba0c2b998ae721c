import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { concat, getAddress, keccak256 } from 'ethers';

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

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

/** keccak256(keccak256(abi.encode(wallet, score, pd, featuresHash))): StandardMerkleTree's leaf hash, the registry's `leafHash`. */
function leafHash(leaf: ScoreLeaf): string {
  if (!ADDRESS.test(leaf.wallet)) throw new Error(`not an address: ${leaf.wallet}`);
  if (!Number.isSafeInteger(leaf.score) || leaf.score < 0) throw new Error(`score of ${leaf.wallet} is not a uint256: ${leaf.score}`);
  if (leaf.pd < 0n) throw new Error(`PD of ${leaf.wallet} is negative: ${leaf.pd}`);
  if (!BYTES32.test(leaf.featuresHash)) throw new Error(`features hash of ${leaf.wallet} is not 32 bytes: ${leaf.featuresHash}`);
  // four static words: the address left-padded, the two uint256, the bytes32
  const encoded = `0x${'0'.repeat(24)}${leaf.wallet.slice(2)}${leaf.score.toString(16).padStart(64, '0')}${leaf.pd.toString(16).padStart(64, '0')}${leaf.featuresHash.slice(2)}`;
  return keccak256(keccak256(encoded)).toLowerCase();
}

/** StandardMerkleTree's node hash: keccak256 of the two children in ascending order. */
const nodeHash = (a: string, b: string): string => keccak256(a < b ? concat([a, b]) : concat([b, a]));

/**
 * Builds an epoch's Merkle tree exactly as OpenZeppelin's `StandardMerkleTree.of(values, SCORE_LEAF_TYPES)` does
 * (double-hashed leaves sorted by hash, sorted pairs, the same array layout, root, proofs and dump; the tests
 * compare the two), so the contract checks proofs with `MerkleProof.verify`. Hashed here with fixed-width encoding
 * rather than the library's generic ABI encoder, which spends about a millisecond per leaf: an epoch of 10,000
 * wallets is built several times per cycle (proposer, each signer, publisher). A wallet may appear once.
 */
export function buildScoreTree(leaves: readonly ScoreLeaf[]): ScoreTree {
  if (leaves.length === 0) throw new Error('a credit epoch needs at least one scored wallet');
  const index = new Map<string, number>();
  leaves.forEach((leaf, i) => {
    const key = leaf.wallet.toLowerCase();
    if (index.has(key)) throw new Error(`wallet ${leaf.wallet} appears twice in the epoch`);
    index.set(key, i);
  });
  const hashed = leaves.map((leaf, i) => ({ i, hash: leafHash(leaf) })).sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
  // StandardMerkleTree's layout: leaves from the end of the array, in ascending hash order; node k has children 2k+1, 2k+2
  const tree = new Array<string>(2 * leaves.length - 1);
  const treeIndex = new Array<number>(leaves.length);
  hashed.forEach((h, k) => {
    tree[tree.length - 1 - k] = h.hash;
    treeIndex[h.i] = tree.length - 1 - k;
  });
  for (let k = tree.length - 1 - leaves.length; k >= 0; k--) tree[k] = nodeHash(tree[2 * k + 1]!, tree[2 * k + 2]!);
  return {
    root: tree[0]!,
    size: leaves.length,
    proof(wallet) {
      const i = index.get(wallet.toLowerCase());
      if (i === undefined) return undefined;
      const proof: string[] = [];
      // each sibling up to the root: odd nodes are left children
      for (let k = treeIndex[i]!; k > 0; k = Math.floor((k - 1) / 2)) proof.push(tree[k % 2 === 1 ? k + 1 : k - 1]!);
      return { leaf: leaves[i]!, proof };
    },
    dump: () => ({
      format: 'standard-v1',
      leafEncoding: [...SCORE_LEAF_TYPES],
      tree: [...tree],
      values: leaves.map((leaf, i) => ({ value: toTuple(leaf), treeIndex: treeIndex[i]! })),
    }),
  };
}

/** Checks a proof off-chain exactly as the contract does. */
export function verifyScoreProof(root: string, leaf: ScoreLeaf, proof: string[]): boolean {
  return StandardMerkleTree.verify(root, [...SCORE_LEAF_TYPES], toTuple(leaf), proof);
}
