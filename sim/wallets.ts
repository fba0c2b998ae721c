import { trailingVolatility, type SimMarket } from './market';
import { categorical, createRandom, normal, poisson, type Random } from '../core/random';
import {
  defaultProbability,
  MAX_LTV,
  UTIL_SD,
  posteriorDefaultProbability,
  TYPE_PARAMS,
  utilisation,
  WALLET_TYPES,
  type WalletObservables,
  type WalletType,
} from './wallet-types';

export type SimEventKind = 'supply' | 'borrow' | 'repay' | 'withdraw' | 'liquidation';

/** One Aave-style pool event, as the indexer would record it (amounts in token units, not wei). */
export interface SimEvent {
  /** Unix seconds, block number and log index (unique per chain with the wallet's tx). */
  timestamp: number;
  block: number;
  logIndex: number;
  kind: SimEventKind;
  /** Asset index in the market (`market.assets`); for a liquidation the collateral asset. */
  asset: number;
  /** Token units (rounded to 6 decimals); for a liquidation the debt covered. */
  amount: number;
  /** Liquidations only: the debt asset and the collateral seized (token units). */
  debtAsset?: number;
  collateralAmount?: number;
}

/** The wallet's health after the events of one block (what the indexer derives into `health_factors`). */
export interface HealthSnapshot {
  timestamp: number;
  block: number;
  collateralUsd: number;
  debtUsd: number;
  /** Σ collateral × liquidation threshold ÷ debt; null without debt. */
  healthFactor: number | null;
}

export interface SimWallet {
  address: string;
  /** Observation time t (unix seconds): features use history strictly before t, the label the horizon after. */
  observedAt: number;
  events: SimEvent[];
  snapshots: HealthSnapshot[];
  /** Hidden: the type and the default probability the label was drawn from. */
  hidden: { type: WalletType; pd: number; defaulted: boolean };
  /** The generator's view of the observables, and the Bayes-optimal PD computed from it. */
  observables: WalletObservables;
  bayesPd: number;
}

export interface WalletOptions {
  seed: number;
  count: number;
  /** Label horizon in seconds. Default 30 days. */
  horizonSeconds?: number;
  /** Observation times are uniform over [minHistoryDays, end − horizon]. Default 30. */
  minHistoryDays?: number;
}

/** Aave-like liquidation thresholds per asset kind (for health factors). */
export const LIQUIDATION_THRESHOLD: Record<string, number> = { eth: 0.83, btc: 0.78, volatile: 0.65, stable: 0.8 };
const BLOCKS_PER_STEP = 300;
const round6 = (v: number): number => Math.round(v * 1e6) / 1e6;

/** Deterministic wallet address for index i. */
export const walletAddress = (seed: number, i: number): string =>
  `0x${(seed >>> 0).toString(16).padStart(8, '0')}${'0'.repeat(16)}${i.toString(16).padStart(16, '0')}`;

/**
 * Wallet histories with hidden types (sim/wallet-types.ts). Each wallet has an observation time t; its loans
 * before t follow its type; the last loan is open at t; default within the horizon is drawn from the type, the
 * open loan's utilisation and the open collateral's recent volatility, and shows as a liquidation after t.
 */
export function generateWallets(market: SimMarket, options: WalletOptions): SimWallet[] {
  const random = createRandom(options.seed);
  const perDay = 86_400 / market.stepSeconds;
  const horizonSteps = Math.round((options.horizonSeconds ?? 30 * 86_400) / market.stepSeconds);
  const minStep = Math.round((options.minHistoryDays ?? 30) * perDay);
  const maxStep = market.steps - horizonSteps - 1;
  if (maxStep <= minStep) throw new Error(`the market (${market.steps} steps) is too short for a ${horizonSteps}-step horizon`);
  const priors = WALLET_TYPES.map((t) => TYPE_PARAMS[t].prior);
  const volatileAssets = market.assets.flatMap((a, i) => (a.kind === 'stable' ? [] : [i]));
  const usdc = market.assets.findIndex((a) => a.symbol === 'USDC');
  const dai = market.assets.findIndex((a) => a.symbol === 'DAI');
  const wallets: SimWallet[] = new Array(options.count);
  for (let w = 0; w < options.count; w++) {
    wallets[w] = generateWallet(market, random, {
      w,
      address: walletAddress(options.seed, w),
      type: WALLET_TYPES[categorical(random, priors)]!,
      tStep: minStep + Math.floor(random() * (maxStep - minStep)),
      perDay,
      horizonSteps,
      volatileAssets,
      usdc,
      dai,
    });
  }
  return wallets;
}

interface WalletContext {
  w: number;
  address: string;
  type: WalletType;
  tStep: number;
  perDay: number;
  horizonSteps: number;
  volatileAssets: number[];
  usdc: number;
  dai: number;
}

function generateWallet(market: SimMarket, random: Random, ctx: WalletContext): SimWallet {
  const p = TYPE_PARAMS[ctx.type];
  const { tStep, perDay } = ctx;
  const ageCapDays = (tStep - 1) / perDay;
  // truncated exponential by inversion
  const rate = 1 / p.ageMeanDays;
  const ageDays = -Math.log(1 - random() * (1 - Math.exp(-rate * ageCapDays))) / rate;
  const firstStep = tStep - Math.max(1, Math.ceil(ageDays * perDay));
  const loans = 1 + poisson(random, p.loanRate);
  const opens = [firstStep, ...Array.from({ length: loans - 1 }, () => firstStep + Math.floor(random() * (tStep - firstStep)))].sort(
    (a, b) => a - b,
  );
  const events: SimEvent[] = [];
  const snapshots: HealthSnapshot[] = [];
  const obs: WalletObservables = { ageDays, ageCapDays, utilLogits: [], volatileLoans: 0, liquidated: 0, partial: 0, openCollateralVol: 0 };
  const price = (asset: number, step: number): number => market.assets[asset]!.prices[step]!;
  const lt = (asset: number): number => LIQUIDATION_THRESHOLD[market.assets[asset]!.kind]!;
  // one block per (wallet, step): the wallet's actions in a step share a transaction
  const blockOf = (step: number): number => step * BLOCKS_PER_STEP + (ctx.w % BLOCKS_PER_STEP);
  const at = (step: number): number => market.start + step * market.stepSeconds + (ctx.w % BLOCKS_PER_STEP) * 12;
  let logIndex = 0;
  const emit = (step: number, e: Omit<SimEvent, 'timestamp' | 'block' | 'logIndex'>): void => {
    events.push({ timestamp: at(step), block: blockOf(step), logIndex: logIndex++, ...e });
  };
  const snapshot = (step: number, units: number, asset: number, debtUnits: number, debtAsset: number, forcedHf?: number): void => {
    let collateralUsd = units * price(asset, step);
    const debtUsd = debtUnits * price(debtAsset, step);
    if (forcedHf !== undefined) collateralUsd = (forcedHf * debtUsd) / lt(asset);
    // one snapshot per block: the state after all of the block's events
    if (snapshots.length > 0 && snapshots[snapshots.length - 1]!.block === blockOf(step)) snapshots.pop();
    snapshots.push({
      timestamp: at(step),
      block: blockOf(step),
      collateralUsd,
      debtUsd,
      healthFactor: debtUsd > 0 ? (collateralUsd * lt(asset)) / debtUsd : null,
    });
  };

  for (let k = 0; k < loans; k++) {
    const open = opens[k]!;
    const isLast = k === loans - 1;
    const volatile = random() < p.volatileShare;
    const asset = volatile ? ctx.volatileAssets[Math.floor(random() * ctx.volatileAssets.length)]! : ctx.dai;
    const x = p.utilMean + UTIL_SD * normal(random);
    obs.utilLogits.push(x);
    if (volatile) obs.volatileLoans++;
    const sizeUsd = 5_000 * Math.exp(normal(random));
    const units = round6(sizeUsd / price(asset, open));
    const debt = round6((units * price(asset, open) * MAX_LTV * utilisation(x)) / price(ctx.usdc, open));
    emit(open, { kind: 'supply', asset, amount: units });
    emit(open, { kind: 'borrow', asset: ctx.usdc, amount: debt });
    snapshot(open, units, asset, debt, ctx.usdc);
    if (isLast) {
      obs.openCollateralVol = trailingVolatility(market.assets[asset]!.prices, tStep, 7 * perDay);
      continue;
    }
    // closed before the next loan opens
    const next = opens[k + 1]!;
    // strictly between the two openings when there is room, else in the next opening's block, before it
    const closeStep = next - open >= 2 ? open + 1 + Math.floor(random() * (next - open - 1)) : next;
    const u = random();
    if (u < p.liquidationRate) {
      obs.liquidated++;
      snapshot(closeStep, units, asset, debt, ctx.usdc, 0.97);
      emit(closeStep, { kind: 'liquidation', asset, amount: debt, debtAsset: ctx.usdc, collateralAmount: units });
      snapshot(closeStep, 0, asset, 0, ctx.usdc);
    } else if (random() < p.partialRate && closeStep > open + 1) {
      obs.partial++;
      const mid = open + 1 + Math.floor(random() * (closeStep - open - 1));
      const first = round6(debt * (0.3 + 0.5 * random()));
      emit(mid, { kind: 'repay', asset: ctx.usdc, amount: first });
      if (mid !== closeStep) snapshot(mid, units, asset, round6(debt - first), ctx.usdc);
      emit(closeStep, { kind: 'repay', asset: ctx.usdc, amount: round6(debt - first) });
      emit(closeStep, { kind: 'withdraw', asset, amount: units });
      snapshot(closeStep, 0, asset, 0, ctx.usdc);
    } else {
      emit(closeStep, { kind: 'repay', asset: ctx.usdc, amount: debt });
      emit(closeStep, { kind: 'withdraw', asset, amount: units });
      snapshot(closeStep, 0, asset, 0, ctx.usdc);
    }
  }

  const pd = defaultProbability(ctx.type, obs);
  const defaulted = random() < pd;
  // after t: a liquidation within the horizon for a default, else perhaps an orderly exit
  const last = events[events.length - 2]!;
  const lastAsset = last.asset;
  const lastUnits = last.amount;
  const lastDebt = events[events.length - 1]!.amount;
  const after = tStep + 1 + Math.floor(random() * (ctx.horizonSteps - 1));
  if (defaulted) {
    snapshot(after, lastUnits, lastAsset, lastDebt, ctx.usdc, 0.96);
    emit(after, { kind: 'liquidation', asset: lastAsset, amount: lastDebt, debtAsset: ctx.usdc, collateralAmount: lastUnits });
    snapshot(after, 0, lastAsset, 0, ctx.usdc);
  } else if (random() < 0.5) {
    emit(after, { kind: 'repay', asset: ctx.usdc, amount: lastDebt });
    emit(after, { kind: 'withdraw', asset: lastAsset, amount: lastUnits });
    snapshot(after, 0, lastAsset, 0, ctx.usdc);
  }
  return {
    address: ctx.address,
    observedAt: market.start + tStep * market.stepSeconds,
    events,
    snapshots,
    hidden: { type: ctx.type, pd, defaulted },
    observables: obs,
    bayesPd: posteriorDefaultProbability(obs),
  };
}
