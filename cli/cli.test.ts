import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const BIN = path.join(__dirname, '..', 'bin', 'risk-oracle.js');

function cli(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ro-cli-'));
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    cwd: dataDir,
    env: { ...process.env, RISK_ORACLE_DATABASE_DATA_DIR: path.join(dataDir, 'db'), ...env },
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('risk-oracle CLI', () => {
  it('exits 0 with help, 2 on a usage error', () => {
    const help = cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: risk-oracle/);
    expect(help.stdout).toMatch(/migrate/);
    expect(cli(['no-such-command']).code).toBe(2);
    expect(cli(['migrate', '--no-such-flag']).code).toBe(2);
  });

  it('exits 1 with a message naming the key on a bad configuration value', () => {
    const bad = cli(['migrate'], { RISK_ORACLE_LOG_LEVEL: 'loud' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/log\.level = "loud" \(from env RISK_ORACLE_LOG_LEVEL\)/);
  });

  it('migrate applies once, then reports up to date; --status --json lists every migration', () => {
    const env = { RISK_ORACLE_DATABASE_DATA_DIR: path.join(mkdtempSync(path.join(tmpdir(), 'ro-mig-')), 'db'), DATABASE_URL: '' };
    const before = JSON.parse(cli(['migrate', '--status', '--json'], env).stdout.trim().split('\n').pop()!);
    expect(before.pending).toBeGreaterThan(0);
    const first = cli(['migrate', '--json'], env);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).applied.length).toBe(before.pending);
    const second = cli(['migrate', '--json'], env);
    expect(JSON.parse(second.stdout).applied).toEqual([]);
    const after = JSON.parse(cli(['migrate', '--status', '--json'], env).stdout);
    expect(after.pending).toBe(0);
  });

  it('doctor --json prints one JSON object describing each check', () => {
    const result = cli(['doctor', '--json']);
    const report = JSON.parse(result.stdout.trim());
    const names = report.checks.map((c: { name: string }) => c.name);
    expect(names).toEqual(['node', 'database', 'anvil', 'tfjs-backends', 'jupyter']);
    // the whole check on failure, so its detail says why
    const check = (name: string) => report.checks.find((c: { name: string }) => c.name === name);
    for (const name of ['node', 'anvil', 'database'])
      expect(check(name)).toEqual({ name, ok: true, required: true, detail: expect.any(String) });
    expect(result.code).toBe(report.ok ? 0 : 1);
  });

  it('doctor fails (exit 1) and says why when the database is unreachable', () => {
    const result = cli(['doctor', '--json'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    const report = JSON.parse(result.stdout.trim());
    expect(result.code).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.checks.find((c: { name: string }) => c.name === 'database').detail).toMatch(
      /Cannot connect to Postgres at postgres:\/\/nobody@127\.0\.0\.1:1\/none/,
    );
  });

  it('verify names a bad contract address and an unreachable RPC, and exits 1', () => {
    const badAddress = cli(['verify', '--oracle', '0x1234', '--rpc', 'http://127.0.0.1:1']);
    expect(badAddress.code).toBe(1);
    expect(badAddress.stderr).toMatch(/--oracle: not an address: 0x1234/);
    const unreachable = cli(['verify', '--oracle', '0x5FbDB2315678afecb367f032d93F642f64180aa3', '--rpc', 'http://127.0.0.1:1/key'], {
      RISK_ORACLE_CHAIN_RETRIES: '0',
    });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/RPC http:\/\/127\.0\.0\.1:1 is unreachable/);
    expect(unreachable.stderr).not.toContain('/key');
  });
});
