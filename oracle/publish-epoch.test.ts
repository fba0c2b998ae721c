import { JsonRpcProvider, keccak256, parseEther, Wallet, type HDNodeWallet, type JsonRpcSigner } from 'ethers';
import { createLogger, localProvider, startAnvil, type AnvilInstance } from '../core';
import { createRandom } from '../core/random';
import { createTestDatabase } from '../core/test/db';
import type { CreditScoreRegistry } from '../contracts/build/types';
import { deployCreditRegistry } from '../contracts/deploy/credit';
import { deployRiskOracle } from '../contracts/deploy/oracle';
import { encodeWeights, inferQuantized, ONE, scorecard, weightsHash, type QuantizedModel } from '../models/quantize/model';
import { proposeCreditEpoch, publishCreditEpoch, type EpochEntry } from './credit-epoch';
import { recheckPublications } from './publish';
import type { SendConfig, SendOptions } from './send';
import { publicationsOf } from './store';

const log = createLogger({ level: 'silent' });
const FAST: Partial<SendConfig> = { replaceAfterSeconds: 0.3, pollIntervalMs: 20, rpcRetryDelayMs: 10 };

function model(): QuantizedModel {
  const random = createRandom(5);
  const w = () => Math.round((random() - 0.5) * 2 * ONE);
  return {
    layers: [
      { weights: Array.from({ length: 4 }, () => Array.from({ length: 6 }, w)), biases: Array.from({ length: 4 }, w) },
      { weights: [Array.from({ length: 4 }, w)], biases: [-ONE] },
    ],
    ...scorecard(),
  };
}

describe('publishing a credit epoch through the shared sender: crash, restart, reorg', () => {
  let anvil: AnvilInstance;
  let provider: JsonRpcProvider;
  let dao: JsonRpcSigner;
  let registry: CreditScoreRegistry;
  let publisher: HDNodeWallet;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const signers = Array.from({ length: 5 }, () => Wallet.createRandom());
  const m = model();
  const modelId = keccak256(encodeWeights(m));
  const random = createRandom(9);
  const entries = (): EpochEntry[] =>
    Array.from({ length: 12 }, () => {
      const features = Array.from({ length: 6 }, () => Math.round((random() - 0.5) * 6 * ONE));
      const r = inferQuantized(m, features);
      return { wallet: Wallet.createRandom().address, score: r.score, pd: r.pd, features };
    });
  const rpc = (method: string, params: unknown[] = []) => provider.send(method, params) as Promise<unknown>;
  const publish = (epoch: number, onStep?: SendOptions['onStep']) =>
    publishCreditEpoch({
      db: db.db,
      registry: registry.connect(publisher),
      chainId: anvil.chainId,
      epoch,
      signers: signers.slice(0, 3),
      threshold: 3,
      log,
      send: FAST,
      onStep,
    });

  beforeAll(async () => {
    [anvil, db] = await Promise.all([startAnvil(), createTestDatabase()]);
    provider = localProvider(anvil.rpcUrl);
    dao = await provider.getSigner(0);
    const owner = await dao.getAddress();
    const { oracle } = await deployRiskOracle(dao, { owner, guardian: owner, signers: signers.map((s) => s.address), threshold: 3 });
    let models;
    ({ models, registry } = await deployCreditRegistry(dao, {
      owner,
      riskOracle: await oracle.getAddress(),
      bondWei: parseEther('1'),
      challengeWindowSeconds: 3_600,
    }));
    await (await models.register(modelId, weightsHash(m), keccak256('0x02'), 0, '')).wait();
    publisher = Wallet.createRandom().connect(provider);
    await (await dao.sendTransaction({ to: publisher.address, value: parseEther('10') })).wait();
  });
  afterAll(async () => {
    provider?.destroy();
    await Promise.all([anvil?.stop(), db?.close()]);
  });

  it('a crash after the broadcast with the transaction still pending: the restart outbids it and the epoch lands once', async () => {
    await proposeCreditEpoch({ db: db.db, chainId: anvil.chainId, epoch: 1, modelId, atBlock: 1, entries: entries() });
    await rpc('evm_setAutomine', [false]);
    let result;
    try {
      await expect(
        publish(1, (step) => {
          if (step === 'broadcast') throw new Error('crash after broadcast');
        }),
      ).rejects.toThrow('crash after broadcast');
      result = await publish(1, async (step) => void (step === 'broadcast' && (await rpc('evm_mine'))));
    } finally {
      await rpc('evm_setAutomine', [true]);
    }
    expect(result.submitted).toBe(true);
    const attempts = await publicationsOf(db.db, anvil.chainId, result.digest);
    expect(attempts.map((a) => [a.status, a.nonce, a.kind])).toEqual([
      ['replaced', 0, 'epoch'],
      ['confirmed', 0, 'epoch'],
    ]);
    // the bond travels with every attempt
    expect(attempts.every((a) => a.value === parseEther('1').toString())).toBe(true);
    expect((await registry.epochOf(1)).stored.publishedAt).not.toBe(0n);
    expect(await provider.getTransactionCount(publisher.address)).toBe(1);
    // a later run sends nothing
    expect((await publish(1)).submitted).toBe(false);
    expect(await publicationsOf(db.db, anvil.chainId, result.digest)).toHaveLength(2);
  });

  it('an epoch reorged out is resubmitted by recheckPublications, bond included', async () => {
    await proposeCreditEpoch({ db: db.db, chainId: anvil.chainId, epoch: 2, modelId, atBlock: 1, entries: entries() });
    const snapshot = await rpc('evm_snapshot');
    const result = await publish(2);
    await rpc('evm_revert', [snapshot]);
    await rpc('evm_mine');
    expect((await registry.epochOf(2)).stored.publishedAt).toBe(0n);
    const outcomes = await recheckPublications({ db: db.db, chainId: anvil.chainId, runner: publisher, registry, send: FAST, log });
    expect(outcomes.find((o) => o.digest === result.digest)).toMatchObject({ kind: 'epoch', outcome: 'resubmitted' });
    expect(outcomes.filter((o) => o.digest !== result.digest).map((o) => o.outcome)).toEqual(['ok']);
    const stored = (await registry.epochOf(2)).stored;
    expect(stored.publishedAt).not.toBe(0n);
    expect(stored.bondGwei).toBe(1_000_000_000n);
  });
});
