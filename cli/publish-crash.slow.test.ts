import { spawn } from 'node:child_process';
import path from 'node:path';
import { dataSlice, getAddress, JsonRpcSigner, keccak256, parseEther, toBeHex, toUtf8Bytes, type BaseWallet } from 'ethers';
import { sql, type Kysely } from 'kysely';
import {
  DEFAULT_BOUNDS,
  batchDigest,
  creditRegistryDomain,
  epochDigest,
  riskOracleDomain,
  signBatch,
  signEpoch,
  type SignatureStruct,
} from '../contracts';
import type { Database } from '../core';
import { proposeCreditEpoch } from '../oracle/credit-epoch';
import { addSignature, publicationsOf, saveRound } from '../oracle/store';
import { RpcGate, type RpcCall } from '../oracle/testing/rpc-gate';
import { cliDatabase, cliJson, cliRefused, startOracleChain, until, type OracleChain } from './testing';

/**
 * Issue #7: "a crash between sign and publish, and between publish and confirmation, then a restart: exactly one
 * publication per round". The publisher is a real `risk-oracle publish` process, killed with SIGKILL at a precise
 * point found without any hook in the code under test: its RPC goes through a gate that holds the request it is
 * waiting on (the broadcast, a receipt), and with automine off a broadcast transaction stays pending. On Postgres
 * the test also locks the round's or epoch's row, so the process is killed after it recorded the confirmation and
 * before it marked the round (PGlite is one process's database: no one else can look in while the publisher runs).
 * The restart runs `publish` again; the chain then holds each round and epoch from exactly one transaction, and the
 * database's records say which. Rounds and epochs are stored and signed directly, as `propose` and `sign` leave them:
 * what is under test is the publisher, not the models.
 */
const BIN = path.join(__dirname, '..', 'bin', 'risk-oracle.js');
const POSTGRES = Boolean(process.env.DATABASE_URL);
const PARAMS = { ltv: 7_500, liquidationThreshold: 8_000, liquidationBonus: 10_500 };
const MODEL_ID = keccak256(toUtf8Bytes('crash-test credit model'));

/**
 * Where the publisher dies. `recorded`: its attempt is in the database (hash, nonce, fees), the broadcast not yet
 * sent; `pending`: broadcast, not mined (automine off), waiting for the receipt; `mined`: in a block, before the
 * process saw the receipt; `confirmed` (Postgres): the confirmation recorded, the round or epoch not yet marked.
 */
type Point = 'recorded' | 'pending' | 'mined' | 'confirmed';
type Kind = 'round' | 'epoch';
const POINTS: Point[] = ['recorded', 'pending', 'mined', ...(POSTGRES ? (['confirmed'] as const) : [])];

describe(`publish killed with SIGKILL at each point, then restarted: exactly one publication (${POSTGRES ? 'Postgres' : 'PGlite'})`, () => {
  let chain: OracleChain;
  let gate: RpcGate;
  let env: Record<string, string>;
  let database: Awaited<ReturnType<typeof cliDatabase>>;
  let chainId: number;

  const withDb = <T>(f: (db: Kysely<Database>) => Promise<T>): Promise<T> => database.withDb(f);

  beforeAll(async () => {
    chain = await startOracleChain({ bounds: { ...DEFAULT_BOUNDS, minDelay: 0 } });
    chainId = chain.anvil.chainId;
    database = await cliDatabase(chain.dir);
    gate = await RpcGate.start(chain.anvil.rpcUrl);
    env = { ...chain.env, ...database.env, RPC_URL: gate.url, RISK_ORACLE_ORACLE_TX_POLL_INTERVAL_MS: '50' };
    // credit epochs name a model the registry knows: the DAO's timelock registers one (impersonated)
    const timelock = await chain.deployment.dao.timelock.getAddress();
    await chain.provider.send('anvil_impersonateAccount', [timelock]);
    await chain.provider.send('anvil_setBalance', [timelock, toBeHex(parseEther('1'))]);
    const models = chain.deployment.models.connect(new JsonRpcSigner(chain.provider, timelock));
    await (await models.register(MODEL_ID, keccak256('0x01'), keccak256('0x02'), 0, 'crash test')).wait();
  }, 240_000);
  afterAll(async () => {
    await gate?.close();
    await database?.close();
    await chain?.stop();
  });

  /** Three of the five signers' signatures of `digest`, stored as `sign` stores them. */
  async function signedByQuorum(
    db: Kysely<Database>,
    digest: string,
    kind: 'parameters' | 'epoch',
    sign: (w: BaseWallet) => Promise<{ signature: SignatureStruct }>,
  ): Promise<void> {
    for (const w of [chain.signers[0]!, chain.signers[2]!, chain.signers[4]!])
      await addSignature(db, { chainId, digest, signer: w.address, kind, signature: JSON.stringify((await sign(w)).signature) });
  }

  /** Round `n` of every reserve, proposed and signed by three of the five signers, as `propose` and `sign` leave it. */
  async function storeRound(n: number): Promise<string> {
    const head = (await chain.provider.getBlock('latest'))!;
    const reserves = [...chain.deployment.market.reserves].sort((a, b) => (a.address.toLowerCase() < b.address.toLowerCase() ? -1 : 1));
    const updates = reserves.map((r) => ({
      asset: r.address.toLowerCase(),
      ...PARAMS,
      round: BigInt(n),
      validUntil: BigInt(head.timestamp + 86_400),
      modelId: MODEL_ID,
      inputsRoot: keccak256(toUtf8Bytes(`inputs of round ${n}`)),
    }));
    const domain = riskOracleDomain(chainId, await chain.deployment.oracle.getAddress());
    const digest = batchDigest(domain, updates);
    await withDb(async (db) => {
      for (const [i, u] of updates.entries())
        await saveRound(
          db,
          {
            chainId,
            ...u,
            round: n,
            validUntil: Number(u.validUntil),
            atBlock: head.number,
            status: 'proposed',
            explanation: { at: head.timestamp, symbol: reserves[i]!.symbol },
          },
          [],
        );
      await signedByQuorum(db, digest, 'parameters', (w) => signBatch(w, domain, updates));
    });
    return digest;
  }

  /** Credit epoch `n` of eight wallets, proposed and signed by three of the five signers. */
  async function storeEpoch(n: number): Promise<string> {
    const head = (await chain.provider.getBlock('latest'))!;
    const entries = Array.from({ length: 8 }, (_, i) => ({
      wallet: getAddress(dataSlice(keccak256(toUtf8Bytes(`wallet ${i} of epoch ${n}`)), 12)),
      score: 600 + i,
      pd: BigInt(1_000 * (i + 1)),
      features: [i, n, 1, 2, 3, 4],
    }));
    const domain = creditRegistryDomain(chainId, await chain.deployment.registry.getAddress());
    return withDb(async (db) => {
      const stored = await proposeCreditEpoch({
        db,
        chainId,
        epoch: n,
        modelId: MODEL_ID,
        atBlock: head.number,
        entries,
        dataTime: head.timestamp,
      });
      const message = { epoch: BigInt(n), root: stored.root, modelId: MODEL_ID, walletCount: BigInt(entries.length) };
      const digest = epochDigest(domain, message);
      await signedByQuorum(db, digest, 'epoch', (w) => signEpoch(w, domain, message));
      return digest;
    });
  }

  const isBroadcast = (c: RpcCall) => c.method === 'eth_sendRawTransaction';
  const isOurReceipt = (c: RpcCall) => c.method === 'eth_getTransactionReceipt' && gate.sent.includes(c.params[0] as string);

  /**
   * Runs `risk-oracle publish` in a process of its own and kills it with SIGKILL at `point`; returns the hash of
   * the transaction it had signed.
   */
  async function publishKilledAt(point: Point, kind: Kind, n: number): Promise<string> {
    const child = spawn(process.execPath, [BIN, 'publish', '--key-env', 'PUBLISHER_KEY'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    // a publisher that exits by itself never reaches the point: fail with what it said
    const early = exited.then(() => Promise.reject(new Error(`publish exited before the crash point (${point}): ${output}`)));
    const reach = <T>(p: Promise<T>) => Promise.race([p, early]);
    const kill = async () => {
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
    };
    const sentBefore = gate.sent.length;
    if (point === 'recorded') await reach(gate.hold(isBroadcast));
    else if (point === 'pending' || point === 'mined') await reach(gate.hold(isOurReceipt));
    else await killAfterConfirmation(kind, n, reach, kill);
    if (child.exitCode === null && child.signalCode === null) await kill();
    expect(gate.sent.length).toBe(sentBefore + 1);
    return gate.sent[sentBefore]!;
  }

  /**
   * Postgres: holds the broadcast, locks the round's (epoch's) rows, lets the broadcast go, and kills the publisher
   * once it waits on that lock: it has recorded the confirmation and is about to mark the round published. Its
   * blocked statement is then cancelled with its connection, so nothing of it lands after the kill.
   */
  async function killAfterConfirmation(
    kind: Kind,
    n: number,
    reach: <T>(p: Promise<T>) => Promise<T>,
    kill: () => Promise<void>,
  ): Promise<void> {
    const broadcast = await reach(gate.hold(isBroadcast));
    const h = await database.open();
    await h.db.transaction().execute(async (trx) => {
      if (kind === 'round')
        await sql`select 1 from risk_parameter_rounds where chain_id = ${chainId} and round = ${n} for update`.execute(trx);
      else await sql`select 1 from credit_epochs where chain_id = ${chainId} and epoch = ${n} for update`.execute(trx);
      const holder = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)).rows[0]!.pid;
      broadcast.release();
      const waiting = await reach(
        until('the publisher to wait for the lock', async () => {
          const rows = await sql<{ pid: number }>`select pid from pg_stat_activity where ${holder} = any(pg_blocking_pids(pid))`.execute(
            h.db,
          );
          return rows.rows[0]?.pid;
        }),
      );
      const hash = gate.sent[gate.sent.length - 1]!;
      expect((await h.db.selectFrom('publications').select('status').where('tx_hash', '=', hash).executeTakeFirstOrThrow()).status).toBe(
        'confirmed',
      );
      await kill();
      await sql`select pg_terminate_backend(${waiting})`.execute(h.db);
    });
  }

  /** The stored statuses of round `n` (one per asset) or of epoch `n`, without repeats. */
  async function statusesOf(db: Kysely<Database>, kind: Kind, n: number): Promise<Set<string>> {
    const rows =
      kind === 'round'
        ? await db.selectFrom('risk_parameter_rounds').select('status').where('chain_id', '=', chainId).where('round', '=', n).execute()
        : await db.selectFrom('credit_epochs').select('status').where('chain_id', '=', chainId).where('epoch', '=', n).execute();
    return new Set(rows.map((r) => r.status));
  }

  /** What the killed process left: the attempt's record and where its transaction is. */
  async function expectLeftAt(point: Point, hash: string, kind: Kind, n: number): Promise<void> {
    const { attempt, marked } = await withDb(async (db) => ({
      attempt: await db.selectFrom('publications').select('status').where('tx_hash', '=', hash).executeTakeFirstOrThrow(),
      marked: await statusesOf(db, kind, n),
    }));
    const tx = await chain.provider.getTransaction(hash);
    const where = !tx ? 'never broadcast' : tx.blockNumber === null ? 'in the mempool' : 'mined';
    const expected = {
      recorded: ['pending', 'never broadcast'],
      pending: ['submitted', 'in the mempool'],
      mined: ['submitted', 'mined'],
      confirmed: ['confirmed', 'mined'],
    }[point];
    expect([attempt.status, where]).toEqual(expected);
    expect(marked).toEqual(new Set(['signed']));
  }

  /** The chain holds round (epoch) `n` from one transaction; the database records that transaction and no open attempt. */
  async function expectPublishedOnce(kind: Kind, n: number, digest: string, restarted: { submitted: boolean; txHash?: string }) {
    const { oracle, registry } = chain.deployment;
    const events =
      kind === 'round'
        ? (await oracle.connect(chain.provider).queryFilter(oracle.filters.ParametersUpdated(undefined, n), 0)).map(
            (e) => e.transactionHash,
          )
        : (await registry.connect(chain.provider).queryFilter(registry.filters.EpochPublished(n), 0)).map((e) => e.transactionHash);
    expect(events.length).toBe(kind === 'round' ? chain.deployment.market.reserves.length : 1);
    const [onChainTx] = new Set(events);
    expect(new Set(events).size).toBe(1);
    expect(restarted.txHash).toBe(onChainTx);
    const { attempts, marked } = await withDb(async (db) => ({
      attempts: await publicationsOf(db, chainId, digest),
      marked: await statusesOf(db, kind, n),
    }));
    expect(attempts.filter((a) => a.status === 'confirmed').map((a) => a.tx_hash)).toEqual([onChainTx]);
    expect(attempts.filter((a) => a.status === 'pending' || a.status === 'submitted')).toEqual([]);
    expect(marked).toEqual(new Set(['published']));
    return attempts;
  }

  type Restarted = { digest: string; submitted: boolean; txHash?: string };
  /** `publish` again, in this process: what it says about the round or epoch it sent or found. */
  const restart = async (): Promise<Restarted> => {
    const out = await cliJson(['publish', '--key-env', 'PUBLISHER_KEY'], env);
    return (out.epoch ?? out) as Restarted;
  };

  /** Runs `fn` with automine off; each transaction broadcast through the gate meanwhile is mined right after. */
  async function minedOnBroadcast<T>(fn: () => Promise<T>): Promise<T> {
    gate.after(isBroadcast, async () => void (await gate.call('evm_mine')));
    try {
      return await fn();
    } finally {
      gate.clearAfter();
    }
  }

  const cases = (['round', 'epoch'] as const).flatMap((kind) => POINTS.map((point, i) => ({ kind, point, n: i + 1 })));

  it.each(cases)(
    '$kind $n: killed at "$point", restarted: published once',
    async ({ kind, point, n }) => {
      const digest = kind === 'round' ? await storeRound(n) : await storeEpoch(n);
      const nonce = await chain.provider.getTransactionCount(chain.publisher.address);
      const landed = point === 'mined' || point === 'confirmed';
      if (point === 'pending') await chain.provider.send('evm_setAutomine', [false]);
      let hash: string;
      let restarted: Restarted;
      try {
        hash = await publishKilledAt(point, kind, n);
        await expectLeftAt(point, hash, kind, n);
        // the restart outbids a transaction still in a mempool (same nonce), so the block that comes carries one of them
        // an epoch that landed before it was marked is confirmed and marked by the restart itself, as a round is
        restarted = await (point === 'pending' ? minedOnBroadcast(restart) : restart());
      } finally {
        if (point === 'pending') await chain.provider.send('evm_setAutomine', [true]);
      }
      expect(restarted.digest).toBe(digest);
      const attempts = await expectPublishedOnce(kind, n, digest, restarted);
      expect(await chain.provider.getTransactionCount(chain.publisher.address)).toBe(nonce + 1);
      // resent at the same nonce when nothing had landed; found and recorded when it had
      expect(restarted.submitted).toBe(!landed);
      expect(attempts.map((a) => [a.status, a.nonce])).toEqual(
        landed
          ? [['confirmed', nonce]]
          : [
              ['replaced', nonce],
              ['confirmed', nonce],
            ],
      );
      if (landed) expect(restarted.txHash).toBe(hash);
      else expect(await chain.provider.getTransactionReceipt(hash)).toBeNull();
      // and a third run finds nothing left to send
      expect(await cliRefused(['publish', '--key-env', 'PUBLISHER_KEY'], env)).toMatch(/nothing to publish/);
    },
    180_000,
  );

  it('no gap and no repeat: every round and epoch on-chain came from exactly one transaction, in order', async () => {
    const { oracle, registry } = chain.deployment;
    const rounds = await oracle.connect(chain.provider).queryFilter(oracle.filters.ParametersUpdated(), 0);
    for (const r of chain.deployment.market.reserves)
      expect(rounds.filter((e) => e.args.asset.toLowerCase() === r.address.toLowerCase()).map((e) => Number(e.args.round))).toEqual(
        POINTS.map((_, i) => i + 1),
      );
    const epochs = await registry.connect(chain.provider).queryFilter(registry.filters.EpochPublished(), 0);
    expect(epochs.map((e) => Number(e.args.epoch))).toEqual(POINTS.map((_, i) => i + 1));
    expect(new Set([...rounds, ...epochs].map((e) => e.transactionHash)).size).toBe(2 * POINTS.length);
    expect(await chain.provider.getTransactionCount(chain.publisher.address)).toBe(2 * POINTS.length);
  });
});
