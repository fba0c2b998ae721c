import { sql, type Kysely } from 'kysely';
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import type { Database, NewRow } from '../core/schema';
import { inTransaction } from '../indexer/store/bulk';
import type { SimMarket } from './market';
import type { SimWallet } from './wallets';

/** The liquidator address the simulator uses. */
export const SIM_LIQUIDATOR = '0x00000000000000000000000000000000000b0b00';
const BLOCKS_PER_STEP = 300;

export interface WriteOptions {
  chainId: number;
  /** Rows per multi-row INSERT (kept under Postgres's 65,535 bind parameters). Default 2,000. */
  batchSize?: number;
  /** `price_points.source`. Default `chainlink`, as the RPC indexer writes on-chain feed answers. */
  priceSource?: string;
  onProgress?: (p: { table: string; rows: number }) => void;
}

/** Token units (6 decimals kept, as the simulator rounds them) → the uint256 raw amount as a decimal string. */
export function rawAmount(units: number, decimals: number): string {
  const micro = BigInt(Math.round(units * 1e6));
  return decimals >= 6 ? (micro * 10n ** BigInt(decimals - 6)).toString() : (micro / 10n ** BigInt(6 - decimals)).toString();
}

type Table = 'assets' | 'price_points' | 'lending_events' | 'health_factors';

const csvField = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

/**
 * PGlite bulk path: COPY the rows as CSV into a temporary table, then insert them with ON CONFLICT DO NOTHING
 * (COPY alone would fail on a second write of the same rows). Roughly ten times the rate of multi-row inserts.
 */
async function copyRows<T extends Table>(pglite: PGlite, table: T, rows: Array<NewRow<T>>, chunk = 50_000): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const list = columns.join(', ');
  // a fresh table (the usual case) takes the COPY directly; otherwise stage it and skip rows already there
  const { rows: present } = await pglite.query(`select exists (select 1 from ${table}) as present`);
  const direct = !(present[0] as { present: boolean }).present;
  const staging = `sim_${table}`;
  if (!direct) await pglite.exec(`create temp table if not exists ${staging} (like ${table} including defaults); truncate ${staging};`);
  for (let from = 0; from < rows.length; from += chunk) {
    const lines: string[] = [];
    for (let i = from; i < Math.min(rows.length, from + chunk); i++) {
      const row = rows[i] as Record<string, unknown>;
      lines.push(columns.map((c) => csvField(row[c])).join(','));
    }
    // bounded chunks keep the blob (and PGlite's copy of it) small
    await pglite.query(`copy ${direct ? table : staging} (${list}) from '/dev/blob' with (format csv)`, [], {
      blob: new Blob([lines.join('\n')]),
    });
  }
  if (!direct) await pglite.exec(`insert into ${table} select * from ${staging} on conflict do nothing; drop table ${staging};`);
}

async function insertBatches<T extends Table>(
  db: Kysely<Database>,
  table: T,
  rows: Array<NewRow<T>>,
  options: WriteOptions,
): Promise<void> {
  const size = options.batchSize ?? 2_000;
  for (let i = 0; i < rows.length; i += size) {
    // idempotent like the indexer: a second write of the same simulation is a no-op
    await db
      .insertInto(table)
      .values(rows.slice(i, i + size) as never)
      .onConflict((oc) => oc.doNothing())
      .execute();
    options.onProgress?.({ table, rows: Math.min(rows.length, i + size) });
  }
}

export interface SimulationRows {
  assets: Array<NewRow<'assets'>>;
  prices: Array<NewRow<'price_points'>>;
  events: Array<NewRow<'lending_events'>>;
  snapshots: Array<NewRow<'health_factors'>>;
}

/**
 * The rows the indexer would have written for this market and these wallets: `assets`, `price_points` (one per
 * asset and step), `lending_events` (source `sim`, raw uint256 amounts, one transaction per wallet and block)
 * and `health_factors` (one per wallet and block).
 */
export function simulationRows(
  market: SimMarket,
  wallets: readonly SimWallet[],
  options: Pick<WriteOptions, 'chainId' | 'priceSource'>,
): SimulationRows {
  const chainId = options.chainId;
  const assets = market.assets.map((a) => ({
    chain_id: chainId,
    address: a.address,
    symbol: a.symbol,
    decimals: a.decimals,
    kind: a.kind,
    price_feed: null,
  }));
  const prices: Array<NewRow<'price_points'>> = [];
  for (const a of market.assets) {
    for (let i = 0; i < market.steps; i++) {
      prices.push({
        chain_id: chainId,
        asset: a.address,
        source: options.priceSource ?? 'chainlink',
        timestamp: market.start + i * market.stepSeconds,
        price_usd: String(a.prices[i]!),
        block_number: i * BLOCKS_PER_STEP,
        liquidity_usd: String(Math.round(a.liquidity[i]!)),
      });
    }
  }
  const events: Array<NewRow<'lending_events'>> = [];
  const snapshots: Array<NewRow<'health_factors'>> = [];
  for (const w of wallets) {
    for (const e of w.events) {
      const asset = market.assets[e.asset]!;
      const liquidation = e.kind === 'liquidation';
      const debtAsset = liquidation ? market.assets[e.debtAsset!]! : undefined;
      events.push({
        chain_id: chainId,
        block_number: e.block,
        tx_hash: `0x${w.address.slice(2)}${e.block.toString(16).padStart(24, '0')}`,
        log_index: e.logIndex,
        timestamp: e.timestamp,
        kind: e.kind,
        reserve: asset.address,
        user_address: w.address,
        on_behalf_of: liquidation ? null : w.address,
        amount: rawAmount(e.amount, (debtAsset ?? asset).decimals),
        interest_rate_mode: e.kind === 'borrow' ? 2 : null,
        use_a_tokens: e.kind === 'repay' ? false : null,
        debt_asset: debtAsset?.address ?? null,
        liquidated_collateral_amount: liquidation ? rawAmount(e.collateralAmount!, asset.decimals) : null,
        liquidator: liquidation ? SIM_LIQUIDATOR : null,
        source: 'sim',
      });
    }
    for (const s of w.snapshots) {
      snapshots.push({
        chain_id: chainId,
        wallet: w.address,
        block_number: s.block,
        timestamp: s.timestamp,
        collateral_usd: String(s.collateralUsd),
        debt_usd: String(s.debtUsd),
        health_factor: s.healthFactor === null ? null : String(s.healthFactor),
      });
    }
  }
  return { assets, prices, events, snapshots };
}

/**
 * Writes a simulated market and its wallets into the indexer's tables (see `simulationRows`), in one
 * transaction, idempotently (a second write is a no-op). Pass the database handle: on PGlite rows go in by COPY in
 * chunks, on Postgres by the indexer's COPY path (a staging table, then INSERT … ON CONFLICT DO NOTHING); a bare
 * kysely handle writes multi-row inserts in batches. For large simulations give PGlite a data directory:
 * its in-memory file system (`memory://`) grows table files by copying them, which turns a million-row write
 * quadratic (50,000 wallets are about 1.3 M rows).
 */
export async function writeSimulation(
  target: Kysely<Database> | { db: Kysely<Database>; pglite?: PGlite | undefined; pool?: pg.Pool | undefined },
  market: SimMarket,
  wallets: readonly SimWallet[],
  options: WriteOptions,
): Promise<{ events: number; snapshots: number; prices: number }> {
  const db = 'db' in target ? target.db : target;
  const pglite = 'db' in target ? target.pglite : undefined;
  const pool = 'db' in target ? target.pool : undefined;
  const rows = simulationRows(market, wallets, options);
  const chain = { chain_id: options.chainId, name: 'sim' };
  if (pglite) {
    await pglite.transaction(async (tx) => {
      await tx.query('insert into chains (chain_id, name) values ($1, $2) on conflict do nothing', [chain.chain_id, chain.name]);
      const copy = tx as unknown as PGlite; // a transaction offers the same query/exec used by copyRows
      await copyRows(copy, 'assets', rows.assets);
      await copyRows(copy, 'price_points', rows.prices);
      options.onProgress?.({ table: 'price_points', rows: rows.prices.length });
      await copyRows(copy, 'lending_events', rows.events);
      options.onProgress?.({ table: 'lending_events', rows: rows.events.length });
      await copyRows(copy, 'health_factors', rows.snapshots);
      options.onProgress?.({ table: 'health_factors', rows: rows.snapshots.length });
    });
  } else if (pool) {
    await inTransaction({ db, pool }, async (tx) => {
      await sql`insert into chains (chain_id, name) values (${chain.chain_id}, ${chain.name}) on conflict do nothing`.execute(tx.db);
      await insertBatches(tx.db, 'assets', rows.assets, options);
      for (const [table, list] of [
        ['price_points', rows.prices],
        ['lending_events', rows.events],
        ['health_factors', rows.snapshots],
      ] as const) {
        await tx.insert(table, list);
        options.onProgress?.({ table, rows: list.length });
      }
    });
  } else {
    await db.transaction().execute(async (trx) => {
      await sql`insert into chains (chain_id, name) values (${chain.chain_id}, ${chain.name}) on conflict do nothing`.execute(trx);
      await insertBatches(trx, 'assets', rows.assets, options);
      await insertBatches(trx, 'price_points', rows.prices, options);
      await insertBatches(trx, 'lending_events', rows.events, options);
      await insertBatches(trx, 'health_factors', rows.snapshots, options);
    });
  }
  // fresh statistics for the planner: until autovacuum gets to them, a bulk write's rows are planned with the empty
  // tables' estimates (the credit features' SQL reads all four)
  await sql`analyze assets, price_points, lending_events, health_factors`.execute(db);
  return { events: rows.events.length, snapshots: rows.snapshots.length, prices: rows.prices.length };
}
