import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { keccak256 } from 'ethers';
import { canonicalJson, creditScorer, readCreditArtifact, rocAuc } from '../models';
import { cliDatabase, cliJson, cliRefused } from './testing';

interface SnapshotResult {
  id: string;
  name: string;
  count: number;
  positives: number;
  block: number;
  timestamp: number;
  horizonSeconds: number;
  merkleRoot: string;
}

interface SnapshotFile extends SnapshotResult {
  rows: Array<{ wallet: string; t: number; x: number[]; y: number }>;
}

describe(`risk-oracle snapshot and evaluate (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ro-evaluate-'));
  const artifact = path.join(dir, 'credit.json');
  const first = path.join(dir, 'snapshot.json');
  let database: Awaited<ReturnType<typeof cliDatabase>>;
  let snap: SnapshotResult;
  const run = (args: string[]) => cliJson(args, database.env);
  const fails = (args: string[]) => cliRefused(args, database.env);
  const snapshotArgs = ['--horizon-days', '3', '--every-days', '4', '--min-history-days', '10'];

  beforeAll(async () => {
    database = await cliDatabase(dir);
    await run([
      'train',
      'credit',
      '--simulate',
      '300',
      '--days',
      '70',
      '--horizon-days',
      '3',
      '--every-days',
      '4',
      '--hidden',
      '8',
      '--epochs',
      '3',
      '--seed',
      '2',
      '--out',
      artifact,
    ]);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('snapshot create freezes rows up to a block in a canonical file whose keccak256 is its id, and again gives the same bytes', async () => {
    snap = (await run(['snapshot', 'create', '--at', 'latest', '--out', first, ...snapshotArgs])) as unknown as SnapshotResult;
    const text = readFileSync(first, 'utf8');
    expect(snap.id).toBe(keccak256(Buffer.from(text.trimEnd())));
    const file = JSON.parse(text) as SnapshotFile;
    expect(canonicalJson(file)).toBe(text.trimEnd());
    expect(file.rows).toHaveLength(snap.count);
    expect(snap.count).toBeGreaterThan(100);
    expect(snap.positives).toBe(file.rows.filter((r) => r.y === 1).length);
    expect(snap.positives).toBeGreaterThan(0);
    // every label window closes by the snapshot's block
    expect(Math.max(...file.rows.map((r) => r.t))).toBeLessThanOrEqual(snap.timestamp - snap.horizonSeconds);

    const again = path.join(dir, 'again.json');
    const second = (await run([
      'snapshot',
      'create',
      '--at',
      String(snap.block),
      '--out',
      again,
      ...snapshotArgs,
    ])) as unknown as SnapshotResult;
    expect(second.id).toBe(snap.id);
    expect(readFileSync(again, 'utf8')).toBe(text);
    const list = (await run(['snapshot', 'list'])) as { snapshots: Array<{ id: string; rows: number }> };
    expect(list.snapshots).toEqual([expect.objectContaining({ id: snap.id, rows: snap.count })]);
  });

  it('a snapshot at an earlier block holds only rows whose labels close by then', async () => {
    const earlier = path.join(dir, 'earlier.json');
    const block = Math.floor(snap.block * 0.7);
    const r = await run(['snapshot', 'create', '--at', String(block), '--out', earlier, '--no-store', ...snapshotArgs]);
    expect(r.id).toBeNull();
    const file = JSON.parse(readFileSync(earlier, 'utf8')) as SnapshotFile;
    expect(file.block).toBe(block);
    expect(file.count).toBeLessThan(snap.count);
    expect(Math.max(...file.rows.map((x) => x.t))).toBeLessThanOrEqual(file.timestamp - file.horizonSeconds);
  });

  it('evaluate gives the same figures from the file and from the database, and they are the published model’s', async () => {
    const out1 = path.join(dir, 'eval1.json');
    const out2 = path.join(dir, 'eval2.json');
    const report = path.join(dir, 'eval.html');
    const e1 = await run(['evaluate', '--artifact', artifact, '--snapshot', first, '--out', out1, '--report', report]);
    const e2 = await run(['evaluate', '--artifact', artifact, '--snapshot', snap.id, '--out', out2]);
    expect(readFileSync(out2, 'utf8')).toBe(readFileSync(out1, 'utf8'));
    expect(e2).toEqual(e1);
    const { artifact: a, modelId } = readCreditArtifact(artifact);
    expect(e1).toMatchObject({
      modelId,
      snapshotId: snap.id,
      snapshot: { count: snap.count, positives: snap.positives, merkleRoot: snap.merkleRoot },
    });

    // recomputed here from the file and the published scorer: the AUC is that of the integer PDs
    const file = JSON.parse(readFileSync(first, 'utf8')) as SnapshotFile;
    const score = creditScorer(a);
    const pds = file.rows.map((row) => score(row.x).pQ / 65_536);
    const model = e1.model as { rocAuc: number; count: number; positives: number };
    expect(model.rocAuc).toBe(
      rocAuc(
        pds,
        file.rows.map((row) => row.y),
      ),
    );
    expect(model).toMatchObject({ count: snap.count, positives: snap.positives });
    expect(model.rocAuc).toBeGreaterThan(0.5);
    const roc = (e1.roc as { model: Array<{ fpr: number; tpr: number }> }).model;
    expect(roc[0]).toEqual({ fpr: 0, tpr: 0 });
    expect(roc[roc.length - 1]).toEqual({ fpr: 1, tpr: 1 });
    const bands = e1.scoreBands as Array<{ count: number }>;
    expect(bands.reduce((s, b) => s + b.count, 0)).toBe(snap.count);

    const html = readFileSync(report, 'utf8');
    expect(html).toContain(snap.id);
    expect(html).toContain(modelId);
    expect(html.match(/<svg/g)).toHaveLength(3);
  });

  it('refuses altered, re-formatted or mismatched snapshots with a message naming the file', async () => {
    const file = JSON.parse(readFileSync(first, 'utf8')) as SnapshotFile & { featureSpecHash: string };
    const write = (name: string, body: string) => {
      const p = path.join(dir, name);
      writeFileSync(p, body);
      return p;
    };
    const row = file.rows.findIndex((r) => r.y === 0);
    const flipped = { ...file, rows: file.rows.map((r, i) => (i === row ? { ...r, y: 1 } : r)), positives: file.positives + 1 };
    const altered = write('altered.json', `${canonicalJson(flipped)}\n`);
    expect(await fails(['evaluate', '--artifact', artifact, '--snapshot', altered])).toContain(`snapshot ${altered}: its rows hash to`);

    const miscounted = write('miscounted.json', `${canonicalJson({ ...file, positives: file.positives + 1 })}\n`);
    expect(await fails(['evaluate', '--artifact', artifact, '--snapshot', miscounted])).toContain('positives');

    const pretty = write('pretty.json', JSON.stringify(file, null, 2));
    expect(await fails(['evaluate', '--artifact', artifact, '--snapshot', pretty])).toContain(`snapshot ${pretty}: not in canonical form`);

    const otherSpec = write('spec.json', `${canonicalJson({ ...file, featureSpecHash: keccak256('0x01') })}\n`);
    expect(await fails(['evaluate', '--artifact', artifact, '--snapshot', otherSpec])).toContain('feature spec');

    const wrongShape = write('shape.json', `${canonicalJson({ ...file, format: 'something-else' })}\n`);
    expect(await fails(['evaluate', '--artifact', artifact, '--snapshot', wrongShape])).toContain(`snapshot ${wrongShape}: format`);

    expect(await fails(['evaluate', '--artifact', artifact, '--snapshot', keccak256('0x02')])).toContain('no snapshot');
    expect(await fails(['snapshot', 'create', '--at', '0', '--out', path.join(dir, 'x.json'), ...snapshotArgs])).toMatch(
      /snapshot create: (no lending events|chain 31337 has no indexed data)/,
    );
  });
});
