import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import {
  BaseWallet,
  concat,
  hexlify,
  Interface,
  JsonRpcProvider,
  keccak256,
  parseEther,
  randomBytes,
  Wallet,
  type JsonRpcSigner,
} from 'ethers';
import { startAnvil, type AnvilInstance } from '../core';
import { createRandom } from '../core/random';
import { encodeFeatures, encodeWeights, inferQuantized, ONE, scorecard, weightsHash, type QuantizedModel } from '../models/quantize/model';
import type { CreditScoreRegistry, ModelRegistry, RiskOracle } from './build/types';
import { artifact } from './compile';
import { deployCreditRegistry } from './deploy/credit';
import { deployRiskOracle } from './deploy/oracle';
import { creditRegistryDomain, signEpoch, sortBySigner, type CreditEpoch } from './typed-data';

const TYPES = ['address', 'uint256', 'uint256', 'bytes32'];
let ERRORS: Interface;
const WINDOW = 3_600;
const BOND = parseEther('1');

/** The custom error a call reverted with (decoded from the revert data when ethers did not), or 'ok'. */
async function revertName(call: Promise<unknown>, errors: Interface = ERRORS): Promise<string> {
  return call.then(
    () => 'ok',
    (e: { revert?: { name?: string }; data?: string; shortMessage?: string }) =>
      e.revert?.name ?? (e.data ? errors.parseError(e.data)?.name : undefined) ?? `unknown: ${e.shortMessage}`,
  );
}

/** A deterministic 8 × 8 × 1 credit model. */
function model(): QuantizedModel {
  const random = createRandom(5);
  const w = () => Math.round((random() - 0.5) * 2 * ONE);
  return {
    layers: [
      { weights: Array.from({ length: 8 }, () => Array.from({ length: 8 }, w)), biases: Array.from({ length: 8 }, w) },
      { weights: [Array.from({ length: 8 }, w)], biases: [-2 * ONE] },
    ],
    ...scorecard(),
  };
}

interface Wallet_ {
  wallet: string;
  features: number[];
  score: number;
  pd: bigint;
}

describe('CreditScoreRegistry', () => {
  let anvil: AnvilInstance;
  let provider: JsonRpcProvider;
  let dao: JsonRpcSigner;
  let oracle: RiskOracle;
  let models: ModelRegistry;
  let registry: CreditScoreRegistry;
  const signers = Array.from({ length: 5 }, () => Wallet.createRandom());
  const m = model();
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
    anvil = await startAnvil();
    ERRORS = new Interface((await artifact('CreditScoreRegistry')).abi as never[]);
    provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
    dao = await provider.getSigner(0);
    const owner = await dao.getAddress();
    ({ oracle } = await deployRiskOracle(dao, { owner, guardian: owner, signers: signers.map((s) => s.address), threshold: 3 }));
    ({ models, registry } = await deployCreditRegistry(dao, {
      owner,
      riskOracle: await oracle.getAddress(),
      bondWei: BOND,
      challengeWindowSeconds: WINDOW,
    }));
    await (await models.register(modelId, weightsHash(m), keccak256('0x02'), 0, 'ipfs://metrics')).wait();
  });
  afterAll(async () => {
    provider?.destroy();
    await anvil?.stop();
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
    // an invalidated epoch proves nothing more
    const ok = wallets[0]!;
    expect(await revertName(registry.prove(2, ok.wallet, ok.score, ok.pd, keccak256(encodeFeatures(ok.features)), tree.getProof(0)))).toBe(
      'CreditScoreRegistryEpochInvalidated',
    );
  });

  it('proves a leaf of a 2^20-leaf tree (a 20-level proof) and rejects signatures it should', async () => {
    // a valid 20-level proof: the leaf hashed up through 20 random siblings (OpenZeppelin's sorted-pair hashing)
    const w = wallets[0]!;
    const featuresHash = keccak256(encodeFeatures(w.features));
    let node = await registry.leafHash(w.wallet, w.score, w.pd, featuresHash);
    const proof = Array.from({ length: 20 }, () => hexlify(randomBytes(32)));
    for (const sibling of proof)
      node = BigInt(node) < BigInt(sibling) ? keccak256(concat([node, sibling])) : keccak256(concat([sibling, node]));
    const e: CreditEpoch = { epoch: 3n, root: node, modelId, walletCount: 1n << 20n };
    const domain = creditRegistryDomain(anvil.chainId, await registry.getAddress());
    const sign = async (who: BaseWallet[]) =>
      sortBySigner(await Promise.all(who.map((s) => signEpoch(s, domain, e)))).map((s) => s.signature);
    expect(await revertName(registry.publishEpoch(3, node, modelId, e.walletCount, await sign(signers.slice(0, 2)), { value: BOND }))).toBe(
      'CreditScoreRegistryThresholdNotMet',
    );
    expect(
      await revertName(
        registry.publishEpoch(3, node, modelId, e.walletCount, await sign([...signers.slice(0, 2), Wallet.createRandom()]), {
          value: BOND,
        }),
      ),
    ).toMatch(/CreditScoreRegistry(SignerNotAuthorized|SignersNotSorted)/);
    await (await registry.publishEpoch(3, node, modelId, e.walletCount, await sign(signers.slice(2, 5)), { value: BOND })).wait();
    const receipt = await (await registry.prove(3, w.wallet, w.score, w.pd, featuresHash, proof)).wait();
    expect(Number(receipt!.gasUsed)).toBeLessThan(100_000);
    expect((await registry.scoreOf(w.wallet)).epoch).toBe(3n);
  });
});
