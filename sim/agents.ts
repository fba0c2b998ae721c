import { getAddress, keccak256, toUtf8Bytes } from 'ethers';
import { categorical, createRandom, normal, poisson, type Random } from '../core/random';
import { TYPE_PARAMS, UTIL_SD, utilisation, WALLET_TYPES, type WalletType } from './wallet-types';

/**
 * On-chain borrower agents: the plan. Each agent has a hidden type from the simulator's generator
 * (sim/wallet-types.ts) and, over a price path, a sequence of loans on a real Aave V3 market: supply a collateral,
 * borrow against it at a utilisation of the reserve's LTV drawn from its type, then repay (in one or two
 * instalments) and withdraw before the next, or fail to repay and walk away. The last loan stays open. What happens
 * to the loans under the price path (liquidations) is left to the chain and the liquidation bot (sim/market-chain.ts).
 */

/** A price path on a common time grid: `prices[symbol][i]` is the USD price at `t[i]` (unix seconds). */
export interface PricePath {
  t: number[];
  prices: Record<string, number[]>;
}

/**
 * Series of (t, price) per symbol on the union of their timestamps, each carried forward from its last point and
 * starting where every symbol has a price.
 */
export function pricePath(series: Record<string, ReadonlyArray<{ t: number; p: number }>>): PricePath {
  const symbols = Object.keys(series);
  if (symbols.length === 0) throw new Error('pricePath: no series');
  for (const s of symbols) if (series[s]!.length === 0) throw new Error(`pricePath: the ${s} series is empty`);
  const start = Math.max(...symbols.map((s) => series[s]![0]!.t));
  const grid = [...new Set(symbols.flatMap((s) => series[s]!.map((x) => x.t)))].filter((t) => t >= start).sort((a, b) => a - b);
  const prices: Record<string, number[]> = {};
  for (const s of symbols) {
    const points = series[s]!;
    const out: number[] = new Array(grid.length);
    let k = 0;
    for (let i = 0; i < grid.length; i++) {
      while (k + 1 < points.length && points[k + 1]!.t <= grid[i]!) k++;
      out[i] = points[k]!.p;
    }
    prices[s] = out;
  }
  return { t: grid, prices };
}

/**
 * The points of the path the chain replays: one every `everySeconds` (default 6 h), and every point where some
 * price moved by more than `move` (default 2 %) since the last one kept, so a crash is replayed hour by hour.
 */
export function replaySteps(path: PricePath, options: { everySeconds?: number; move?: number } = {}): number[] {
  const every = options.everySeconds ?? 6 * 3_600;
  const move = options.move ?? 0.02;
  const symbols = Object.keys(path.prices);
  const steps = [0];
  for (let i = 1; i < path.t.length; i++) {
    const last = steps[steps.length - 1]!;
    const moved = symbols.some((s) => Math.abs(path.prices[s]![i]! / path.prices[s]![last]! - 1) > move);
    if (moved || path.t[i]! - path.t[last]! >= every || i === path.t.length - 1) steps.push(i);
  }
  return steps;
}

/** A reserve as the agents see it: its symbol, whether it is a stablecoin, and its LTV (basis points). */
export interface AgentReserve {
  symbol: string;
  stable: boolean;
  ltv: number;
}

export interface AgentLoan {
  /** Replay step (index into the steps) of the supply and borrow. */
  open: number;
  /** Step of the full repayment and withdrawal; null for the last loan, which stays open. */
  close: number | null;
  /** Step of a first, partial repayment (sloppy borrowers), before `close`. */
  instalment: number | null;
  /** Share of the debt the instalment repays. */
  instalmentShare: number;
  collateral: string;
  debt: string;
  /** Token units (not wei). */
  collateralUnits: number;
  debtUnits: number;
  /** Utilisation logit: the borrow is sigmoid(x) of the collateral's LTV. */
  utilLogit: number;
}

export interface AgentPlan {
  address: string;
  /** Hidden from every model: only the on-chain behaviour it causes is observable. */
  type: WalletType;
  loans: AgentLoan[];
}

export interface AgentOptions {
  seed: number;
  count: number;
  reserves: readonly AgentReserve[];
  /** Of the borrow: at most this share of the LTV, so rounding never makes it revert. Default 0.97. */
  maxUtilisation?: number;
  /** Mean loan size in USD (log-normal, σ = 1, as the off-chain simulator). Default 5 000. */
  sizeUsd?: number;
}

/** A deterministic address per seed and index (not one of anvil's funded accounts). */
export const agentAddress = (seed: number, i: number): string =>
  getAddress(`0x${keccak256(toUtf8Bytes(`risk-oracle agent ${seed} ${i}`)).slice(-40)}`);

/** How many loans a wallet of this type takes in its history: the off-chain generator's own law (sim/wallets.ts). */
const loanCount = (random: Random, type: WalletType): number => 1 + poisson(random, TYPE_PARAMS[type].loanRate);

/**
 * Plans `count` agents over the replay steps of a path. Deterministic for a seed. A volatile collateral (WETH, WBTC,
 * GOV) backs a stablecoin debt; a stablecoin collateral backs a volatile debt (a short).
 */
export function planAgents(path: PricePath, steps: readonly number[], options: AgentOptions): AgentPlan[] {
  const random = createRandom(options.seed ^ 0xa6e7);
  const maxU = options.maxUtilisation ?? 0.97;
  const size = options.sizeUsd ?? 5_000;
  const volatile = options.reserves.filter((r) => !r.stable);
  const stable = options.reserves.filter((r) => r.stable);
  if (volatile.length === 0 || stable.length === 0) throw new Error('planAgents needs a volatile and a stable reserve');
  const ltv = new Map(options.reserves.map((r) => [r.symbol, r.ltv / 10_000]));
  const n = steps.length;
  if (n < 8) throw new Error(`planAgents: ${n} replay steps are too few`);
  const days = (path.t[steps[n - 1]!]! - path.t[steps[0]!]!) / 86_400;
  const timeOf = (step: number): number => path.t[steps[step]!]!;
  /** The first replay step at or after time t. */
  const stepAt = (t: number): number => {
    let lo = 0;
    while (lo < n - 1 && timeOf(lo) < t) lo++;
    return lo;
  };
  const stepOfDay = (d: number): number => stepAt(timeOf(n - 1) - d * 86_400);
  const price = (symbol: string, step: number): number => path.prices[symbol]![steps[step]!]!;
  const priors = WALLET_TYPES.map((t) => TYPE_PARAMS[t].prior);
  const plans: AgentPlan[] = [];
  for (let i = 0; i < options.count; i++) {
    const type = WALLET_TYPES[categorical(random, priors)]!;
    const p = TYPE_PARAMS[type];
    // account age: exponential with the type's mean, truncated to the path (sybils arrive late)
    const rate = 1 / p.ageMeanDays;
    const age = -Math.log(1 - random() * (1 - Math.exp(-rate * days))) / rate;
    const first = Math.min(n - 3, stepOfDay(age));
    const count = loanCount(random, type);
    // openings uniform in time, as the generator's (replay steps crowd where prices move, e.g. in a crash)
    const span = timeOf(n - 2) - timeOf(first);
    const drawn = [first, ...Array.from({ length: count - 1 }, () => Math.min(n - 3, stepAt(timeOf(first) + random() * span)))].sort(
      (a, b) => a - b,
    );
    // a loan closes strictly between its opening and the next one's: openings at least two steps apart
    const opens = drawn.filter((s, k) => k === 0 || s >= drawn[k - 1]! + 2);
    const loans: AgentLoan[] = [];
    for (let k = 0; k < opens.length; k++) {
      const open = opens[k]!;
      const isVolatile = random() < p.volatileShare;
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
      const collateral = isVolatile ? pick(volatile) : pick(stable);
      const debt = isVolatile ? pick(stable) : pick(volatile);
      const x = p.utilMean + UTIL_SD * normal(random);
      const sizeUsd = size * Math.exp(normal(random));
      const debtUsd = sizeUsd * ltv.get(collateral.symbol)! * Math.min(maxU, utilisation(x));
      const loan: AgentLoan = {
        open,
        close: null,
        instalment: null,
        instalmentShare: 0,
        collateral: collateral.symbol,
        debt: debt.symbol,
        collateralUnits: sizeUsd / price(collateral.symbol, open),
        debtUnits: debtUsd / price(debt.symbol, open),
        utilLogit: x,
      };
      loans.push(loan);
      const next = opens[k + 1];
      if (next === undefined) break;
      // every loan before another is repaid, as in the generator's histories before t: what goes wrong is left to
      // the price path and the liquidation bot (an agent walking away would also end its history early, which the
      // training histories never do)
      loan.close = open + 1 + Math.floor(random() * (next - open - 1));
      if (loan.close - open >= 2 && random() < p.partialRate) {
        loan.instalment = open + 1 + Math.floor(random() * (loan.close - open - 1));
        loan.instalmentShare = 0.3 + 0.5 * random();
      }
    }
    plans.push({ address: agentAddress(options.seed, i), type, loans });
  }
  return plans;
}
