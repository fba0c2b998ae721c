import { UserError } from '../../core';
import { resample } from '../collateral/adverse';
import { ASSET_CLASS_PROFILES, assetClassOf, assetProfile, type AssetClass } from '../collateral/asset-class';
import { tailSignals, type TailModelOptions, type TailSignals } from '../collateral/tail-model';
import type { PricePoint } from '../collateral/types';
import type { TailPathAsset } from './tail-path';

/** One asset on the backtest's grid: its whole history (warm-up included) and where the backtest starts in it. */
export interface MarketAsset {
  symbol: string;
  cls: AssetClass;
  /** Prices and depth (NaN where the data have none) from the asset's first observation to the end. */
  prices: number[];
  liquidity: number[];
  /** Index of the backtest's first step in `prices`. */
  offset: number;
}

/**
 * Price histories on one grid: the backtest runs over the time every asset covers; each asset's earlier history is
 * warm-up the model may read (it was public then), never scored.
 */
export interface Market {
  stepSeconds: number;
  /** Unix seconds of the backtest's first step, and its number of steps. */
  from: number;
  steps: number;
  assets: MarketAsset[];
  /** Index of the ETH-like reference in `assets` (the peg of the ETH class), if any. */
  reference?: number;
  /**
   * Assets whose own history sets the window (the last to start, the first to end) when they cut more than a day
   * of another's: the backtest scores only the time every asset covers, so a late listing shortens it for all.
   */
  limitedBy: Array<{ symbol: string; bound: 'start' | 'end'; t: number }>;
}

export interface MarketOptions {
  stepSeconds: number;
  /** Classes by symbol where the name and prices should not decide. */
  classes?: Record<string, AssetClass>;
  /** The ETH-like reference's symbol. Default: WETH, else ETH, if present. */
  reference?: string;
}

/** Resamples every series onto one grid and classes each asset (by name, the caller's map, else its prices). */
export function prepareMarket(series: Record<string, readonly PricePoint[]>, options: MarketOptions): Market {
  const symbols = Object.keys(series).sort();
  if (symbols.length === 0) throw new UserError('no price series to backtest');
  for (const s of symbols) if (series[s]!.length < 2) throw new UserError(`${s}: at least two prices are needed`);
  const step = options.stepSeconds;
  const firsts = symbols.map((s) => Math.min(...series[s]!.map((p) => p.t)));
  const start = Math.min(...firsts);
  const from = Math.max(...firsts);
  const to = Math.min(...symbols.map((s) => Math.max(...series[s]!.map((p) => p.t))));
  if (!(to > from)) throw new UserError(`the price files do not overlap in time (${symbols.join(', ')})`);
  // one grid anchored at the earliest observation, so every asset's steps fall on the same times
  const gridFrom = start + Math.ceil((from - start) / step) * step;
  const steps = Math.floor((to - gridFrom) / step) + 1;
  const grids = symbols.map((s, a) => {
    const ownStart = start + Math.ceil((firsts[a]! - start) / step) * step;
    const g = resample(series[s]!, step, ownStart, gridFrom + (steps - 1) * step);
    return { ...g, offset: Math.round((gridFrom - ownStart) / step) };
  });
  const wanted = options.reference?.toUpperCase();
  const reference = wanted ? symbols.indexOf(wanted) : (['WETH', 'ETH'].map((s) => symbols.indexOf(s)).find((k) => k >= 0) ?? -1);
  if (wanted && reference < 0) throw new UserError(`the reference ${wanted} is not among the price series (${symbols.join(', ')})`);
  const refTail = (a: number): number[] | undefined => {
    if (reference < 0) return undefined;
    const r = grids[reference]!;
    const shift = grids[a]!.offset - r.offset;
    return grids[a]!.p.map((_, i) => r.p[i - shift] ?? NaN);
  };
  const assets = symbols.map((symbol, a): MarketAsset => {
    const g = grids[a]!;
    return {
      symbol,
      cls: options.classes?.[symbol] ?? assetClassOf(symbol, g.p, refTail(a)),
      prices: g.p,
      liquidity: g.liquidity,
      offset: g.offset,
    };
  });
  const lasts = symbols.map((s) => Math.max(...series[s]!.map((p) => p.t)));
  const limitedBy: Market['limitedBy'] = [];
  if (from - start > 86_400) symbols.forEach((symbol, a) => firsts[a] === from && limitedBy.push({ symbol, bound: 'start', t: from }));
  if (Math.max(...lasts) - to > 86_400) symbols.forEach((symbol, a) => lasts[a] === to && limitedBy.push({ symbol, bound: 'end', t: to }));
  return { stepSeconds: step, from: gridFrom, steps, assets, limitedBy, ...(reference >= 0 ? { reference } : {}) };
}

/** The backtest window's prices per asset. */
export const windowPrices = (market: Market): number[][] => market.assets.map((a) => a.prices.slice(a.offset, a.offset + market.steps));

/** The backtest window's depth per asset: the data's, else the class default. */
export const windowDepth = (market: Market): number[][] =>
  market.assets.map((a) =>
    a.liquidity
      .slice(a.offset, a.offset + market.steps)
      .map((d) => (Number.isFinite(d) && d > 0 ? d : ASSET_CLASS_PROFILES[a.cls].defaultDepthUsd)),
  );

/** The tail model's signals per asset over its whole history (computed once for every quantile a sweep tries). */
export function marketSignals(market: Market, model: TailModelOptions): TailPathAsset[] {
  const ref = market.reference === undefined ? undefined : market.assets[market.reference]!;
  return market.assets.map((asset) => {
    const reference = ref && ref !== asset ? asset.prices.map((_, i) => ref.prices[i - asset.offset + ref.offset] ?? NaN) : undefined;
    const signals: TailSignals = tailSignals(asset.prices, asset.cls, model, {
      liquidity: asset.liquidity,
      profile: assetProfile(asset.symbol, asset.cls),
      ...(reference ? { reference } : {}),
    });
    return { signals, offset: asset.offset };
  });
}
