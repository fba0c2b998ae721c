import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { pricePointOf, UserError, type Database, type PricePoint } from '../../core';
import { parseCsv, parsePrice, parseTimestamp } from './parse';

const SYNONYMS = {
  symbol: ['symbol', 'asset', 'ticker', 'token', 'coin'],
  timestamp: ['timestamp', 'time', 'date', 'datetime', 'unix', 'ts'],
  price: ['price', 'usd_price', 'price_usd', 'close', 'value', 'usd'],
  /** Optional: market depth in USD (e.g. the USD that moves the price 2 %), the collateral model's liquidity proxy. */
  liquidity: ['liquidity_usd', 'depth_usd', 'liquidity', 'depth', 'market_depth_usd'],
} as const;

export interface ImportOptions {
  /** Column names, overriding detection. */
  symbolColumn?: string;
  timestampColumn?: string;
  priceColumn?: string;
  /** Column holding the market depth in USD (optional; detected among `SYNONYMS.liquidity` when not named). */
  liquidityColumn?: string;
  /** Symbol for files without a symbol column (default: from the file name, e.g. `WETH_usd.csv` → WETH). */
  symbol?: string;
}

export interface AssetImport {
  asset: string;
  rows: number;
  inserted: number;
  /** Rows that carry a market depth. */
  withDepth: number;
  from: number;
  to: number;
}

export interface FileImport {
  file: string;
  assets: AssetImport[];
}

/** `WETH_usd.csv`, `weth.csv`, `wbtc-usd-1h.csv` → WETH, WETH, WBTC. */
export function symbolFromFileName(file: string): string {
  return path
    .basename(file)
    .replace(/\.csv$/i, '')
    .split(/[_\-. ]/)[0]!
    .toUpperCase();
}

/** Files to import: each argument is a CSV file or a directory whose `*.csv` files are taken (sorted). */
export function expandCsvPaths(paths: string[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    let stat;
    try {
      stat = statSync(p);
    } catch {
      throw new UserError(`${p}: no such file or directory`);
    }
    if (stat.isDirectory())
      files.push(
        ...readdirSync(p)
          .filter((f) => /\.csv$/i.test(f))
          .sort()
          .map((f) => path.join(p, f)),
      );
    else files.push(p);
  }
  if (files.length === 0) throw new UserError(`no CSV files found in ${paths.join(', ')}`);
  return files;
}

function findColumn(header: string[], wanted: string | undefined, synonyms: readonly string[], role: string, file: string): number {
  const names = header.map((h) => h.trim().toLowerCase());
  if (wanted) {
    const i = names.indexOf(wanted.toLowerCase());
    if (i < 0) throw new UserError(`${file}:1: no column named "${wanted}" for the ${role} (columns: ${header.join(', ')})`);
    return i;
  }
  return names.findIndex((n) => synonyms.includes(n));
}

interface ParsedRow {
  asset: string;
  timestamp: number;
  price: string;
  /** Exact decimal depth in USD; undefined where the file has no depth column or the cell is empty. */
  liquidity: string | undefined;
  line: number;
}

/** Reads and validates a whole file before anything is written; every error names file, line, column and value. */
export function readPriceFile(file: string, options: ImportOptions = {}): ParsedRow[] {
  const rows = parseCsv(readFileSync(file, 'utf8'), file);
  const header = rows[0];
  if (!header || header.every((h) => h.trim() === '')) throw new UserError(`${file}: empty file (expected a header row)`);
  const ts = findColumn(header, options.timestampColumn, SYNONYMS.timestamp, 'timestamp', file);
  const price = findColumn(header, options.priceColumn, SYNONYMS.price, 'price', file);
  const sym = findColumn(header, options.symbolColumn, SYNONYMS.symbol, 'symbol', file);
  const depth = findColumn(header, options.liquidityColumn, SYNONYMS.liquidity, 'market depth', file);
  if (ts < 0)
    throw new UserError(`${file}:1: no timestamp column (expected one of ${SYNONYMS.timestamp.join(', ')}, or --timestamp-column)`);
  if (price < 0) throw new UserError(`${file}:1: no price column (expected one of ${SYNONYMS.price.join(', ')}, or --price-column)`);
  const fallbackSymbol = (options.symbol ?? symbolFromFileName(file)).toUpperCase();
  const seen = new Map<string, ParsedRow>();
  const out: ParsedRow[] = [];
  for (let r = 1; r < rows.length; r++) {
    const fields = rows[r]!;
    const line = r + 1;
    if (fields.length === 1 && fields[0]!.trim() === '') continue; // blank line
    if (fields.length !== header.length) throw new UserError(`${file}:${line}: expected ${header.length} fields, found ${fields.length}`);
    const timestamp = parseTimestamp(fields[ts]!);
    if (timestamp === undefined)
      throw new UserError(
        `${file}:${line}: column "${header[ts]}" is not a timestamp (unix seconds, milliseconds or ISO-8601): ${JSON.stringify(fields[ts])}`,
      );
    const value = parsePrice(fields[price]!);
    if (value === undefined)
      throw new UserError(`${file}:${line}: column "${header[price]}" is not a positive price: ${JSON.stringify(fields[price])}`);
    const depthCell = depth >= 0 ? fields[depth]!.trim() : '';
    const liquidity = depthCell === '' ? undefined : parsePrice(depthCell);
    if (depthCell !== '' && liquidity === undefined)
      throw new UserError(
        `${file}:${line}: column "${header[depth]}" is not a positive market depth in USD: ${JSON.stringify(fields[depth])}`,
      );
    const asset = sym >= 0 ? fields[sym]!.trim().toUpperCase() : fallbackSymbol;
    if (!/^[A-Z0-9.$+-]{1,32}$/.test(asset))
      throw new UserError(`${file}:${line}: column "${sym >= 0 ? header[sym] : 'file name'}" is not a symbol: ${JSON.stringify(asset)}`);
    const key = `${asset}@${timestamp}`;
    const earlier = seen.get(key);
    if (earlier) {
      if (Number(earlier.price) !== Number(value)) {
        throw new UserError(`${file}:${line}: ${asset} at ${timestamp} has price ${value}, but line ${earlier.line} says ${earlier.price}`);
      }
      if (!sameDepth(earlier.liquidity, liquidity))
        throw new UserError(
          `${file}:${line}: ${asset} at ${timestamp} has market depth ${liquidity}, but line ${earlier.line} says ${earlier.liquidity}`,
        );
      earlier.liquidity ??= liquidity;
      continue;
    }
    const row = { asset, timestamp, price: value, liquidity, line };
    seen.set(key, row);
    out.push(row);
  }
  if (out.length === 0) throw new UserError(`${file}: no price rows after the header`);
  return out;
}

/** Depths agree unless both are known and differ: a file without a depth says nothing about it. */
const sameDepth = (a: string | null | undefined, b: string | null | undefined): boolean =>
  a == null || b == null || Number(a) === Number(b);

const BATCH = 1_000;

/**
 * Imports one file in one transaction: all of it or nothing. Re-importing the same data changes nothing; a
 * timestamp already stored with a different price is refused (nothing stored is silently overwritten).
 */
export async function importPriceFile(db: Kysely<Database>, file: string, options: ImportOptions = {}): Promise<FileImport> {
  const rows = readPriceFile(file, options);
  const assets = await db.transaction().execute(async (trx) => {
    const byAsset = new Map<string, AssetImport>();
    for (let i = 0; i < rows.length; i += BATCH) {
      const batch = rows.slice(i, i + BATCH);
      const inserted = await trx
        .insertInto('price_points')
        .values(
          batch.map((r) => ({
            chain_id: 0,
            asset: r.asset,
            source: 'csv',
            timestamp: r.timestamp,
            price_usd: r.price,
            block_number: null,
            liquidity_usd: r.liquidity ?? null,
          })),
        )
        .onConflict((oc) => oc.columns(['chain_id', 'asset', 'source', 'timestamp']).doNothing())
        .returning(['asset'])
        .execute();
      for (const r of batch) {
        const a = byAsset.get(r.asset) ?? { asset: r.asset, rows: 0, inserted: 0, withDepth: 0, from: r.timestamp, to: r.timestamp };
        a.rows++;
        if (r.liquidity !== undefined) a.withDepth++;
        a.from = Math.min(a.from, r.timestamp);
        a.to = Math.max(a.to, r.timestamp);
        byAsset.set(r.asset, a);
      }
      for (const r of inserted) byAsset.get(r.asset)!.inserted++;
    }
    // rows that were already there must agree with the file
    for (const a of byAsset.values()) {
      if (a.inserted === a.rows) continue;
      const stored = await trx
        .selectFrom('price_points')
        .select(['timestamp', 'price_usd', 'liquidity_usd'])
        .where('chain_id', '=', 0)
        .where('source', '=', 'csv')
        .where('asset', '=', a.asset)
        .where('timestamp', '>=', a.from)
        .where('timestamp', '<=', a.to)
        .execute();
      const storedAt = new Map(stored.map((s) => [s.timestamp, s]));
      for (const r of rows) {
        if (r.asset !== a.asset) continue;
        const existing = storedAt.get(r.timestamp);
        if (existing === undefined) continue;
        const clash =
          Number(existing.price_usd) !== Number(r.price)
            ? `price ${existing.price_usd}, the file says ${r.price}`
            : !sameDepth(existing.liquidity_usd, r.liquidity)
              ? `market depth ${existing.liquidity_usd ?? 'none'}, the file says ${r.liquidity ?? 'none'}`
              : undefined;
        if (clash)
          throw new UserError(
            `${file}:${r.line}: ${r.asset} at ${r.timestamp} is already stored with ${clash}; nothing was imported from this file`,
          );
        // a price stored without a depth gains the file's: added, nothing overwritten
        if (existing.liquidity_usd === null && r.liquidity !== undefined)
          await trx
            .updateTable('price_points')
            .set({ liquidity_usd: r.liquidity })
            .where('chain_id', '=', 0)
            .where('source', '=', 'csv')
            .where('asset', '=', r.asset)
            .where('timestamp', '=', r.timestamp)
            .execute();
      }
    }
    return [...byAsset.values()];
  });
  return { file, assets };
}

/** Imports every file (directories expand to their CSV files), each all-or-nothing; stops at the first bad file. */
export async function importPrices(db: Kysely<Database>, paths: string[], options: ImportOptions = {}): Promise<FileImport[]> {
  const results: FileImport[] = [];
  for (const file of expandCsvPaths(paths)) results.push(await importPriceFile(db, file, options));
  return results;
}

/** A stored CSV price series, oldest first. */
export async function loadPriceSeries(db: Kysely<Database>, asset: string, source = 'csv'): Promise<PricePoint[]> {
  const rows = await db
    .selectFrom('price_points')
    .select(['timestamp', 'price_usd', 'liquidity_usd'])
    .where('asset', '=', asset.toUpperCase())
    .where('source', '=', source)
    .orderBy('timestamp')
    .execute();
  return rows.map(pricePointOf);
}
