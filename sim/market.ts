import { createRandom, normal, poisson } from '../core/random';

export type SimAssetKind = 'eth' | 'btc' | 'volatile' | 'stable';

export interface SimAsset {
  symbol: string;
  kind: SimAssetKind;
  decimals: number;
  /** A deterministic address, lower-case hex. */
  address: string;
  /** USD price at each step. */
  prices: Float64Array;
  /** Market depth in USD at each step (the USD that moves the price 2 %): the liquidity proxy's data. */
  liquidity: Float64Array;
}

export interface SimMarket {
  /** Unix seconds of step 0. */
  start: number;
  stepSeconds: number;
  steps: number;
  assets: SimAsset[];
  /** 0 calm, 1 volatile, per step. */
  regime: Uint8Array;
  crashStep: number;
  depegStep: number;
}

export interface MarketOptions {
  seed: number;
  days?: number;
  /** Default 3600 (hourly). */
  stepSeconds?: number;
  /** Default 2024-01-01. */
  start?: number;
  /** Where the crash happens, as a fraction of the path. Default 0.7. */
  crashAt?: number;
}

const address = (n: number): string => `0x${n.toString(16).padStart(40, '0')}`;

/**
 * Seeded hourly price paths: a calm/volatile Markov-switching regime shared by the volatile assets, Poisson
 * jumps, one crash (four hours of −12 %/h on ETH, deeper on GOV) and a stablecoin depeg (USDC to 0.93 for a
 * few hours during the crash, then recovering). WBTC and GOV are correlated with ETH; DAI stays near 1.
 */
export function simulateMarket(options: MarketOptions): SimMarket {
  const stepSeconds = options.stepSeconds ?? 3_600;
  const perDay = 86_400 / stepSeconds;
  const steps = Math.round((options.days ?? 365) * perDay);
  const random = createRandom(options.seed ^ 0x5eed);
  const crashStep = Math.floor(steps * (options.crashAt ?? 0.7));
  const depegStep = crashStep + Math.round(2 * (3_600 / stepSeconds));
  const hourScale = Math.sqrt(stepSeconds / 3_600);
  const symbols: Array<[string, SimAssetKind, number, number]> = [
    ['WETH', 'eth', 18, 2_300],
    ['WBTC', 'btc', 8, 42_000],
    ['GOV', 'volatile', 18, 12],
    ['USDC', 'stable', 6, 1],
    ['DAI', 'stable', 18, 1],
  ];
  const assets: SimAsset[] = symbols.map(([symbol, kind, decimals], i) => ({
    symbol,
    kind,
    decimals,
    address: address(0xa55e7 * 16 + i + 1),
    prices: new Float64Array(steps),
    liquidity: new Float64Array(steps),
  }));
  const regime = new Uint8Array(steps);
  const level = symbols.map((s) => Math.log(s[3]));
  let state = 0;
  const depegLength = Math.round(8 * (3_600 / stepSeconds));
  for (let i = 0; i < steps; i++) {
    // calm lasts ~20 days, volatile ~5 days; the crash forces the volatile regime for a week
    if (state === 0 && random() < 1 / (20 * perDay)) state = 1;
    else if (state === 1 && random() < 1 / (5 * perDay)) state = 0;
    const stressed = i >= crashStep - 2 * perDay && i < crashStep + 7 * perDay;
    regime[i] = stressed ? 1 : state;
    const vol = (regime[i] ? 0.02 : 0.006) * hourScale;
    const market = normal(random);
    const jump = poisson(random, 1 / (10 * perDay)) > 0 ? -0.03 + 0.04 * normal(random) : 0;
    const crash = i >= crashStep && i < crashStep + 4 * (3_600 / stepSeconds) ? 0.12 * hourScale ** 2 : 0;
    level[0]! += vol * market + jump - crash;
    level[1]! += vol * (0.8 * market + 0.6 * normal(random)) + 0.8 * jump - 0.8 * crash;
    level[2]! += 2.5 * vol * (0.6 * market + 0.8 * normal(random)) + 1.5 * jump - 1.6 * crash;
    const intoDepeg = i - depegStep;
    const usdc = intoDepeg >= 0 && intoDepeg < depegLength ? 0.93 + (0.07 * intoDepeg) / depegLength : 1 + 0.0005 * normal(random);
    for (let a = 0; a < 3; a++) assets[a]!.prices[i] = Math.exp(level[a]!);
    assets[3]!.prices[i] = usdc;
    assets[4]!.prices[i] = 1 + 0.0008 * normal(random);
  }
  simulateDepth(assets, regime, { seed: options.seed, perDay, crashStep, depegStep, depegLength });
  return { start: options.start ?? 1_704_067_200, stepSeconds, steps, assets, regime, crashStep, depegStep };
}

/** Typical depth in USD per asset, in `simulateMarket`'s order (WETH, WBTC, GOV, USDC, DAI). */
const BASE_DEPTH = [5e7, 3e7, 1.5e6, 8e7, 4e7];

/**
 * Market depth around the price paths: log-depth reverts (half-life ~2 days) to its asset's base, thins by ~50 %
 * from half a day before a volatile regime until it ends, and by a further ~70 % around the crash (USDC around its
 * depeg). Books thin ahead of stress, so depth tells a model something the trailing volatility does not yet. Drawn
 * from its own random stream: the prices are the same bits with or without it.
 */
function simulateDepth(
  assets: SimAsset[],
  regime: Uint8Array,
  o: { seed: number; perDay: number; crashStep: number; depegStep: number; depegLength: number },
): void {
  const random = createRandom(o.seed ^ 0xde97);
  const lead = Math.round(o.perDay / 2);
  const reversion = 1 - 0.5 ** (1 / (2 * o.perDay));
  const noise = 0.03 * Math.sqrt(24 / o.perDay);
  const steps = regime.length;
  // stressSoon[i]: a volatile step within [i, i + lead]
  const stressSoon = new Uint8Array(steps);
  for (let i = steps - 1, next = Infinity; i >= 0; i--) {
    if (regime[i]) next = i;
    stressSoon[i] = next - i <= lead ? 1 : 0;
  }
  const near = (i: number, at: number, length: number): boolean => i >= at - lead && i < at + length;
  assets.forEach((asset, a) => {
    let x = 0;
    for (let i = 0; i < steps; i++) {
      x += -reversion * x + noise * normal(random);
      const stable = asset.kind === 'stable';
      const shock =
        (stable ? 0 : 0.7 * stressSoon[i]!) +
        (!stable && near(i, o.crashStep, 4 * Math.round(o.perDay / 24)) ? 1.2 : 0) +
        (asset.symbol === 'USDC' && near(i, o.depegStep, o.depegLength) ? 1.5 : 0);
      asset.liquidity[i] = BASE_DEPTH[a]! * Math.exp(x - shock);
    }
  });
}

/**
 * Realised volatility (sample standard deviation of log returns per step) over the `window` steps that end
 * before step `i` (returns p[k]/p[k−1] for k in [i − window, i − 1]); 0 when fewer than two returns exist.
 */
export function trailingVolatility(prices: Float64Array, i: number, window: number): number {
  const from = Math.max(1, i - window);
  const n = i - from;
  if (n < 2) return 0;
  let sum = 0;
  let sumSq = 0;
  for (let k = from; k < i; k++) {
    const r = Math.log(prices[k]! / prices[k - 1]!);
    sum += r;
    sumSq += r * r;
  }
  return Math.sqrt(Math.max(0, (sumSq - (sum * sum) / n) / (n - 1)));
}
