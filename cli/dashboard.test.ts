import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cli } from './testing';

describe('risk-oracle dashboard (arguments)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ro-dashboard-cli-'));
  const env = { RISK_ORACLE_LOG_LEVEL: 'silent', RISK_ORACLE_DATABASE_DATA_DIR: path.join(dir, 'db'), DATABASE_URL: '' };

  it('says what it serves and where it binds', async () => {
    const help = await cli(['dashboard', '--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--port <n>/);
    expect(help.stdout).toMatch(/--host <host>.*127\.0\.0\.1/);
    expect(help.stdout).toMatch(/--artifact <file>/);
    expect(help.stdout).toMatch(/--log-range <blocks>/);
  });

  it('refuses a bad port, poll interval or log range as a usage error (exit 2)', async () => {
    const port = await cli(['dashboard', '--port', '80x'], env);
    expect([port.code, port.stderr]).toEqual([2, expect.stringContaining('expected a port from 0 to 65535')]);
    const poll = await cli(['dashboard', '--poll', '10'], env);
    expect([poll.code, poll.stderr]).toEqual([2, expect.stringContaining('expected milliseconds from 250 to 3600000')]);
    const range = await cli(['dashboard', '--log-range', '0'], env);
    expect([range.code, range.stderr]).toEqual([2, expect.stringContaining('expected a number of blocks from 1 to 1000000')]);
  });

  it('names what is missing: the deployment file, or a readable one', async () => {
    const none = await cli(['dashboard', '--port', '0'], { ...env, RISK_ORACLE_CHAIN_DEPLOYMENT: '' });
    expect([none.code, none.stderr]).toEqual([1, expect.stringContaining('dashboard needs a deployment file: --deployment FILE')]);
    const file = path.join(dir, 'deployment.json');
    writeFileSync(file, '{"chainId": 1}');
    const bad = await cli(['dashboard', '--deployment', file], env);
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringContaining(`deployment ${file}: block:`)]);
  });
});
