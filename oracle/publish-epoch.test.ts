import { JsonRpcProvider, keccak256, parseEther, Wallet, type HDNodeWallet, type JsonRpcSigner } from 'ethers';
import { createLogger, type AnvilInstance } from '../core';
import { createRandom } from '../core/random';
import { createTestDatabase } from '../core/test/db';
import type { CreditScoreRegistry } from '../contracts/build/types';
import { randomCreditModel, startCreditChain, type CreditChain } from '../contracts/testing-credit';
import { encodeWeights, inferQuantized, ONE, weightsHash } from '../models/quantize/model';
import { proposeCreditEpoch, publishCreditEpoch, type EpochEntry } from './credit-epoch';
import { recheckPublications } from './publish';
import type { SendConfig, SendOptions } from './send';
import { publicationsOf } from './store';

const log = createLogger({ level: 'silent' });
const FAST: Partial<SendConfig> = { replaceAfterSeconds: 0.3, pollIntervalMs: 20, rpcRetryDelayMs: 10 };

describe('publishing a credit epoch through the shared sender: crash, restart, reorg', () => {
  let chain: CreditChain;
  let anvil: AnvilInstance;
  let provider: JsonRpcProvider;
  let dao: JsonRpcSigner;
  let registry: CreditScoreRegistry;
  let publisher: HDNodeWallet;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const signers = Array.from({ length: 5 }, () => Wallet.createRandom());
  const m = randomCreditModel({ inputs: 6, hidden: 4, seed: 5 });
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
    [chain, db] = await Promise.all([
      startCreditChain({ signers: signers.map((s) => s.address), model: { id: modelId, weightsHash: weightsHash(m) } }),
      createTestDatabase(),
    ]);
    ({ anvil, provider, dao, registry } = chain);
    publisher = Wallet.createRandom().connect(provider);
    await (await dao.sendTransaction({ to: publisher.address, value: parseEther('10') })).wait();
  });
  afterAll(async () => {
    await Promise.all([chain?.stop(), db?.close()]);
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

  it('a crash after the epoch was mined, before it was recorded or marked: recheckPublications confirms it and marks the epoch published', async () => {
    await proposeCreditEpoch({ db: db.db, chainId: anvil.chainId, epoch: 3, modelId, atBlock: 1, entries: entries() });
    let sent = '';
    await expect(
      publish(3, (step, a) => {
        sent = a.txHash;
        if (step === 'broadcast') throw new Error('crash after broadcast');
      }),
    ).rejects.toThrow('crash after broadcast');
    const status = async () =>
      (await db.db.selectFrom('credit_epochs').select('status').where('epoch', '=', 3).executeTakeFirstOrThrow()).status;
    // automine put it on-chain; the database still has it signed and its attempt submitted
    expect((await registry.epochOf(3)).stored.publishedAt).not.toBe(0n);
    expect(await status()).toBe('signed');
    const outcomes = await recheckPublications({ db: db.db, chainId: anvil.chainId, runner: publisher, registry, send: FAST, log });
    expect(outcomes.find((o) => o.txHash === sent)).toMatchObject({ kind: 'epoch', outcome: 'confirmed' });
    expect(await status()).toBe('published');
    // a crash after the confirmation was recorded, before the epoch was marked: the next recheck marks it
    await db.db.updateTable('credit_epochs').set({ status: 'signed' }).where('epoch', '=', 3).execute();
    const again = await recheckPublications({ db: db.db, chainId: anvil.chainId, runner: publisher, registry, send: FAST, log });
    expect(again.find((o) => o.txHash === sent)).toMatchObject({ kind: 'epoch', outcome: 'ok' });
    expect(await status()).toBe('published');
    expect(await provider.getTransactionCount(publisher.address)).toBe(3);
  });
});
