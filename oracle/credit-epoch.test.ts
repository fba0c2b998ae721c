import { JsonRpcProvider, keccak256, parseEther, Wallet, type JsonRpcSigner } from 'ethers';
import { createLogger, startAnvil, type AnvilInstance } from '../core';
import { createRandom } from '../core/random';
import { createTestDatabase } from '../core/test/db';
import type { CreditScoreRegistry } from '../contracts/build/types';
import { deployCreditRegistry } from '../contracts/deploy/credit';
import { deployRiskOracle } from '../contracts/deploy/oracle';
import { encodeWeights, inferQuantized, ONE, scorecard, weightsHash, type QuantizedModel } from '../models/quantize/model';
import { Registry } from 'prom-client';
import { scoreProof, scoreRoute, type ScoreAnswer } from './scores';
import { startOracleServer } from './server';
import {
  auditCreditEpoch,
  challengeCreditEpoch,
  epochProof,
  loadEpoch,
  proposeCreditEpoch,
  publishCreditEpoch,
  type EpochEntry,
} from './credit-epoch';

const log = createLogger({ level: 'silent' });

/** A deterministic 6 × 6 × 1 canonical model. */
function model(): QuantizedModel {
  const random = createRandom(11);
  const w = () => Math.round((random() - 0.5) * 2 * ONE);
  return {
    layers: [
      { weights: Array.from({ length: 6 }, () => Array.from({ length: 6 }, w)), biases: Array.from({ length: 6 }, w) },
      { weights: [Array.from({ length: 6 }, w)], biases: [-ONE] },
    ],
    ...scorecard(),
  };
}

describe('credit epochs: propose, sign k-of-n, publish, prove, audit and challenge', () => {
  let anvil: AnvilInstance;
  let provider: JsonRpcProvider;
  let publisher: JsonRpcSigner;
  let registry: CreditScoreRegistry;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let chainId: number;
  const signers = Array.from({ length: 5 }, () => Wallet.createRandom());
  const m = model();
  const modelId = keccak256(encodeWeights(m));
  const random = createRandom(3);
  const entries: EpochEntry[] = Array.from({ length: 40 }, () => {
    const features = Array.from({ length: 6 }, () => Math.round((random() - 0.5) * 6 * ONE));
    const r = inferQuantized(m, features);
    return { wallet: Wallet.createRandom().address, score: r.score, pd: r.pd, features };
  });

  beforeAll(async () => {
    anvil = await startAnvil();
    chainId = anvil.chainId;
    provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 20 });
    publisher = await provider.getSigner(0);
    const owner = await publisher.getAddress();
    const { oracle } = await deployRiskOracle(publisher, { owner, guardian: owner, signers: signers.map((s) => s.address), threshold: 3 });
    let models;
    ({ models, registry } = await deployCreditRegistry(publisher, {
      owner,
      riskOracle: await oracle.getAddress(),
      bondWei: parseEther('1'),
      challengeWindowSeconds: 3_600,
    }));
    await (await models.register(modelId, weightsHash(m), keccak256('0x02'), 0, '')).wait();
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
    provider?.destroy();
    await anvil?.stop();
  });

  it('publishes an honest epoch once, whose proofs the registry accepts and whose audit finds nothing', async () => {
    const stored = await proposeCreditEpoch({ db: db.db, chainId, epoch: 1, modelId, atBlock: 1, entries });
    expect(stored.leaves).toHaveLength(40);
    // proposing the same epoch again is a no-op; while it is only proposed, other scores under its number supersede it
    await expect(proposeCreditEpoch({ db: db.db, chainId, epoch: 1, modelId, atBlock: 1, entries })).resolves.toMatchObject({
      root: stored.root,
    });
    const other = await proposeCreditEpoch({ db: db.db, chainId, epoch: 1, modelId, atBlock: 1, entries: entries.slice(1) });
    expect([other.root !== stored.root, other.leaves.length]).toEqual([true, 39]);
    expect((await proposeCreditEpoch({ db: db.db, chainId, epoch: 1, modelId, atBlock: 1, entries })).root).toBe(stored.root);

    // two signers are not enough: nothing is sent
    await expect(
      publishCreditEpoch({ db: db.db, registry, chainId, epoch: 1, signers: signers.slice(0, 2), threshold: 3, log }),
    ).rejects.toThrow('only 2 signature(s) for credit epoch 1; the oracle needs 3');
    expect(await registry.latestEpoch()).toBe(0n);
    // a third signer later (another process) completes the set: the stored two are reused
    const first = await publishCreditEpoch({ db: db.db, registry, chainId, epoch: 1, signers: signers.slice(2, 3), threshold: 3, log });
    expect(first.submitted).toBe(true);
    expect((await registry.epochOf(1)).stored.root).toBe(stored.root);
    const again = await publishCreditEpoch({ db: db.db, registry, chainId, epoch: 1, signers: [], threshold: 3, log });
    expect(again).toEqual({ digest: first.digest, submitted: false });
    // once published, the number is taken for good
    await expect(proposeCreditEpoch({ db: db.db, chainId, epoch: 1, modelId, atBlock: 1, entries: entries.slice(1) })).rejects.toThrow(
      /credit epoch 1 is already stored with root/,
    );

    const wallet = entries[7]!.wallet;
    const { leaf, proof } = await epochProof(db.db, chainId, 1, wallet);
    expect(await registry.verifyScore(1, leaf.wallet, leaf.score, leaf.pd, leaf.featuresHash, proof)).toBe(true);
    await expect(epochProof(db.db, chainId, 1, Wallet.createRandom().address)).rejects.toThrow(/is not in credit epoch 1/);
    expect(await auditCreditEpoch(db.db, chainId, 1, m)).toEqual([]);
    const row = await db.db.selectFrom('credit_epochs').select(['status', 'digest']).where('epoch', '=', 1).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'published', digest: first.digest });
  });

  it('an inflated score is found by the audit, challenged on-chain and the epoch invalidated', async () => {
    const tampered = entries.map((e, i) => (i === 12 ? { ...e, score: Math.min(850, e.score + 60) } : e));
    await proposeCreditEpoch({ db: db.db, chainId, epoch: 2, modelId, atBlock: 2, entries: tampered });
    await publishCreditEpoch({ db: db.db, registry, chainId, epoch: 2, signers: signers.slice(0, 3), threshold: 3, log });
    const wrong = await auditCreditEpoch(db.db, chainId, 2, m);
    expect(wrong.map((w) => w.wallet)).toEqual([entries[12]!.wallet.toLowerCase()]);
    expect(wrong[0]!.recomputed.score).toBe(entries[12]!.score);

    // an honest leaf of the same epoch cannot be used to invalidate it
    await expect(
      challengeCreditEpoch({ db: db.db, registry, chainId, epoch: 2, wallet: entries[0]!.wallet, weights: encodeWeights(m), log }),
    ).rejects.toThrow(/CreditScoreRegistryChallengeFailed|reverted/);
    await challengeCreditEpoch({ db: db.db, registry, chainId, epoch: 2, wallet: wrong[0]!.wallet, weights: encodeWeights(m), log });
    expect((await registry.epochOf(2)).stored.invalidated).toBe(true);
    expect((await registry.epochOf(1)).stored.invalidated).toBe(false);
    const statuses = await db.db.selectFrom('credit_epochs').select(['epoch', 'status']).orderBy('epoch').execute();
    expect(statuses).toEqual([
      { epoch: 1, status: 'published' },
      { epoch: 2, status: 'invalidated' },
    ]);
    const attempts = await db.db.selectFrom('publications').select(['kind', 'status']).where('kind', '=', 'challenge').execute();
    expect(attempts).toEqual([
      { kind: 'challenge', status: 'failed' },
      { kind: 'challenge', status: 'confirmed' },
    ]);
  });

  it("serves a wallet's latest valid score with its proof: the registry accepts it; bad input 400, unknown 404", async () => {
    const registry_ = new Registry();
    const server = await startOracleServer({
      registry: registry_,
      health: async () => ({ healthy: true, problems: [] }),
      routes: [scoreRoute(db.db, chainId)],
    });
    try {
      const wallet = entries[5]!.wallet;
      const res = await fetch(`${server.url}/score/${wallet}`);
      expect(res.status).toBe(200);
      const answer = (await res.json()) as ScoreAnswer;
      // epoch 2 was invalidated: the answer comes from epoch 1
      expect(answer).toMatchObject({
        wallet: wallet.toLowerCase(),
        epoch: 1,
        score: entries[5]!.score,
        pd: entries[5]!.pd.toString(),
        modelId,
      });
      expect(await registry.verifyScore(answer.epoch, answer.wallet, answer.score, answer.pd, answer.featuresHash, answer.proof)).toBe(
        true,
      );
      expect(await scoreProof(db.db, chainId, wallet, { epoch: 2 })).toMatchObject({ epoch: 2 });
      expect((await fetch(`${server.url}/score/0x1234`)).status).toBe(400);
      expect((await fetch(`${server.url}/score/${wallet}?epoch=zero`)).status).toBe(400);
      const unknown = await fetch(`${server.url}/score/${Wallet.createRandom().address}`);
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as { error: string }).error).toMatch(/^no published score for 0x/);
    } finally {
      await server.close();
    }
  });

  it('refuses an epoch whose stored leaves were altered after it was proposed', async () => {
    await db.db
      .updateTable('credit_scores')
      .set({ score: 300 })
      .where('epoch', '=', 1)
      .where('wallet', '=', entries[3]!.wallet.toLowerCase())
      .execute();
    await expect(loadEpoch(db.db, chainId, 1)).rejects.toThrow(/credit epoch 1: the stored leaves give root .* the record says/);
  });
});
