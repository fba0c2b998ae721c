import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { UserError, type NewRow, type Row } from '../../core';
import { formatFixed, MINTED } from '../rpc/events';
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
 * health factor the Pool's. aToken transfers between wallets (and the liquidation protocol fee, the same
 * transfer) move scaled balances when the aTokens' `BalanceTransfer`s are indexed, and `mintToTreasury` (their
 * `Mint`s by the Pool, stored as transfers from `MINTED`) adds to the treasury's; a wallet in e-mode gets its
 * category's liquidation threshold (and price source) for the category's assets. Stable-rate debt is refused: a
 * stable borrow stops the derivation with an error naming it (Aave v3.2 removed stable borrowing, markets had it
 * off long before). Isolation mode changes no balance or health factor, only what may be borrowed.
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
type Transfer = Row<'a_token_transfers'>;
type EModeRow = Row<'emode_events'>;
/** What changes positions, in log order: a Pool event, an aToken transfer, a wallet entering or leaving e-mode. */
type Change = { lending: Event } | { transfer: Transfer } | { emode: EModeRow };
const placeOf = (c: Change): { block_number: number; log_index: number; timestamp: number } =>
  'lending' in c ? c.lending : 'transfer' in c ? c.transfer : c.emode;
/** Positions by wallet, then reserve: a touched wallet's health factor reads only its own reserves. */
type Positions = Map<string, Map<string, Position>>;

/** Orders logs: (block, log index) as one number; `END` + block × SPAN is after every log of the block. */
const SPAN = 1_000_000;
const END = SPAN - 1;
const at = (block: number, logIndex: number): number => block * SPAN + Math.min(logIndex, END);

/**
 * Applies one change. `transferred`: `tx:reserve` of every aToken transfer indexed, so a liquidation paid in aTokens
 * leaves the move to its `BalanceTransfer` (counted once) where the reserve's aToken is indexed.
 */
function apply(
  positions: Positions,
  c: Change,
  touched: Map<string, Set<string>>,
  market: MarketAt,
  transferred: ReadonlySet<string>,
): void {
  const touch = (wallet: string): Set<string> => {
    let reserves = touched.get(wallet);
    if (!reserves) touched.set(wallet, (reserves = new Set()));
    return reserves;
  };
  const change = (wallet: string, reserve: string, f: (p: Position) => void): void => {
    let held = positions.get(wallet);
    if (!held) positions.set(wallet, (held = new Map()));
    const p = held.get(reserve) ?? { collateral: 0n, debt: 0n, enabled: false };
    f(p);
    if (p.collateral < 0n) p.collateral = 0n;
    if (p.debt < 0n) p.debt = 0n;
    held.set(reserve, p);
    touch(wallet).add(reserve);
  };
  if ('emode' in c) return void touch(c.emode.wallet!); // no balance moves: a health factor at this block
  if ('transfer' in c) {
    const t = c.transfer;
    const scaled = BigInt(t.scaled_amount);
    if (t.from_address !== MINTED) change(t.from_address, t.reserve, (p) => (p.collateral -= scaled));
    change(t.to_address, t.reserve, (p) => (p.collateral += scaled));
    return;
  }
  const e = c.lending;
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
      if (e.interest_rate_mode === 1) {
        throw new UserError(
          `stable-rate borrow of ${e.amount} of reserve ${e.reserve} by wallet ${owner} at block ${e.block_number} ` +
            `(tx ${e.tx_hash}): stable debt is not followed by the derivation (Aave v3.2 removed it); ` +
            'its positions and health factors would be wrong, so none are derived past this block',
        );
      }
      return change(owner, e.reserve, (p) => (p.debt += debt(e.reserve, amount)));
    case 'repay':
      return change(owner, e.reserve, (p) => {
        p.debt -= debt(e.reserve, amount);
        if (e.use_a_tokens) p.collateral -= income(e.reserve, amount);
      });
    case 'liquidation': {
      const seized = income(e.reserve, BigInt(e.liquidated_collateral_amount ?? '0'));
      change(owner, e.debt_asset!, (p) => (p.debt -= debt(e.debt_asset!, amount)));
      // receiveAToken moves the seized aTokens to the liquidator: its BalanceTransfer does, where indexed
      if (e.use_a_tokens && transferred.has(`${e.tx_hash}:${e.reserve}`)) return;
      change(owner, e.reserve, (p) => (p.collateral -= seized));
      if (e.use_a_tokens && e.liquidator) change(e.liquidator, e.reserve, (p) => (p.collateral += seized));
      return;
    }
    case 'collateral_enabled':
      return change(owner, e.reserve, (p) => (p.enabled = true));
    case 'collateral_disabled':
      return change(owner, e.reserve, (p) => (p.enabled = false));
  }
}

/** The wallets a change touches (a liquidation with receiveAToken also changes the liquidator's). */
const walletsOf = (c: Change): string[] => {
  if ('emode' in c) return [c.emode.wallet!];
  if ('transfer' in c) return [c.transfer.from_address, c.transfer.to_address].filter((w) => w !== MINTED);
  const e = c.lending;
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
  /** The wallet's e-mode category at the end of `block` (0: none). */
  userCategory(wallet: string, block: number): number;
  /** The asset's e-mode category at the end of `block` (0: none). */
  assetCategory(asset: string, block: number): number;
  /** An e-mode category's configuration at the end of `block`. */
  category(id: number, block: number): EModeCategory | undefined;
}

interface EModeCategory {
  liquidationThreshold: number;
  /** Lower-case address whose oracle price replaces the category's assets' prices, or undefined. */
  priceSource: string | undefined;
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

/** Appends rows (in key order, after every row already there) to their series. */
function extend<T>(series: Series<T>, rows: Array<{ asset: string; key: number; value: T }>): void {
  for (const r of rows) {
    const list = series.get(r.asset);
    if (list) list.push(r);
    else series.set(r.asset, [r]);
  }
}

/** Tables of logs: each row carries its block and log index. */
type LogTable = 'lending_events' | 'a_token_transfers' | 'reserve_updates' | 'collateral_configs' | 'emode_events';

/** Every row of `table` on `chainId` in blocks from..to, in log order. */
const inWindow = async <T extends LogTable>(tx: Tx, table: T, chainId: number, from: number, to: number): Promise<Array<Row<T>>> =>
  (
    await sql<Row<T>>`select * from ${sql.table(table)}
      where chain_id = ${chainId} and block_number >= ${from} and block_number <= ${to}
      order by block_number, log_index`.execute(tx.db)
  ).rows;

/** Per `column` (asset, reserve), the last row of `table` on `chainId` before block `from` (all a window reads of earlier rows). */
const lastBefore = async <T extends LogTable>(
  tx: Tx,
  table: T,
  column: 'asset' | 'reserve',
  chainId: number,
  from: number,
): Promise<Array<Row<T>>> =>
  (
    await sql<Row<T>>`select distinct on (${sql.ref(column)}) * from ${sql.table(table)}
      where chain_id = ${chainId} and block_number < ${from}
      order by ${sql.ref(column)}, block_number desc, log_index desc`.execute(tx.db)
  ).rows;

type PriceRow = Pick<Row<'price_points'>, 'asset' | 'block_number' | 'price_usd'>;

/** The market's rows a window reads: feed prices (block and time order), thresholds, reserve states, e-mode (log order). */
interface MarketRows {
  prices: PriceRow[];
  configs: Array<Row<'collateral_configs'>>;
  updates: Array<Row<'reserve_updates'>>;
  emode: EModeRow[];
}

/** The market's rows in blocks from..to. */
async function marketRows(tx: Tx, chainId: number, from: number, to: number): Promise<MarketRows> {
  const prices = await tx.db
    .selectFrom('price_points')
    .select(['asset', 'block_number', 'price_usd'])
    .where('chain_id', '=', chainId)
    .where('block_number', '>=', from)
    .where('block_number', '<=', to)
    .orderBy('block_number')
    .orderBy('timestamp')
    .execute();
  return {
    prices,
    configs: await inWindow(tx, 'collateral_configs', chainId, from, to),
    updates: await inWindow(tx, 'reserve_updates', chainId, from, to),
    emode: await inWindow(tx, 'emode_events', chainId, from, to),
  };
}

/**
 * What the market was before block `from`, as far as a window from there reads it: per asset the last price, threshold
 * and reserve state, and every e-mode event (few: one per wallet's switch and per configuration change).
 */
async function marketBefore(tx: Tx, chainId: number, from: number): Promise<MarketRows> {
  const prices = await tx.db
    .selectFrom('price_points')
    .select(['asset', 'block_number', 'price_usd'])
    .distinctOn('asset')
    .where('chain_id', '=', chainId)
    .where('block_number', '<', from)
    .orderBy('asset')
    .orderBy('block_number', 'desc')
    .orderBy('timestamp', 'desc')
    .execute();
  return {
    prices,
    configs: await lastBefore(tx, 'collateral_configs', 'asset', chainId, from),
    updates: await lastBefore(tx, 'reserve_updates', 'reserve', chainId, from),
    emode: await inWindow(tx, 'emode_events', chainId, 0, from - 1),
  };
}

/** The market's history as series per asset (wallet, category), each in log order; windows append to it. */
interface MarketHistory {
  prices: Series<bigint>;
  thresholds: Series<number>;
  reserves: Series<ReserveState>;
  users: Series<number>;
  assetCategories: Series<number>;
  categories: Series<EModeCategory>;
}

const emptyHistory = (): MarketHistory => ({
  prices: new Map(),
  thresholds: new Map(),
  reserves: new Map(),
  users: new Map(),
  assetCategories: new Map(),
  categories: new Map(),
});

/** Appends rows later than everything `history` holds (one series per asset: the rows' order within a key is kept). */
function record(history: MarketHistory, rows: MarketRows): void {
  extend(
    history.prices,
    rows.prices.map((p) => ({ asset: p.asset, key: at(p.block_number ?? 0, END), value: toE8(p.price_usd) })),
  );
  extend(
    history.thresholds,
    rows.configs.map((c) => ({ asset: c.asset, key: at(c.block_number, c.log_index), value: c.liquidation_threshold })),
  );
  extend(
    history.reserves,
    rows.updates.map((u) => ({ asset: u.reserve, key: at(u.block_number, u.log_index), value: reserveState(u) })),
  );
  const ofKind = <T>(series: Series<T>, kind: EModeRow['kind'], by: (r: EModeRow) => string, value: (r: EModeRow) => T): void =>
    extend(
      series,
      rows.emode.filter((r) => r.kind === kind).map((r) => ({ asset: by(r), key: at(r.block_number, r.log_index), value: value(r) })),
    );
  ofKind(
    history.users,
    'user',
    (r) => r.wallet!,
    (r) => r.category_id,
  );
  ofKind(
    history.assetCategories,
    'asset',
    (r) => r.asset!,
    (r) => r.category_id,
  );
  ofKind(
    history.categories,
    'category',
    (r) => String(r.category_id),
    (r): EModeCategory => ({
      liquidationThreshold: r.liquidation_threshold ?? 0,
      priceSource: r.price_source && BigInt(r.price_source) !== 0n ? r.price_source : undefined,
    }),
  );
}

/** Keeps each series' last value only: all that a window after the history's last block reads of it. */
function compact(history: MarketHistory): void {
  for (const series of Object.values(history) as Array<Series<unknown>>)
    for (const [asset, rows] of series) if (rows.length > 1) series.set(asset, rows.slice(-1));
}

/** Lookups over `history` (which must hold what came before the blocks looked up: see `marketBefore`). */
async function marketAt(tx: Tx, chainId: number, history: MarketHistory): Promise<MarketAt> {
  const assets = await tx.db.selectFrom('assets').select(['address', 'decimals']).where('chain_id', '=', chainId).execute();
  const decimals = new Map(assets.map((a) => [a.address, a.decimals]));
  return {
    price: (asset, block) => latest(history.prices.get(asset), at(block, END)),
    threshold: (asset, block) => latest(history.thresholds.get(asset), at(block, END)) ?? 0,
    decimals: (asset) => decimals.get(asset) ?? 18,
    reserve: (asset, key) => latest(history.reserves.get(asset), key),
    userCategory: (wallet, block) => latest(history.users.get(wallet), at(block, END)) ?? 0,
    assetCategory: (asset, block) => latest(history.assetCategories.get(asset), at(block, END)) ?? 0,
    category: (id, block) => latest(history.categories.get(String(id)), at(block, END)),
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
  // e-mode (GenericLogic.calculateUserAccountData): the category's threshold for its assets, and its price source's
  // price (when it has one) for them
  const userCategory = market.userCategory(wallet, block);
  const category = userCategory === 0 ? undefined : market.category(userCategory, block);
  if (userCategory !== 0 && !category) return undefined; // a category never configured: the Pool refuses entering it
  const categoryPrice = category?.priceSource === undefined ? undefined : market.price(category.priceSource, block);
  if (category?.priceSource !== undefined && categoryPrice === undefined) return undefined; // a price source without a known price
  for (const [reserve, p] of held) {
    if (p.collateral === 0n && p.debt === 0n) continue;
    const inCategory = category !== undefined && market.assetCategory(reserve, block) === userCategory;
    const price = inCategory && categoryPrice !== undefined ? categoryPrice : market.price(reserve, block);
    if (price === undefined) return undefined; // no price yet: no snapshot rather than a wrong one
    const index = amounts(market, reserve, block, timestamp);
    reserves.push({
      collateral: rayMul(p.collateral, index.income),
      debt: rayMul(p.debt, index.debt),
      usingAsCollateral: p.enabled,
      price,
      decimals: market.decimals(reserve),
      liquidationThreshold: market.threshold(reserve, block),
      eModeLiquidationThreshold: inCategory ? category.liquidationThreshold : undefined,
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

/**
 * What a process keeps from one derivation window to its next: the scaled positions of the wallets it has read or
 * derived (any other wallet's are read from the store) and the market's history, as of the end of `block`. It
 * equals what the store holds only while the stored checkpoint is the one its window wrote (`token`, the
 * checkpoint's cursor): a rollback, or a window of another process, changes the checkpoint, and the next window
 * reads the store again.
 */
interface Carried {
  block: number;
  token: string;
  positions: Positions;
  history: MarketHistory;
}
const carried = new WeakMap<Store, Map<number, Carried>>();
/** Wallets whose positions a process keeps in memory at most (beyond, it reads them again from the store). */
const CARRIED_WALLETS = 500_000;

/** Derives blocks from..to from `kept` (the state at the end of `from - 1`; undefined: read from the store); returns the state at `to`. */
async function deriveWindow(
  tx: Tx,
  chainId: number,
  from: number,
  to: number,
  kept: Pick<Carried, 'positions' | 'history'> | undefined,
): Promise<Pick<Carried, 'positions' | 'history'>> {
  const events = await inWindow(tx, 'lending_events', chainId, from, to);
  const transfers = await inWindow(tx, 'a_token_transfers', chainId, from, to);
  const history = kept?.history ?? emptyHistory();
  if (!kept) record(history, await marketBefore(tx, chainId, from));
  const window = await marketRows(tx, chainId, from, to);
  record(history, window);
  const changes: Change[] = [
    ...events.map((lending) => ({ lending })),
    ...transfers.map((transfer) => ({ transfer })),
    ...window.emode.filter((r) => r.kind === 'user').map((e) => ({ emode: e })),
  ];
  const positions: Positions = kept?.positions ?? new Map();
  if (changes.length === 0) return { positions, history };
  changes.sort((a, b) => placeOf(a).block_number - placeOf(b).block_number || placeOf(a).log_index - placeOf(b).log_index);
  const transferred = new Set(transfers.map((t) => `${t.tx_hash}:${t.reserve}`));
  const market = await marketAt(tx, chainId, history);
  // wallets not in memory: their latest stored positions (none stored: known empty, not read again)
  const unknown = [...new Set(changes.flatMap(walletsOf))].filter((w) => !positions.has(w));
  for (const w of unknown) positions.set(w, new Map());
  if (unknown.length)
    for (const r of await storedPositions(tx, chainId, from - 1, unknown)) positions.get(r.wallet)!.set(r.reserve, r.position);
  const rows: NewRow<'wallet_positions'>[] = [];
  const health: NewRow<'health_factors'>[] = [];
  for (let i = 0; i < changes.length;) {
    const { block_number: block, timestamp } = placeOf(changes[i]!);
    const touched = new Map<string, Set<string>>(); // wallet → reserves changed in this block
    for (; i < changes.length && placeOf(changes[i]!).block_number === block; i++)
      apply(positions, changes[i]!, touched, market, transferred);
    for (const [wallet, reserves] of touched) {
      const held = positions.get(wallet)!; // every wallet of a change was read above, or created by `apply`
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
  return { positions, history };
}

/**
 * Derives positions and health factors from the last derived block up to `toBlock`, each window in one transaction
 * with its checkpoint. On Postgres each window holds a per-chain advisory lock and reads the checkpoint under it,
 * so derivations of several workers or processes take turns and never derive a window twice. With `leaseMs`, a
 * window's transaction idle that long is ended by the server (`idle_in_transaction_session_timeout`), so a frozen
 * process does not hold the lock, and every other process's derivation, forever. Each window starts from what the
 * previous window of this process left in memory (`Carried`) when the checkpoint shows nothing changed since.
 */
export async function derivePositions(store: Store, chainId: number, toBlock: number, leaseMs?: number): Promise<void> {
  let byChain = carried.get(store);
  if (!byChain) carried.set(store, (byChain = new Map()));
  for (;;) {
    // taken out while a window runs: one that fails (or a concurrent derivation of the same store) reads the store
    const kept = byChain.get(chainId);
    byChain.delete(chainId);
    const next = await inTransaction(store, async (tx) => {
      if (store.pool && leaseMs !== undefined)
        await sql`select set_config('idle_in_transaction_session_timeout', ${String(Math.round(leaseMs))}, true)`.execute(tx.db);
      if (store.pool) await sql`select pg_advisory_xact_lock(hashtext(${`risk-oracle:derive:${chainId}`}))`.execute(tx.db);
      const cp = await loadCheckpoint(tx, chainId, DERIVED_SOURCE);
      const from = (cp?.block ?? -1) + 1;
      if (from > toBlock) return { more: false, state: kept };
      const to = Math.min(toBlock, from + WINDOW - 1);
      const valid = kept && cp?.block === kept.block && cp.cursor === kept.token ? kept : undefined;
      const { positions, history } = await deriveWindow(tx, chainId, from, to, valid);
      compact(history);
      const token = `derived:${randomUUID()}`;
      await saveCheckpoint(tx, chainId, DERIVED_SOURCE, { block: to, hash: null, cursor: token });
      const state: Carried = { block: to, token, positions: positions.size > CARRIED_WALLETS ? new Map() : positions, history };
      return { more: to < toBlock, state };
    });
    if (next.state) byChain.set(chainId, next.state);
    if (!next.more) return;
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
    const history = emptyHistory();
    record(history, await marketBefore(tx, chainId, block));
    record(history, await marketRows(tx, chainId, block, block));
    const market = await marketAt(tx, chainId, history);
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
