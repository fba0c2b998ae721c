import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Wallet, type BaseContract, type JsonRpcProvider } from 'ethers';
import { localProvider, startAnvil, type AnvilInstance, type OracleContractKind } from '../../core';
import { createTestDatabase } from '../../core/test/db';
import { deployAll, riskOracleDomain, writeDeployment, type Deployment, type ParameterUpdate } from '../../contracts';
import { signedBy, WIDE_BOUNDS } from '../../contracts/testing';
import { indexDeployment, type IndexDeployment } from '../../cli/commands/index-chain';
import { runIndexer } from './runner';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;
const FINALITY = 64;

/**
 * The oracle monitors what it published: RiskOracle's, RiskSteward's and CreditScoreRegistry's events are indexed
 * from a deployment like Aave's (same batches, same reorg handling) into `oracle_events`, each as the contract
 * emitted it.
 */
describe(`indexing our own contracts' events (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  let anvil: AnvilInstance;
  let provider: JsonRpcProvider;
  let d: Deployment;
  let indexed: IndexDeployment;
  let db: TestDb;
  const signers = Array.from({ length: 5 }, () => Wallet.createRandom());

  const index = () => runIndexer({ db, provider, ...indexed, chainId: anvil.chainId, fromBlock: indexed.block, finalityDepth: FINALITY });
  const stored = () =>
    db.db
      .selectFrom('oracle_events')
      .select(['contract', 'event', 'block_number', 'tx_hash', 'log_index', 'asset', 'round', 'epoch', 'args'])
      .where('chain_id', '=', anvil.chainId)
      .orderBy('block_number')
      .orderBy('log_index')
      .execute();
  /** Every event the three contracts emitted, read back through their own ABIs. */
  const emitted = async () => {
    const contracts: Array<[OracleContractKind, BaseContract]> = [
      ['risk_oracle', d.oracle],
      ['risk_steward', d.steward],
      ['credit_registry', d.registry],
    ];
    const all = [];
    for (const [contract, c] of contracts)
      for (const e of await c.queryFilter('*', indexed.block))
        all.push({
          contract,
          event: 'eventName' in e ? e.eventName : '?',
          block_number: e.blockNumber,
          tx_hash: e.transactionHash.toLowerCase(),
          log_index: e.index,
        });
    return all.sort((a, b) => a.block_number - b.block_number || a.log_index - b.log_index);
  };

  beforeAll(async () => {
    anvil = await startAnvil({ gasLimit: 1_000_000_000n, args: ['--code-size-limit', '100000'] });
    provider = localProvider(anvil.rpcUrl);
    d = await deployAll(await provider.getSigner(0), { signers: signers.map((s) => s.address), threshold: 3, bounds: WIDE_BOUNDS });
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ro-oracle-events-')), 'deployment.json');
    writeDeployment(file, d);
    indexed = indexDeployment(file); // what `risk-oracle index` reads
    db = await createTestDatabase();
  }, 180_000);
  afterAll(async () => {
    await db?.close();
    provider?.destroy();
    await anvil?.stop();
  });

  it('keeps every event of the three contracts as emitted, with the asset, round and arguments of a published round', async () => {
    const weth = d.market.reserves[0]!.address;
    const now = (await provider.getBlock('latest'))!.timestamp;
    const update: ParameterUpdate = {
      asset: weth,
      ltv: 7_600,
      liquidationThreshold: 7_900,
      liquidationBonus: 10_600,
      round: 1n,
      validUntil: BigInt(now + 600),
      modelId: `0x${'ab'.repeat(32)}`,
      inputsRoot: `0x${'cd'.repeat(32)}`,
    };
    const domain = riskOracleDomain(anvil.chainId, await d.oracle.getAddress());
    await (await d.oracle.publish(update, await signedBy(signers.slice(0, 3), domain, update))).wait();
    await (await d.steward.applyParameters(weth)).wait();

    await index();
    const rows = await stored();
    const expected = await emitted();
    expect(
      rows.map(({ contract, event, block_number, tx_hash, log_index }) => ({ contract, event, block_number, tx_hash, log_index })),
    ).toEqual(expected);
    // the deployment's own configuration events of every contract, and the round's publication and application
    expect(new Set(rows.map((r) => r.contract))).toEqual(new Set(['risk_oracle', 'risk_steward', 'credit_registry']));
    const published = rows.find((r) => r.event === 'ParametersUpdated' && r.asset === weth.toLowerCase())!;
    expect({ round: published.round, args: published.args }).toEqual({
      round: 1,
      args: expect.objectContaining({
        asset: weth.toLowerCase(),
        round: '1',
        ltv: '7600',
        liquidationThreshold: '7900',
        liquidationBonus: '10600',
        modelId: update.modelId,
        inputsRoot: update.inputsRoot,
      }),
    });
    const applied = rows.find((r) => r.event === 'ParametersApplied')!;
    expect([applied.contract, applied.asset, applied.round]).toEqual(['risk_steward', weth.toLowerCase(), 1]);
    const bounds = rows.find((r) => r.event === 'BoundsSet' && r.asset === weth.toLowerCase())!;
    expect((bounds.args as { bounds: Record<string, string> }).bounds.maxChangeBps).toBe(String(WIDE_BOUNDS.maxChangeBps));

    await index(); // idempotent
    expect(await stored()).toEqual(rows);
  });

  it('drops the events of blocks a reorg replaced', async () => {
    const before = await stored();
    const snapshot = (await provider.send('evm_snapshot', [])) as string;
    await (await d.oracle.pause()).wait(); // the deployer is the guardian
    await index();
    expect((await stored()).map((r) => r.event)).toContain('Paused');

    await provider.send('evm_revert', [snapshot]);
    for (let i = 0; i < 3; i++) await provider.send('evm_mine', []); // another, longer history without the pause
    const result = await index();
    expect(result.reorgs.length).toBeGreaterThan(0);
    expect(await stored()).toEqual(before);
  });
});
