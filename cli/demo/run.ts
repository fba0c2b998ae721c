import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate, migrationStatus, openDatabase, startAnvil, type AnvilInstance, type DatabaseHandle } from '../../core';
import { createStepReporter, type StepReporter } from '../progress';

export interface DemoOptions {
  outDir: string;
  /** Postgres URL; unset: an embedded PGlite database in a temporary directory. */
  databaseUrl?: string;
  quiet?: boolean;
}

export interface DemoSummary {
  chain: { chainId: number; blockNumber: number };
  database: { kind: string; migrations: number };
  timings: Array<{ step: string; seconds: number }>;
  totalSeconds: number;
  report: string;
}

/** Everything a demo step may use; the steps add to `summary`. */
export interface DemoRun {
  anvil: AnvilInstance;
  database: DatabaseHandle;
  steps: StepReporter;
}

/**
 * The newcomer's end-to-end run: a local chain and an embedded database, no server to install. Each stage of the
 * pipeline adds its step here as it lands; every resource is released on success, failure or Ctrl-C.
 */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const started = Date.now();
  const steps = createStepReporter({ quiet: options.quiet });
  const scratch = mkdtempSync(path.join(tmpdir(), 'risk-oracle-demo-'));
  let anvil: AnvilInstance | undefined;
  let database: DatabaseHandle | undefined;
  try {
    anvil = await steps.step('start a local anvil chain', () => startAnvil({ gasLimit: 1_000_000_000n }));
    steps.note(`RPC ${anvil.rpcUrl}`);
    const db = await steps.step(options.databaseUrl ? 'connect to Postgres' : 'open an embedded PGlite database', () =>
      openDatabase({ url: options.databaseUrl, dataDir: path.join(scratch, 'db') }),
    );
    database = db;
    await steps.step('migrate the database', () => migrate(db.db));
    const migrations = (await migrationStatus(db.db)).filter((m) => m.executedAt).length;
    const blockNumber = Number(
      (
        (await (
          await fetch(anvil.rpcUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
          })
        ).json()) as { result: string }
      ).result,
    );
    mkdirSync(options.outDir, { recursive: true });
    const summary: DemoSummary = {
      chain: { chainId: anvil.chainId, blockNumber },
      database: { kind: db.kind, migrations },
      timings: steps.timings,
      totalSeconds: (Date.now() - started) / 1000,
      report: path.join(options.outDir, 'summary.json'),
    };
    writeFileSync(summary.report, `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  } finally {
    await database?.close();
    await anvil?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}
