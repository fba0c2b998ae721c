import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { keccak256 } from 'ethers';
import { writeExamplePrices } from '../sim';
import { cli, cliDatabase, lastJson } from './testing';

describe(`risk-oracle train collateral (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ro-train-collateral-cli-'));
  let database: Awaited<ReturnType<typeof cliDatabase>>;
  beforeAll(async () => {
    database = await cliDatabase(dir);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('train collateral on imported prices writes its artifact and reports coverage', async () => {
    const prices = path.join(dir, 'prices');
    mkdirSync(prices);
    writeExamplePrices(prices, { days: 60 });
    const out = path.join(dir, 'collateral.json');
    const r = await cli(['train', 'collateral', '--prices', prices, '--epochs', '3', '--seed', '2', '--out', out, '--json'], database.env);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const result = lastJson(r.stdout) as { kind: string; modelId: string; metrics: { coverage: Record<string, number>; testRows: number } };
    const file = readFileSync(out, 'utf8');
    expect(result.kind).toBe('collateral');
    expect(result.modelId).toBe(keccak256(Buffer.from(file.trimEnd())));
    expect(result.metrics.testRows).toBeGreaterThan(0);
    expect(Object.keys(result.metrics.coverage).length).toBeGreaterThan(0);
    expect(JSON.parse(file)).toMatchObject({ format: 'risk-oracle/collateral-model@1', seed: 2 });

    const bad = await cli(['train', 'collateral', '--eth-symbol', 'NOPE', '--out', out], database.env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--eth-symbol NOPE');
  });
});
