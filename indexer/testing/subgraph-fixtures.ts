import { createRandom } from '../../core/random';

/**
 * Deterministic Aave-V3-subgraph entities (the fields of aave/protocol-subgraphs' v3 schema that the indexer reads),
 * generated from a seed rather than stored as files. Event ids follow the subgraph's `getHistoryEntityId`:
 * `block:txIndex:txHash:logIndex:txLogIndex`; several events share a block, so many share a timestamp.
 */
export interface Ref {
  id: string;
}

export interface FixtureReserve {
  id: string;
  underlyingAsset: string;
  symbol: string;
  name: string;
  decimals: number;
  usageAsCollateralEnabled: boolean;
  price: { id: string; priceSource: string };
}

interface EventBase {
  id: string;
  txHash: string;
  timestamp: number;
  user: Ref;
}
export interface FixtureSupply extends EventBase {
  caller: Ref;
  reserve: FixtureReserve;
  amount: string;
}
export interface FixtureRedeem extends EventBase {
  to: Ref;
  reserve: FixtureReserve;
  amount: string;
}
export interface FixtureBorrow extends EventBase {
  caller: Ref;
  reserve: FixtureReserve;
  amount: string;
  borrowRateMode: number;
}
export interface FixtureRepay extends EventBase {
  repayer: Ref;
  reserve: FixtureReserve;
  amount: string;
  useATokens: boolean;
}
export interface FixtureLiquidation extends EventBase {
  collateralReserve: FixtureReserve;
  principalReserve: FixtureReserve;
  collateralAmount: string;
  principalAmount: string;
  liquidator: string;
}
export interface FixturePrice {
  id: string;
  asset: Ref;
  price: string;
  timestamp: number;
}

export interface SubgraphFixtures {
  reserves: FixtureReserve[];
  supplies: FixtureSupply[];
  redeemUnderlyings: FixtureRedeem[];
  borrows: FixtureBorrow[];
  repays: FixtureRepay[];
  liquidationCalls: FixtureLiquidation[];
  priceHistoryItems: FixturePrice[];
}

export interface FixtureCounts {
  supplies: number;
  redeemUnderlyings: number;
  borrows: number;
  repays: number;
  liquidationCalls: number;
  priceHistoryItems: number;
}

export const DEFAULT_COUNTS: FixtureCounts = {
  supplies: 2_500,
  redeemUnderlyings: 600,
  borrows: 1_200,
  repays: 800,
  liquidationCalls: 150,
  priceHistoryItems: 1_200,
};

const POOL_ID = '0x2f39d218133afab8f2b819b1066c7e434ad94e9e';
const SYMBOLS = ['WETH', 'USDC', 'WBTC', 'DAI', 'LINK', 'AAVE'];
const hex = (r: () => number, bytes: number): string => {
  let out = '0x';
  for (let i = 0; i < bytes; i++)
    out += Math.floor(r() * 256)
      .toString(16)
      .padStart(2, '0');
  return out;
};

export function generateFixtures(seed = 1, counts: FixtureCounts = DEFAULT_COUNTS): SubgraphFixtures {
  const r = createRandom(seed);
  const reserves: FixtureReserve[] = SYMBOLS.map((symbol, i) => {
    const underlyingAsset = hex(r, 20);
    return {
      id: `${underlyingAsset}${POOL_ID}`,
      underlyingAsset,
      symbol,
      name: `${symbol} token`,
      decimals: symbol === 'USDC' ? 6 : symbol === 'WBTC' ? 8 : 18,
      usageAsCollateralEnabled: i % 5 !== 4,
      price: { id: underlyingAsset, priceSource: hex(r, 20) },
    };
  });
  const wallets = Array.from({ length: 80 }, () => ({ id: hex(r, 20) }));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const amount = (): string => (BigInt(Math.floor(r() * 1e9) + 1) * 10n ** 9n).toString();

  // one shared event stream: blocks of a few events each, every event with a unique (tx, logIndex)
  let block = 17_000_000;
  let timestamp = 1_700_000_000;
  let inBlock = 0;
  let logIndex = 0;
  const nextEvent = (): { id: string; txHash: string; timestamp: number; user: Ref } => {
    if (inBlock === 0 || r() < 0.3) {
      block += 1 + Math.floor(r() * 3);
      timestamp += 12 * (1 + Math.floor(r() * 3));
      inBlock = 0;
      logIndex = 0;
    }
    inBlock++;
    logIndex += 1 + Math.floor(r() * 3);
    const txHash = hex(r, 32);
    return { id: `${block}:${inBlock - 1}:${txHash}:${logIndex}:0`, txHash, timestamp, user: pick(wallets) };
  };
  const total = counts.supplies + counts.redeemUnderlyings + counts.borrows + counts.repays + counts.liquidationCalls;
  const out: SubgraphFixtures = {
    reserves,
    supplies: [],
    redeemUnderlyings: [],
    borrows: [],
    repays: [],
    liquidationCalls: [],
    priceHistoryItems: [],
  };
  const left = { ...counts };
  for (let i = 0; i < total; i++) {
    const e = nextEvent();
    // draw the kind in proportion to what is left, so every list ends at exactly its count
    const u = r() * (total - i);
    let edge = left.supplies;
    if (u < edge) {
      left.supplies--;
      out.supplies.push({ ...e, caller: pick(wallets), reserve: pick(reserves), amount: amount() });
    } else if (u < (edge += left.redeemUnderlyings)) {
      left.redeemUnderlyings--;
      out.redeemUnderlyings.push({ ...e, to: e.user, reserve: pick(reserves), amount: amount() });
    } else if (u < (edge += left.borrows)) {
      left.borrows--;
      out.borrows.push({ ...e, caller: e.user, reserve: pick(reserves), amount: amount(), borrowRateMode: 2 });
    } else if (u < edge + left.repays) {
      left.repays--;
      out.repays.push({ ...e, repayer: pick(wallets), reserve: pick(reserves), amount: amount(), useATokens: r() < 0.2 });
    } else {
      left.liquidationCalls--;
      out.liquidationCalls.push({
        ...e,
        collateralReserve: pick(reserves),
        principalReserve: pick(reserves),
        collateralAmount: amount(),
        principalAmount: amount(),
        liquidator: pick(wallets).id,
      });
    }
  }
  // prices: per asset a random walk, several assets per timestamp (as one oracle round updates many)
  let priceTime = 1_700_000_000;
  const level = reserves.map(() => 1 + r() * 3_000);
  for (let i = 0; i < counts.priceHistoryItems; i++) {
    if (i % reserves.length === 0) priceTime += 60 + Math.floor(r() * 600);
    const k = i % reserves.length;
    level[k] = level[k]! * (1 + (r() - 0.5) * 0.02);
    out.priceHistoryItems.push({
      id: `${reserves[k]!.underlyingAsset}${priceTime}`,
      asset: { id: reserves[k]!.underlyingAsset },
      price: BigInt(Math.round(level[k]! * 1e8)).toString(),
      timestamp: priceTime,
    });
  }
  return out;
}

/** Events in all event lists (what the indexer should write to `lending_events`). */
export const eventCount = (f: SubgraphFixtures): number =>
  f.supplies.length + f.redeemUnderlyings.length + f.borrows.length + f.repays.length + f.liquidationCalls.length;
