/**
 * Asset classes: how the collateral model and the backtest group assets. Each class has a peg (what "depeg" means
 * for it), a ceiling on the LTV the model may give, the buffer between LTV and threshold, and the market depth a
 * backtest assumes where the data carry none. Symbols are recognised by name; an unknown symbol is classed by its
 * prices (`classifyByPrices`), and a caller may always name the class itself.
 */
export const ASSET_CLASSES = ['stablecoin', 'eth', 'btc', 'governance'] as const;
export type AssetClass = (typeof ASSET_CLASSES)[number];

export interface AssetClassProfile {
  /** What the asset tracks: USD (1), the ETH reference's price, or nothing. */
  peg: 'usd' | 'eth' | 'none';
  /** The highest LTV the model gives the class, however calm its history (fractions). */
  maxLtv: number;
  /** Threshold minus LTV: the room a borrower at the maximum has before liquidation. */
  ltvBuffer: number;
  /**
   * USD that moves the price 2 % when the data carry no depth: a backtest's slippage and the model's bonus read it.
   * Orders of magnitude of 2021–2024 DEX and CEX books: governance tokens are two orders thinner than ETH.
   */
  defaultDepthUsd: number;
}

export const ASSET_CLASS_PROFILES: Readonly<Record<AssetClass, AssetClassProfile>> = {
  stablecoin: { peg: 'usd', maxLtv: 0.88, ltvBuffer: 0.03, defaultDepthUsd: 20_000_000 },
  eth: { peg: 'eth', maxLtv: 0.86, ltvBuffer: 0.03, defaultDepthUsd: 50_000_000 },
  btc: { peg: 'none', maxLtv: 0.8, ltvBuffer: 0.04, defaultDepthUsd: 30_000_000 },
  governance: { peg: 'none', maxLtv: 0.72, ltvBuffer: 0.05, defaultDepthUsd: 1_500_000 },
};

const KNOWN: ReadonlyArray<[AssetClass, RegExp]> = [
  // USD stablecoins: fiat-backed, crypto-backed and algorithmic alike (a depeg is what the model watches for)
  [
    'stablecoin',
    /^(USDC|USDT|DAI|SDAI|FEI|SUSD|LUSD|FRAX|UST|USTC|TUSD|GUSD|USDP|PAX|BUSD|GHO|PYUSD|CRVUSD|USDE|SUSDE|MIM|DOLA|USDD|EUSD|RAI|USD\+?)$/,
  ],
  // ETH and its wrapped and liquid-staking forms
  ['eth', /^(ETH|WETH|STETH|WSTETH|RETH|CBETH|WEETH|EETH|OSETH|ETHX|SWETH|SFRXETH|FRXETH|ANKRETH|EZETH|RSETH|METH|LSETH|OETH)$/],
  ['btc', /^(BTC|WBTC|CBBTC|TBTC|RENBTC|SBTC|HBTC|LBTC|FBTC)$/],
];

/**
 * USD stablecoins redeemable against reserves (cash, T-bills) or, for DAI, over-collateralised vaults of long
 * standing. Every other stablecoin (algorithmic, synthetic, or unknown and classed by its prices) has depegged
 * by tens of per cent within days (FEI at launch, sUSD, UST, IRON), so its ceiling is that of a stablecoin listed
 * like any other, not the reserve-backed one's.
 */
const RESERVE_BACKED = /^(USDC|USDT|DAI|SDAI|GUSD|USDP|PAX|TUSD|BUSD|PYUSD)$/;
const SYNTHETIC_STABLECOIN_MAX_LTV = 0.75;

/** The profile the model applies to one asset: its class's, with the synthetic stablecoins' lower ceiling. */
export function assetProfile(symbol: string, cls: AssetClass): AssetClassProfile {
  const profile = ASSET_CLASS_PROFILES[cls];
  return cls === 'stablecoin' && !RESERVE_BACKED.test(symbol.toUpperCase())
    ? { ...profile, maxLtv: SYNTHETIC_STABLECOIN_MAX_LTV }
    : profile;
}

/** The class of a known symbol (case-insensitive), or undefined. */
export function knownAssetClass(symbol: string): AssetClass | undefined {
  const s = symbol.toUpperCase();
  return KNOWN.find(([, re]) => re.test(s))?.[0];
}

/**
 * The class of an unknown symbol from its prices on a grid: a USD stablecoin stays within 5 % of 1 for nine steps
 * in ten; an asset tracking the ETH reference keeps its ratio to it within 5 % of the ratio's median as often.
 * Anything else is a governance/DeFi token, the most cautious class.
 */
export function classifyByPrices(prices: ArrayLike<number>, eth?: ArrayLike<number>): AssetClass {
  const near = (values: number[], centre: number): boolean =>
    values.length > 0 && values.filter((v) => Math.abs(v / centre - 1) <= 0.05).length >= 0.9 * values.length;
  const own: number[] = [];
  const ratio: number[] = [];
  for (let i = 0; i < prices.length; i++) {
    const p = prices[i]!;
    if (!(p > 0)) continue;
    own.push(p);
    const e = eth?.[i];
    if (e !== undefined && e > 0) ratio.push(p / e);
  }
  if (near(own, 1)) return 'stablecoin';
  if (ratio.length > 0) {
    const sorted = [...ratio].sort((a, b) => a - b);
    if (near(ratio, sorted[Math.floor(sorted.length / 2)]!)) return 'eth';
  }
  return 'governance';
}

/** The class by name, else by prices. */
export const assetClassOf = (symbol: string, prices: ArrayLike<number>, eth?: ArrayLike<number>): AssetClass =>
  knownAssetClass(symbol) ?? classifyByPrices(prices, eth);
