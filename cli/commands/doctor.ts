import { execFileSync } from 'node:child_process';
import type { Command } from 'commander';
import { anvilBinary, errorMessage, migrationStatus, openDatabase, ping } from '../../core';
import { commandContext } from '../context';

export interface Check {
  name: string;
  ok: boolean;
  /** false: informational (the project works without it). */
  required: boolean;
  detail: string;
}

const MIN_NODE = [20, 19];

function checkNode(): Check {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const ok = major > MIN_NODE[0]! || (major === MIN_NODE[0] && minor >= MIN_NODE[1]!);
  return { name: 'node', ok, required: true, detail: `v${process.versions.node}${ok ? '' : ` (need >= ${MIN_NODE.join('.')})`}` };
}

function run(bin: string, args: string[]): string {
  return execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 }).trim();
}

function checkAnvil(): Check {
  try {
    return { name: 'anvil', ok: true, required: true, detail: run(anvilBinary(), ['--version']).split('\n')[0] ?? '' };
  } catch (err) {
    return { name: 'anvil', ok: false, required: true, detail: `${anvilBinary()}: ${errorMessage(err)}` };
  }
}

/** Which TF.js backends load here, best first (tfjs-node* need libtensorflow, which their installer downloads). */
function checkBackends(): Check {
  const candidates: Array<[string, string]> = [
    ['tensorflow-gpu', '@tensorflow/tfjs-node-gpu'],
    ['tensorflow', '@tensorflow/tfjs-node'],
    ['wasm', '@tensorflow/tfjs-backend-wasm'],
    ['cpu', '@tensorflow/tfjs-backend-cpu'],
  ];
  const loaded: string[] = [];
  for (const [name, pkg] of candidates) {
    try {
      require(pkg);
      loaded.push(name);
    } catch {
      // not installed or its native library is missing: skipped, as designed
    }
  }
  return { name: 'tfjs-backends', ok: loaded.length > 0, required: true, detail: loaded.join(', ') || 'none' };
}

function checkJupyter(): Check {
  try {
    const version = run('jupyter', ['nbconvert', '--version']);
    let kernels = '';
    try {
      kernels = run('jupyter', ['kernelspec', 'list']);
    } catch {
      kernels = '';
    }
    const tslab = /\btslab\b|\bjslab\b/.test(kernels);
    return {
      name: 'jupyter',
      ok: tslab,
      required: false,
      detail: `nbconvert ${version}; tslab kernel ${tslab ? 'registered' : 'missing (npx tslab install --python=python3)'}`,
    };
  } catch {
    return {
      name: 'jupyter',
      ok: false,
      required: false,
      detail: 'not installed (apt-get install jupyter-nbconvert python3-ipykernel jupyter-client); only the notebooks need it',
    };
  }
}

async function checkDatabase(url: string | undefined, dataDir: string): Promise<Check> {
  try {
    const handle = await openDatabase({ url, dataDir });
    try {
      await ping(handle.db);
      const status = await migrationStatus(handle.db);
      const pending = status.filter((m) => m.executedAt === null).length;
      return {
        name: 'database',
        ok: true,
        required: true,
        detail: `${handle.kind} at ${handle.location}; ${status.length - pending} migrations applied, ${pending} pending${pending ? ' (applied at start-up, or run risk-oracle migrate)' : ''}`,
      };
    } finally {
      await handle.close();
    }
  } catch (err) {
    return { name: 'database', ok: false, required: true, detail: errorMessage(err) };
  }
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check this machine: Node version, database, anvil, TF.js backends, Jupyter')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = commandContext(command);
      const checks = [
        checkNode(),
        await checkDatabase(ctx.config.database.url, ctx.config.database.dataDir),
        checkAnvil(),
        checkBackends(),
        checkJupyter(),
      ];
      const ok = checks.every((c) => c.ok || !c.required);
      const lines = checks.map((c) => `${c.ok ? 'ok  ' : c.required ? 'FAIL' : 'warn'}  ${c.name.padEnd(14)} ${c.detail}`);
      ctx.print(`${lines.join('\n')}\n${ok ? 'all required checks passed' : 'some required checks failed'}`, { ok, checks });
      if (!ok) process.exitCode = 1;
    });
}
