import type { NewRow, Row } from '../../core';
import { formatFixed } from '../rpc/events';
import { loadCheckpoint, saveCheckpoint } from '../store/batch';
import { inTransaction, type Store, type Tx } from '../store/bulk';

/**
 * Derived data, from the indexed events only (re-derivable, reorg-safe: rows carry their block and are rolled
 * back with it): per wallet and reserve, event-sourced positions (principal: supplies − withdrawals − collateral
 * seized, borrows − repayments − debt covered; accrued interest is not modelled, and a balance never goes below
 * zero), and at every block where a wallet's position changes, its health factor from those positions × the
 * latest feed prices × the liquidation thresholds in force at that block.
 */
export const DERIVED_SOURCE = 'derived:positions';
const WINDOW = 5_000;

interface Position {
  collateral: bigint;
  debt: bigint;
  enabled: boolean;
}
type Event = Row<'lending_events'>;
/** Positions by wallet, then reserve: a touched wallet's health factor reads only its own reserves. */
type Positions = Map<string, Map<string, Position>>;

function apply(positions: Positions, e: Event, touched: Map<string, Set<string>>): void {
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
  const owner = e.on_behalf_of ?? e.user_address;
  const amount = BigInt(e.amount);
  switch (e.kind) {
    case 'supply':
      return change(owner, e.reserve, (p) => (p.collateral += amount));
    case 'withdraw':
      return change(owner, e.reserve, (p) => (p.collateral -= amount));
    case 'borrow':
      return change(owner, e.reserve, (p) => (p.debt += amount));
    case 'repay':
      return change(owner, e.reserve, (p) => {
        p.debt -= amount;
        if (e.use_a_tokens) p.collateral -= amount;
      });
    case 'liquidation':
      change(owner, e.debt_asset!, (p) => (p.debt -= amount));
      return change(owner, e.reserve, (p) => (p.collateral -= BigInt(e.liquidated_collateral_amount ?? '0')));
    case 'collateral_enabled':
      return change(owner, e.reserve, (p) => (p.enabled = true));
    case 'collateral_disabled':
      return change(owner, e.reserve, (p) => (p.enabled = false));
  }
}

/** A decimal string as an integer scaled by 1e8. */
const toE8 = (decimal: string): bigint => {
  const [int, frac = ''] = decimal.split('.');
  return BigInt(int!) * 10n ** 8n + BigInt((frac + '00000000').slice(0, 8));
};

interface MarketAt {
  price(asset: string, block: number): bigint | undefined;
  threshold(asset: string, block: number): number;
  decimals(asset: string): number;
}

/** Latest value at or before `block` from rows sorted by block (binary search: called for every wallet at every block). */
function latest<T>(rows: Array<{ block: number; value: T }> | undefined, block: number): T | undefined {
  if (!rows) return undefined;
  let lo = 0;
  let hi = rows.length; // the first row above `block` lies in lo..hi
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid]!.block <= block) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? undefined : rows[lo - 1]!.value;
}

async function loadMarket(tx: Tx, chainId: number, to: number): Promise<MarketAt> {
  const group = <T>(rows: Array<{ asset: string; block: number; value: T }>): Map<string, Array<{ block: number; value: T }>> => {
    const m = new Map<string, Array<{ block: number; value: T }>>();
    for (const r of rows) {
      const list = m.get(r.asset);
      if (list) list.push(r);
      else m.set(r.asset, [r]);
    }
    return m;
  };
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
    .select(['asset', 'block_number', 'liquidation_threshold'])
    .where('chain_id', '=', chainId)
    .where('block_number', '<=', to)
    .orderBy('block_number')
    .orderBy('log_index')
    .execute();
  const assets = await tx.db.selectFrom('assets').select(['address', 'decimals']).where('chain_id', '=', chainId).execute();
  const byPrice = group(prices.map((p) => ({ asset: p.asset, block: p.block_number ?? 0, value: toE8(p.price_usd) })));
  const byConfig = group(configs.map((c) => ({ asset: c.asset, block: c.block_number, value: c.liquidation_threshold })));
  const decimals = new Map(assets.map((a) => [a.address, a.decimals]));
  return {
    price: (asset, block) => latest(byPrice.get(asset), block),
    threshold: (asset, block) => latest(byConfig.get(asset), block) ?? 0,
    decimals: (asset) => decimals.get(asset) ?? 18,
  };
}

function healthFactor(
  chainId: number,
  wallet: string,
  block: number,
  timestamp: number,
  held: Map<string, Position>,
  market: MarketAt,
): NewRow<'health_factors'> | undefined {
  let collateralUsd = 0n;
  let weighted = 0n;
  let debtUsd = 0n;
  for (const [reserve, p] of held) {
    if (p.collateral === 0n && p.debt === 0n) continue;
    const price = market.price(reserve, block);
    if (price === undefined) return undefined; // no price yet: no snapshot rather than a wrong one
    const unit = 10n ** BigInt(market.decimals(reserve));
    if (p.enabled) {
      const usd = (p.collateral * price) / unit;
      collateralUsd += usd;
      weighted += usd * BigInt(market.threshold(reserve, block));
    }
    debtUsd += (p.debt * price) / unit;
  }
  const hf = debtUsd === 0n ? null : formatFixed((weighted * 10n ** 18n) / (debtUsd * 10_000n), 18);
  return {
    chain_id: chainId,
    wallet,
    block_number: block,
    timestamp,
    collateral_usd: formatFixed(collateralUsd, 8),
    debt_usd: formatFixed(debtUsd, 8),
    health_factor: hf,
  };
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
  const wallets = [...new Set(events.map((e) => e.on_behalf_of ?? e.user_address))];
  // each touched wallet's latest position per reserve before the window
  const before = await tx.db
    .selectFrom('wallet_positions')
    .select(['wallet', 'reserve', 'collateral', 'debt', 'collateral_enabled'])
    .distinctOn(['wallet', 'reserve'])
    .where('chain_id', '=', chainId)
    .where('wallet', 'in', wallets)
    .where('block_number', '<', from)
    .orderBy('wallet')
    .orderBy('reserve')
    .orderBy('block_number', 'desc')
    .execute();
  const positions: Positions = new Map();
  for (const r of before) {
    let held = positions.get(r.wallet);
    if (!held) positions.set(r.wallet, (held = new Map()));
    held.set(r.reserve, { collateral: BigInt(r.collateral), debt: BigInt(r.debt), enabled: r.collateral_enabled });
  }
  const market = await loadMarket(tx, chainId, to);
  const rows: NewRow<'wallet_positions'>[] = [];
  const health: NewRow<'health_factors'>[] = [];
  for (let i = 0; i < events.length;) {
    const { block_number: block, timestamp } = events[i]!;
    const touched = new Map<string, Set<string>>(); // wallet → reserves changed in this block
    for (; i < events.length && events[i]!.block_number === block; i++) apply(positions, events[i]!, touched);
    for (const [wallet, reserves] of touched) {
      const held = positions.get(wallet)!;
      for (const reserve of reserves) {
        const p = held.get(reserve)!;
        rows.push({
          chain_id: chainId,
          wallet,
          reserve,
          block_number: block,
          timestamp,
          collateral: p.collateral.toString(),
          debt: p.debt.toString(),
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

/** Derives positions and health factors from the last derived block up to `toBlock`, each window in one transaction with its checkpoint. */
export async function derivePositions(store: Store, chainId: number, toBlock: number): Promise<void> {
  const cp = await loadCheckpoint(store, chainId, DERIVED_SOURCE);
  for (let from = (cp?.block ?? -1) + 1; from <= toBlock; from += WINDOW) {
    const to = Math.min(toBlock, from + WINDOW - 1);
    await inTransaction(store, async (tx) => {
      await deriveWindow(tx, chainId, from, to);
      await saveCheckpoint(tx, chainId, DERIVED_SOURCE, { block: to, hash: null, cursor: null });
    });
  }
}
