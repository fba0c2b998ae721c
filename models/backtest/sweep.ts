import { ASSET_CLASSES, type AssetClass } from '../collateral/asset-class';
import { DEFAULT_TAIL_OPTIONS, type TailDriver, type TailModelOptions } from '../collateral/tail-model';
import {
  DEFAULT_LIQUIDATION,
  generatePopulation,
  runBacktest,
  type BacktestResult,
  type FractionParams,
  type LiquidationOptions,
  type PopulationOptions,
} from './engine';
import { matchBaseline, type FrontierPoint, type Matched } from './frontier';
import type { FractionBounds, Guardrails } from './guardrails';
import { marketSignals, windowDepth, windowPrices, type Market } from './market';
import { staticPath } from './policies';
import { tailModelPath } from './tail-path';

/** The risk appetites a frontier sweeps by default: the quantile of the adverse move the threshold survives. */
export const DEFAULT_FRONTIER_SETTINGS = [0.9, 0.95, 0.97, 0.98, 0.985, 0.99, 0.995, 0.998, 0.999, 0.9995, 0.9999] as const;

/**
 * The borrowers every parameter set faces (DESIGN.md, Backtest population): one new position per asset per step
 * on average, living 30 days (exponential), $20,000 median (log-normal, σ = 1); half of the borrowers take the
 * maximum LTV allowed when they open, as real markets cluster there, the rest 30–95 % of it.
 */
export const backtestPopulation = (stepSeconds: number, overrides: Partial<PopulationOptions> = {}): PopulationOptions => ({
  seed: 7,
  openRate: 1,
  shareAtMax: 0.5,
  lifetimeMeanSteps: Math.max(1, Math.round((30 * 86_400) / stepSeconds)),
  sizeMedianUsd: 20_000,
  sizeSigma: 1,
  ...overrides,
});

/** Liquidations in a backtest of real prices: after one step, slippage from the market's depth, $50 of gas. */
export const BACKTEST_LIQUIDATION: LiquidationOptions = { ...DEFAULT_LIQUIDATION, slippageBase: 0.003, gasUsd: 50 };

export interface Outcome {
  badDebtPct: number;
  badDebtUsd: number;
  borrowedUsd: number;
  meanLtv: number;
}

export interface FrontierSweepOptions {
  /** The quantiles to sweep. Default `DEFAULT_FRONTIER_SETTINGS`. */
  settings?: readonly number[];
  guardrails: Guardrails;
  /** The static parameters per asset (in `market.assets` order): the baseline and the model's starting point. */
  baseline: FractionParams[];
  bounds?: Array<FractionBounds | undefined>;
  model?: TailModelOptions;
  loosenPerWeek?: number;
  population?: Partial<PopulationOptions>;
  liquidation?: LiquidationOptions;
  onSetting?: (p: { setting: number; index: number; of: number; meanLtv: number; badDebtPct: number }) => void;
}

export interface ClassFrontier {
  class: AssetClass;
  symbols: string[];
  baseline: Outcome;
  frontier: FrontierPoint[];
  matched: Matched;
}

export interface FrontierReport {
  from: number;
  steps: number;
  stepSeconds: number;
  guardrails: Guardrails;
  baseline: Outcome;
  frontier: FrontierPoint[];
  matched: Matched;
  classes: ClassFrontier[];
  assets: Array<{
    symbol: string;
    class: AssetClass;
    baseline: Outcome;
    /** Per setting: the asset's figures, and how many hours each term drove the model's target (its explanation). */
    frontier: Array<FrontierPoint & { badDebtUsd: number; drivers: Record<TailDriver, number> }>;
  }>;
}

const outcome = (assets: BacktestResult['assets']): Outcome => {
  const borrowed = assets.reduce((s, a) => s + a.borrowedUsd, 0);
  const bad = assets.reduce((s, a) => s + a.badDebtUsd, 0);
  return {
    badDebtPct: borrowed > 0 ? (100 * bad) / borrowed : 0,
    badDebtUsd: bad,
    borrowedUsd: borrowed,
    meanLtv: assets.reduce((s, a) => s + a.meanLtv, 0) / Math.max(1, assets.length),
  };
};

/**
 * The frontier of the tail model against a static baseline on one market: the same borrowers, prices, depth and
 * liquidations for every run; one backtest per setting; matched figures overall and per asset class.
 */
export function sweepFrontier(market: Market, options: FrontierSweepOptions): FrontierReport {
  const model = { ...(options.model ?? DEFAULT_TAIL_OPTIONS), stepSeconds: market.stepSeconds };
  const symbols = market.assets.map((a) => a.symbol);
  const prices = windowPrices(market);
  const depth = windowDepth(market);
  const openings = generatePopulation(symbols.length, market.steps, backtestPopulation(market.stepSeconds, options.population));
  const liquidation = options.liquidation ?? BACKTEST_LIQUIDATION;
  const run = (path: (a: number, i: number) => FractionParams): BacktestResult =>
    runBacktest(symbols, prices, path, openings, liquidation, depth);
  const base = run(staticPath(options.baseline));
  const signals = marketSignals(market, model);
  const settings = [...(options.settings ?? DEFAULT_FRONTIER_SETTINGS)];
  const runs = settings.map((setting, index) => {
    const path = tailModelPath(signals, market.steps, {
      quantile: setting,
      model,
      guardrails: options.guardrails,
      initial: options.baseline,
      ...(options.bounds ? { bounds: options.bounds } : {}),
      ...(options.loosenPerWeek === undefined ? {} : { loosenPerWeek: options.loosenPerWeek }),
    });
    const result = run((a, i) => path.params[a]![i]!);
    options.onSetting?.({ setting, index, of: settings.length, meanLtv: result.meanLtv, badDebtPct: result.badDebtPct });
    return { setting, result, drivers: path.drivers };
  });
  const curve = (pick: (r: BacktestResult) => Outcome): FrontierPoint[] =>
    runs.map(({ setting, result }) => {
      const o = pick(result);
      return { setting, meanLtv: o.meanLtv, badDebtPct: o.badDebtPct };
    });
  const baseline = outcome(base.assets);
  const classes = ASSET_CLASSES.flatMap((cls): ClassFrontier[] => {
    const members = market.assets.flatMap((a, k) => (a.cls === cls ? [k] : []));
    if (members.length === 0) return [];
    const pick = (r: BacktestResult): Outcome => outcome(members.map((k) => r.assets[k]!));
    const b = pick(base);
    const frontier = curve(pick);
    return [{ class: cls, symbols: members.map((k) => symbols[k]!), baseline: b, frontier, matched: matchBaseline(frontier, b) }];
  });
  const frontier = curve((r) => outcome(r.assets));
  return {
    from: market.from,
    steps: market.steps,
    stepSeconds: market.stepSeconds,
    guardrails: options.guardrails,
    baseline,
    frontier,
    matched: matchBaseline(frontier, baseline),
    classes,
    assets: market.assets.map((a, k) => ({
      symbol: a.symbol,
      class: a.cls,
      baseline: outcome([base.assets[k]!]),
      frontier: runs.map(({ setting, result, drivers }) => {
        const r = result.assets[k]!;
        return { setting, meanLtv: r.meanLtv, badDebtPct: r.badDebtPct, badDebtUsd: r.badDebtUsd, drivers: drivers[k]! };
      }),
    })),
  };
}
