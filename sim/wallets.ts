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
  /**
   * The longest history a wallet can have at t, in days (its age is truncated here as well as at the market's
   * start). Default: no limit. A market that has existed for D days has no older wallets: training for it with
   * `maxAgeDays: D` (and `minHistoryDays: D`) gives wallets the ages and loan counts the scored ones have.
   */
  maxAgeDays?: number;
  /**
   * The reserves loans may use, by the market's symbols, with the LTV borrowers size their loans by and the
   * liquidation threshold of their health factors (fractions): train for the market the scored wallets borrow on.
   * Default: every asset of the market, at `MAX_LTV` and its kind's `LIQUIDATION_THRESHOLD`.
   */
  reserves?: ReadonlyArray<{ symbol: string; ltv: number; liquidationThreshold: number }>;
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
  const reserves =
    options.reserves ??
    market.assets.map((a) => ({ symbol: a.symbol, ltv: MAX_LTV, liquidationThreshold: LIQUIDATION_THRESHOLD[a.kind]! }));
  const symbols = reserves.map((r) => r.symbol).join(', ');
  const params = market.assets.map((a) => reserves.find((r) => r.symbol === a.symbol));
  for (const r of reserves)
    if (!market.assets.some((a) => a.symbol === r.symbol))
      throw new Error(`generateWallets: the market has no ${r.symbol} (reserves: ${symbols})`);
  const among = (stable: boolean): number[] => market.assets.flatMap((a, i) => ((a.kind === 'stable') === stable && params[i] ? [i] : []));
  const volatileAssets = among(false);
  const stableAssets = among(true);
  if (volatileAssets.length === 0 || stableAssets.length === 0)
    throw new Error(`generateWallets needs a volatile and a stable reserve among ${symbols}`);
  const ltv = params.map((r) => r?.ltv ?? 0);
  const liquidationThreshold = params.map((r) => r?.liquidationThreshold ?? 0);
  const wallets: SimWallet[] = new Array(options.count);
  for (let w = 0; w < options.count; w++) {
    wallets[w] = generateWallet(market, random, {
      w,
      address: walletAddress(options.seed, w),
      type: WALLET_TYPES[categorical(random, priors)]!,
      tStep: minStep + Math.floor(random() * (maxStep - minStep)),
      maxAgeSteps: Math.round((options.maxAgeDays ?? Infinity) * perDay),
      perDay,
      horizonSteps,
      volatileAssets,
      stableAssets,
      ltv,
      liquidationThreshold,
    });
  }
  return wallets;
}

interface WalletContext {
  w: number;
  address: string;
  type: WalletType;
  tStep: number;
  maxAgeSteps: number;
  perDay: number;
  horizonSteps: number;
  volatileAssets: number[];
  stableAssets: number[];
  /** Per market asset (fractions; 0 for an asset outside the reserves). */
  ltv: number[];
  liquidationThreshold: number[];
}

function generateWallet(market: SimMarket, random: Random, ctx: WalletContext): SimWallet {
  const p = TYPE_PARAMS[ctx.type];
  const { tStep, perDay } = ctx;
  const ageCapDays = (Math.min(tStep, ctx.maxAgeSteps) - 1) / perDay;
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
  const lt = (asset: number): number => ctx.liquidationThreshold[asset]!;
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

  const pick = (xs: readonly number[]): number => xs[Math.floor(random() * xs.length)]!;
  let open: { asset: number; units: number; debtAsset: number; debt: number } | undefined;
  for (let k = 0; k < loans; k++) {
    const openStep = opens[k]!;
    const isLast = k === loans - 1;
    // a long (volatile collateral, stablecoin debt) or a short (stablecoin collateral, volatile debt), as the
    // on-chain agents borrow (sim/agents.ts)
    const volatile = random() < p.volatileShare;
    const asset = pick(volatile ? ctx.volatileAssets : ctx.stableAssets);
    const debtAsset = pick(volatile ? ctx.stableAssets : ctx.volatileAssets);
    const x = p.utilMean + UTIL_SD * normal(random);
    obs.utilLogits.push(x);
    if (volatile) obs.volatileLoans++;
    const sizeUsd = 5_000 * Math.exp(normal(random));
    const units = round6(sizeUsd / price(asset, openStep));
    const debt = round6((units * price(asset, openStep) * ctx.ltv[asset]! * utilisation(x)) / price(debtAsset, openStep));
    emit(openStep, { kind: 'supply', asset, amount: units });
    emit(openStep, { kind: 'borrow', asset: debtAsset, amount: debt });
    snapshot(openStep, units, asset, debt, debtAsset);
    if (isLast) {
      obs.openCollateralVol = trailingVolatility(market.assets[asset]!.prices, tStep, 7 * perDay);
      open = { asset, units, debtAsset, debt };
      continue;
    }
    // closed before the next loan opens
    const next = opens[k + 1]!;
    // strictly between the two openings when there is room, else in the next opening's block, before it
    const closeStep = next - openStep >= 2 ? openStep + 1 + Math.floor(random() * (next - openStep - 1)) : next;
    const u = random();
    if (u < p.liquidationRate) {
      obs.liquidated++;
      snapshot(closeStep, units, asset, debt, debtAsset, 0.97);
      emit(closeStep, { kind: 'liquidation', asset, amount: debt, debtAsset, collateralAmount: units });
      snapshot(closeStep, 0, asset, 0, debtAsset);
    } else if (random() < p.partialRate && closeStep > openStep + 1) {
      obs.partial++;
      const mid = openStep + 1 + Math.floor(random() * (closeStep - openStep - 1));
      const first = round6(debt * (0.3 + 0.5 * random()));
      emit(mid, { kind: 'repay', asset: debtAsset, amount: first });
      if (mid !== closeStep) snapshot(mid, units, asset, round6(debt - first), debtAsset);
      emit(closeStep, { kind: 'repay', asset: debtAsset, amount: round6(debt - first) });
      emit(closeStep, { kind: 'withdraw', asset, amount: units });
      snapshot(closeStep, 0, asset, 0, debtAsset);
    } else {
      emit(closeStep, { kind: 'repay', asset: debtAsset, amount: debt });
      emit(closeStep, { kind: 'withdraw', asset, amount: units });
      snapshot(closeStep, 0, asset, 0, debtAsset);
    }
  }

  const pd = defaultProbability(ctx.type, obs);
  const defaulted = random() < pd;
  // after t: a liquidation within the horizon for a default, else perhaps an orderly exit
  const last = open!;
  const after = tStep + 1 + Math.floor(random() * (ctx.horizonSteps - 1));
  if (defaulted) {
    snapshot(after, last.units, last.asset, last.debt, last.debtAsset, 0.96);
    emit(after, { kind: 'liquidation', asset: last.asset, amount: last.debt, debtAsset: last.debtAsset, collateralAmount: last.units });
    snapshot(after, 0, last.asset, 0, last.debtAsset);
  } else if (random() < 0.5) {
    emit(after, { kind: 'repay', asset: last.debtAsset, amount: last.debt });
    emit(after, { kind: 'withdraw', asset: last.asset, amount: last.units });
    snapshot(after, 0, last.asset, 0, last.debtAsset);
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
