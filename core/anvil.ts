import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A local anvil chain started by {@link startAnvil}. */
export interface AnvilInstance {
  /** JSON-RPC endpoint, always on 127.0.0.1. */
  readonly rpcUrl: string;
  readonly port: number;
  readonly pid: number;
  readonly chainId: number;
  /** Stops the process and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

export interface AnvilOptions {
  /** Default: 31337. */
  chainId?: number;
  /** Seconds between blocks; default: automine (a block per transaction). */
  blockTime?: number;
  /** Default: 10 funded accounts. */
  accounts?: number;
  /** Default: 10000 ETH each. */
  balance?: number;
  /** Block gas limit; default: 30M (anvil's) unless raised for big deployments. */
  gasLimit?: bigint;
  /** Extra raw CLI arguments. */
  args?: string[];
  /** Milliseconds to wait for "Listening on"; default 20 s. */
  startTimeoutMs?: number;
}

/** Where anvil pids are recorded so that a test run's global teardown can kill any left behind. */
export const ANVIL_PID_DIR = path.join(tmpdir(), 'risk-oracle-anvil-pids');

const live = new Set<ChildProcess>();
let hooksInstalled = false;

/** The anvil binary shipped by the `@foundry-rs/anvil` npm package (its platform package), or `anvil` on PATH. */
export function anvilBinary(): string {
  const fromEnv = process.env.RISK_ORACLE_ANVIL_BIN;
  if (fromEnv) return fromEnv;
  const platformPackage = `@foundry-rs/anvil-${process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}`;
  try {
    const pkg = require.resolve(`${platformPackage}/package.json`);
    const bin = path.join(path.dirname(pkg), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
    if (existsSync(bin)) return bin;
  } catch {
    // fall through to PATH
  }
  return 'anvil';
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const killAll = (): void => {
    for (const child of live) child.kill('SIGKILL');
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      // re-raise so the default handler sets the exit status
      process.kill(process.pid, signal);
    });
  }
}

/**
 * Starts anvil on a free port on 127.0.0.1 and resolves once it accepts requests.
 * The process is killed when `stop()` is called, when this process exits, or on SIGINT/SIGTERM.
 */
export async function startAnvil(options: AnvilOptions = {}): Promise<AnvilInstance> {
  installExitHooks();
  const chainId = options.chainId ?? 31337;
  const args = ['--host', '127.0.0.1', '--port', '0', '--chain-id', String(chainId)];
  args.push('--accounts', String(options.accounts ?? 10), '--balance', String(options.balance ?? 10_000));
  if (options.blockTime !== undefined) args.push('--block-time', String(options.blockTime));
  if (options.gasLimit !== undefined) args.push('--gas-limit', options.gasLimit.toString());
  args.push(...(options.args ?? []));

  const child = spawn(anvilBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => {
    live.delete(child);
    if (child.pid) rmSync(path.join(ANVIL_PID_DIR, String(child.pid)), { force: true });
  });

  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => fail(new Error(`anvil did not start within ${options.startTimeoutMs ?? 20_000} ms: ${out.slice(-500)}`)),
      options.startTimeoutMs ?? 20_000,
    );
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.once('error', (err) =>
      fail(new Error(`could not run anvil (${anvilBinary()}): ${err.message}. Is @foundry-rs/anvil installed (npm ci)?`)),
    );
    let ready = false;
    child.once('exit', (code) => {
      if (!ready) fail(new Error(`anvil exited with code ${code} before listening: ${out.slice(-500)}`));
    });
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const match = /Listening on [\d.]+:(\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        ready = true;
        // keep draining the pipes so anvil never blocks on a full buffer
        child.stdout?.removeListener('data', onData);
        child.stdout?.resume();
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  });

  if (child.pid) {
    mkdirSync(ANVIL_PID_DIR, { recursive: true });
    writeFileSync(path.join(ANVIL_PID_DIR, String(child.pid)), String(process.pid));
  }
  let stopped = false;
  return {
    rpcUrl: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    chainId,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        await exited;
        clearTimeout(timer);
      }
      live.delete(child);
      if (child.pid) rmSync(path.join(ANVIL_PID_DIR, String(child.pid)), { force: true });
    },
  };
}

/** Runs `fn` with a fresh anvil and always stops it afterwards. */
export async function withAnvil<T>(fn: (anvil: AnvilInstance) => Promise<T>, options?: AnvilOptions): Promise<T> {
  const anvil = await startAnvil(options);
  try {
    return await fn(anvil);
  } finally {
    await anvil.stop();
  }
}
