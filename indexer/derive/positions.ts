import { sql } from 'kysely';
import type { NewRow, Row } from '../../core';
import { formatFixed } from '../rpc/events';
import {
  accountData,
  normalizedDebt,
  normalizedIncome,
  rayDiv,
  rayMul,
  unscale,
  type AccountReserve,
  type ReserveState,
} from './aave-math';
import { loadCheckpoint, saveCheckpoint } from '../store/batch';
import { inTransaction, type Store, type Tx } from '../store/bulk';

/**
 * Derived data, from the indexed events only (re-derivable, reorg-safe: rows carry their block and are rolled
 * back with it): per wallet and reserve, positions as Aave keeps them, scaled balances (each event's amount
 * divided by the reserve's liquidity or variable-borrow index at that event, from the `ReserveDataUpdated` the same
 * transaction emits, or accrued since the last one) turned back into amounts at the end of the row's block; and at
 * every block where a wallet's position changes, its health factor as `Pool.getUserAccountData` computes it, from
 * those balances × the latest feed prices × the liquidation thresholds in force at that block. So a row's
 * `collateral` / `debt` equal the aToken / variable-debt token `balanceOf` at its block, to the wei, and its
 * health factor the Pool's. Not followed: aToken transfers between wallets, stable-rate debt, e-mode, isolation
 * and the liquidation protocol fee (none is in the events indexed; the local market uses none of them).
 */
export const DERIVED_SOURCE = 'derived:positions';
const WINDOW = 5_000;

/** Scaled balances (aToken, variable debt) and the collateral flag of one wallet in one reserve. */
interface Position {
  collateral: bigint;
  debt: bigint;
  enabled: boolean;
}
type Event = Row<'lending_events'>;
/** Positions by wallet, then reserve: a touched wallet's health factor reads only its own reserves. */
type Positions = Map<string, Map<string, Position>>;

/** Orders logs: (block, log index) as one number; `END` + block × SPAN is after every log of the block. */
const SPAN = 1_000_000;
const END = SPAN - 1;
const at = (block: number, logIndex: number): number => block * SPAN + Math.min(logIndex, END);

function apply(positions: Positions, e: Event, touched: Map<string, Set<string>>, market: MarketAt): void {
  const change = (wallet: string, reserve: string, f: (p: Position) => void): void => {
    let held = positions.get(wallet);
    if (!held) positions.set(wallet, (held = new Map()));
    const p = held.get(reserve) ?? { collateral: 0n, debt: 0n, enabled: false };
    f(p);
    if (p.collateral < 0n) p.collateral = 0n;
    if (p.debt < 0n) p.debt = 0n;
    held.set(reserve, p);
    let reserves = touched.get(wallet);
    if (!reserves) touched.set(wallet, (reserves = new Set()));
    reserves.add(reserve);
  };
  const key = at(e.block_number, e.log_index);
  /** The amount as a scaled aToken / variable-debt balance at this event (Aave's rayDiv on mint, burn and transfer). */
  const income = (reserve: string, amount: bigint): bigint => rayDiv(amount, normalizedIncome(market.reserve(reserve, key), e.timestamp));
  const debt = (reserve: string, amount: bigint): bigint => rayDiv(amount, normalizedDebt(market.reserve(reserve, key), e.timestamp));
  const owner = e.on_behalf_of ?? e.user_address;
  const amount = BigInt(e.amount);
  switch (e.kind) {
    case 'supply':
      return change(owner, e.reserve, (p) => (p.collateral += income(e.reserve, amount)));
    case 'withdraw':
      return change(owner, e.reserve, (p) => (p.collateral -= income(e.reserve, amount)));
    case 'borrow':
      return change(owner, e.reserve, (p) => (p.debt += debt(e.reserve, amount)));
    case 'repay':
      return change(owner, e.reserve, (p) => {
        p.debt -= debt(e.reserve, amount);
        if (e.use_a_tokens) p.collateral -= income(e.reserve, amount);
      });
    case 'liquidation': {
      const seized = income(e.reserve, BigInt(e.liquidated_collateral_amount ?? '0'));
      change(owner, e.debt_asset!, (p) => (p.debt -= debt(e.debt_asset!, amount)));
      change(owner, e.reserve, (p) => (p.collateral -= seized));
      // receiveAToken: the seized aTokens move to the liquidator
      if (e.use_a_tokens && e.liquidator) change(e.liquidator, e.reserve, (p) => (p.collateral += seized));
      return;
    }
    case 'collateral_enabled':
      return change(owner, e.reserve, (p) => (p.enabled = true));
    case 'collateral_disabled':
      return change(owner, e.reserve, (p) => (p.enabled = false));
  }
}

/** The wallets an event changes (a liquidation with receiveAToken also changes the liquidator's). */
const walletsOf = (e: Event): string[] => {
  const owner = e.on_behalf_of ?? e.user_address;
  return e.kind === 'liquidation' && e.use_a_tokens && e.liquidator ? [owner, e.liquidator] : [owner];
};

/** A decimal string as an integer scaled by 1e8. */
const toE8 = (decimal: string): bigint => {
  const [int, frac = ''] = decimal.split('.');
  return BigInt(int!) * 10n ** 8n + BigInt((frac + '00000000').slice(0, 8));
};

interface MarketAt {
  price(asset: string, block: number): bigint | undefined;
  threshold(asset: string, block: number): number;
  decimals(asset: string): number;
  /** The reserve's state after its last update at or before `key` (see `at`); keys from the window loaded on. */
  reserve(asset: string, key: number): ReserveState | undefined;
}

type Series<T> = Map<string, Array<{ key: number; value: T }>>;

interface StoredState {
  timestamp: number;
  liquidity_rate: string;
  variable_borrow_rate: string;
  liquidity_index: string;
  variable_borrow_index: string;
}
const reserveState = (u: StoredState): ReserveState => ({
  timestamp: Number(u.timestamp),
  liquidityRate: BigInt(u.liquidity_rate),
  variableBorrowRate: BigInt(u.variable_borrow_rate),
  liquidityIndex: BigInt(u.liquidity_index),
  variableBorrowIndex: BigInt(u.variable_borrow_index),
});

/** Latest value at or before `key` from rows sorted by key (binary search: called for every wallet at every block). */
function latest<T>(rows: Array<{ key: number; value: T }> | undefined, key: number): T | undefined {
  if (!rows) return undefined;
  let lo = 0;
  let hi = rows.length; // the first row above `key` lies in lo..hi
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid]!.key <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? undefined : rows[lo - 1]!.value;
}

function group<T>(rows: Array<{ asset: string; key: number; value: T }>): Series<T> {
  const m: Series<T> = new Map();
  for (const r of rows) {
    const list = m.get(r.asset);
    if (list) list.push(r);
    else m.set(r.asset, [r]);
  }
  return m;
}

/** Prices and thresholds up to `to`; reserve states over `from..to` (see `MarketAt.reserve`). */
async function loadMarket(tx: Tx, chainId: number, from: number, to: number): Promise<MarketAt> {
  const prices = await tx.db
    .selectFrom('price_points')
    .select(['asset', 'block_number', 'price_usd'])
    .where('chain_id', '=', chainId)
    .where('block_number', '<=', to)
    .orderBy('block_number')
    .orderBy('timestamp')
    .execute();
  const configs = await tx.db
    .selectFrom('collateral_configs')
    .select(['asset', 'block_number', 'log_index', 'liquidation_threshold'])
    .where('chain_id', '=', chainId)
    .where('block_number', '<=', to)
    .orderBy('block_number')
    .orderBy('log_index')
    .execute();
  // the window's reserve updates and, per reserve, the last one before it (positions before `from` come with
  // their own, see `storedPositions`)
  const updates = [
    ...(await tx.db
      .selectFrom('reserve_updates')
      .selectAll()
      .distinctOn('reserve')
      .where('chain_id', '=', chainId)
      .where('block_number', '<', from)
      .orderBy('reserve')
      .orderBy('block_number', 'desc')
      .orderBy('log_index', 'desc')
      .execute()),
    ...(await tx.db
      .selectFrom('reserve_updates')
      .selectAll()
      .where('chain_id', '=', chainId)
      .where('block_number', '>=', from)
      .where('block_number', '<=', to)
      .execute()),
  ].sort((a, b) => a.block_number - b.block_number || a.log_index - b.log_index);
  const assets = await tx.db.selectFrom('assets').select(['address', 'decimals']).where('chain_id', '=', chainId).execute();
  const byPrice = group(prices.map((p) => ({ asset: p.asset, key: at(p.block_number ?? 0, END), value: toE8(p.price_usd) })));
  const byConfig = group(configs.map((c) => ({ asset: c.asset, key: at(c.block_number, c.log_index), value: c.liquidation_threshold })));
  const byReserve = group(
    updates.map((u) => ({
      asset: u.reserve,
      key: at(u.block_number, u.log_index),
      value: reserveState(u),
    })),
  );
  const decimals = new Map(assets.map((a) => [a.address, a.decimals]));
  return {
    price: (asset, block) => latest(byPrice.get(asset), at(block, END)),
    threshold: (asset, block) => latest(byConfig.get(asset), at(block, END)) ?? 0,
    decimals: (asset) => decimals.get(asset) ?? 18,
    reserve: (asset, key) => latest(byReserve.get(asset), key),
  };
}

/** Balances in asset units at the end of `block` (time `timestamp`), from scaled ones. */
const amounts = (market: MarketAt, reserve: string, block: number, timestamp: number) => {
  const state = market.reserve(reserve, at(block, END));
  return { income: normalizedIncome(state, timestamp), debt: normalizedDebt(state, timestamp) };
};

function healthFactor(
  chainId: number,
  wallet: string,
  block: number,
  timestamp: number,
  held: Map<string, Position>,
  market: MarketAt,
): NewRow<'health_factors'> | undefined {
  const reserves: AccountReserve[] = [];
  for (const [reserve, p] of held) {
    if (p.collateral === 0n && p.debt === 0n) continue;
    const price = market.price(reserve, block);
    if (price === undefined) return undefined; // no price yet: no snapshot rather than a wrong one
    const index = amounts(market, reserve, block, timestamp);
    reserves.push({
      collateral: rayMul(p.collateral, index.income),
      debt: rayMul(p.debt, index.debt),
      usingAsCollateral: p.enabled,
      price,
      decimals: market.decimals(reserve),
      liquidationThreshold: market.threshold(reserve, block),
    });
  }
  const account = accountData(reserves);
  return {
    chain_id: chainId,
    wallet,
    block_number: block,
    timestamp,
    collateral_usd: formatFixed(account.totalCollateralBase, 8),
    debt_usd: formatFixed(account.totalDebtBase, 8),
    health_factor: account.healthFactor === undefined ? null : formatFixed(account.healthFactor, 18),
  };
}

interface StoredPosition {
  wallet: string;
  reserve: string;
  /** Scaled balances, exactly as Aave holds them. */
  position: Position;
}

/**
 * The latest stored position of each wallet (of `wallets`, or all) and reserve at or before `block`, as scaled
 * balances: rows hold amounts at the end of their block, which with the reserve's state there (the last update at
 * or before it, joined laterally) give the scaled balances back exactly (`unscale`).
 */
async function storedPositions(tx: Tx, chainId: number, block: number, wallets?: string[]): Promise<StoredPosition[]> {
  const only = wallets ? sql`and wallet = any(${wallets})` : sql``;
  const { rows } = await sql<{
    wallet: string;
    reserve: string;
    block_number: number;
    timestamp: number;
    collateral: string;
    debt: string;
    collateral_enabled: boolean;
    state: StoredState | null;
  }>`
    select p.*, case when u.timestamp is null then null else json_build_object(
      'timestamp', u.timestamp, 'liquidity_rate', u.liquidity_rate::text, 'variable_borrow_rate', u.variable_borrow_rate::text,
      'liquidity_index', u.liquidity_index::text, 'variable_borrow_index', u.variable_borrow_index::text) end as state
    from (
      select distinct on (wallet, reserve) wallet, reserve, block_number, timestamp, collateral, debt, collateral_enabled
      from wallet_positions
      where chain_id = ${chainId} and block_number <= ${block} ${only}
      order by wallet, reserve, block_number desc
    ) p
    left join lateral (
      select timestamp, liquidity_rate, variable_borrow_rate, liquidity_index, variable_borrow_index
      from reserve_updates
      where chain_id = ${chainId} and reserve = p.reserve and block_number <= p.block_number
      order by block_number desc, log_index desc
      limit 1
    ) u on true`.execute(tx.db);
  return rows.map((r) => {
    const state = r.state ? reserveState(r.state) : undefined;
    const timestamp = Number(r.timestamp);
    return {
      wallet: r.wallet,
      reserve: r.reserve,
      position: {
        collateral: unscale(BigInt(r.collateral), normalizedIncome(state, timestamp)),
        debt: unscale(BigInt(r.debt), normalizedDebt(state, timestamp)),
        enabled: r.collateral_enabled,
      },
    };
  });
}

async function deriveWindow(tx: Tx, chainId: number, from: number, to: number): Promise<void> {
  const events = await tx.db
    .selectFrom('lending_events')
    .selectAll()
    .where('chain_id', '=', chainId)
    .where('block_number', '>=', from)
    .where('block_number', '<=', to)
    .orderBy('block_number')
    .orderBy('log_index')
    .execute();
  if (events.length === 0) return;
  const wallets = [...new Set(events.flatMap(walletsOf))];
  const market = await loadMarket(tx, chainId, from, to);
  const positions: Positions = new Map();
  for (const r of await storedPositions(tx, chainId, from - 1, wallets)) {
    let held = positions.get(r.wallet);
    if (!held) positions.set(r.wallet, (held = new Map()));
    held.set(r.reserve, r.position);
  }
  const rows: NewRow<'wallet_positions'>[] = [];
  const health: NewRow<'health_factors'>[] = [];
  for (let i = 0; i < events.length;) {
    const { block_number: block, timestamp } = events[i]!;
    const touched = new Map<string, Set<string>>(); // wallet → reserves changed in this block
    for (; i < events.length && events[i]!.block_number === block; i++) apply(positions, events[i]!, touched, market);
    for (const [wallet, reserves] of touched) {
      const held = positions.get(wallet)!;
      for (const reserve of reserves) {
        const p = held.get(reserve)!;
        const index = amounts(market, reserve, block, timestamp);
        rows.push({
          chain_id: chainId,
          wallet,
          reserve,
          block_number: block,
          timestamp,
          collateral: rayMul(p.collateral, index.income).toString(),
          debt: rayMul(p.debt, index.debt).toString(),
          collateral_enabled: p.enabled,
        });
      }
      const hf = healthFactor(chainId, wallet, block, timestamp, held, market);
      if (hf) health.push(hf);
    }
  }
  await tx.insert('wallet_positions', rows);
  await tx.insert('health_factors', health);
}

/**
 * Derives positions and health factors from the last derived block up to `toBlock`, each window in one transaction
 * with its checkpoint. On Postgres each window holds a per-chain advisory lock and reads the checkpoint under it,
 * so derivations of several workers or processes take turns and never derive a window twice.
 */
export async function derivePositions(store: Store, chainId: number, toBlock: number): Promise<void> {
  for (;;) {
    const more = await inTransaction(store, async (tx) => {
      if (store.pool) await sql`select pg_advisory_xact_lock(hashtext(${`risk-oracle:derive:${chainId}`}))`.execute(tx.db);
      const cp = await loadCheckpoint(tx, chainId, DERIVED_SOURCE);
      const from = (cp?.block ?? -1) + 1;
      if (from > toBlock) return false;
      const to = Math.min(toBlock, from + WINDOW - 1);
      await deriveWindow(tx, chainId, from, to);
      await saveCheckpoint(tx, chainId, DERIVED_SOURCE, { block: to, hash: null, cursor: null });
      return to < toBlock;
    });
    if (!more) return;
  }
}

/** A derived balance: aToken and variable debt, in asset units. */
export interface DerivedBalance {
  wallet: string;
  reserve: string;
  collateral: bigint;
  debt: bigint;
  collateralEnabled: boolean;
}

/**
 * Every wallet's derived balances at `block` (time `timestamp`), interest accrued since each position's last row:
 * what the aToken and variable-debt token `balanceOf` answer at that block. Needs positions derived up to `block`.
 */
export async function balancesAt(store: Store, chainId: number, block: number, timestamp: number): Promise<DerivedBalance[]> {
  return inTransaction(store, async (tx) => {
    const market = await loadMarket(tx, chainId, block, block);
    return (await storedPositions(tx, chainId, block)).map(({ wallet, reserve, position }) => {
      const now = amounts(market, reserve, block, timestamp);
      return {
        wallet,
        reserve,
        collateral: rayMul(position.collateral, now.income),
        debt: rayMul(position.debt, now.debt),
        collateralEnabled: position.enabled,
      };
    });
  });
}
