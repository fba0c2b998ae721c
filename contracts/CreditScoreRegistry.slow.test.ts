import { getBytes, hexlify, keccak256, parseEther, Wallet } from 'ethers';
import type { AnvilInstance } from '../core';
import { createRandom } from '../core/random';
import { verifyScoreProof } from '../oracle/epoch';
import type { CreditScoreRegistry } from './build/types';
import { epochSignedBy, revertOf } from './testing';
import { startCreditChain, type CreditChain } from './testing-credit';
import { buildFastScoreTree, leafAt, randomLeaves, type FastScoreTree, type PackedLeaves } from './testing-tree';
import { creditRegistryDomain, type CreditEpoch } from './typed-data';

const SIZE = 2 ** 20;
const BOND = parseEther('1');

/**
 * A real credit epoch of 2^20 random wallets: the tree is built from every leaf (the fast builder of
 * testing-tree.ts, checked against OpenZeppelin's on smaller trees), its root published, and random leaves proved.
 */
describe('CreditScoreRegistry: an epoch of 2^20 wallets', () => {
  let chain: CreditChain;
  let anvil: AnvilInstance;
  let registry: CreditScoreRegistry;
  let leaves: PackedLeaves;
  let tree: FastScoreTree;
  const signers = Array.from({ length: 5 }, () => Wallet.createRandom());
  const modelId = keccak256('0x0c');
  const epoch: CreditEpoch = { epoch: 1n, root: '', modelId, walletCount: BigInt(SIZE) };
  // eight leaves spread over the tree, drawn from a fixed seed
  const random = createRandom(20);
  const picks = Array.from({ length: 8 }, () => Math.floor(random() * SIZE));

  beforeAll(async () => {
    const started = Date.now();
    leaves = randomLeaves(SIZE, 2_024);
    tree = buildFastScoreTree(leaves);
    epoch.root = tree.root;
    process.stderr.write(`built a tree of ${SIZE} leaves in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

    chain = await startCreditChain({
      signers: signers.map((s) => s.address),
      threshold: 3,
      bondWei: BOND,
      model: { id: modelId, weightsHash: keccak256('0x01') },
    });
    ({ anvil, registry } = chain);
    const domain = creditRegistryDomain(anvil.chainId, await registry.getAddress());
    const sigs = await epochSignedBy(signers.slice(0, 3), domain, epoch);
    await (await registry.publishEpoch(epoch.epoch, epoch.root, modelId, epoch.walletCount, sigs, { value: BOND })).wait();
  }, 300_000);
  afterAll(async () => {
    await chain?.stop();
  });

  it('random leaves prove with their 20-level proofs (as OpenZeppelin verifies them), within the 70k gas goal', async () => {
    expect((await registry.epochOf(1)).stored.root).toBe(tree.root);
    for (const [n, i] of picks.entries()) {
      const l = leafAt(leaves, i);
      const proof = tree.proof(i);
      expect(proof).toHaveLength(20);
      expect(verifyScoreProof(tree.root, l, proof)).toBe(true);
      expect(await registry.verifyScore(1, l.wallet, l.score, l.pd, l.featuresHash, proof)).toBe(true);
      if (n % 2 === 1) continue;
      // half of them stored: scoreOf answers for those wallets
      const receipt = await (await registry.prove(1, l.wallet, l.score, l.pd, l.featuresHash, proof)).wait();
      expect(Number(receipt!.gasUsed)).toBeLessThanOrEqual(70_000);
      const s = await registry.scoreOf(l.wallet);
      expect([s.score, s.pd, s.epoch, s.modelId, s.valid]).toEqual([BigInt(l.score), l.pd, 1n, modelId, true]);
    }
  });

  it('a flipped sibling, another leaf’s proof, a shortened proof or another score, PD, wallet or features hash are refused', async () => {
    for (const [n, i] of picks.entries()) {
      const l = leafAt(leaves, i);
      const proof = tree.proof(i);
      const prove = (p: string[], leaf = l) =>
        revertOf(registry.prove.staticCall(1, leaf.wallet, leaf.score, leaf.pd, leaf.featuresHash, p));
      const refused = (wallet: string) => `CreditScoreRegistryInvalidProof(1,${wallet})`;
      expect(await prove(proof)).toBe('ok');
      const flipped = [...proof];
      const bytes = getBytes(proof[n * 2]!);
      bytes[n * 4]! ^= 1 << (n % 8);
      flipped[n * 2] = hexlify(bytes);
      expect(await prove(flipped)).toBe(refused(l.wallet));
      expect(await prove(tree.proof(picks[(n + 1) % picks.length]!))).toBe(refused(l.wallet));
      expect(await prove(tree.proof(i ^ 1))).toBe(refused(l.wallet));
      expect(await prove(proof.slice(0, 19))).toBe(refused(l.wallet));
      expect(await prove(proof, { ...l, score: l.score + 1 })).toBe(refused(l.wallet));
      expect(await prove(proof, { ...l, pd: l.pd ^ 1n })).toBe(refused(l.wallet));
      expect(await prove(proof, { ...l, featuresHash: keccak256(l.featuresHash) })).toBe(refused(l.wallet));
      const other = Wallet.createRandom().address;
      expect(await prove(proof, { ...l, wallet: other })).toBe(refused(other));
      expect(await registry.verifyScore(1, l.wallet, l.score + 1, l.pd, l.featuresHash, proof)).toBe(false);
    }
  });
});
