import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { AbiCoder, keccak256, concat, getAddress, hexlify, Wallet, zeroPadValue, toBeHex } from 'ethers';
import fc from 'fast-check';
import { buildScoreTree, SCORE_LEAF_TYPES, verifyScoreProof, type ScoreLeaf } from './epoch';

const leafOf = (i: number): ScoreLeaf => ({
  wallet: zeroPadValue(toBeHex(i + 1), 20),
  score: 300 + (i % 551),
  pd: BigInt(i) * 10n ** 15n,
  featuresHash: keccak256(toBeHex(i, 32)),
});

describe('credit epoch Merkle tree', () => {
  it('every leaf proves against the root; a changed score, PD or features hash does not', () => {
    const leaves = Array.from({ length: 257 }, (_, i) => leafOf(i));
    const tree = buildScoreTree(leaves);
    for (const leaf of leaves) {
      const { proof } = tree.proof(leaf.wallet)!;
      expect(verifyScoreProof(tree.root, leaf, proof)).toBe(true);
      expect(verifyScoreProof(tree.root, { ...leaf, score: leaf.score + 1 }, proof)).toBe(false);
      expect(verifyScoreProof(tree.root, { ...leaf, pd: leaf.pd + 1n }, proof)).toBe(false);
    }
    expect(tree.proof(Wallet.createRandom().address)).toBeUndefined();
  });

  it('hashes a leaf as keccak256(keccak256(abi.encode(wallet, score, pd, featuresHash))), as the contract does', () => {
    const leaf = leafOf(7);
    const tree = buildScoreTree([leaf]);
    const inner = keccak256(
      AbiCoder.defaultAbiCoder().encode(
        ['address', 'uint256', 'uint256', 'bytes32'],
        [leaf.wallet, leaf.score, leaf.pd, leaf.featuresHash],
      ),
    );
    expect(tree.root).toBe(keccak256(concat([inner])));
  });

  it('refuses an empty epoch and a wallet listed twice', () => {
    expect(() => buildScoreTree([])).toThrow(/at least one scored wallet/);
    expect(() => buildScoreTree([leafOf(1), { ...leafOf(1), score: 500 }])).toThrow(/appears twice/);
  });

  it('property: the root depends on every leaf', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 64 }), fc.nat(), (n, pick) => {
        const leaves = Array.from({ length: n }, (_, i) => leafOf(i));
        const root = buildScoreTree(leaves).root;
        const changed = leaves.map((l, i) => (i === pick % n ? { ...l, score: l.score === 850 ? 300 : l.score + 1 } : l));
        expect(buildScoreTree(changed).root).not.toBe(root);
      }),
      { numRuns: 60 },
    );
  });
});

describe('credit epoch Merkle tree against OpenZeppelin StandardMerkleTree', () => {
  const tuple = (l: ScoreLeaf) => [getAddress(l.wallet), String(l.score), l.pd.toString(), l.featuresHash];
  it('property: the same root, proofs and dump as StandardMerkleTree.of for any leaves', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.record({
            wallet: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => hexlify(b)),
            score: fc.integer({ min: 0, max: 65_535 }),
            pd: fc.bigInt({ min: 0n, max: 10n ** 18n }),
            featuresHash: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hexlify(b)),
          }),
          { minLength: 1, maxLength: 40, selector: (l) => l.wallet },
        ),
        (leaves) => {
          const ours = buildScoreTree(leaves);
          const reference = StandardMerkleTree.of(leaves.map(tuple), [...SCORE_LEAF_TYPES]);
          expect(ours.root).toBe(reference.root);
          leaves.forEach((l, i) => expect(ours.proof(l.wallet)!.proof).toEqual(reference.getProof(i)));
          expect(ours.dump()).toEqual(reference.dump());
        },
      ),
      { numRuns: 100 },
    );
  });
});
