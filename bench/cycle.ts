import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate, openDatabase, type DatabaseHandle } from '../core';
import { checkLargeCycle, runLargeCycle, setUpLargeCycle } from '../cli/testing-cycle';
import { emitFigures, freshPostgres, progress } from './lib';

/**
 * Issue #7's end-to-end cycle at scale (cli/testing-cycle.ts), measured in one run: after a one-off set-up (anvil
 * with the whole system, a credit model in force, `--wallets` simulated histories written as indexed rows, the
 * chain indexed), one cycle as `propose`, `sign` ×3 and `publish --apply` run it: propose the round and the epoch
 * (every wallet scored), three signers each recomputing both from the database and the chain, publish the batch,
 * apply it to Aave through the steward, publish the epoch. Then the outcome is checked (Aave's configuration,
 * `scoreOf` of proved wallets, `verify --all`), and a mismatch fails the run.
 * Last line: wallets, seconds per stage, totalSeconds (first proposal → epoch published, set-up excluded),
 * goalSeconds 60, ratio = total / goal, scoring wallets/s of the proposal and of each signer.
 * Options: --wallets N (default 10,000), --seed N, --json. Database: PGlite in a temporary directory, or with
 * DATABASE_URL a fresh schema on that Postgres (dropped afterwards).
 */
const GOAL_SECONDS = 60;

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`bench:cycle: --${name} must be a whole number ≥ 1 (got ${process.argv[i + 1]})`);
  return v;
};

const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

async function openBenchDatabase(dir: string): Promise<DatabaseHandle> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    // a data directory, not memory://: PGlite's in-memory file system grows large tables by copying them
    const handle = await openDatabase({ dataDir: path.join(dir, 'db') });
    await migrate(handle.db);
    return handle;
  }
  return freshPostgres(url, 'bench_cycle');
}

async function main(): Promise<void> {
  const wallets = arg('wallets', 10_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-cycle-'));
  const database = await openBenchDatabase(dir);
  try {
    progress(`set-up on ${database.kind}: ${wallets} wallets`);
    const cycle = await setUpLargeCycle({
      wallets,
      database,
      dir,
      seed: arg('seed', 11),
      onStep: (s) => progress(`  ${s.stage}: ${s.seconds.toFixed(1)} s`),
    });
    try {
      progress(`${cycle.rows.events} lending events, ${cycle.rows.snapshots} health snapshots written; the cycle:`);
      const run = await runLargeCycle(cycle);
      for (const s of run.stages) progress(`  ${s.stage}: ${s.seconds.toFixed(2)} s`);
      progress(`cycle: ${run.totalSeconds.toFixed(1)} s for ${run.epoch.wallets} scored wallets (goal ${GOAL_SECONDS} s)`);
      const check = await checkLargeCycle(cycle, run);
      const aaveMismatches = check.rounds.filter((r) => JSON.stringify(r.aave) !== JSON.stringify(r.published)).length;
      const scoreMismatches = check.scores.filter(
        (s) => !s.verified || s.scoreOf.score !== s.leaf.score || s.scoreOf.pd !== s.leaf.pd || s.scoreOf.epoch !== run.epoch.epoch,
      ).length;
      progress(
        `checked: ${check.rounds.length} round(s) on Aave (${aaveMismatches} differ), ${check.scores.length} scoreOf (${scoreMismatches} differ), verify ${check.verify.rounds} round(s) and ${check.verify.scores} score(s): ${check.verify.mismatches} mismatch(es)`,
      );
      if (aaveMismatches + scoreMismatches + check.verify.mismatches > 0)
        throw new Error('the cycle published something that does not check');
      const seconds = (prefix: string) => run.stages.find((s) => s.stage.startsWith(prefix))!.seconds;
      const signers = run.stages.filter((s) => s.stage.startsWith('signer'));
      emitFigures({
        database: database.kind,
        wallets: run.epoch.wallets,
        events: cycle.rows.events,
        setupSeconds: round(
          cycle.setup.reduce((t, s) => t + s.seconds, 0),
          1,
        ),
        stages: Object.fromEntries(run.stages.map((s) => [s.stage, round(s.seconds)])),
        proposeRoundSeconds: round(seconds('propose the round')),
        proposeEpochSeconds: round(seconds('propose the epoch')),
        signerSeconds: signers.map((s) => round(s.seconds)),
        publishSeconds: round(seconds('publish the batch') + seconds('apply') + seconds('publish the epoch')),
        totalSeconds: round(run.totalSeconds),
        goalSeconds: GOAL_SECONDS,
        ratio: round(run.totalSeconds / GOAL_SECONDS, 3),
        scoringWalletsPerSec: Math.round(run.epoch.wallets / seconds('propose the epoch')),
        signerWalletsPerSec: signers.map((s) => Math.round(run.epoch.wallets / s.seconds)),
        gas: run.gas,
        verifyMismatches: check.verify.mismatches,
      });
    } finally {
      await cycle.stop();
    }
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:cycle failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
