import { logit, sigmoid } from '../core/random';

/**
 * The hidden behaviour types of the wallet simulator and the generator's own likelihoods. Every observable is
 * drawn from the type with overlapping distributions, so no history reveals the type for sure: the Bayes limit
 * of any credit model on these wallets is well below an AUC of 1.
 */
export const WALLET_TYPES = ['careful', 'leveraged', 'sloppy', 'sybil'] as const;
export type WalletType = (typeof WALLET_TYPES)[number];

export interface TypeParams {
  prior: number;
  /** Mean account age in days (exponential, truncated to the market's history). */
  ageMeanDays: number;
  /** Loans before t: 1 + Poisson(loanRate). */
  loanRate: number;
  /** Utilisation of the maximum LTV is sigmoid(x), x ~ N(utilMean, UTIL_SD). */
  utilMean: number;
  /** Share of loans against volatile collateral (else a stablecoin). */
  volatileShare: number;
  /** A closed loan ended in liquidation. */
  liquidationRate: number;
  /** A closed, not liquidated loan was repaid in two instalments. */
  partialRate: number;
  /** Baseline log-odds of default within the horizon. */
  defaultBase: number;
}

export const TYPE_PARAMS: Record<WalletType, TypeParams> = {
  careful: {
    prior: 0.45,
    ageMeanDays: 200,
    loanRate: 3,
    utilMean: -1.0,
    volatileShare: 0.4,
    liquidationRate: 0.01,
    partialRate: 0.05,
    defaultBase: -5.0,
  },
  leveraged: {
    prior: 0.25,
    ageMeanDays: 150,
    loanRate: 5,
    utilMean: 1.0,
    volatileShare: 0.8,
    liquidationRate: 0.08,
    partialRate: 0.1,
    defaultBase: -3.0,
  },
  sloppy: {
    prior: 0.2,
    ageMeanDays: 160,
    loanRate: 3,
    utilMean: 0.2,
    volatileShare: 0.5,
    liquidationRate: 0.06,
    partialRate: 0.45,
    defaultBase: -2.6,
  },
  sybil: {
    prior: 0.1,
    ageMeanDays: 12,
    loanRate: 1.5,
    utilMean: 0.6,
    volatileShare: 0.6,
    liquidationRate: 0.04,
    partialRate: 0.25,
    defaultBase: -2.2,
  },
};

export const UTIL_SD = 0.8;
/** The market-wide maximum LTV borrowers aim under; utilisation = LTV used / MAX_LTV. */
export const MAX_LTV = 0.75;
/** Default log-odds per unit of the open loan's utilisation logit. */
export const DEFAULT_UTIL_SLOPE = 0.8;
/** Default log-odds per unit of the open collateral's trailing 7-day hourly volatility. */
export const DEFAULT_VOL_SLOPE = 60;

/** What a wallet's history before t reveals: exactly what the generator drew from the hidden type. */
export interface WalletObservables {
  /** Account age in days, and the largest age the market's history allowed (the truncation point). */
  ageDays: number;
  ageCapDays: number;
  /** Utilisation logits of every loan, oldest first; the last loan is open at t. */
  utilLogits: number[];
  /** Loans against volatile collateral (all loans, the open one included). */
  volatileLoans: number;
  /** Outcomes of the closed loans. */
  liquidated: number;
  partial: number;
  /** Trailing 7-day volatility of the open loan's collateral at t (from prices before t). */
  openCollateralVol: number;
}

/** The default probability within the horizon given the type and what is observable at t. */
export function defaultProbability(type: WalletType, obs: WalletObservables): number {
  const x = obs.utilLogits[obs.utilLogits.length - 1]!;
  return sigmoid(TYPE_PARAMS[type].defaultBase + DEFAULT_UTIL_SLOPE * x + DEFAULT_VOL_SLOPE * obs.openCollateralVol);
}

const LOG_FACTORIAL: number[] = [0];
const logFactorial = (n: number): number => {
  for (let k = LOG_FACTORIAL.length; k <= n; k++) LOG_FACTORIAL[k] = LOG_FACTORIAL[k - 1]! + Math.log(k);
  return LOG_FACTORIAL[n]!;
};

/** log P(observables | type) under the generator, up to terms equal for every type. */
export function logLikelihood(type: WalletType, obs: WalletObservables): number {
  const p = TYPE_PARAMS[type];
  const rate = 1 / p.ageMeanDays;
  // truncated exponential age
  let ll = Math.log(rate) - rate * obs.ageDays - Math.log(1 - Math.exp(-rate * obs.ageCapDays));
  const n = obs.utilLogits.length;
  ll += (n - 1) * Math.log(p.loanRate) - p.loanRate - logFactorial(n - 1);
  for (const x of obs.utilLogits) ll += -((x - p.utilMean) ** 2) / (2 * UTIL_SD * UTIL_SD);
  ll += obs.volatileLoans * Math.log(p.volatileShare) + (n - obs.volatileLoans) * Math.log(1 - p.volatileShare);
  const closed = n - 1;
  const full = closed - obs.liquidated - obs.partial;
  ll += obs.liquidated * Math.log(p.liquidationRate);
  ll += (obs.partial + full) * Math.log(1 - p.liquidationRate);
  ll += obs.partial * Math.log(p.partialRate) + full * Math.log(1 - p.partialRate);
  return ll;
}

/** P(type | observables) by Bayes' rule over the generator's priors and likelihoods. */
export function typePosterior(obs: WalletObservables): Record<WalletType, number> {
  const logs = WALLET_TYPES.map((t) => Math.log(TYPE_PARAMS[t].prior) + logLikelihood(t, obs));
  const max = Math.max(...logs);
  const weights = logs.map((l) => Math.exp(l - max));
  const total = weights.reduce((a, b) => a + b, 0);
  return Object.fromEntries(WALLET_TYPES.map((t, i) => [t, weights[i]! / total])) as Record<WalletType, number>;
}

/**
 * The Bayes-optimal PD: P(default | everything observable before t) = Σ_type P(type | obs) · P(default | type, obs).
 * Its AUC is the limit any credit model on this simulator can reach.
 */
export function posteriorDefaultProbability(obs: WalletObservables): number {
  const post = typePosterior(obs);
  return WALLET_TYPES.reduce((sum, t) => sum + post[t] * defaultProbability(t, obs), 0);
}

/** The utilisation of the maximum LTV for a logit x, and back. */
export const utilisation = (x: number): number => sigmoid(x);
export const utilisationLogit = (u: number): number => logit(u);
