import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { createTestDatabase } from '../../core/test/db';
import { importPrices, loadPriceSeries, symbolFromFileName } from './import';
import { parseTimestamp } from './parse';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

const dir = mkdtempSync(path.join(tmpdir(), 'ro-csv-'));
let counter = 0;
function writeCsv(name: string, text: string): string {
  const sub = path.join(dir, String(counter++));
  mkdirSync(sub);
  const file = path.join(sub, name);
  writeFileSync(file, text);
  return file;
}

async function snapshot(h: TestDb) {
  return h.db.selectFrom('price_points').selectAll().orderBy('asset').orderBy('timestamp').execute();
}

const BASE = 1_700_000_000;
/** A price row: unique second, a format for its timestamp, a positive price with up to 8 decimals. */
const rowArb = fc.record({
  offset: fc.integer({ min: 0, max: 10_000_000 }),
  unit: fc.constantFrom('s', 'ms', 'iso'),
  cents: fc.integer({ min: 1, max: 10_000_000_000 }),
  /** Market depth in USD, or an empty cell. */
  depth: fc.option(fc.integer({ min: 1, max: 1e12 }), { nil: undefined }),
});
const fmtTime = (t: number, unit: string): string =>
  unit === 's' ? String(t) : unit === 'ms' ? String(t * 1000) : new Date(t * 1000).toISOString().replace('.000Z', 'Z');

describe(`CSV price import (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  let h: TestDb;
  beforeAll(async () => {
    h = await createTestDatabase();
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(async () => {
    await h.db.deleteFrom('price_points').execute();
  });

  it('property: any well-formed file imports exactly, in any timestamp unit, with BOM and CRLF, and re-imports as a no-op', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(rowArb, { minLength: 1, maxLength: 40, selector: (r) => r.offset }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom('timestamp,price', 'Date,Close', 'time,usd_price'),
        fc.constantFrom(undefined, 'depth_usd', 'Liquidity_USD', 'depth'),
        async (rows, bom, crlf, priceHeader, depthHeader) => {
          await h.db.deleteFrom('price_points').execute();
          const eol = crlf ? '\r\n' : '\n';
          const header = depthHeader ? `${priceHeader},${depthHeader}` : priceHeader;
          const depthOf = (r: (typeof rows)[number]): number | undefined => (depthHeader ? r.depth : undefined);
          const body = rows
            .map((r) => `${fmtTime(BASE + r.offset, r.unit)},${(r.cents / 1e8).toFixed(8)}${depthHeader ? `,${depthOf(r) ?? ''}` : ''}`)
            .join(eol);
          const file = writeCsv('WETH_usd.csv', `${bom ? '\ufeff' : ''}${header}${eol}${body}${eol}`);
          const [result] = await importPrices(h.db, [file]);
          expect(result!.assets).toEqual([
            {
              asset: 'WETH',
              rows: rows.length,
              inserted: rows.length,
              withDepth: rows.filter((r) => depthOf(r) !== undefined).length,
              from: BASE + Math.min(...rows.map((r) => r.offset)),
              to: BASE + Math.max(...rows.map((r) => r.offset)),
            },
          ]);
          const stored = await loadPriceSeries(h.db, 'WETH');
          const expected = rows
            .map((r) => {
              const depth = depthOf(r);
              return { t: BASE + r.offset, p: r.cents / 1e8, ...(depth === undefined ? {} : { liquidityUsd: depth }) };
            })
            .sort((a, b) => a.t - b.t);
          expect(stored).toEqual(expected);
          const again = await importPrices(h.db, [file]);
          expect(again[0]!.assets[0]!.inserted).toBe(0);
          expect(await loadPriceSeries(h.db, 'WETH')).toEqual(expected);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('property: a broken line rejects the whole file with file, line and column, and leaves the database unchanged', async () => {
    const good = writeCsv('USDC.csv', 'timestamp,price\n1700000000,1.0001\n');
    await importPrices(h.db, [good]);
    const before = await snapshot(h);
    const breakage = fc.constantFrom(
      { value: 'NaN', column: 'price', pattern: /is not a positive price: "NaN"/ },
      { value: '-3', column: 'price', pattern: /is not a positive price: "-3"/ },
      { value: '', column: 'price', pattern: /is not a positive price: ""/ },
      { value: '12abc', column: 'price', pattern: /is not a positive price: "12abc"/ },
      { value: 'yesterday', column: 'timestamp', pattern: /is not a timestamp .*: "yesterday"/ },
      { value: '0', column: 'depth_usd', pattern: /is not a positive market depth in USD: "0"/ },
      { value: 'NaN', column: 'depth_usd', pattern: /is not a positive market depth in USD: "NaN"/ },
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 29 }), breakage, async (n, at, broken) => {
        const badAt = at % n;
        const lines = Array.from({ length: n }, (_, i) => {
          const t = String(BASE + i * 60);
          const p = '2000.5';
          const d = '3000000';
          if (i !== badAt) return `${t},${p},${d}`;
          if (broken.column === 'depth_usd') return `${t},${p},${broken.value}`;
          return broken.column === 'price' ? `${t},${broken.value},${d}` : `${broken.value},${p},${d}`;
        });
        const file = writeCsv('WBTC.csv', `timestamp,price,depth_usd\n${lines.join('\n')}\n`);
        const error = await importPrices(h.db, [file]).catch((e: Error) => e);
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toContain(`${file}:${badAt + 2}: column "${broken.column}"`);
        expect((error as Error).message).toMatch(broken.pattern);
        expect(await snapshot(h)).toEqual(before);
      }),
      { numRuns: 40 },
    );
  });

  it('rejects missing columns, wrong field counts, conflicting duplicates and conflicts with stored prices, naming each', async () => {
    await expect(importPrices(h.db, [writeCsv('X.csv', 'when,price\n1,2\n')])).rejects.toThrow(/:1: no timestamp column/);
    await expect(importPrices(h.db, [writeCsv('X.csv', 'timestamp,amount\n1,2\n')])).rejects.toThrow(/:1: no price column/);
    await expect(importPrices(h.db, [writeCsv('X.csv', 'timestamp,price\n1700000000,2,3\n')])).rejects.toThrow(
      /:2: expected 2 fields, found 3/,
    );
    await expect(importPrices(h.db, [writeCsv('X.csv', 'timestamp,price\n1700000000,2\n1700000000000,3\n')])).rejects.toThrow(
      /:3: X at 1700000000 has price 3, but line 2 says 2/,
    );
    await expect(importPrices(h.db, [writeCsv('X.csv', '')])).rejects.toThrow(/empty file/);
    await expect(importPrices(h.db, [path.join(dir, 'missing.csv')])).rejects.toThrow(/missing\.csv: no such file/);
    // identical duplicates (also across units) are one row
    const dup = await importPrices(h.db, [writeCsv('Y.csv', 'timestamp,price\n1700000000,2\n1700000000000,2.0\n')]);
    expect(dup[0]!.assets[0]!.rows).toBe(1);
    const conflicting = writeCsv('Y.csv', 'timestamp,price\n1700000000,2.5\n');
    const before = await snapshot(h);
    await expect(importPrices(h.db, [conflicting])).rejects.toThrow(/already stored with price 2, the file says 2\.5/);
    expect(await snapshot(h)).toEqual(before);
  });

  it('market depth: named by flag, conflicts within a file or with what is stored refused, a missing depth filled in', async () => {
    const named = writeCsv('GOV.csv', 'timestamp,price,book_2pct\n1700000000,12,150000\n1700003600,11,\n');
    await expect(importPrices(h.db, [named], { liquidityColumn: 'pool_depth' })).rejects.toThrow(
      /GOV\.csv:1: no column named "pool_depth" for the market depth/,
    );
    const [imported] = await importPrices(h.db, [named], { liquidityColumn: 'book_2pct' });
    expect(imported!.assets[0]).toMatchObject({ rows: 2, inserted: 2, withDepth: 1 });
    expect(await loadPriceSeries(h.db, 'GOV')).toEqual([
      { t: 1_700_000_000, p: 12, liquidityUsd: 150_000 },
      { t: 1_700_003_600, p: 11 },
    ]);
    await expect(importPrices(h.db, [writeCsv('X.csv', 'timestamp,price,depth_usd\n1700000000,2,5\n1700000000000,2,6\n')])).rejects.toThrow(
      /:3: X at 1700000000 has market depth 6, but line 2 says 5/,
    );
    const before = await snapshot(h);
    // the same price with another depth: refused, nothing written
    await expect(
      importPrices(h.db, [writeCsv('GOV.csv', 'timestamp,price,depth\n1700000000,12,160000\n1700007200,10,1\n')]),
    ).rejects.toThrow(
      /GOV\.csv:2: GOV at 1700000000 is already stored with market depth 150000, the file says 160000; nothing was imported/,
    );
    expect(await snapshot(h)).toEqual(before);
    // a file without depths changes nothing stored; one with the missing depth fills it in
    await importPrices(h.db, [writeCsv('GOV.csv', 'timestamp,price\n1700000000,12\n1700003600,11\n')]);
    expect(await snapshot(h)).toEqual(before);
    await importPrices(h.db, [writeCsv('GOV.csv', 'timestamp,price,depth\n1700000000,12,150000\n1700003600,11,90000\n')]);
    expect(await loadPriceSeries(h.db, 'GOV')).toEqual([
      { t: 1_700_000_000, p: 12, liquidityUsd: 150_000 },
      { t: 1_700_003_600, p: 11, liquidityUsd: 90_000 },
    ]);
  });

  it('takes the symbol from a column or the file name, and imports directories', async () => {
    const sub = mkdtempSync(path.join(dir, 'many-'));
    writeFileSync(path.join(sub, 'a.csv'), 'Ticker,Date,Close\nweth,2024-01-01,2300.5\nwbtc,2024-01-01T00:00:00Z,42000\n');
    writeFileSync(path.join(sub, 'dai-usd.csv'), 'time,value\n1704067200,0.9998\n');
    writeFileSync(path.join(sub, 'notes.txt'), 'ignored');
    const results = await importPrices(h.db, [sub]);
    expect(results.flatMap((r) => r.assets.map((a) => [a.asset, a.rows, a.from]))).toEqual([
      ['WETH', 1, 1704067200],
      ['WBTC', 1, 1704067200],
      ['DAI', 1, 1704067200],
    ]);
    expect(symbolFromFileName('/x/WETH_usd.csv')).toBe('WETH');
    expect(symbolFromFileName('wbtc-usd-1h.csv')).toBe('WBTC');
  });

  it('tells timestamp units apart', () => {
    expect(parseTimestamp('1700000000')).toBe(1_700_000_000);
    expect(parseTimestamp('1700000000123')).toBe(1_700_000_000);
    expect(parseTimestamp('2023-11-14T22:13:20Z')).toBe(1_700_000_000);
    expect(parseTimestamp('2023-11-14 22:13:20')).toBe(1_700_000_000);
    expect(parseTimestamp('2023-11-14T23:13:20+01:00')).toBe(1_700_000_000);
    expect(parseTimestamp('14/11/2023')).toBeUndefined();
  });
});
