import { getAddress, keccak256, MaxUint256, toBeHex, toUtf8Bytes } from 'ethers';
import type { AgentPlan, PricePath } from './agents';
import {
  AGGREGATOR_ABI,
  BlockBuilder,
  DATA_PROVIDER_ABI,
  ERC20_ABI,
  POOL_ABI,
  takeOverMining,
  type ChainMarket,
  type PoolEventKind,
} from './chain';
import { Liquidator } from './liquidator';
import { createBatchRpc } from './rpc';
import { WALLET_TYPES, type WalletType } from './wallet-types';
import { rawAmount } from './writer';

/**
 * Plays planned borrower agents (sim/agents.ts) on a real Aave V3 market on anvil, over a price path: the path moves
 * the market's price feeds step by step, the agents supply, borrow, repay and withdraw, and a liquidation bot
 * (sim/liquidator.ts) liquidates every account whose health factor fell below 1. Fast by construction: automine off,
 * every sender impersonated, explicit nonces and gas limits, one JSON-RPC batch and one block per step and phase.
 */

export interface ChainSimulationOptions {
  rpcUrl: string;
  market: ChainMarket;
  path: PricePath;
  /** Path indices to replay (sim/agents.ts `replaySteps`); the agents' plans refer to positions in this list. */
  steps: readonly number[];
  agents: readonly AgentPlan[];
  /** Owner of the reserves' aggregators: it moves the prices. */
  priceAdmin: string;
  /** Chain time of the first step (the replay keeps the path's spacing). Default: the head's time + 1 hour. */
  startAt?: number;
  /** Labels the liquidity provider and bot addresses. Default 1. */
  seed?: number;
  onProgress?: (p: { step: number; steps: number }) => void;
}

export interface ChainSimulationResult {
  agents: number;
  byType: Record<WalletType, number>;
  steps: number;
  /** Chain time and blocks the simulation spans (setup included). */
  startAt: number;
  endAt: number;
  fromBlock: number;
  toBlock: number;
  transactions: number;
  reverted: number;
  revertedByTag: Record<string, number>;
  priceUpdates: number;
  gasUsed: number;
  /** Pool events of the simulation's transactions (agents, the liquidity provider and the bot). */
  events: Record<PoolEventKind, number>;
  /** Loans opened, closed, and left unpaid by their borrowers. */
  loans: { opened: number; closed: number };
  liquidations: {
    /** `liquidationCall`s sent, and accounts the bot checked on-chain. */
    calls: number;
    checks: number;
    /** LiquidationCall events, the accounts they hit, by hidden type. */
    events: number;
    accounts: number;
    byType: Record<WalletType, number>;
    /** Every successful liquidation, with the health factor the Pool reported before it. */
    list: Array<{ user: string; block: number; healthFactor: number }>;
  };
  liquidityProvider: string;
  liquidator: string;
  seconds: number;
}

const label = (seed: number, name: string): string => getAddress(`0x${keccak256(toUtf8Bytes(`risk-oracle ${name} ${seed}`)).slice(-40)}`);
const GAS = { mint: 120_000, approve: 80_000, supply: 500_000, borrow: 600_000, repay: 500_000, withdraw: 500_000, price: 80_000 };
const zeroByType = (): Record<WalletType, number> => Object.fromEntries(WALLET_TYPES.map((t) => [t, 0])) as Record<WalletType, number>;

export async function runChainSimulation(options: ChainSimulationOptions): Promise<ChainSimulationResult> {
  const started = Date.now();
  const { market, path, steps, agents } = options;
  const rpc = createBatchRpc(options.rpcUrl);
  const seed = options.seed ?? 1;
  const lp = label(seed, 'liquidity provider');
  const bot = label(seed, 'liquidation bot');
  const reserve = new Map(market.reserves.map((r) => [r.symbol, r]));
  for (const s of Object.keys(path.prices)) if (!reserve.has(s)) throw new Error(`the price path's ${s} is not a reserve of the market`);
  const amount = (symbol: string, units: number): bigint => BigInt(rawAmount(units, reserve.get(symbol)!.decimals));
  const typeOf = new Map(agents.map((a) => [a.address.toLowerCase(), a.type]));

  const head = await rpc.call<{ number: string; timestamp: string; baseFeePerGas?: string }>('eth_getBlockByNumber', ['latest', false]);
  const startAt = options.startAt ?? Number(head.timestamp) + 3_600;
  const baseFee = BigInt(head.baseFeePerGas ?? '0x3b9aca00');
  const builder = new BlockBuilder(rpc, market.pool, 4n * baseFee + 1_000_000_000n);
  const restore = await takeOverMining(rpc);
  try {
    const senders = [...agents.map((a) => a.address), lp, bot];
    await rpc.batch(senders.map((a) => ({ method: 'anvil_setBalance', params: [a, toBeHex(10n ** 21n)] })));
    await builder.syncNonces([...senders, options.priceAdmin]);

    // set-up: each agent mints what its loans need and approves the Pool; the liquidity provider supplies twice
    // what the agents will borrow of each reserve; the bot holds as much of each debt asset
    const borrowed = new Map<string, number>();
    for (const a of agents) {
      const collateral = new Map<string, number>();
      const debt = new Map<string, number>();
      for (const l of a.loans) {
        collateral.set(l.collateral, (collateral.get(l.collateral) ?? 0) + l.collateralUnits);
        debt.set(l.debt, (debt.get(l.debt) ?? 0) + l.debtUnits);
        borrowed.set(l.debt, (borrowed.get(l.debt) ?? 0) + l.debtUnits);
      }
      // collateral for every loan; a quarter more of each debt asset than borrowed, for the interest
      const needs = new Map(collateral);
      for (const [s, u] of debt) needs.set(s, (needs.get(s) ?? 0) + 0.25 * u);
      for (const [s, u] of needs) {
        const token = reserve.get(s)!.address;
        builder.send(a.address, token, ERC20_ABI.encodeFunctionData('mint', [amount(s, u * 1.000_001)]), GAS.mint, 'mint');
        builder.send(a.address, token, ERC20_ABI.encodeFunctionData('approve', [market.pool, MaxUint256]), GAS.approve, 'approve');
      }
    }
    for (const r of market.reserves) {
      const units = Math.max(2 * (borrowed.get(r.symbol) ?? 0), 1_000_000 / path.prices[r.symbol]![steps[0]!]!);
      const raw = amount(r.symbol, units);
      for (const who of [lp, bot]) {
        builder.send(who, r.address, ERC20_ABI.encodeFunctionData('mint', [raw]), GAS.mint, 'mint');
        builder.send(who, r.address, ERC20_ABI.encodeFunctionData('approve', [market.pool, MaxUint256]), GAS.approve, 'approve');
      }
      builder.send(lp, market.pool, POOL_ABI.encodeFunctionData('supply', [r.address, raw, lp, 0]), GAS.supply, 'supply');
    }
    builder.setClock(startAt - 60);
    const setup = await builder.mine();
    const fromBlock = setup[0]!;

    const liquidator = new Liquidator({ rpc, market, address: bot, fromBlock });
    const liquidated = new Set<string>();
    const lastPrice = new Map<string, bigint>();
    let priceUpdates = 0;
    let lastBlock = setup[setup.length - 1]!;
    const loans = { opened: 0, closed: 0 };
    const t0 = path.t[steps[0]!]!;

    // what each step asks of the agents
    type Action = { agent: AgentPlan; loan: AgentPlan['loans'][number]; kind: 'open' | 'instalment' | 'close' };
    const actions: Action[][] = steps.map(() => []);
    for (const agent of agents) {
      for (const loan of agent.loans) {
        actions[loan.open]!.push({ agent, loan, kind: 'open' });
        if (loan.instalment !== null) actions[loan.instalment]!.push({ agent, loan, kind: 'instalment' });
        if (loan.close !== null) actions[loan.close]!.push({ agent, loan, kind: 'close' });
      }
    }
    const noteMined = (blocks: number[]): void => {
      lastBlock = blocks[blocks.length - 1]!;
    };

    for (let s = 0; s < steps.length; s++) {
      const at = startAt + (path.t[steps[s]!]! - t0);
      builder.setClock(at);
      // the price move first in the block, then the agents acting at the new prices
      for (const r of market.reserves) {
        const p = path.prices[r.symbol]?.[steps[s]!];
        if (p === undefined) continue;
        const answer = BigInt(Math.round(p * 1e8));
        if (lastPrice.get(r.symbol) === answer) continue;
        lastPrice.set(r.symbol, answer);
        builder.send(options.priceAdmin, r.aggregator, AGGREGATOR_ABI.encodeFunctionData('setAnswer', [answer]), GAS.price, 'price', true);
        priceUpdates++;
      }
      // the agents act at the new prices
      const due = actions[s]!;
      // a liquidated borrower closes what is left of its position (nothing, if the bot took it all)
      const checks = due.filter((a) => a.kind !== 'open' && liquidated.has(a.agent.address.toLowerCase()));
      const left = new Map<Action, { collateral: bigint; debt: bigint }>();
      if (checks.length > 0) {
        const out = await rpc.batch<string>(
          checks.flatMap((a) =>
            [a.loan.collateral, a.loan.debt].map((sym) => ({
              method: 'eth_call',
              params: [
                {
                  to: market.dataProvider,
                  data: DATA_PROVIDER_ABI.encodeFunctionData('getUserReserveData', [reserve.get(sym)!.address, a.agent.address]),
                },
                'latest',
              ],
            })),
          ),
        );
        checks.forEach((a, i) => {
          const c = DATA_PROVIDER_ABI.decodeFunctionResult('getUserReserveData', out[2 * i]!);
          const d = DATA_PROVIDER_ABI.decodeFunctionResult('getUserReserveData', out[2 * i + 1]!);
          left.set(a, { collateral: c.currentATokenBalance as bigint, debt: d.currentVariableDebt as bigint });
        });
      }
      for (const a of due) {
        const { agent, loan } = a;
        const who = agent.address;
        const collateral = reserve.get(loan.collateral)!.address;
        const debt = reserve.get(loan.debt)!.address;
        const state = left.get(a);
        if (a.kind === 'open') {
          const borrow = amount(loan.debt, loan.debtUnits);
          builder.send(
            who,
            market.pool,
            POOL_ABI.encodeFunctionData('supply', [collateral, amount(loan.collateral, loan.collateralUnits), who, 0]),
            GAS.supply,
            'supply',
          );
          if (borrow > 0n)
            builder.send(who, market.pool, POOL_ABI.encodeFunctionData('borrow', [debt, borrow, 2, 0, who]), GAS.borrow, 'borrow');
          loans.opened++;
        } else if (a.kind === 'instalment') {
          if (state && state.debt === 0n) continue;
          builder.send(
            who,
            market.pool,
            POOL_ABI.encodeFunctionData('repay', [debt, amount(loan.debt, loan.debtUnits * loan.instalmentShare), 2, who]),
            GAS.repay,
            'repay',
          );
        } else {
          if (!state || state.debt > 0n)
            builder.send(who, market.pool, POOL_ABI.encodeFunctionData('repay', [debt, MaxUint256, 2, who]), GAS.repay, 'repay');
          if (!state || state.collateral > 0n)
            builder.send(
              who,
              market.pool,
              POOL_ABI.encodeFunctionData('withdraw', [collateral, MaxUint256, who]),
              GAS.withdraw,
              'withdraw',
            );
          loans.closed++;
        }
      }
      if (builder.pending > 0) noteMined(await builder.mine());

      // the bot: after each price move, every account below 1 is liquidated (again, while still below 1)
      for (let round = 0; round < 3; round++) {
        await liquidator.follow(lastBlock);
        const targets = await liquidator.findUnhealthy();
        if (targets.length === 0) break;
        liquidator.liquidate(builder, targets);
        noteMined(await builder.mine());
      }
      for (const l of liquidator.liquidated) liquidated.add(l.user);

      options.onProgress?.({ step: s + 1, steps: steps.length });
    }

    const byType = zeroByType();
    for (const a of agents) byType[a.type]++;
    const liquidatedByType = zeroByType();
    for (const u of liquidated) {
      const t = typeOf.get(u);
      if (t) liquidatedByType[t]++;
    }
    await liquidator.follow(lastBlock);
    for (const l of liquidator.liquidated) liquidated.add(l.user);
    const stats = await builder.settle();
    const end = await rpc.call<{ timestamp: string }>('eth_getBlockByNumber', ['latest', false]);
    return {
      agents: agents.length,
      byType,
      steps: steps.length,
      startAt,
      endAt: Number(end.timestamp),
      fromBlock,
      toBlock: lastBlock,
      transactions: stats.transactions,
      reverted: stats.reverted,
      revertedByTag: stats.revertedByTag,
      priceUpdates,
      gasUsed: Number(stats.gasUsed),
      events: stats.events,
      loans,
      liquidations: {
        calls: liquidator.stats.calls,
        checks: liquidator.stats.checks,
        events: stats.events.liquidation,
        accounts: liquidated.size,
        byType: liquidatedByType,
        list: liquidator.liquidated,
      },
      liquidityProvider: lp,
      liquidator: bot,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await restore();
  }
}
