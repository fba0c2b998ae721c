import { JsonRpcProvider, makeError, NonceManager, parseEther, recoverAddress, Wallet, type BaseWallet, type JsonRpcSigner } from 'ethers';
import { createLogger, localProvider, startAnvil, type AnvilInstance } from '../core';
import { createTestDatabase } from '../core/test/db';
import { batchDigest, deployRiskOracle, riskOracleDomain, signBatch, sortBySigner, type ParameterUpdate } from '../contracts';
import type { RiskOracle } from '../contracts/build/types';
import { WIDE_BOUNDS } from '../contracts/testing';
import { publishParameterBatch, recheckPublications } from './publish';
import type { SendConfig, SendOptions } from './send';
import { addSignature, publicationsOf } from './store';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

/** Fails chosen JSON-RPC calls once each, before or after the node has answered (a lost answer). */
class FlakyProvider extends JsonRpcProvider {
  readonly failures = new Map<string, 'before' | 'after'>();
  readonly failed: string[] = [];
  override async send(method: string, params: unknown[] | Record<string, unknown>): Promise<unknown> {
    const when = this.failures.get(method);
    if (when) this.failures.delete(method);
    const fail = () => {
      this.failed.push(method);
      return makeError(`${method}: 502 Bad Gateway (injected)`, 'SERVER_ERROR');
    };
    if (when === 'before') throw fail();
    const result: unknown = await super.send(method, params as unknown[]);
    if (when === 'after') throw fail();
    return result;
  }
}

const FAST: Partial<SendConfig> = { replaceAfterSeconds: 0.3, pollIntervalMs: 20, rpcRetryDelayMs: 10 };
const PARAMS = { ltv: 7_500, liquidationThreshold: 8_000, liquidationBonus: 10_500 };

describe('publishing a parameter batch: gas, replacement, crashes, drops and reorgs', () => {
  let anvil: AnvilInstance;
  let provider: JsonRpcProvider;
  let dao: JsonRpcSigner;
  let h: TestDb;
  let oracle: RiskOracle;
  const signers = Array.from({ length: 5 }, () => Wallet.createRandom());
  const log = createLogger({ level: 'silent' });

  const rpc = (method: string, params: unknown[] = []) => provider.send(method, params) as Promise<unknown>;
  const head = async () => (await provider.getBlock('latest'))!.timestamp;

  /** A fresh asset with wide bounds, a funded publisher of its own and its round-1 update. */
  async function scenario(p: JsonRpcProvider = provider) {
    const asset = Wallet.createRandom().address;
    await (await oracle.setBounds(asset, WIDE_BOUNDS)).wait();
    const publisher = Wallet.createRandom().connect(p);
    await (await dao.sendTransaction({ to: publisher.address, value: parseEther('10') })).wait();
    const update: ParameterUpdate = {
      asset,
      ...PARAMS,
      round: 1n,
      validUntil: BigInt((await head()) + 3_600),
      modelId: `0x${'11'.repeat(32)}`,
      inputsRoot: `0x${'22'.repeat(32)}`,
    };
    const publish = (extra: { send?: Partial<SendConfig>; onStep?: SendOptions['onStep']; updates?: ParameterUpdate[] } = {}) =>
      publishParameterBatch({
        db: h.db,
        oracle: oracle.connect(publisher),
        chainId: anvil.chainId,
        updates: extra.updates ?? [update],
        signers: signers.slice(0, 3),
        log,
        send: { ...FAST, ...extra.send },
        onStep: extra.onStep,
      });
    return { asset, publisher, update, publish, onChainRound: async () => (await oracle.latest(asset)).round };
  }

  /** Runs `fn` with automine off: transactions wait in the mempool until `evm_mine`. */
  async function manualMining<T>(fn: () => Promise<T>): Promise<T> {
    await rpc('evm_setAutomine', [false]);
    try {
      return await fn();
    } finally {
      await rpc('evm_setAutomine', [true]);
    }
  }

  beforeAll(async () => {
    [anvil, h] = await Promise.all([startAnvil(), createTestDatabase()]);
    provider = localProvider(anvil.rpcUrl);
    dao = await provider.getSigner(0);
    ({ oracle } = await deployRiskOracle(dao, {
      owner: await dao.getAddress(),
      guardian: await dao.getAddress(),
      signers: signers.map((s) => s.address),
      threshold: 3,
    }));
  });
  afterAll(async () => {
    provider?.destroy();
    await Promise.all([anvil?.stop(), h?.close()]);
  });

  it('estimates gas with a margin, records the attempt (hash, nonce, fees, block) and publishes a round once', async () => {
    const { publish, publisher, onChainRound } = await scenario();
    const result = await publish();
    expect(result.submitted).toBe(true);
    expect(await onChainRound()).toBe(1n);
    const [row, ...rest] = await publicationsOf(h.db, anvil.chainId, result.digest);
    expect(rest).toHaveLength(0);
    expect(row).toMatchObject({
      status: 'confirmed',
      kind: 'parameters',
      nonce: 0,
      tx_hash: result.txHash,
      sender: publisher.address.toLowerCase(),
    });
    expect(row!.block_hash).toBe(result.receipt!.blockHash);
    // the limit is the estimate plus 20 %: above what the call used, not far above
    expect(BigInt(row!.gas_limit!)).toBeGreaterThan(BigInt(row!.gas_used!));
    expect(BigInt(row!.gas_limit!)).toBeLessThan((BigInt(row!.gas_used!) * 3n) / 2n);
    expect(BigInt(row!.max_fee_per_gas!)).toBeGreaterThanOrEqual(BigInt(row!.max_priority_fee_per_gas!));

    const again = await publish();
    expect(again.submitted).toBe(false);
    expect(await publicationsOf(h.db, anvil.chainId, result.digest)).toHaveLength(1);
    expect(await provider.getTransactionCount(publisher.address)).toBe(1);
  });

  it('replaces a transaction not mined in time with the same nonce and higher fees; exactly one lands', async () => {
    const { publish, publisher, onChainRound } = await scenario();
    const result = await manualMining(() =>
      publish({
        onStep: async (step, a) => {
          // the first attempt sits in the mempool; the replacement is mined
          if (step === 'broadcast' && a.attempt === 2) await rpc('evm_mine');
        },
      }),
    );
    const [first, second] = await publicationsOf(h.db, anvil.chainId, result.digest);
    expect([first!.status, second!.status]).toEqual(['replaced', 'confirmed']);
    expect(second!.nonce).toBe(first!.nonce);
    expect(BigInt(second!.max_fee_per_gas!) * 100n).toBeGreaterThanOrEqual(BigInt(first!.max_fee_per_gas!) * 110n);
    expect(BigInt(second!.max_priority_fee_per_gas!) * 100n).toBeGreaterThanOrEqual(BigInt(first!.max_priority_fee_per_gas!) * 110n);
    expect(result.txHash).toBe(second!.tx_hash);
    expect(await provider.getTransactionReceipt(first!.tx_hash!)).toBeNull();
    expect(await onChainRound()).toBe(1n);
    expect(await provider.getTransactionCount(publisher.address)).toBe(1);
  });

  it('gives up after maxFeeBumps replacements, leaving the attempts for the next run, which resumes them', async () => {
    const { publish, publisher, onChainRound } = await scenario();
    await manualMining(async () => {
      await expect(publish({ send: { maxFeeBumps: 1, replaceAfterSeconds: 0.1 } })).rejects.toThrow(/not mined after 1 fee bump\(s\)/);
      const digest = (await h.db.selectFrom('publications').select('digest').orderBy('created_at', 'desc').executeTakeFirstOrThrow())
        .digest;
      const attempts = await publicationsOf(h.db, anvil.chainId, digest);
      expect(attempts.map((a) => a.status)).toEqual(['replaced', 'submitted']);
      // the next run outbids what is in the mempool rather than sending a second transaction
      const result = await publish({ onStep: async (step) => void (step === 'broadcast' && (await rpc('evm_mine'))) });
      expect((await publicationsOf(h.db, anvil.chainId, digest)).map((a) => [a.status, a.nonce])).toEqual([
        ['replaced', 0],
        ['replaced', 0],
        ['confirmed', 0],
      ]);
      expect(result.txHash).toBeDefined();
    });
    expect(await onChainRound()).toBe(1n);
    expect(await provider.getTransactionCount(publisher.address)).toBe(1);
  });

  it('a crash between signing and broadcasting, then a restart: one publication, same nonce', async () => {
    const { publish, publisher, onChainRound } = await scenario();
    await expect(
      publish({
        onStep: (step) => {
          if (step === 'signed') throw new Error('crash after signing');
        },
      }),
    ).rejects.toThrow('crash after signing');
    expect(await onChainRound()).toBe(0n);
    const result = await publish();
    const attempts = await publicationsOf(h.db, anvil.chainId, result.digest);
    expect(attempts.map((a) => [a.status, a.nonce])).toEqual([
      ['replaced', 0],
      ['confirmed', 0],
    ]);
    expect(await onChainRound()).toBe(1n);
    expect(await provider.getTransactionCount(publisher.address)).toBe(1);
  });

  it('a crash between broadcasting and confirmation, the transaction still pending: the restart outbids it, one lands', async () => {
    const { publish, publisher, onChainRound } = await scenario();
    const result = await manualMining(async () => {
      await expect(
        publish({
          onStep: (step) => {
            if (step === 'broadcast') throw new Error('crash after broadcast');
          },
        }),
      ).rejects.toThrow('crash after broadcast');
      return publish({ onStep: async (step) => void (step === 'broadcast' && (await rpc('evm_mine'))) });
    });
    const [first, second, ...rest] = await publicationsOf(h.db, anvil.chainId, result.digest);
    expect(rest).toHaveLength(0);
    expect([first!.status, second!.status]).toEqual(['replaced', 'confirmed']);
    expect(second!.nonce).toBe(first!.nonce);
    expect(await provider.getTransactionReceipt(first!.tx_hash!)).toBeNull();
    expect(await onChainRound()).toBe(1n);
    expect(await provider.getTransactionCount(publisher.address)).toBe(1);
  });

  it('a crash between broadcasting and confirmation, the transaction mined meanwhile: the restart confirms it, sends nothing', async () => {
    const { publish, publisher, onChainRound } = await scenario();
    let sent = '';
    await expect(
      publish({
        onStep: (step, a) => {
          sent = a.txHash;
          if (step === 'broadcast') throw new Error('crash after broadcast');
        },
      }),
    ).rejects.toThrow('crash after broadcast');
    const digest = (await h.db.selectFrom('publications').select('digest').where('tx_hash', '=', sent).executeTakeFirstOrThrow()).digest;
    expect((await publicationsOf(h.db, anvil.chainId, digest)).map((a) => a.status)).toEqual(['submitted']);
    // the round is on-chain: the restart finds it there and records which transaction carried it
    const result = await publish();
    expect(result.submitted).toBe(false);
    expect(result.txHash).toBe(sent);
    expect((await publicationsOf(h.db, anvil.chainId, digest)).map((a) => a.status)).toEqual(['confirmed']);
    expect(await onChainRound()).toBe(1n);
    expect(await provider.getTransactionCount(publisher.address)).toBe(1);
  });

  it('never skips a round: after a crash on round 1, the restart publishes 1 and then 2 goes on top', async () => {
    const { publish, update, onChainRound } = await scenario();
    await expect(
      publish({
        onStep: (step) => {
          if (step === 'signed') throw new Error('crash');
        },
      }),
    ).rejects.toThrow('crash');
    await publish();
    await publish({ updates: [{ ...update, round: 2n }] });
    expect(await onChainRound()).toBe(2n);
  });

  it('sends nothing when the chain already holds the round, closing an attempt left open by a crash', async () => {
    const { publish, publisher, update, onChainRound } = await scenario();
    await expect(
      publish({
        onStep: (step) => {
          if (step === 'signed') throw new Error('crash after signing');
        },
      }),
    ).rejects.toThrow();
    // another publisher carries the same signed batch
    const pending = await h.db.selectFrom('publications').selectAll().where('sender', '=', publisher.address.toLowerCase()).execute();
    await (await dao.sendTransaction({ to: await oracle.getAddress(), data: pending[0]!.calldata! })).wait();
    expect(await onChainRound()).toBe(1n);
    const result = await publish({ updates: [update] });
    expect(result.submitted).toBe(false);
    expect((await publicationsOf(h.db, anvil.chainId, pending[0]!.digest)).map((a) => a.status)).toEqual(['dropped']);
    expect(await provider.getTransactionCount(publisher.address)).toBe(0);
  });

  it('a transaction dropped from the mempool is sent again under the same nonce', async () => {
    const { publish, onChainRound } = await scenario();
    const result = await manualMining(() =>
      publish({
        onStep: async (step, a) => {
          if (step !== 'broadcast') return;
          if (a.attempt === 1) await rpc('anvil_dropTransaction', [a.txHash]);
          else await rpc('evm_mine');
        },
      }),
    );
    const attempts = await publicationsOf(h.db, anvil.chainId, result.digest);
    expect(attempts.map((a) => [a.status, a.nonce])).toEqual([
      ['replaced', 0],
      ['confirmed', 0],
    ]);
    expect(await onChainRound()).toBe(1n);
  });

  it('a publication reorged out after its confirmation is found by recheckPublications and resubmitted', async () => {
    const { publish, publisher, onChainRound } = await scenario();
    const snapshot = await rpc('evm_snapshot');
    const result = await publish();
    expect(await onChainRound()).toBe(1n);
    // the block carrying it disappears (as in a reorg); the chain moves on without it
    await rpc('evm_revert', [snapshot]);
    await rpc('evm_mine');
    expect(await onChainRound()).toBe(0n);
    const recheck = () =>
      recheckPublications({ db: h.db, chainId: anvil.chainId, runner: publisher, oracle, send: FAST, log }).then((all) =>
        all.filter((o) => o.digest === result.digest),
      );
    const [outcome] = await recheck();
    expect(outcome).toMatchObject({ outcome: 'resubmitted' });
    expect(outcome!.txHash).not.toBe(result.txHash);
    expect(await onChainRound()).toBe(1n);
    const attempts = await publicationsOf(h.db, anvil.chainId, result.digest);
    expect(attempts.map((a) => a.status)).toEqual(['dropped', 'confirmed']);
    expect(attempts[0]!.error).toMatch(/receipt gone/);
    // all is well now: a second look sends nothing
    expect(await recheck()).toEqual([{ digest: result.digest, kind: 'parameters', outcome: 'ok', txHash: outcome!.txHash }]);
    expect(await provider.getTransactionCount(publisher.address)).toBe(1);
  });

  it('waits for the configured confirmations before recording a publication as confirmed', async () => {
    const { publish, onChainRound } = await scenario();
    let minedAt: number | undefined;
    const result = await publish({
      send: { confirmations: 2 },
      onStep: (step) => {
        if (step !== 'broadcast') return;
        // automine put it in a block; the second confirmation comes with the next block, a moment later
        setTimeout(() => {
          minedAt = Date.now();
          void rpc('evm_mine');
        }, 100);
      },
    });
    // it waited for that block
    expect(minedAt).toBeDefined();
    expect(await provider.getBlockNumber()).toBe(result.blockNumber! + 1);
    expect((await publicationsOf(h.db, anvil.chainId, result.digest)).map((a) => a.status)).toEqual(['confirmed']);
    expect(await onChainRound()).toBe(1n);
  });

  it('names the revert when the call would fail (an expired batch) and sends nothing', async () => {
    const { publish, update, publisher } = await scenario();
    const expired = { ...update, validUntil: BigInt((await head()) - 1) };
    await expect(publish({ updates: [expired] })).rejects.toThrow(
      /reverts at gas estimation with RiskOracleExpired\(\d+, \d+\); nothing was sent/,
    );
    const row = await h.db.selectFrom('publications').selectAll().orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'failed', tx_hash: null });
    expect(row.error).toMatch(/^gas estimation: RiskOracleExpired/);
    expect(await provider.getTransactionCount(publisher.address)).toBe(0);
  });

  it("keeps a NonceManager in step: the publisher's next transaction gets the next nonce", async () => {
    const { update, publisher, onChainRound } = await scenario();
    const manager = new NonceManager(publisher);
    await manager.sendTransaction({ to: publisher.address, value: 1n }).then((tx) => tx.wait());
    const result = await publishParameterBatch({
      db: h.db,
      oracle: oracle.connect(manager),
      chainId: anvil.chainId,
      updates: [update],
      signers: signers.slice(0, 3),
      log,
      send: FAST,
    });
    expect((await publicationsOf(h.db, anvil.chainId, result.digest))[0]!.nonce).toBe(1);
    const after = await manager.sendTransaction({ to: publisher.address, value: 1n });
    expect(after.nonce).toBe(2);
    await after.wait();
    expect(await onChainRound()).toBe(1n);
  });

  it('sends only valid signatures of signers in the set now; a clear error, nothing sent, when too few remain', async () => {
    const { update, publisher, onChainRound } = await scenario();
    const all = signers.map((s) => s.address);
    const four = sortBySigner(signers.slice(0, 4).map((w) => ({ signer: w.address, w }))).map((s) => s.w);
    const domain = riskOracleDomain(anvil.chainId, await oracle.getAddress());
    const digest = batchDigest(domain, [update]);
    const store = async (signer: string, by: BaseWallet) =>
      addSignature(h.db, {
        chainId: anvil.chainId,
        digest,
        signer,
        kind: 'parameters',
        signature: JSON.stringify((await signBatch(by, domain, [update])).signature),
      });
    for (const w of four) await store(w.address, w);
    // a row that claims the fifth signer but carries another's signature
    await store(signers[4]!.address, four[0]!);
    const publish = () =>
      publishParameterBatch({
        db: h.db,
        oracle: oracle.connect(publisher),
        chainId: anvil.chainId,
        updates: [update],
        signers: [],
        log,
        send: FAST,
      });
    try {
      // the DAO removes the first two since they signed: two usable signatures are left
      await (
        await oracle.setSigners(
          all.filter((a) => a !== four[0]!.address && a !== four[1]!.address),
          3,
        )
      ).wait();
      const refused = publish();
      await expect(refused).rejects.toThrow(`only 2 signature(s) for batch ${digest}; the oracle needs 3 (set aside: `);
      const message = await refused.catch((err: Error) => err.message);
      for (const w of four.slice(0, 2)) expect(message).toContain(`${w.address.toLowerCase()} (not in RiskOracle's signer set now)`);
      expect(message).toContain(`${signers[4]!.address.toLowerCase()} (its signature does not recover to it)`);
      expect(await provider.getTransactionCount(publisher.address)).toBe(0);
      // one is back: the batch goes out with three signers of the set, the removed one left out
      await (
        await oracle.setSigners(
          all.filter((a) => a !== four[0]!.address),
          3,
        )
      ).wait();
      const result = await publish();
      const tx = await provider.getTransaction(result.txHash!);
      const sent = oracle.interface.decodeFunctionData('publishBatch', tx!.data)[1] as Array<{ v: bigint; r: string; s: string }>;
      expect(sent.map((s) => recoverAddress(digest, { v: s.v, r: s.r, s: s.s }))).toEqual(four.slice(1).map((w) => w.address));
      expect(await onChainRound()).toBe(1n);
    } finally {
      await (await oracle.setSigners(all, 3)).wait();
    }
  });

  it('retries RPC calls that fail transiently, including a broadcast whose answer was lost', async () => {
    const flaky = new FlakyProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, batchMaxCount: 1 });
    try {
      const { publish, publisher, onChainRound } = await scenario(flaky);
      flaky.failures.set('eth_estimateGas', 'before');
      flaky.failures.set('eth_sendRawTransaction', 'after');
      flaky.failures.set('eth_getTransactionReceipt', 'before');
      flaky.failures.set('eth_getTransactionCount', 'before');
      const result = await publish();
      expect(flaky.failed.sort()).toEqual([
        'eth_estimateGas',
        'eth_getTransactionCount',
        'eth_getTransactionReceipt',
        'eth_sendRawTransaction',
      ]);
      expect((await publicationsOf(h.db, anvil.chainId, result.digest)).map((a) => a.status)).toEqual(['confirmed']);
      expect(await onChainRound()).toBe(1n);
      expect(await provider.getTransactionCount(publisher.address)).toBe(1);
    } finally {
      flaky.destroy();
    }
  });
});
