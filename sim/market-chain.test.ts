import { JsonRpcProvider } from 'ethers';
import { localProvider, startAnvil, type AnvilInstance } from '../core';
import { createTestDatabase } from '../core/test/db';
import { deployAaveMarket, ensureCompiled, type AaveMarket } from '../contracts';
import { runIndexer } from '../indexer';
import { planAgents, replaySteps, type AgentPlan } from './agents';
import {
  AGGREGATOR_ABI,
  BlockBuilder,
  chainMarketOf,
  ERC20_ABI,
  emptyEventCounts,
  POOL_ABI,
  POOL_EVENT_TOPICS,
  takeOverMining,
  type ChainMarket,
  type PoolEventKind,
} from './chain';
import { runChainSimulation, type ChainSimulationResult } from './market-chain';
import { createBatchRpc } from './rpc';
import { crashPath } from './testing';
import { chainMarketIndexing } from '../indexer/testing/aave-scenario';

const ERC20_APPROVE = (spender: string): string => ERC20_ABI.encodeFunctionData('approve', [spender, 1n]);

/**
 * Agents and the liquidation bot on a real Aave V3 market on anvil: 40 wallets over 30 days of prices with a crash of
 * the volatile assets on day 18. Properties, each checked against the chain itself:
 * - every planned action lands on-chain (no revert) and shows as a Pool event;
 * - every account the bot liquidated had a health factor below 1 just before, and no account below 1 was left
 *   unliquidated by the bot's block: healthy accounts are never liquidated, unhealthy ones always are;
 * - the RPC indexer stores exactly the Pool events the simulation's transactions emitted.
 */
describe('on-chain agents and the liquidation bot (anvil, Aave V3)', () => {
  let anvil: AnvilInstance;
  let provider: JsonRpcProvider;
  let market: AaveMarket;
  let chainMarket: ChainMarket;
  let agents: AgentPlan[];
  let result: ChainSimulationResult;
  const path = crashPath(30, 18);

  beforeAll(async () => {
    anvil = await startAnvil({ gasLimit: 1_000_000_000n });
    await ensureCompiled({ quiet: true });
    provider = localProvider(anvil.rpcUrl);
    const deployer = await provider.getSigner(0);
    market = await deployAaveMarket(deployer);
    chainMarket = await chainMarketOf(market);
    const steps = replaySteps(path);
    agents = planAgents(path, steps, { seed: 7, count: 40, reserves: chainMarket.reserves });
    result = await runChainSimulation({
      rpcUrl: anvil.rpcUrl,
      market: chainMarket,
      path,
      steps,
      agents,
      priceAdmin: await deployer.getAddress(),
      seed: 7,
    });
  }, 120_000);

  afterAll(async () => {
    provider?.destroy();
    await anvil?.stop();
  });

  it('lands every planned action on-chain as Pool events, none reverted, and hands mining back', async () => {
    const planned = agents.flatMap((a) => a.loans);
    expect(result.reverted).toBe(0);
    expect(result.loans.opened).toBe(planned.length);
    // the liquidity provider's supplies (one per reserve) and the agents' collateral
    expect(result.events.supply).toBe(planned.length + chainMarket.reserves.length);
    expect(result.events.borrow).toBe(planned.length);
    expect(result.events.repay).toBeGreaterThan(0);
    expect(result.events.withdraw).toBeGreaterThan(0);
    expect(result.priceUpdates).toBeGreaterThan(result.steps);
    const block = await provider.getBlock('latest');
    expect(block!.timestamp).toBe(result.endAt);
    expect(result.endAt - result.startAt).toBeGreaterThanOrEqual(path.t.at(-1)! - path.t[0]!);
    // in each step's block the price moves come first, then the agents act at the new prices
    const rpc = createBatchRpc(anvil.rpcUrl);
    const range = { fromBlock: `0x${result.fromBlock.toString(16)}`, toBlock: `0x${result.toBlock.toString(16)}` };
    type Log = { blockNumber: string; transactionIndex: string };
    const [answers, poolEvents] = await rpc.batch<Log[]>([
      { method: 'eth_getLogs', params: [{ ...range, topics: [AGGREGATOR_ABI.getEvent('AnswerUpdated')!.topicHash] }] },
      { method: 'eth_getLogs', params: [{ ...range, address: chainMarket.pool, topics: [Object.keys(POOL_EVENT_TOPICS)] }] },
    ]);
    expect(answers).toHaveLength(result.priceUpdates);
    let shared = 0;
    for (const e of poolEvents) {
      const sameBlock = answers.filter((a) => a.blockNumber === e.blockNumber);
      if (sameBlock.length > 0) shared++;
      for (const a of sameBlock) expect(Number(a.transactionIndex)).toBeLessThan(Number(e.transactionIndex));
    }
    expect(shared).toBeGreaterThan(0);
    // automine is back on: an ordinary transaction is mined at once
    const signer = await provider.getSigner(1);
    const receipt = await (await signer.sendTransaction({ to: await signer.getAddress(), value: 1n })).wait();
    expect(receipt!.status).toBe(1);
  });

  it('liquidates after the crash, only accounts below a health factor of 1, and all of them', async () => {
    expect(result.liquidations.events).toBeGreaterThan(0);
    expect(result.liquidations.list).toHaveLength(result.liquidations.events);
    const rpc = createBatchRpc(anvil.rpcUrl);
    const hfAt = async (block: number, users: string[]) => {
      const out = await rpc.batch<string>(
        users.map((u) => ({
          method: 'eth_call',
          params: [{ to: chainMarket.pool, data: POOL_ABI.encodeFunctionData('getUserAccountData', [u]) }, `0x${block.toString(16)}`],
        })),
      );
      return out.map((d) => POOL_ABI.decodeFunctionResult('getUserAccountData', d));
    };
    const blocks = [...new Set(result.liquidations.list.map((l) => l.block))];
    let healthyBorrowersSpared = 0;
    for (const b of blocks) {
      const liquidatedHere = new Set(result.liquidations.list.filter((l) => l.block === b).map((l) => l.user.toLowerCase()));
      const before = await hfAt(
        b - 1,
        agents.map((a) => a.address),
      );
      agents.forEach((a, i) => {
        const d = before[i]!;
        const unhealthy =
          (d.totalDebtBase as bigint) > 0n && (d.healthFactor as bigint) < 10n ** 18n && (d.totalCollateralBase as bigint) > 0n;
        expect({ agent: a.address, liquidated: liquidatedHere.has(a.address.toLowerCase()) }).toEqual({
          agent: a.address,
          liquidated: unhealthy,
        });
        if (!unhealthy && (d.totalDebtBase as bigint) > 0n) healthyBorrowersSpared++;
      });
    }
    // some borrowers were healthy while others were liquidated, and were left alone
    expect(healthyBorrowersSpared).toBeGreaterThan(0);
    // the crash (day 18) is what made them unhealthy
    const first = Math.min(...blocks);
    const crashBlock = await provider.getBlock(first);
    expect(crashBlock!.timestamp - result.startAt).toBeGreaterThanOrEqual(18 * 86_400 - 3_600);
    for (const l of result.liquidations.list) expect(l.healthFactor).toBeLessThan(1);
  });

  it('indexes the same Pool events the transactions emitted (RPC indexer into PGlite or Postgres)', async () => {
    const db = await createTestDatabase();
    try {
      const indexed = await runIndexer({
        db,
        provider,
        ...chainMarketIndexing(chainMarket, market, anvil.chainId),
        chainId: anvil.chainId,
        fromBlock: 0,
        finalityDepth: 0,
      });
      expect(indexed.lastBlock).toBeGreaterThanOrEqual(result.toBlock);
      const rows = await db.db
        .selectFrom('lending_events')
        .select(['kind', (eb) => eb.fn.countAll<string>().as('n')])
        .where('block_number', '>=', result.fromBlock)
        .where('block_number', '<=', result.toBlock)
        .groupBy('kind')
        .execute();
      const counts = emptyEventCounts();
      for (const r of rows) if (r.kind in counts) counts[r.kind as PoolEventKind] = Number(r.n);
      expect(counts).toEqual(result.events);
      const liquidated = await db.db
        .selectFrom('lending_events')
        .select('user_address')
        .distinct()
        .where('kind', '=', 'liquidation')
        .execute();
      expect(liquidated.map((r) => r.user_address).sort()).toEqual([...new Set(result.liquidations.list.map((l) => l.user))].sort());
      // every price the path set is an indexed feed answer
      const prices = await db.db
        .selectFrom('price_points')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('source', '=', 'chainlink')
        .where('block_number', '>=', result.fromBlock)
        .executeTakeFirstOrThrow();
      expect(Number(prices.n)).toBe(result.priceUpdates);
    } finally {
      await db.close();
    }
  });

  it('counts a transaction that did not emit the event it was sent for as reverted', async () => {
    const rpc = createBatchRpc(anvil.rpcUrl);
    const restore = await takeOverMining(rpc);
    try {
      const builder = new BlockBuilder(rpc, chainMarket.pool, 10n ** 10n);
      const who = '0x000000000000000000000000000000000000dEaD';
      await rpc.call('anvil_setBalance', [who, '0x3635c9adc5dea00000']);
      await builder.syncNonces([who]);
      const usdc = chainMarket.reserves.find((r) => r.symbol === 'USDC')!.address;
      // no collateral: Aave refuses the borrow; the approval goes through
      builder.send(who, chainMarket.pool, POOL_ABI.encodeFunctionData('borrow', [usdc, 1_000_000n, 2, 0, who]), 600_000, 'borrow');
      builder.send(who, usdc, ERC20_APPROVE(chainMarket.pool), 80_000, 'approve');
      builder.setClock(result.endAt + 3_600);
      expect(await builder.mine()).toHaveLength(1);
      expect(await builder.settle()).toMatchObject({ transactions: 2, reverted: 1, revertedByTag: { borrow: 1 }, blocks: 1 });
    } finally {
      await restore();
    }
  });
});
