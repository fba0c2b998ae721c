import { keccak256, recoverAddress, Wallet, type JsonRpcProvider } from 'ethers';
import { createLogger } from '../core';
import { createRandom } from '../core/random';
import { createTestDatabase } from '../core/test/db';
import type { CreditScoreRegistry, RiskOracle } from '../contracts/build/types';
import { randomCreditModel, startCreditChain, type CreditChain } from '../contracts/testing-credit';
import { sortBySigner, type SignatureStruct } from '../contracts/typed-data';
import { encodeWeights, inferQuantized, ONE, weightsHash } from '../models/quantize/model';
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

describe('credit epochs: propose, sign k-of-n, publish, prove, audit and challenge', () => {
  let chain: CreditChain;
  let provider: JsonRpcProvider;
  let registry: CreditScoreRegistry;
  let oracle: RiskOracle;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let chainId: number;
  const signers = Array.from({ length: 5 }, () => Wallet.createRandom());
  const m = randomCreditModel({ inputs: 6, hidden: 6, seed: 11 });
  const modelId = keccak256(encodeWeights(m));
  const random = createRandom(3);
  const entries: EpochEntry[] = Array.from({ length: 40 }, () => {
    const features = Array.from({ length: 6 }, () => Math.round((random() - 0.5) * 6 * ONE));
    const r = inferQuantized(m, features);
    return { wallet: Wallet.createRandom().address, score: r.score, pd: r.pd, features };
  });

  beforeAll(async () => {
    [chain, db] = await Promise.all([
      startCreditChain({ signers: signers.map((s) => s.address), model: { id: modelId, weightsHash: weightsHash(m) } }),
      createTestDatabase(),
    ]);
    // the contracts are connected to their owner: it publishes and changes the signer set
    ({ provider, oracle, registry } = chain);
    chainId = chain.anvil.chainId;
  });
  afterAll(async () => {
    await Promise.all([chain?.stop(), db?.close()]);
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
    // nothing sent again; the answer names the transaction that carried it
    expect(again).toEqual({ digest: first.digest, submitted: false, txHash: first.txHash, gasUsed: first.gasUsed });
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

  it('sends only signatures of signers in the set now: one removed since it signed is set aside; too few left is a clear error', async () => {
    const all = signers.map((s) => s.address);
    // the four who sign, by address: the first three are what a publisher taking "the first k" would send
    const [removed, second, ...rest] = sortBySigner(signers.slice(0, 4).map((w) => ({ signer: w.address }))).map((s) => s.signer);
    await proposeCreditEpoch({ db: db.db, chainId, epoch: 3, modelId, atBlock: 3, entries: entries.slice(20) });
    // four signatures stored; asking for five sends nothing
    await expect(
      publishCreditEpoch({ db: db.db, registry, chainId, epoch: 3, signers: signers.slice(0, 4), threshold: 5, log }),
    ).rejects.toThrow('only 4 signature(s) for credit epoch 3; the oracle needs 5');
    try {
      // the DAO removes two of them: two usable signatures are left, and the error says which were set aside
      await (
        await oracle.setSigners(
          all.filter((a) => a !== removed && a !== second),
          3,
        )
      ).wait();
      const refused = publishCreditEpoch({ db: db.db, registry, chainId, epoch: 3, signers: [], log });
      await expect(refused).rejects.toThrow(
        `only 2 signature(s) for credit epoch 3; the oracle needs 3 (set aside: ${[removed, second]
          .map((a) => `${a!.toLowerCase()} (not in RiskOracle's signer set now)`)
          .join(', ')})`,
      );
      expect(await registry.latestEpoch()).toBe(2n);
      // one of them is back: the epoch goes out with the three signers in the set, not the removed one
      await (
        await oracle.setSigners(
          all.filter((a) => a !== removed),
          3,
        )
      ).wait();
      const published = await publishCreditEpoch({ db: db.db, registry, chainId, epoch: 3, signers: [], log });
      expect(published.submitted).toBe(true);
      const tx = await provider.getTransaction(published.txHash!);
      const sent = registry.interface.decodeFunctionData('publishEpoch', tx!.data)[4] as SignatureStruct[];
      expect(sent.map((s) => recoverAddress(published.digest, { v: s.v, r: s.r, s: s.s }))).toEqual([second, ...rest]);
      expect((await registry.epochOf(3)).stored.publishedAt).not.toBe(0n);
    } finally {
      await (await oracle.setSigners(all, 3)).wait();
    }
  });
});
