import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CONFIG_FILE, configEnvNames, loadConfig } from './config';
import { UserError } from './errors';

function dirWithConfig(contents: unknown): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ro-config-'));
  writeFileSync(path.join(dir, CONFIG_FILE), typeof contents === 'string' ? contents : JSON.stringify(contents));
  return dir;
}

describe('loadConfig', () => {
  it('uses the documented defaults when nothing is given', () => {
    const config = loadConfig({ cwd: mkdtempSync(path.join(tmpdir(), 'ro-empty-')), env: {} });
    expect(config.database.url).toBeUndefined();
    expect(config.database.dataDir).toBe('./.risk-oracle/db');
    expect(config.indexer.finalityDepth).toBe(12);
    expect(config.log.level).toBe('info');
  });

  it('applies defaults < file < environment < flags', () => {
    const cwd = dirWithConfig({ indexer: { finalityDepth: 3, concurrency: 7 }, log: { level: 'debug' }, models: { seed: 5 } });
    const fileOnly = loadConfig({ cwd, env: {} });
    expect(fileOnly.indexer).toMatchObject({ finalityDepth: 3, concurrency: 7 });

    const env = { RISK_ORACLE_INDEXER_FINALITY_DEPTH: '9', RISK_ORACLE_LOG_LEVEL: 'warn', DATABASE_URL: 'postgres://u@127.0.0.1:5432/db' };
    const withEnv = loadConfig({ cwd, env });
    expect(withEnv.indexer).toMatchObject({ finalityDepth: 9, concurrency: 7 });
    expect(withEnv.log.level).toBe('warn');
    expect(withEnv.database.url).toBe('postgres://u@127.0.0.1:5432/db');

    const withFlags = loadConfig({ cwd, env, flags: { log: { level: 'error' }, indexer: { finalityDepth: 1 } } });
    expect(withFlags.log.level).toBe('error');
    expect(withFlags.indexer).toMatchObject({ finalityDepth: 1, concurrency: 7 });
    expect(withFlags.models.seed).toBe(5);
  });

  it('names the key, the value, its source and what is allowed', () => {
    const attempt = () => loadConfig({ cwd: dirWithConfig({}), env: { RISK_ORACLE_INDEXER_FINALITY_DEPTH: 'deep' } });
    expect(attempt).toThrow(UserError);
    expect(attempt).toThrow(/indexer\.finalityDepth = "deep" \(from env RISK_ORACLE_INDEXER_FINALITY_DEPTH\): .*expected number/);

    const fromFile = dirWithConfig({ log: { level: 'loud' } });
    expect(() => loadConfig({ cwd: fromFile, env: {} })).toThrow(/log\.level = "loud" \(from .*risk-oracle\.config\.json\): .*"info"/);
    expect(() => loadConfig({ cwd: dirWithConfig({}), env: {}, flags: { chain: { retries: -1 } } })).toThrow(
      /chain\.retries = -1 \(from a command-line flag\)/,
    );
  });

  it('rejects a malformed config file and a missing explicit one, naming the file', () => {
    const cwd = dirWithConfig('{ not json');
    expect(() => loadConfig({ cwd, env: {} })).toThrow(/Invalid configuration file .*risk-oracle\.config\.json/);
    expect(() => loadConfig({ file: '/nonexistent/ro.json', env: {} })).toThrow(/\/nonexistent\/ro\.json does not exist/);
  });

  it('lists every environment variable it reads', () => {
    const names = configEnvNames();
    expect(names).toEqual(expect.arrayContaining(['DATABASE_URL', 'RPC_URL', 'RISK_ORACLE_BACKEND', 'RISK_ORACLE_INDEXER_FINALITY_DEPTH']));
  });
});
