import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { keccak256 } from 'ethers';
import {
  canonicalJson,
  canonicalQuantiles,
  creditScorer,
  decodeCollateralNetwork,
  readCollateralArtifact,
  readCreditArtifact,
  rocAuc,
  type CollateralEvaluation,
  type CollateralSnapshot,
} from '../models';
import { writeExamplePrices } from '../sim';
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

  describe('collateral', () => {
    const collateral = path.join(dir, 'collateral.json');
    const csnap = path.join(dir, 'collateral-snapshot.json');
    let cs: { id: string; block: number; count: number };

    beforeAll(async () => {
      const prices = path.join(dir, 'prices');
      mkdirSync(prices);
      writeExamplePrices(prices, { days: 60, assets: ['WETH', 'WBTC', 'GOV', 'USDC'] });
      await run(['train', 'collateral', '--prices', prices, '--epochs', '3', '--seed', '2', '--out', collateral]);
    }, 120_000);

    it('snapshot create --kind collateral freezes indexed prices and rows up to a block, byte-identical again', async () => {
      cs = (await run(['snapshot', 'create', '--kind', 'collateral', '--at', 'latest', '--out', csnap])) as unknown as typeof cs;
      const text = readFileSync(csnap, 'utf8');
      expect(cs.id).toBe(keccak256(Buffer.from(text.trimEnd())));
      const file = JSON.parse(text) as CollateralSnapshot;
      expect(canonicalJson(file)).toBe(text.trimEnd());
      expect(file).toMatchObject({ kind: 'collateral', referenceAsset: 'WETH', stepSeconds: 3_600, horizonSteps: 24 });
      expect(file.assets.map((a) => a.symbol)).toEqual(['DAI', 'GOV', 'USDC', 'WBTC', 'WETH']);
      // the simulated market's prices come with their depth: the liquidity feature's data, on the same grid
      for (const a of file.assets) expect(a.liquidity?.length).toBe(a.prices.length);
      expect(file.assets.find((a) => a.symbol === 'USDC')!.peg).toBe(1);
      expect(file.count).toBe(file.rows.length);
      expect(file.count).toBeGreaterThan(300);
      // every label window closes by the snapshot's block
      expect(Math.max(...file.rows.map((r) => r.t)) + 24 * 3_600).toBeLessThanOrEqual(file.timestamp);

      const again = path.join(dir, 'collateral-again.json');
      const second = await run(['snapshot', 'create', '--kind', 'collateral', '--at', String(cs.block), '--out', again]);
      expect(second.id).toBe(cs.id);
      expect(readFileSync(again, 'utf8')).toBe(text);
      const earlier = path.join(dir, 'collateral-earlier.json');
      await run(['snapshot', 'create', '--kind', 'collateral', '--at', String(cs.block - 300 * 24 * 5), '--out', earlier, '--no-store']);
      expect((JSON.parse(readFileSync(earlier, 'utf8')) as CollateralSnapshot).count).toBeLessThan(file.count);
    });

    it('evaluate reports coverage, pinball loss and the backtest against the empirical spec, the same bytes from file and database', async () => {
      const out1 = path.join(dir, 'ceval1.json');
      const out2 = path.join(dir, 'ceval2.json');
      const report = path.join(dir, 'ceval.html');
      const e1 = (await run([
        'evaluate',
        '--artifact',
        collateral,
        '--snapshot',
        csnap,
        '--out',
        out1,
        '--report',
        report,
      ])) as unknown as CollateralEvaluation;
      await run(['evaluate', '--artifact', collateral, '--snapshot', cs.id, '--out', out2]);
      expect(readFileSync(out2, 'utf8')).toBe(readFileSync(out1, 'utf8'));
      const { artifact, modelId } = readCollateralArtifact(collateral);
      expect(e1).toMatchObject({ kind: 'collateral', modelId, snapshotId: cs.id, proposalQuantile: 0.99, horizonMismatch: false });

      // coverage recomputed here from the file and the canonical inference
      const file = JSON.parse(readFileSync(csnap, 'utf8')) as CollateralSnapshot;
      const network = decodeCollateralNetwork(artifact);
      const predicted = file.rows.map((r) => canonicalQuantiles(network, r.x));
      artifact.quantiles.forEach((q, k) => {
        const all = e1.coverage.find((c) => c.quantile === q && c.asset === 'all')!;
        expect(all.covered).toBe(file.rows.filter((r, i) => r.y <= predicted[i]![k]!).length);
        expect(all.rows).toBe(file.count);
        const perAsset = e1.coverage.filter((c) => c.quantile === q && c.asset !== 'all');
        expect(perAsset.map((c) => c.asset)).toEqual(file.assets.map((a) => a.symbol));
        expect(perAsset.reduce((s, c) => s + c.rows, 0)).toBe(file.count);
      });
      expect(e1.pinball.map((p) => p.quantile)).toEqual(artifact.quantiles);
      expect(e1.pinball.every((p) => p.loss > 0)).toBe(true);
      for (const policy of [e1.backtest.model, e1.backtest.baseline]) {
        expect(policy.meanLtv).toBeGreaterThan(0);
        expect(policy.meanLtv).toBeLessThan(1);
        expect(policy.assets).toHaveLength(file.assets.length);
        expect(Number.isFinite(policy.badDebtUsd)).toBe(true);
      }
      expect(e1.backtest.path.length).toBeGreaterThan(0);
      const html = readFileSync(report, 'utf8');
      expect(html).toContain(cs.id);
      expect(html).toContain(modelId);
      expect(html.match(/<svg/g)).toHaveLength(3);
    });

    it('refuses mixed kinds and altered collateral snapshots, naming the file', async () => {
      expect(await fails(['evaluate', '--artifact', collateral, '--snapshot', first])).toContain(
        'a collateral model cannot be evaluated on a credit snapshot',
      );
      expect(await fails(['evaluate', '--artifact', artifact, '--snapshot', csnap])).toContain(
        'a credit model cannot be evaluated on a collateral snapshot',
      );
      const file = JSON.parse(readFileSync(csnap, 'utf8')) as CollateralSnapshot;
      const write = (name: string, value: unknown) => {
        const p = path.join(dir, name);
        writeFileSync(p, `${canonicalJson(value)}\n`);
        return p;
      };
      const label = write('c-label.json', { ...file, rows: file.rows.map((r, i) => (i === 0 ? { ...r, y: r.y + 0.01 } : r)) });
      expect(await fails(['evaluate', '--artifact', collateral, '--snapshot', label])).toContain(`snapshot ${label}: its rows hash to`);
      // a price changed under unchanged rows: the rows are no longer what the prices give
      const assets = file.assets.map((a) => (a.symbol === 'GOV' ? { ...a, prices: a.prices.map((p, i) => (i === 800 ? p * 0.5 : p)) } : a));
      const price = write('c-price.json', { ...file, assets });
      expect(await fails(['evaluate', '--artifact', collateral, '--snapshot', price])).toMatch(/is not what its prices and depths give/);
      // so does a depth: the liquidity feature reads it
      const thin = file.assets.map((a) =>
        a.symbol === 'GOV' ? { ...a, liquidity: a.liquidity!.map((d) => (d === null ? d : d / 10)) } : a,
      );
      const depth = write('c-depth.json', { ...file, assets: thin });
      expect(await fails(['evaluate', '--artifact', collateral, '--snapshot', depth])).toMatch(/is not what its prices and depths give/);
      const other = write('c-ref.json', { ...file, referenceAsset: 'WBTC', rows: [], count: 0, merkleRoot: keccak256(new Uint8Array(0)) });
      expect(await fails(['evaluate', '--artifact', collateral, '--snapshot', other])).toContain(`snapshot ${other}: its prices give`);
    });
  });
});
