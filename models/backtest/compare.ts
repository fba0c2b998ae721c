import { z } from 'zod';
import { UserError } from '../../core';
import type { AssetClass } from '../collateral/asset-class';
import { DEFAULT_TAIL_OPTIONS } from '../collateral/tail-model';
import type { PricePoint } from '../collateral/types';
import { generatePopulation, runBacktest, type BacktestResult, type FractionParams, type LiquidationOptions } from './engine';
import type { FractionBounds, Guardrails } from './guardrails';
import { marketSignals, prepareMarket, windowDepth, windowPrices, type Market } from './market';
import { staticPath } from './policies';
import { backtestPopulation, BACKTEST_LIQUIDATION } from './sweep';
import { tailModelPath } from './tail-path';

const fraction = z.number().min(0).max(1);
/** `{ "<SYMBOL>": { "ltv": 0.8, "liquidationThreshold": 0.83, "liquidationBonus": 0.05 } }` (fractions). */
export const baselineSchema = z.record(
  z.string(),
  z
    .object({ ltv: fraction, liquidationThreshold: fraction, liquidationBonus: z.number().min(0).max(0.5) })
    .refine((p) => p.ltv <= p.liquidationThreshold, { message: 'ltv must not exceed liquidationThreshold' })
    .refine((p) => p.liquidationThreshold * (1 + p.liquidationBonus) <= 1, {
      message: 'liquidationThreshold × (1 + liquidationBonus) must not exceed 1',
    }),
);
export type Baseline = z.infer<typeof baselineSchema>;

/** Validates a baseline parameter file's JSON, naming the symbol and the field at fault. */
export function parseBaseline(json: unknown, file: string): Baseline {
  const parsed = baselineSchema.safeParse(json);
  if (parsed.success) return Object.fromEntries(Object.entries(parsed.data).map(([k, v]) => [k.toUpperCase(), v]));
  throw new UserError(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
}

export interface CompareOptions {
  /** Grid step and parameter update cadence, in seconds. */
  cadenceSeconds: number;
  /** Liquidation horizon the threshold must survive. Default: the tail model's (12 h). */
  horizonSeconds?: number;
  /** The tail model's risk appetite: the quantile of the adverse move. Default 0.99. */
  quantile?: number;
  /** Step limits and minimum delay. Default: `maxChange` each way (0.03), one update per cadence. */
  guardrails?: Guardrails;
  /** On-chain step limit per update (fraction), when `guardrails` is not given. Default 0.03. */
  maxChange?: number;
  seed?: number;
  liquidation?: LiquidationOptions;
  /** The DAO's upper bounds per symbol: the model's parameters never exceed them. */
  maxParams?: Baseline;
  /** Asset classes by symbol, where the name and prices should not decide. */
  classes?: Record<string, AssetClass>;
}

type Summary = Pick<BacktestResult, 'badDebtUsd' | 'badDebtPct' | 'meanLtv' | 'liquidations'>;

export interface Comparison {
  steps: number;
  from: number;
  to: number;
  baseline: Summary;
  model: Summary;
  assets: Array<{ symbol: string; class: AssetClass; baseline: Summary; model: Summary }>;
  /** The model's parameters over time per asset (every update), for charts. */
  modelPath: Array<{ symbol: string; t: number; ltv: number; liquidationThreshold: number; liquidationBonus: number; price: number }>;
}

const pick = (r: Summary): Summary => ({
  badDebtUsd: r.badDebtUsd,
  badDebtPct: r.badDebtPct,
  meanLtv: r.meanLtv,
  liquidations: r.liquidations,
});

/** Checks that the baseline names every asset, and returns its parameters in the market's order. */
export function baselineFor(market: Market, baseline: Baseline): FractionParams[] {
  return market.assets.map((a) => {
    const params = baseline[a.symbol];
    if (!params)
      throw new UserError(`the baseline file has no parameters for ${a.symbol} (it has: ${Object.keys(baseline).join(', ') || 'none'})`);
    return params;
  });
}

/** The DAO's bounds from a file of maximum parameters (minimum 0). */
export const boundsFor = (market: Market, maxParams: Baseline | undefined): Array<FractionBounds | undefined> | undefined =>
  maxParams &&
  market.assets.map((a) => {
    const max = maxParams[a.symbol];
    return max && { min: { ltv: 0, liquidationThreshold: 0, liquidationBonus: 0 }, max };
  });

/**
 * Static baseline parameters against the tail model's walk-forward parameters at one risk appetite, on the same
 * prices, depth and borrowers (one point each: `sweepFrontier` gives the comparison at matched LTV). The backtest
 * runs over the time every asset covers; each asset's earlier prices are the model's warm-up.
 */
export function compareBaselineWithModel(series: Record<string, PricePoint[]>, baseline: Baseline, options: CompareOptions): Comparison {
  const market = prepareMarket(series, { stepSeconds: options.cadenceSeconds, ...(options.classes ? { classes: options.classes } : {}) });
  const initial = baselineFor(market, baseline);
  const model = {
    ...DEFAULT_TAIL_OPTIONS,
    stepSeconds: options.cadenceSeconds,
    ...(options.horizonSeconds ? { horizonSeconds: options.horizonSeconds } : {}),
  };
  const maxChange = options.maxChange ?? 0.03;
  const guardrails = options.guardrails ?? { maxTighten: maxChange, maxLoosen: maxChange, minDelaySeconds: options.cadenceSeconds };
  const bounds = boundsFor(market, options.maxParams);
  const path = tailModelPath(marketSignals(market, model), market.steps, {
    quantile: options.quantile ?? 0.99,
    model,
    guardrails,
    initial,
    ...(bounds ? { bounds } : {}),
  });
  const symbols = market.assets.map((a) => a.symbol);
  const prices = windowPrices(market);
  const openings = generatePopulation(
    symbols.length,
    market.steps,
    backtestPopulation(options.cadenceSeconds, { seed: options.seed ?? 7 }),
  );
  const liquidation = options.liquidation ?? BACKTEST_LIQUIDATION;
  const depth = windowDepth(market);
  const base = runBacktest(symbols, prices, staticPath(initial), openings, liquidation, depth);
  const mod = runBacktest(symbols, prices, (a, i) => path.params[a]![i]!, openings, liquidation, depth);
  const every = Math.max(1, Math.floor(market.steps / 400));
  const modelPath = symbols.flatMap((symbol, a) =>
    path.params[a]!.flatMap((p, i) =>
      i % every === 0 ? [{ symbol, t: market.from + i * options.cadenceSeconds, ...p, price: prices[a]![i]! }] : [],
    ),
  );
  return {
    steps: market.steps,
    from: market.from,
    to: market.from + (market.steps - 1) * options.cadenceSeconds,
    baseline: pick(base),
    model: pick(mod),
    assets: market.assets.map((a, k) => ({ symbol: a.symbol, class: a.cls, baseline: pick(base.assets[k]!), model: pick(mod.assets[k]!) })),
    modelPath,
  };
}

/** `1h`, `30m`, `1d`, `3600` → seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)?$/.exec(text.trim());
  if (!match) throw new UserError(`not a duration: "${text}" (expected e.g. 30m, 1h, 1d)`);
  const unit = { s: 1, m: 60, h: 3_600, d: 86_400 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  const seconds = Number(match[1]) * unit;
  if (seconds <= 0) throw new UserError(`duration must be positive: "${text}"`);
  return seconds;
}
