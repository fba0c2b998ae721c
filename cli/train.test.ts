import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { keccak256 } from 'ethers';
import { cli, cliDatabase, lastJson } from './testing';

describe(`risk-oracle train and score (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ro-train-cli-'));
  const credit = path.join(dir, 'credit.json');
  let database: Awaited<ReturnType<typeof cliDatabase>>;
  beforeAll(async () => {
    database = await cliDatabase(dir);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('train credit --simulate writes a canonical artifact whose keccak256 is the printed modelId', async () => {
    const args = ['train', 'credit', '--simulate', '400', '--days', '70', '--horizon-days', '3', '--every-days', '4'];
    const r = await cli([...args, '--hidden', '8', '--epochs', '3', '--seed', '1', '--out', credit, '--json'], database.env);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const result = lastJson(r.stdout);
    const file = readFileSync(credit, 'utf8');
    expect(result).toMatchObject({ kind: 'credit', chainId: 31_337, backend: 'wasm', modelId: keccak256(Buffer.from(file.trimEnd())) });
    expect(result.seconds).toBeGreaterThan(0);
    const metrics = result.metrics as { model: { rocAuc: number }; baseline: { rocAuc: number } };
    expect(metrics.model.rocAuc).toBeGreaterThan(0.5);
    expect(metrics.baseline.rocAuc).toBeGreaterThan(0.5);
    expect(JSON.parse(file)).toMatchObject({ format: 'risk-oracle/credit-model@1', seed: 1, backend: 'wasm' });
    const h = await database.open();
    try {
      const n = await h.db
        .selectFrom('lending_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(n.n)).toBeGreaterThan(200);
    } finally {
      await h.close();
    }
  });

  it('score prints the count and distribution and writes the CSV; --wallet picks wallets', async () => {
    const csv = path.join(dir, 'scores.csv');
    const r = await cli(['score', '--artifact', credit, '--out', csv, '--json'], database.env);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const result = lastJson(r.stdout) as { count: number; distribution: Record<string, number>; modelId: string };
    expect(result.count).toBeGreaterThan(100);
    const d = result.distribution;
    expect(d.min).toBeGreaterThanOrEqual(300);
    expect(d.max).toBeLessThanOrEqual(850);
    expect(d.min).toBeLessThanOrEqual(d.p10!);
    expect(d.p10).toBeLessThanOrEqual(d.median!);
    expect(d.median).toBeLessThanOrEqual(d.p90!);
    expect(d.p90).toBeLessThanOrEqual(d.max!);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('wallet,score,pd,featuresHash');
    expect(lines).toHaveLength(result.count + 1);
    const [wallet, score, pd, hash] = lines[1]!.split(',');
    expect(Number(score)).toBeGreaterThanOrEqual(300);
    expect(BigInt(pd!)).toBeGreaterThan(0n);
    expect(hash).toMatch(/^0x[0-9a-f]{64}$/);

    const one = await cli(['score', '--artifact', credit, '--model-id', result.modelId, '--wallet', wallet!], database.env);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('1 wallet(s) scored');
    expect(one.stdout).toContain(`score min ${score}`);
  });

  it('score refuses a bad artifact with a message naming the file', async () => {
    const notJson = path.join(dir, 'not-json.json');
    writeFileSync(notJson, 'hello');
    const wrong = path.join(dir, 'wrong-format.json');
    writeFileSync(wrong, '{"format":"something-else"}\n');
    const edited = path.join(dir, 'edited.json');
    writeFileSync(edited, JSON.stringify(JSON.parse(readFileSync(credit, 'utf8')), null, 2));
    for (const [file, why] of [
      [notJson, 'not JSON'],
      [wrong, 'format is "something-else"'],
      [edited, 'not in canonical form'],
      [path.join(dir, 'missing.json'), 'cannot read it'],
    ] as const) {
      const r = await cli(['score', '--artifact', file], database.env);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(file);
      expect(r.stderr).toContain(why);
    }
    const mismatch = await cli(['score', '--artifact', credit, '--model-id', `0x${'0'.repeat(64)}`], database.env);
    expect(mismatch.code).not.toBe(0);
    expect(mismatch.stderr).toContain(`credit artifact ${credit} is model 0x`);
  });
});
