import { createRandom, normal, poisson } from '../../core/random';
import { impactOf } from '../collateral/tail-model';

/** Parameters as fractions (0.8 = 80 %); the bonus is the liquidator's premium (0.05 = 5 %). */
export interface FractionParams {
  ltv: number;
  liquidationThreshold: number;
  liquidationBonus: number;
}

/** The parameters in force for asset `a` at step `i`; computed before the run, from data before step i only. */
export type ParameterPath = (asset: number, step: number) => FractionParams;

/** The borrower population (DESIGN.md, Backtest population): drawn once, before any parameters are seen. */
export interface PopulationOptions {
  seed: number;
  /** Mean new positions per asset per step. */
  openRate: number;
  /** Share of new borrowers who borrow at the maximum allowed LTV; the rest draw uniformly in [0.3, 0.95]·max. */
  shareAtMax: number;
  /** Mean position lifetime in steps (exponential). */
  lifetimeMeanSteps: number;
  /** Median position size in USD (log-normal) and the log-sd. */
  sizeMedianUsd: number;
  sizeSigma: number;
}

export const DEFAULT_POPULATION: PopulationOptions = {
  seed: 7,
  openRate: 1,
  shareAtMax: 0.3,
  lifetimeMeanSteps: 24 * 30,
  sizeMedianUsd: 20_000,
  sizeSigma: 1,
};

/** A borrower arriving at `step`: collateral worth `sizeUsd`, borrowing `fraction` of the LTV then allowed. */
export interface Opening {
  step: number;
  asset: number;
  sizeUsd: number;
  fraction: number;
  lifetimeSteps: number;
}

/** How liquidations play out. */
export interface LiquidationOptions {
  /** Steps between a health factor below 1 and the liquidation. */
  delaySteps: number;
  /**
   * Slippage of selling seized collateral, capped at 50 %: base (fees, spread) + the price impact. With the market's
   * depth given (`runBacktest`'s `depth`), the impact is that of everything liquidators sell of the asset in the
   * same step (`impactOf`: 2 % per depth sold, half of it on average); without it, perMillion × (USD size / 1e6).
   */
  slippageBase: number;
  slippagePerMillion: number;
  /** Gas per liquidation in USD: a liquidator acts only when the bonus, after slippage, pays more. Default 0. */
  gasUsd?: number;
}

export const DEFAULT_LIQUIDATION: LiquidationOptions = { delaySteps: 1, slippageBase: 0.005, slippagePerMillion: 0.02 };

/** Draws every arrival of the run from the seed alone, so every parameter set faces the same borrowers. */
export function generatePopulation(assets: number, steps: number, options: PopulationOptions = DEFAULT_POPULATION): Opening[] {
  const random = createRandom(options.seed);
  const openings: Opening[] = [];
  for (let step = 0; step < steps; step++) {
    for (let asset = 0; asset < assets; asset++) {
      const count = poisson(random, options.openRate);
      for (let k = 0; k < count; k++) {
        const sizeUsd = options.sizeMedianUsd * Math.exp(options.sizeSigma * normal(random));
        const fraction = random() < options.shareAtMax ? 1 : 0.3 + 0.65 * random();
        const lifetimeSteps = Math.max(1, Math.round(-options.lifetimeMeanSteps * Math.log(Math.max(random(), 1e-12))));
        openings.push({ step, asset, sizeUsd, fraction, lifetimeSteps });
      }
    }
  }
  return openings;
}

export interface AssetResult {
  symbol: string;
  borrowedUsd: number;
  badDebtUsd: number;
  badDebtPct: number;
  /** Time-averaged allowed LTV. */
  meanLtv: number;
  liquidations: number;
}

export interface BacktestResult {
  badDebtUsd: number;
  badDebtPct: number;
  /** Time-averaged allowed LTV over all assets, weighted equally. */
  meanLtv: number;
  liquidations: number;
  assets: AssetResult[];
}

interface Position {
  asset: number;
  units: number;
  debt: number;
  closeStep: number;
  unhealthySince: number;
}

/**
 * Replays prices (one grid per asset, aligned) with a borrower population and a parameter path. Liquidation:
 * after the delay, the liquidator repays the debt and seizes debt × (1 + bonus) of collateral at the oracle
 * price; when the collateral is worth less than that, it seizes everything, repays value / (1 + bonus), and the
 * rest of the debt is bad debt. Liquidators only act when selling the seized collateral (after slippage) covers
 * what they repaid; otherwise the position waits, as it would on-chain. Interest is ignored.
 */
export function runBacktest(
  symbols: string[],
  prices: number[][],
  path: ParameterPath,
  openings: readonly Opening[],
  liquidation: LiquidationOptions = DEFAULT_LIQUIDATION,
  /** Market depth per asset and step (USD that moves the price 2 %); without it, size-only slippage. */
  depth?: ReadonlyArray<ArrayLike<number>>,
  /** Told of every dollar of bad debt as it is booked (the report's timeline). */
  onBadDebt?: (e: { step: number; asset: number; usd: number }) => void,
): BacktestResult {
  const steps = prices[0]?.length ?? 0;
  if (prices.length !== symbols.length || prices.some((p) => p.length !== steps))
    throw new Error('every asset needs a price at every step of the grid');
  if (steps < 2) throw new Error('a backtest needs at least two price steps');
  depth?.forEach((d, a) => {
    if (d.length < steps) throw new Error(`${symbols[a]}: ${d.length} depth values for ${steps} steps`);
    for (let i = 0; i < steps; i++)
      if (!(Number.isFinite(d[i]!) && d[i]! > 0))
        throw new Error(`${symbols[a]}: market depth at step ${i} is ${d[i]}: it must be finite and positive`);
  });
  const acc = symbols.map((symbol) => ({ symbol, borrowedUsd: 0, badDebtUsd: 0, ltvSum: 0, liquidations: 0 }));
  let open: Position[] = [];
  const arrivals = [...openings].sort((x, y) => x.step - y.step);
  let next = 0;

  const gasUsd = liquidation.gasUsd ?? 0;
  for (let i = 0; i < steps; i++) {
    const params = symbols.map((_, a) => path(a, i));
    // USD of each asset liquidators have sold in this step: the next sale's slippage grows with it
    const sold = new Float64Array(symbols.length);
    const survivors: Position[] = [];
    for (const pos of open) {
      const price = prices[pos.asset]![i]!;
      const { liquidationThreshold: lt, liquidationBonus: bonus } = params[pos.asset]!;
      const value = pos.units * price;
      if (value * lt < pos.debt) {
        if (pos.unhealthySince < 0) pos.unhealthySince = i;
        const repaid = Math.min(pos.debt, value / (1 + bonus));
        const seized = Math.min(value, repaid * (1 + bonus));
        const d = depth?.[pos.asset]?.[i];
        const impact = d !== undefined ? impactOf(2 * sold[pos.asset]! + seized, d) : liquidation.slippagePerMillion * (value / 1e6);
        const slippage = Math.min(0.5, liquidation.slippageBase + impact);
        // a liquidator acts when selling what it seizes pays back what it repaid, and the gas
        if (i - pos.unhealthySince >= liquidation.delaySteps && seized * (1 - slippage) - repaid > gasUsd) {
          sold[pos.asset]! += seized;
          acc[pos.asset]!.badDebtUsd += pos.debt - repaid;
          if (pos.debt > repaid) onBadDebt?.({ step: i, asset: pos.asset, usd: pos.debt - repaid });
          acc[pos.asset]!.liquidations++;
          continue;
        }
      } else pos.unhealthySince = -1;
      if (i >= pos.closeStep && pos.unhealthySince < 0) continue; // repaid in full
      survivors.push(pos);
    }
    open = survivors;

    for (let a = 0; a < symbols.length; a++) acc[a]!.ltvSum += params[a]!.ltv;
    for (; next < arrivals.length && arrivals[next]!.step <= i; next++) {
      const o = arrivals[next]!;
      if (o.step < i) continue;
      const maxLtv = params[o.asset]!.ltv;
      if (maxLtv <= 0) continue; // borrowing disabled: this borrower goes elsewhere
      const debt = o.sizeUsd * maxLtv * o.fraction;
      acc[o.asset]!.borrowedUsd += debt;
      open.push({ asset: o.asset, units: o.sizeUsd / prices[o.asset]![i]!, debt, closeStep: i + o.lifetimeSteps, unhealthySince: -1 });
    }
  }
  // still open and under water at the end: what a liquidation now would leave uncovered
  for (const pos of open) {
    const value = pos.units * prices[pos.asset]![steps - 1]!;
    const bonus = path(pos.asset, steps - 1).liquidationBonus;
    const left = Math.max(0, pos.debt - value / (1 + bonus));
    if (value * path(pos.asset, steps - 1).liquidationThreshold < pos.debt && left > 0) {
      acc[pos.asset]!.badDebtUsd += left;
      onBadDebt?.({ step: steps - 1, asset: pos.asset, usd: left });
    }
  }

  const assets = acc.map((x) => ({
    symbol: x.symbol,
    borrowedUsd: x.borrowedUsd,
    badDebtUsd: x.badDebtUsd,
    badDebtPct: x.borrowedUsd > 0 ? (100 * x.badDebtUsd) / x.borrowedUsd : 0,
    meanLtv: x.ltvSum / steps,
    liquidations: x.liquidations,
  }));
  const borrowed = assets.reduce((s, x) => s + x.borrowedUsd, 0);
  const badDebt = assets.reduce((s, x) => s + x.badDebtUsd, 0);
  return {
    badDebtUsd: badDebt,
    badDebtPct: borrowed > 0 ? (100 * badDebt) / borrowed : 0,
    meanLtv: assets.reduce((s, x) => s + x.meanLtv, 0) / assets.length,
    liquidations: assets.reduce((s, x) => s + x.liquidations, 0),
    assets,
  };
}
