import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import {
  BaseWallet,
  concat,
  getBytes,
  hexlify,
  Interface,
  JsonRpcProvider,
  keccak256,
  parseEther,
  randomBytes,
  recoverAddress,
  toBeHex,
  Wallet,
  type JsonRpcSigner,
} from 'ethers';
import fc from 'fast-check';
import type { AnvilInstance } from '../core';
import { createRandom } from '../core/random';
import { encodeFeatures, encodeWeights, inferQuantized, ONE, weightsHash } from '../models/quantize/model';
import type { CreditScoreRegistry, RiskOracle } from './build/types';
import { artifact } from './compile';
import { epochSignedBy, revertOf } from './testing';
import { randomCreditModel, startCreditChain, type CreditChain } from './testing-credit';
import { buildFastScoreTree, leafAt, randomLeaves } from './testing-tree';
import { creditRegistryDomain, epochDigest, signEpoch, sortBySigner, type CreditEpoch, type SignatureStruct } from './typed-data';

const TYPES = ['address', 'uint256', 'uint256', 'bytes32'];
let ERRORS: Interface;
const WINDOW = 3_600;
const BOND = parseEther('1');
/** secp256k1's group order: (r, n - s) with the other v is the malleable twin of (r, s). */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The custom error a call reverted with (decoded from the revert data when ethers did not), or 'ok'. */
async function revertName(call: Promise<unknown>, errors: Interface = ERRORS): Promise<string> {
  return call.then(
    () => 'ok',
    (e: { revert?: { name?: string }; data?: string; shortMessage?: string }) =>
      e.revert?.name ?? (e.data ? errors.parseError(e.data)?.name : undefined) ?? `unknown: ${e.shortMessage}`,
  );
}

interface Wallet_ {
  wallet: string;
  features: number[];
  score: number;
  pd: bigint;
}

describe('CreditScoreRegistry', () => {
  let chain: CreditChain;
  let anvil: AnvilInstance;
  let provider: JsonRpcProvider;
  let dao: JsonRpcSigner;
  let oracle: RiskOracle;
  let registry: CreditScoreRegistry;
  const signers = Array.from({ length: 5 }, () => Wallet.createRandom());
  const m = randomCreditModel({ inputs: 8, hidden: 8, seed: 5, outputBias: -2 * ONE });
  const weights = hexlify(encodeWeights(m));
  const modelId = keccak256(concat([weights, '0x01']));
  const random = createRandom(9);
  const wallets: Wallet_[] = Array.from({ length: 64 }, () => {
    const features = Array.from({ length: 8 }, () => Math.round((random() - 0.5) * 6 * ONE));
    const r = inferQuantized(m, features);
    return { wallet: Wallet.createRandom().address, features, score: r.score, pd: r.pd };
  });
  const leaf = (w: Wallet_, score = w.score) => [w.wallet, score, w.pd, keccak256(encodeFeatures(w.features))];

  async function publish(epoch: bigint, tree: { root: string }, count: number, value = BOND) {
    const e: CreditEpoch = { epoch, root: tree.root, modelId, walletCount: BigInt(count) };
    const domain = creditRegistryDomain(anvil.chainId, await registry.getAddress());
    const sigs = sortBySigner(await Promise.all(signers.slice(0, 3).map((s) => signEpoch(s, domain, e)))).map((s) => s.signature);
    return registry.publishEpoch(e.epoch, e.root, e.modelId, e.walletCount, sigs, { value });
  }

  beforeAll(async () => {
    chain = await startCreditChain({
      signers: signers.map((s) => s.address),
      threshold: 3,
      bondWei: BOND,
      challengeWindowSeconds: WINDOW,
      model: { id: modelId, weightsHash: weightsHash(m), metricsUri: 'ipfs://metrics' },
    });
    ({ anvil, provider, dao, oracle, registry } = chain);
    ERRORS = new Interface((await artifact('CreditScoreRegistry')).abi as never[]);
  });
  afterAll(async () => {
    await chain?.stop();
  });

  it('publishes an honest epoch; wallets prove their leaves; scoreOf answers and becomes final after the window', async () => {
    const tree = StandardMerkleTree.of(
      wallets.map((w) => leaf(w)),
      TYPES,
    );
    expect(await revertName(publish(1n, tree, wallets.length, BOND - 1n))).toBe('CreditScoreRegistryBondTooLow');
    const receipt = await (await publish(1n, tree, wallets.length)).wait();
    // the first epoch also records its publisher and model (once each); routine epochs ~114k (contracts/GAS.md)
    expect(Number(receipt!.gasUsed)).toBeLessThan(185_000);
    expect(await revertName(publish(1n, tree, wallets.length))).toBe('CreditScoreRegistryStaleEpoch');

    const w = wallets[3]!;
    const proof = tree.getProof(3);
    const featuresHash = keccak256(encodeFeatures(w.features));
    expect(await registry.verifyScore(1, w.wallet, w.score, w.pd, featuresHash, proof)).toBe(true);
    expect(await registry.verifyScore(1, w.wallet, w.score + 1, w.pd, featuresHash, proof)).toBe(false);
    expect(await revertName(registry.prove(1, w.wallet, w.score + 1, w.pd, featuresHash, proof))).toBe('CreditScoreRegistryInvalidProof');
    await (await registry.prove(1, w.wallet, w.score, w.pd, featuresHash, proof)).wait();
    const before = await registry.scoreOf(w.wallet);
    expect([before.score, before.pd, before.epoch, before.modelId, before.isFinal, before.valid]).toEqual([
      BigInt(w.score),
      w.pd,
      1n,
      modelId,
      false,
      true,
    ]);

    // the honest leaf cannot be challenged
    const claim = { epoch: 1, wallet: w.wallet, score: w.score, pd: w.pd };
    expect(await revertName(registry.challenge(claim, hexlify(encodeFeatures(w.features)), weights, proof))).toBe(
      'CreditScoreRegistryChallengeFailed',
    );
    // nor with other weights than the registered ones
    const other = { ...m, offsetQ: m.offsetQ + ONE };
    expect(await revertName(registry.challenge(claim, hexlify(encodeFeatures(w.features)), hexlify(encodeWeights(other)), proof))).toBe(
      'CreditScoreRegistryWrongWeights',
    );

    await provider.send('evm_increaseTime', [WINDOW]);
    await provider.send('evm_mine', []);
    expect((await registry.scoreOf(w.wallet)).isFinal).toBe(true);
    expect(await revertName(registry.challenge(claim, hexlify(encodeFeatures(w.features)), weights, proof))).toBe(
      'CreditScoreRegistryWindowClosed',
    );
    const balance = await provider.getBalance(await dao.getAddress());
    await (await registry.withdrawBond(1)).wait();
    expect(await provider.getBalance(await dao.getAddress())).toBeGreaterThan(balance);
  });

  it('a wrong score is challenged: the contract recomputes it, invalidates the epoch and pays the bond to the challenger', async () => {
    const wrong = 10;
    const leaves = wallets.map((w, i) => leaf(w, i === wrong ? Math.min(850, wallets[i]!.score + 40) : w.score));
    const tree = StandardMerkleTree.of(leaves, TYPES);
    await (await publish(2n, tree, wallets.length)).wait();
    // an honest wallet proves its leaf of the (wrong) epoch 2 before anyone challenges it
    const early = wallets[20]!;
    await (
      await registry.prove(2, early.wallet, early.score, early.pd, keccak256(encodeFeatures(early.features)), tree.getProof(20))
    ).wait();
    expect((await registry.scoreOf(early.wallet)).valid).toBe(true);
    const w = wallets[wrong]!;
    const challenger = await provider.getSigner(4);
    const claim = { epoch: 2, wallet: w.wallet, score: leaves[wrong]![1] as number, pd: w.pd };
    const before = await provider.getBalance(await challenger.getAddress());
    const receipt = await (
      await registry.connect(challenger).challenge(claim, hexlify(encodeFeatures(w.features)), weights, tree.getProof(wrong))
    ).wait();
    expect(Number(receipt!.gasUsed)).toBeLessThan(1_500_000);
    const after = await provider.getBalance(await challenger.getAddress());
    expect(after - before + receipt!.gasUsed * receipt!.gasPrice).toBe(BOND);
    expect((await registry.epochOf(2)).stored.invalidated).toBe(true);
    // scores proved from epoch 2 turn invalid; those of the model's other epochs stay valid, all keep their model id
    const [fromEpoch2, fromEpoch1] = [await registry.scoreOf(early.wallet), await registry.scoreOf(wallets[3]!.wallet)];
    expect([fromEpoch2.epoch, fromEpoch2.valid, fromEpoch2.isFinal, fromEpoch2.modelId]).toEqual([2n, false, false, modelId]);
    expect([fromEpoch1.epoch, fromEpoch1.valid, fromEpoch1.isFinal, fromEpoch1.modelId]).toEqual([1n, true, true, modelId]);
    expect([(await registry.epochOf(1)).modelId, (await registry.epochOf(2)).modelId]).toEqual([modelId, modelId]);
    // an invalidated epoch proves nothing more
    const ok = wallets[0]!;
    expect(await revertName(registry.prove(2, ok.wallet, ok.score, ok.pd, keccak256(encodeFeatures(ok.features)), tree.getProof(0)))).toBe(
      'CreditScoreRegistryEpochInvalidated',
    );

    // a later wrong epoch of the same model is challenged just the same (its weights are still found)
    const again = StandardMerkleTree.of(
      wallets.map((v, i) => leaf(v, i === 7 ? (v.score > 325 ? v.score - 25 : v.score + 25) : v.score)),
      TYPES,
    );
    await (await publish(3n, again, wallets.length)).wait();
    const claim3 = { epoch: 3, wallet: wallets[7]!.wallet, score: again.at(7)![1] as number, pd: wallets[7]!.pd };
    await (await registry.challenge(claim3, hexlify(encodeFeatures(wallets[7]!.features)), weights, again.getProof(7))).wait();
    expect((await registry.epochOf(3)).stored.invalidated).toBe(true);
    expect((await registry.scoreOf(wallets[3]!.wallet)).valid).toBe(true);
  });

  it('proves a 20-level proof (a path of a 2^20-leaf tree: the whole tree is in the slow test) and rejects signatures it should', async () => {
    // a valid 20-level proof: the leaf hashed up through 20 random siblings (OpenZeppelin's sorted-pair hashing)
    const w = wallets[0]!;
    const featuresHash = keccak256(encodeFeatures(w.features));
    let node = await registry.leafHash(w.wallet, w.score, w.pd, featuresHash);
    const proof = Array.from({ length: 20 }, () => hexlify(randomBytes(32)));
    for (const sibling of proof)
      node = BigInt(node) < BigInt(sibling) ? keccak256(concat([node, sibling])) : keccak256(concat([sibling, node]));
    const e: CreditEpoch = { epoch: 4n, root: node, modelId, walletCount: 1n << 20n };
    const domain = creditRegistryDomain(anvil.chainId, await registry.getAddress());
    const sign = async (who: BaseWallet[]) =>
      sortBySigner(await Promise.all(who.map((s) => signEpoch(s, domain, e)))).map((s) => s.signature);
    expect(await revertName(registry.publishEpoch(4, node, modelId, e.walletCount, await sign(signers.slice(0, 2)), { value: BOND }))).toBe(
      'CreditScoreRegistryThresholdNotMet',
    );
    expect(
      await revertName(
        registry.publishEpoch(4, node, modelId, e.walletCount, await sign([...signers.slice(0, 2), Wallet.createRandom()]), {
          value: BOND,
        }),
      ),
    ).toMatch(/CreditScoreRegistry(SignerNotAuthorized|SignersNotSorted)/);
    await (await registry.publishEpoch(4, node, modelId, e.walletCount, await sign(signers.slice(2, 5)), { value: BOND })).wait();
    const receipt = await (await registry.prove(4, w.wallet, w.score, w.pd, featuresHash, proof)).wait();
    expect(Number(receipt!.gasUsed)).toBeLessThan(100_000);
    // the model has invalidated epochs (2 and 3): scoreOf looks at this one's flag, and it is valid
    const proved = await registry.scoreOf(w.wallet);
    expect([proved.epoch, proved.score, proved.pd, proved.modelId, proved.valid]).toEqual([4n, BigInt(w.score), w.pd, modelId, true]);
  });

  it('property: the contract hashes a leaf as the fast test builder does (so as StandardMerkleTree does; differential)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), async (seed) => {
        const one = randomLeaves(1, seed);
        const l = leafAt(one, 0);
        // a one-leaf tree's root is its leaf hash
        expect(await registry.leafHash(l.wallet, l.score, l.pd, l.featuresHash)).toBe(buildFastScoreTree(one).root);
      }),
      { numRuns: 100 },
    );
  });

  it('property: any leaf of a random tree of 1 to 3,000 leaves proves; a flipped sibling, another leaf’s proof or another value is refused', async () => {
    const domain = creditRegistryDomain(anvil.chainId, await registry.getAddress());
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3_000 }),
        fc.integer(),
        fc.nat(),
        fc.nat(),
        fc.nat(255),
        fc.constantFrom('wallet', 'score', 'pd', 'featuresHash'),
        async (size, seed, pick, other, bit, field) => {
          const leaves = randomLeaves(size, seed);
          const tree = buildFastScoreTree(leaves);
          const e: CreditEpoch = { epoch: (await registry.latestEpoch()) + 1n, root: tree.root, modelId, walletCount: BigInt(size) };
          await (
            await registry.publishEpoch(e.epoch, e.root, e.modelId, e.walletCount, await epochSignedBy(signers.slice(1, 4), domain, e), {
              value: BOND,
            })
          ).wait();
          const i = pick % size;
          const l = leafAt(leaves, i);
          const proof = tree.proof(i);
          expect(proof.length).toBeGreaterThanOrEqual(Math.floor(Math.log2(size)));
          expect(proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(size)));
          const check = (p: string[], leaf = l) =>
            Promise.all([
              registry.verifyScore(e.epoch, leaf.wallet, leaf.score, leaf.pd, leaf.featuresHash, p),
              revertOf(registry.prove.staticCall(e.epoch, leaf.wallet, leaf.score, leaf.pd, leaf.featuresHash, p)),
            ]);
          const refused = (wallet: string) => [false, `CreditScoreRegistryInvalidProof(${e.epoch},${wallet})`];
          expect(await check(proof)).toEqual([true, 'ok']);
          if (size > 1) {
            const flipped = [...proof];
            const k = bit % proof.length;
            const bytes = getBytes(proof[k]!);
            bytes[bit >> 3]! ^= 1 << (bit & 7);
            flipped[k] = hexlify(bytes);
            expect(await check(flipped)).toEqual(refused(l.wallet));
            expect(await check(tree.proof((i + 1 + (other % (size - 1))) % size))).toEqual(refused(l.wallet));
          }
          const changed = {
            wallet: { ...l, wallet: Wallet.createRandom().address },
            score: { ...l, score: l.score + 1 },
            pd: { ...l, pd: l.pd + 1n },
            featuresHash: { ...l, featuresHash: keccak256(l.featuresHash) },
          }[field];
          expect(await check(proof, changed)).toEqual(refused(changed.wallet));
        },
      ),
      { numRuns: 40 },
    );
  });

  describe('property: signer sets (1,000 random sets, each checked with eth_call)', () => {
    type Foreign = 'otherChain' | 'otherContract' | 'otherMessage';
    /** A signature with the address the registry recovers from it (for a foreign one: some unrelated address). */
    interface Signed {
      signature: SignatureStruct;
      signer: string;
    }
    interface SignedEpoch {
      epoch: CreditEpoch;
      /** By signer index, the outsider last. */
      genuine: Signed[];
      /** By signer index: their signature over another domain or another epoch, as the registry reads it. */
      foreign: Record<Foreign, Signed[]>;
    }
    const outsider = Wallet.createRandom();
    const sign = (w: BaseWallet, digest: string): SignatureStruct => {
      const { v, r, s } = w.signingKey.sign(digest);
      return { v, r, s };
    };
    const bySigner = (a: Signed, b: Signed) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1);

    /** 24 random epochs, every signature the cases draw from made once (signing dominates otherwise). */
    async function signedEpochs(): Promise<SignedEpoch[]> {
      const domain = creditRegistryDomain(anvil.chainId, await registry.getAddress());
      const random = createRandom(17);
      const u64 = () => BigInt(Math.floor(random() * 2 ** 32)) * 2n ** 31n + BigInt(Math.floor(random() * 2 ** 31));
      return Promise.all(
        Array.from({ length: 24 }, async () => {
          // far above the epochs the other tests publish
          const epoch: CreditEpoch = { epoch: 2n ** 62n + u64(), root: hexlify(randomBytes(32)), modelId, walletCount: u64() };
          const digest = epochDigest(domain, epoch);
          expect(await registry.epochDigest(epoch.epoch, epoch.root, epoch.modelId, epoch.walletCount)).toBe(digest);
          const foreignDigests: Record<Foreign, string> = {
            otherChain: epochDigest({ ...domain, chainId: 1 }, epoch),
            otherContract: epochDigest({ ...domain, verifyingContract: await oracle.getAddress() }, epoch),
            otherMessage: epochDigest(domain, { ...epoch, walletCount: epoch.walletCount + 1n }),
          };
          const foreign = (kind: Foreign): Signed[] =>
            signers.map((w) => {
              const signature = sign(w, foreignDigests[kind]);
              return { signature, signer: recoverAddress(digest, signature) };
            });
          return {
            epoch,
            genuine: [...signers, outsider].map((w) => ({ signature: sign(w, digest), signer: w.address })),
            foreign: { otherChain: foreign('otherChain'), otherContract: foreign('otherContract'), otherMessage: foreign('otherMessage') },
          };
        }),
      );
    }

    const mutations = [
      'none',
      'outsider',
      'duplicate',
      'unsorted',
      'otherChain',
      'otherContract',
      'otherMessage',
      'highS',
      'badV',
    ] as const;

    it('valid sets land; a wrong signer, a duplicate, disorder, too few, another chain, contract or epoch, a malleable or malformed signature each revert with their own error', async () => {
      const pool = await signedEpochs();
      const seen = new Set<string>();
      await fc.assert(
        fc.asyncProperty(
          fc.nat(pool.length - 1),
          fc.subarray([0, 1, 2, 3, 4]),
          fc.constantFrom(...mutations),
          fc.nat(),
          async (m, who, mutation, at) => {
            const { epoch: e, genuine, foreign } = pool[m]!;
            const set: Signed[] = who.map((i) => genuine[i]!).sort(bySigner);
            let want = 'ok';
            const k = at % Math.max(1, set.length);
            if (mutation === 'outsider') {
              set.push(genuine[5]!);
              set.sort(bySigner);
              want = `CreditScoreRegistrySignerNotAuthorized(${outsider.address})`;
            } else if (mutation === 'duplicate' && set.length > 0) {
              set.splice(k, 0, set[k]!);
              want = `CreditScoreRegistrySignersNotSorted(${k + 1})`;
            } else if (mutation === 'unsorted' && set.length > 1) {
              const j = at % (set.length - 1);
              [set[j], set[j + 1]] = [set[j + 1]!, set[j]!];
              want = `CreditScoreRegistrySignersNotSorted(${j + 1})`;
            } else if ((mutation === 'otherChain' || mutation === 'otherContract' || mutation === 'otherMessage') && set.length > 0) {
              const replaced = foreign[mutation][signers.findIndex((w) => w.address === set[k]!.signer)]!;
              set[k] = replaced;
              set.sort(bySigner);
              want = `CreditScoreRegistrySignerNotAuthorized(${replaced.signer})`;
            } else if (mutation === 'highS' && set.length > 0) {
              // the twin (r, n - s, other v) recovers the same signer: only the EIP-2 rule refuses it
              const { v, r, s } = set[k]!.signature;
              set[k] = { ...set[k]!, signature: { v: v === 27 ? 28 : 27, r, s: toBeHex(SECP256K1_N - BigInt(s), 32) } };
              want = `CreditScoreRegistryInvalidSignature(${k})`;
            } else if (mutation === 'badV' && set.length > 0) {
              set[k] = { ...set[k]!, signature: { ...set[k]!.signature, v: 29 } };
              want = `CreditScoreRegistryInvalidSignature(${k})`;
            }
            if (set.length < 3) want = `CreditScoreRegistryThresholdNotMet(${set.length},3)`;
            seen.add(want.replace(/\(.*/, ''));
            const sigs = set.map((x) => x.signature);
            expect(await revertOf(registry.publishEpoch.staticCall(e.epoch, e.root, e.modelId, e.walletCount, sigs, { value: BOND }))).toBe(
              want,
            );
          },
        ),
        { numRuns: 1_000 },
      );
      // every outcome was drawn
      expect([...seen].sort()).toEqual(
        [
          'ok',
          'CreditScoreRegistryInvalidSignature',
          'CreditScoreRegistrySignerNotAuthorized',
          'CreditScoreRegistrySignersNotSorted',
          'CreditScoreRegistryThresholdNotMet',
        ].sort(),
      );
    });
  });
});
