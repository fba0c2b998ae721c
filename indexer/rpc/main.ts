import { connectProvider, errorMessage, migrate, openDatabase } from '../../core';
import type { IndexerAddresses } from './fetch';
import { runIndexer } from './runner';

/**
 * A stand-alone indexer process: `tsx indexer/rpc/main.ts '<job JSON>'`. The crash tests run it as a child and
 * `kill -9` it at random moments; the CLI calls `runIndexer` directly instead.
 */
export interface IndexerJob {
  rpcUrl: string;
  /** Postgres URL (with `schema`), or unset for PGlite in `dataDir`. */
  databaseUrl?: string;
  schema?: string;
  dataDir?: string;
  addresses: IndexerAddresses;
  fromBlock: number;
  toBlock?: number;
  finalityDepth?: number;
  blockRange?: number;
  maxBlockRange?: number;
  /** Range workers (Postgres): see `RunIndexerOptions.workers`. */
  workers?: number;
  /** Range workers: see `RunIndexerOptions.leaseMs`. */
  leaseMs?: number;
  /** Pause after each committed batch (tests: keeps a child busy long enough to be killed mid-run). Default: 0. */
  batchDelayMs?: number;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as IndexerJob;
  const handle = await openDatabase({ url: job.databaseUrl, schema: job.schema, dataDir: job.dataDir, poolSize: 4 });
  await migrate(handle.db, job.schema);
  const provider = await connectProvider(job.rpcUrl, { timeoutMs: 5_000 });
  process.stdout.write('ready\n');
  try {
    const pause = job.batchDelayMs ?? 0;
    const onBatch = pause > 0 ? () => new Promise<void>((resolve) => setTimeout(resolve, pause)) : undefined;
    const result = await runIndexer({ db: handle, provider, ...job, onBatch });
    process.stdout.write(`${JSON.stringify({ done: true, lastBlock: result.lastBlock })}\n`);
  } finally {
    provider.destroy();
    await handle.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${errorMessage(err)}\n`);
  process.exit(1);
});
