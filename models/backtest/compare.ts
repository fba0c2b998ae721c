import { z } from 'zod';
import { UserError } from '../../core';
import { resample } from '../collateral/adverse';
import type { PricePoint } from '../collateral/types';
import {
  DEFAULT_LIQUIDATION,
  generatePopulation,
  runBacktest,
  type BacktestResult,
  type FractionParams,
  type LiquidationOptions,
} from './engine';
import { staticPath, walkForwardPath } from './policies';

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
  /** Liquidation horizon the threshold must survive. Default 24 h. */
  horizonSeconds?: number;
  /** Trailing window the model estimates from. Default 30 days. */
  lookbackSeconds?: number;
  quantile?: number;
  /** On-chain step limit per update (fraction). Default 0.03. */
  maxChange?: number;
  seed?: number;
  liquidation?: LiquidationOptions;
  /** The DAO's upper bounds per symbol: the model's parameters never exceed them. */
  maxParams?: Baseline;
}

type Summary = Pick<BacktestResult, 'badDebtUsd' | 'badDebtPct' | 'meanLtv' | 'liquidations'>;

export interface Comparison {
  steps: number;
  from: number;
  to: number;
  baseline: Summary;
  model: Summary;
  assets: Array<{ symbol: string; baseline: Summary; model: Summary }>;
  /** The model's parameters over time per asset (every update), for charts. */
  modelPath: Array<{ symbol: string; t: number; ltv: number; liquidationThreshold: number; liquidationBonus: number; price: number }>;
}

const pick = (r: Summary): Summary => ({
  badDebtUsd: r.badDebtUsd,
  badDebtPct: r.badDebtPct,
  meanLtv: r.meanLtv,
  liquidations: r.liquidations,
});

/**
 * Static baseline parameters against the model's walk-forward parameters, on the same prices and the same
 * borrowers. Assets are aligned on the time range they all cover; gaps are forward-filled.
 */
export function compareBaselineWithModel(series: Record<string, PricePoint[]>, baseline: Baseline, options: CompareOptions): Comparison {
  const symbols = Object.keys(series).sort();
  if (symbols.length === 0) throw new UserError('no price series to backtest');
  for (const s of symbols) {
    if (!baseline[s])
      throw new UserError(`the baseline file has no parameters for ${s} (it has: ${Object.keys(baseline).join(', ') || 'none'})`);
    if (series[s]!.length < 2) throw new UserError(`${s}: at least two prices are needed`);
  }
  const from = Math.max(...symbols.map((s) => Math.min(...series[s]!.map((p) => p.t))));
  const to = Math.min(...symbols.map((s) => Math.max(...series[s]!.map((p) => p.t))));
  if (!(to > from)) throw new UserError(`the price files do not overlap in time (${symbols.join(', ')})`);
  const grids = symbols.map((s) => resample(series[s]!, options.cadenceSeconds, from, to).p);
  const steps = Math.min(...grids.map((g) => g.length));
  const prices = grids.map((g) => g.slice(0, steps));
  const stepsOf = (seconds: number): number => Math.max(1, Math.round(seconds / options.cadenceSeconds));
  const initial: FractionParams[] = symbols.map((s) => baseline[s]!);
  const model = walkForwardPath(prices, {
    quantile: options.quantile ?? 0.99,
    horizonSteps: stepsOf(options.horizonSeconds ?? 86_400),
    lookbackSteps: stepsOf(options.lookbackSeconds ?? 30 * 86_400),
    cadenceSteps: 1,
    maxChange: options.maxChange ?? 0.03,
    initial,
    maxParams: options.maxParams
      ? symbols.map((s) => options.maxParams![s] ?? { ltv: 1, liquidationThreshold: 1, liquidationBonus: 1 })
      : undefined,
  });
  const openings = generatePopulation(symbols.length, steps, {
    seed: options.seed ?? 7,
    openRate: 1,
    shareAtMax: 0.3,
    lifetimeMeanSteps: stepsOf(30 * 86_400),
    sizeMedianUsd: 20_000,
    sizeSigma: 1,
  });
  const liquidation = options.liquidation ?? DEFAULT_LIQUIDATION;
  const base = runBacktest(symbols, prices, staticPath(initial), openings, liquidation);
  const mod = runBacktest(symbols, prices, model.path, openings, liquidation);
  const modelPath = symbols.flatMap((symbol, a) =>
    model.params[a]!.map((p, i) => ({ symbol, t: from + i * options.cadenceSeconds, ...p, price: prices[a]![i]! })).filter(
      (_, i) => i % Math.max(1, Math.floor(steps / 400)) === 0,
    ),
  );
  return {
    steps,
    from,
    to,
    baseline: pick(base),
    model: pick(mod),
    assets: symbols.map((symbol, a) => ({ symbol, baseline: pick(base.assets[a]!), model: pick(mod.assets[a]!) })),
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
