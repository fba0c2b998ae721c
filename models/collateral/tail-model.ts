/**
 * The tail model: collateral parameters from the tail of an asset's adverse moves over the liquidation horizon,
 * with long memory, the current regime, the peg and the market's depth (DESIGN.md, Models › Collateral).
 *
 *   D = GPD_q(adverse moves of the past year) × max(1, recent vol / long vol) + peg deviation + 2 × depeg speed
 *       + the price impact of a liquidation wave at the asset's depth
 *   bonus = slippage of that wave + gas + margin
 *   lt = (1 − D) / (1 + bonus), ltv = min(class ceiling, lt − class buffer)
 *
 * Why each term: a year of memory keeps a token that crashed last quarter tight through calm weeks (a trailing
 * month forgets it); the vol ratio only ever tightens (a calm week never loosens below the year's tail); a pegged
 * asset off its peg has already lost part of its margin and is moving, so both are added; a thin book makes
 * liquidators' own sales push the price further and a bonus that does not cover their slippage leaves positions
 * under water. The quantile q is
 * the risk appetite: the one knob a frontier sweeps. Only correctly rounded operations and ./ieee-math: the same
 * prices give the same bits anywhere.
 */
import { forwardAdverseMoves } from './adverse';
import { ASSET_CLASS_PROFILES, type AssetClass, type AssetClassProfile } from './asset-class';
import { canonicalLog } from './ieee-math';
import { fitTail, tailQuantile, type TailFit } from './tail';

export interface TailModelOptions {
  /** Grid step of the prices, in seconds. */
  stepSeconds: number;
  /** Liquidation horizon: the adverse move is the worst fall within it. Default 12 h (liquidations in a congested market, not the block after). */
  horizonSeconds: number;
  /** How far back the tail is fitted. Default 365 days. */
  memorySeconds: number;
  /** The tail is refitted this often (it moves slowly). Default 1 day. */
  refitSeconds: number;
  /** Window of the recent volatility the regime term compares with the year's. Default 7 days. */
  regimeSeconds: number;
  /** No proposal on less history than this. Default 14 days. */
  minHistorySeconds: number;
  /**
   * History after which the model may loosen all the way to its target; before, only the share of the way from the
   * listed parameters that its history covers (`evidenceWeight`). Tightening is never held back. Default 180 days.
   */
  evidenceSeconds: number;
  /**
   * USD a liquidation wave sells within the horizon. Its price impact at the asset's depth is part of the adverse
   * move (the sale pushes the price down further) and its slippage part of the bonus. Default 3,000,000.
   */
  liquidationUsd: number;
  /** Slippage beyond price impact (fees, spread), and gas, both as fractions of the seized value. */
  slippageBase: number;
  gasFraction: number;
  /** Margin of the bonus over slippage and gas, and its bounds. */
  bonusMargin: number;
  minBonus: number;
  maxBonus: number;
}

export const DEFAULT_TAIL_OPTIONS: TailModelOptions = {
  stepSeconds: 3_600,
  horizonSeconds: 12 * 3_600,
  memorySeconds: 365 * 86_400,
  refitSeconds: 86_400,
  regimeSeconds: 7 * 86_400,
  minHistorySeconds: 14 * 86_400,
  evidenceSeconds: 180 * 86_400,
  liquidationUsd: 3_000_000,
  slippageBase: 0.003,
  gasFraction: 0.002,
  bonusMargin: 0.02,
  minBonus: 0.04,
  maxBonus: 0.15,
};

/**
 * Average price impact of selling `usd` into a book where `depthUsd` moves the price 2 %: linear impact, so the
 * last dollar moves it 2 % × usd / depth and the average dollar half of that.
 */
export const impactOf = (usd: number, depthUsd: number): number => (0.01 * usd) / depthUsd;

/** Per-step inputs of the model for one asset, computed once from its prices (each step reads only steps ≤ it). */
export interface TailSignals {
  cls: AssetClass;
  /** The ceiling, buffer and default depth applied (the class's unless the caller gave the asset's own). */
  profile: AssetClassProfile;
  /** The tail fitted at the last refit at or before each step (undefined before enough history). */
  fits: Array<TailFit | undefined>;
  /** Recent over long-run volatility of one-step log returns. */
  volRatio: Float64Array;
  /** Distance from the peg (USD stablecoins: |p − 1|; ETH-pegged: the discount to the ratio's 30-day peak). */
  pegDeviation: Float64Array;
  /** Growth of the deviation over the last day (0 when it shrinks). */
  pegSpeed: Float64Array;
  /** Market depth in USD (the data's, else the class default). */
  depth: Float64Array;
  /** Steps of history at each step. */
  history: Int32Array;
}

const steps = (seconds: number, stepSeconds: number): number => Math.max(1, Math.round(seconds / stepSeconds));

/**
 * The model's inputs at every step of one asset's grid. `reference` is the ETH-like series on the same grid
 * (same length, same times; NaN where absent), needed for the ETH-pegged class only.
 */
export function tailSignals(
  prices: ArrayLike<number>,
  cls: AssetClass,
  options: TailModelOptions = DEFAULT_TAIL_OPTIONS,
  extra: { liquidity?: ArrayLike<number>; reference?: ArrayLike<number>; profile?: AssetClassProfile } = {},
): TailSignals {
  const n = prices.length;
  for (let i = 0; i < n; i++)
    if (!(Number.isFinite(prices[i]!) && prices[i]! > 0))
      throw new Error(`price at step ${i} is ${prices[i]}: prices must be finite and positive`);
  const h = steps(options.horizonSeconds, options.stepSeconds);
  const memory = steps(options.memorySeconds, options.stepSeconds);
  const refit = steps(options.refitSeconds, options.stepSeconds);
  const regime = steps(options.regimeSeconds, options.stepSeconds);
  const day = steps(86_400, options.stepSeconds);
  const profile = extra.profile ?? ASSET_CLASS_PROFILES[cls];

  // moves and volatility read a 3-step trailing median: on-chain price sources print single-step errors of several
  // per cent, which would otherwise enter the year's tail and the regime as moves (a crash lasts longer than a step)
  const raw = prices;
  prices = rollingMedian(raw, 3);
  // worst fall within h steps after k (NaN until step k + h has passed)
  const moves = forwardAdverseMoves(Array.from(prices), h);
  // prefix sums of squared one-step log returns: volatility over any window in O(1)
  const sq = new Float64Array(n + 1);
  for (let i = 1; i < n; i++) {
    const r = canonicalLog(prices[i]! / prices[i - 1]!);
    sq[i + 1] = sq[i]! + r * r;
  }
  const vol = (i: number, w: number): number => {
    const from = Math.max(1, i - w + 1);
    const count = i - from + 1;
    return count > 0 ? Math.sqrt((sq[i + 1]! - sq[from]!) / count) : 0;
  };

  const fits: Array<TailFit | undefined> = new Array(n);
  const volRatio = new Float64Array(n);
  const pegDeviation = new Float64Array(n);
  const pegSpeed = new Float64Array(n);
  const depth = new Float64Array(n);
  const history = new Int32Array(n);
  let fit: TailFit | undefined;
  for (let i = 0; i < n; i++) {
    history[i] = i;
    if (i % refit === 0) {
      // windows [k, k + h] complete by step i: k ≤ i − h
      const end = i - h;
      fit = end >= 0 ? fitTail(moves.subarray(Math.max(0, i - memory), end + 1)) : undefined;
    }
    fits[i] = fit;
    const long = vol(i, memory);
    volRatio[i] = long > 0 ? Math.min(3, vol(i, regime) / long) : 1;
    const d = extra.liquidity?.[i];
    depth[i] = d !== undefined && Number.isFinite(d) && d > 0 ? d : profile.defaultDepthUsd;
  }
  // the peg reads a rolling median of the price (or of its ratio to ETH): prices from on-chain sources carry
  // single-step errors of several per cent that are not depegs; a median over 6 h ignores them and lags a real
  // depeg by 3 h at most
  const smooth = steps(6 * 3_600, options.stepSeconds);
  if (profile.peg === 'usd') {
    const level = rollingMedian(raw, smooth);
    for (let i = 0; i < n; i++) pegDeviation[i] = Math.abs(level[i]! - 1);
  } else if (profile.peg === 'eth' && extra.reference) {
    const ref = extra.reference;
    const ratio = rollingMedian(
      Float64Array.from({ length: n }, (_, i) => (ref[i]! > 0 ? raw[i]! / ref[i]! : NaN)),
      smooth,
    );
    const month = steps(30 * 86_400, options.stepSeconds);
    for (let i = 0; i < n; i++) {
      // the discount to the ratio's peak of the last 30 days: a staking token's ratio only grows while it holds
      let peak = NaN;
      for (let k = Math.max(0, i - month); k <= i; k++) if (Number.isFinite(ratio[k]!) && !(ratio[k]! <= peak)) peak = ratio[k]!;
      pegDeviation[i] = Number.isFinite(ratio[i]!) && peak > 0 ? Math.max(0, 1 - ratio[i]! / peak) : 0;
    }
  }
  for (let i = 0; i < n; i++) pegSpeed[i] = Math.max(0, pegDeviation[i]! - pegDeviation[Math.max(0, i - day)]!);
  return { cls, profile, fits, volRatio, pegDeviation, pegSpeed, depth, history };
}

/** The median of the finite values among the last `w` steps up to each step (NaN where there are none). */
export function rollingMedian(values: ArrayLike<number>, w: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const window: number[] = [];
    for (let k = Math.max(0, i - w + 1); k <= i; k++) if (Number.isFinite(values[k]!)) window.push(values[k]!);
    window.sort((a, b) => a - b);
    const m = window.length;
    out[i] = m === 0 ? NaN : m % 2 === 1 ? window[(m - 1) / 2]! : (window[m / 2 - 1]! + window[m / 2]!) / 2;
  }
  return out;
}

/**
 * How much of its loosening the model has earned after `historySteps` of an asset's prices: a few weeks of calm say
 * little about a tail, so a new listing stays near the parameters governance listed it at until half a year of
 * history supports more.
 */
export const evidenceWeight = (historySteps: number, options: TailModelOptions): number =>
  Math.min(1, historySteps / Math.max(1, Math.round(options.evidenceSeconds / options.stepSeconds)));

/** A target above the listed value moves only `weight` of the way from it; a target at or below it is kept. */
export const earnedLoosening = (target: number, listed: number, weight: number): number =>
  target > listed ? listed + weight * (target - listed) : target;

/** What drove a proposal: the term that moved the threshold most, or the limit that bound it. */
export type TailDriver = 'tail' | 'regime' | 'peg' | 'liquidity' | 'ceiling';

export interface TailTarget {
  /** Fractions. */
  params: { ltv: number; liquidationThreshold: number; liquidationBonus: number };
  explanation: {
    quantile: number;
    /** The adverse move the threshold survives, and its terms. */
    move: number;
    tail: number;
    regime: number;
    peg: number;
    /** The price impact of the liquidation wave itself (2 % per market depth sold). */
    cascade: number;
    bonus: number;
    slippage: number;
    driver: TailDriver;
    note: string;
  };
}

/**
 * The parameters the model asks for at step i from the signals (which read prices up to i only), before guardrails.
 * Undefined while the history is too short to fit a tail.
 */
export function tailTarget(
  signals: TailSignals,
  i: number,
  quantile: number,
  options: TailModelOptions = DEFAULT_TAIL_OPTIONS,
): TailTarget | undefined {
  const fit = signals.fits[i];
  if (!fit || signals.history[i]! < steps(options.minHistorySeconds, options.stepSeconds)) return undefined;
  const profile = signals.profile;
  const tail = tailQuantile(fit, quantile);
  const regime = tail * Math.max(1, signals.volRatio[i]!) - tail;
  const peg = signals.pegDeviation[i]! + 2 * signals.pegSpeed[i]!;
  // the wave's own sale moves the price against the collateral still held: its last dollar's impact
  const cascade = 2 * impactOf(options.liquidationUsd, signals.depth[i]!);
  const move = Math.min(0.99, tail + regime + peg + cascade);
  const slippage = options.slippageBase + impactOf(options.liquidationUsd, signals.depth[i]!);
  const bonus = Math.min(options.maxBonus, Math.max(options.minBonus, slippage + options.gasFraction + options.bonusMargin));
  const solvent = (1 - move) / (1 + bonus);
  const ceiling = profile.maxLtv + profile.ltvBuffer;
  const lt = Math.max(0, Math.min(ceiling, solvent));
  const ltv = Math.max(0, Math.min(profile.maxLtv, lt - profile.ltvBuffer));
  const terms: Array<[TailDriver, number]> = [
    ['tail', tail],
    ['regime', regime],
    ['peg', peg],
    ['liquidity', cascade + bonus - options.minBonus],
  ];
  const driver: TailDriver = solvent > ceiling ? 'ceiling' : terms.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  return {
    params: { ltv, liquidationThreshold: lt, liquidationBonus: lt > 0 ? bonus : 0 },
    explanation: {
      quantile,
      move,
      tail,
      regime,
      peg,
      cascade,
      bonus,
      slippage,
      driver,
      note: `q${quantile} move ${(100 * move).toFixed(2)} % (year's tail ${(100 * tail).toFixed(2)} % + regime ${(100 * regime).toFixed(2)} % + peg ${(100 * peg).toFixed(2)} % + liquidation impact ${(100 * cascade).toFixed(2)} %), bonus ${(100 * bonus).toFixed(2)} %: lt ${lt.toFixed(4)}, ltv ${ltv.toFixed(4)}; driven by ${driver}`,
    },
  };
}
