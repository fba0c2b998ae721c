import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate, type DatabaseHandle } from '../core';
import { verifyScoreProof } from '../oracle/epoch';
import { loadEpoch } from '../oracle/credit-epoch';
import { checkLargeCycle, runLargeCycle, setUpLargeCycle, type CycleCheck, type CycleRun, type LargeCycle } from './testing-cycle';
import { cliDatabase, cliJson, type CliDatabase } from './testing';

/**
 * Issue #7, end to end at scale: 4 reserves of a real Aave V3 market, RiskOracle 3-of-5, ≥ 10,000 wallets with
 * indexed lending histories; one cycle as `propose`, `sign` by three keys and `publish --apply` run it. Aave's
 * configuration shows the published rounds, `scoreOf` the proved scores, and `verify --all` finds nothing to
 * report. Its time is measured by `npm run bench:cycle`, not asserted here.
 */
const WALLETS = 10_000;

describe(`the full cycle with ${WALLETS} scored wallets (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  let database: CliDatabase;
  let handle: DatabaseHandle | undefined;
  let cycle: LargeCycle | undefined;
  let run: CycleRun;
  let check: CycleCheck;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ro-large-cycle-'));
    database = await cliDatabase(dir);
    handle = await database.open();
    // a Postgres schema from cliDatabase comes migrated; a PGlite directory is new
    if (handle.kind === 'pglite') await migrate(handle.db);
    cycle = await setUpLargeCycle({ wallets: WALLETS, database: handle, dir });
    run = await runLargeCycle(cycle);
    check = await checkLargeCycle(cycle, run);
  }, 600_000);
  afterAll(async () => {
    await handle?.close();
    await cycle?.stop();
    await database?.close();
  });

  it('proposes, has 3 of 5 signers recompute and sign, and publishes the round and the epoch', () => {
    expect(run.stages.map((s) => s.stage)).toEqual([
      'propose the round',
      'propose the epoch (score every wallet)',
      'signer 1: recompute and sign',
      'signer 2: recompute and sign',
      'signer 3: recompute and sign',
      'publish the batch',
      'apply it to Aave (RiskSteward)',
      'publish the epoch',
    ]);
    expect(run.published.map((r) => r.symbol).sort()).toEqual(cycle!.deployment.market.reserves.map((r) => r.symbol).sort());
    expect(run.applied.sort()).toEqual(run.published.map((r) => r.asset.toLowerCase()).sort());
  });

  it("Aave's configuration is each published round (RiskOracle holds the same), and at least one asset changed", () => {
    for (const r of check.rounds) {
      expect(r.aave).toEqual(r.published);
      expect(r.oracle).toEqual(r.published);
    }
    expect(check.rounds.some((r) => JSON.stringify(r.aave) !== JSON.stringify(r.before))).toBe(true);
  });

  it('the registry holds the epoch of every simulated wallet under the model in force; scoreOf shows proved scores', async () => {
    expect(run.epoch.wallets).toBeGreaterThanOrEqual(WALLETS);
    expect(check.epoch).toEqual({
      root: run.epoch.root,
      onChainRoot: run.epoch.root,
      modelId: cycle!.credit.modelId,
      onChainModelId: cycle!.credit.modelId,
      wallets: run.epoch.wallets,
      onChainWallets: run.epoch.wallets,
    });
    expect(check.scores).toHaveLength(5);
    for (const s of check.scores) {
      expect(s.verified).toBe(true);
      expect(s.scoreOf).toEqual({ ...s.leaf, epoch: run.epoch.epoch, modelId: cycle!.credit.modelId, valid: true });
    }
    // the stored leaves are what the signers recomputed: a tampered score no longer proves against the root
    const stored = await loadEpoch(handle!.db, cycle!.chainId, run.epoch.epoch);
    const leaf = stored.leaves[0]!;
    const { proof } = stored.tree.proof(leaf.wallet)!;
    expect(verifyScoreProof(run.epoch.root, leaf, proof)).toBe(true);
    expect(verifyScoreProof(run.epoch.root, { ...leaf, score: leaf.score + 1 }, proof)).toBe(false);
  });

  it('verify (the library run) re-derives every round and every score: 0 mismatches', () => {
    expect(check.verify).toEqual({ rounds: run.published.length, scores: run.epoch.wallets, mismatches: 0, list: [] });
  });

  it('`risk-oracle verify --all` from the command line: 0 mismatches', async () => {
    // PGlite takes one process at a time: the CLI opens the data directory itself
    await handle!.close();
    handle = undefined;
    const verified = await cliJson(['verify', '--all', '--artifact', cycle!.credit.file], { ...cycle!.env, ...database.env });
    expect(verified).toMatchObject({ mismatches: 0, rounds: run.published.length, epochs: 1, scores: run.epoch.wallets });
  }, 180_000);
});
