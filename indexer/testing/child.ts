import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { IndexerJob } from '../rpc/main';

const MAIN = path.join(__dirname, '..', 'rpc', 'main.ts');

export interface IndexerChild {
  child: ChildProcess;
  /** Resolves once the child has opened its database and provider. */
  ready: Promise<void>;
  /** How it ended (a signal, or an exit code with its stderr). */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** Runs `indexer/rpc/main.ts` with `job` as a child process (crash and hang tests). */
export function startIndexerChild(job: IndexerJob): IndexerChild {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = new Promise<void>((resolve) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
  return { child, ready, exit };
}
