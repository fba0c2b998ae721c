import { getBytes, hexlify, keccak256 } from 'ethers';
import fc from 'fast-check';
import { buildScoreTree, verifyScoreProof } from '../oracle/epoch';
import { buildFastScoreTree, keccak256Into, leafAt, packLeaves, randomLeaves } from './testing-tree';

describe('testing-tree: the fast tree builder the 2^20-leaf tests use', () => {
  it('property: keccak256Into hashes every one-block input as ethers does, and refuses longer ones', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 135 }), fc.nat(8), (data, offset) => {
        const input = new Uint8Array(offset + data.length);
        input.set(data, offset);
        const out = new Uint8Array(40);
        keccak256Into(input, offset, data.length, out, 3);
        expect(hexlify(out.subarray(3, 35))).toBe(keccak256(data));
      }),
      { numRuns: 500 },
    );
    expect(() => keccak256Into(new Uint8Array(136), 0, 136, new Uint8Array(32), 0)).toThrow(/one block/);
  });

  /** The fast tree and buildScoreTree (OpenZeppelin's StandardMerkleTree) agree on the root and on each proof. */
  function expectSameTree(size: number, seed: number, picks: number[]): void {
    const leaves = randomLeaves(size, seed);
    const objects = Array.from({ length: size }, (_, i) => leafAt(leaves, i));
    expect(packLeaves(objects).encoded).toEqual(leaves.encoded);
    const fast = buildFastScoreTree(leaves);
    const reference = buildScoreTree(objects);
    expect(fast.root).toBe(reference.root);
    // every leaf of small trees, the first, the last and random ones of larger
    const indices = size <= 64 ? objects.map((_, i) => i) : [0, size - 1, ...picks.map((p) => p % size)];
    for (const i of indices) {
      const proof = fast.proof(i);
      expect(proof).toEqual(reference.proof(objects[i]!.wallet)!.proof);
      expect(verifyScoreProof(fast.root, objects[i]!, proof)).toBe(true);
    }
  }

  // OpenZeppelin's builder spends ~0.5 ms a leaf: the property stays small, one larger odd-sized tree follows
  it('property: random trees of 1 to 300 leaves have the root and proofs of buildScoreTree (OpenZeppelin)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 300 }), fc.integer(), fc.array(fc.nat(), { maxLength: 16 }), expectSameTree), {
      numRuns: 25,
    });
  });

  it('so does a tree of 2,049 leaves (one past a power of two: the deepest leaves sit one level below the rest)', () => {
    expectSameTree(2_049, 2_049, [1, 2, 3, 1_024, 1_025, 2_046, 2_047]);
  });

  it('leaves are valid registry leaves: checksummed wallets, scores 300..850, PDs below 1e18', () => {
    const leaves = randomLeaves(2_000, 7);
    const decoded = Array.from({ length: leaves.count }, (_, i) => leafAt(leaves, i));
    expect(new Set(decoded.map((l) => l.wallet)).size).toBe(2_000);
    for (const l of decoded) {
      expect(l.score).toBeGreaterThanOrEqual(300);
      expect(l.score).toBeLessThanOrEqual(850);
      expect(l.pd).toBeLessThan(10n ** 18n);
      expect(getBytes(l.featuresHash)).toHaveLength(32);
    }
    // a single leaf is its own root: keccak256(keccak256(abi.encode(...)))
    const one = randomLeaves(1, 3);
    expect(buildFastScoreTree(one).root).toBe(keccak256(keccak256(one.encoded)));
    expect(buildFastScoreTree(one).proof(0)).toEqual([]);
    expect(() => buildFastScoreTree(one).proof(1)).toThrow(/no leaf 1/);
    expect(() => buildFastScoreTree({ count: 0, encoded: new Uint8Array(0) })).toThrow(/at least one leaf/);
  });
});
