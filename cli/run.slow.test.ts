import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { HDNodeWallet } from 'ethers';
import { DEFAULT_BOUNDS, type Deployment } from '../contracts';
import { startOracleChain, type OracleChain, until } from './testing';
import { pushFeedAnswers } from './testing-prices';

const BIN = path.join(__dirname, '..', 'bin', 'risk-oracle.js');

describe('risk-oracle run (the daemon)', () => {
  let chain: OracleChain;
  let d: Deployment;
  let env: Record<string, string>;
  let signers: HDNodeWallet[];
  let publisher: HDNodeWallet;
  let daemon: ChildProcess | undefined;

  beforeAll(async () => {
    chain = await startOracleChain({ bounds: { ...DEFAULT_BOUNDS, minDelay: 0 }, logLevel: 'warn' });
    ({ deployment: d, env, signers, publisher } = chain);
    // three days without a feed answer since the deployment's: the daemon starts on stale on-chain prices
    await chain.provider.send('evm_increaseTime', [3 * 86_400]);
    await chain.provider.send('evm_mine', []);
  });
  afterAll(async () => {
    daemon?.kill('SIGKILL');
    await chain?.stop();
  });

  it('indexes, publishes and applies on its schedules, serves the dashboard, metrics, health and scores, is alone on its database, and stops cleanly on SIGTERM', async () => {
    const args = ['run', '--key-env', 'PUBLISHER_KEY', '--signer-key-env', 'SIGNER_0', 'SIGNER_2', 'SIGNER_4', '--port', '0'];
    daemon = spawn(
      process.execPath,
      [BIN, ...args, '--index-schedule', '*/2 * * * * *', '--round-schedule', '*/3 * * * * *', '--shadow-schedule', '*/4 * * * * *'],
      {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    daemon.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    daemon.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const url = await until('the daemon to listen', async () => /daemon on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1]);

    // a second daemon on the same database refuses to start
    const second = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
    expect(second.status).not.toBe(0);
    expect(second.stderr).toMatch(/lock|already running/i);

    // stale prices hold the round, counted and alerted, and the daemon carries on
    await until('a round held for stale prices', async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return /risk_oracle_round_freshness_holds_total\{reason="stale-price"\} [1-9]/.test(text) ? true : undefined;
    });
    const alerts = ((await (await fetch(`${url}/api/dashboard`)).json()) as { alerts: Array<{ kind: string; message: string }> }).alerts;
    expect(alerts.find((a) => a.kind === 'round-held')?.message).toMatch(/^Refusing to propose: the price of \w+ is \d+ s/);
    expect((await d.oracle.latest(d.market.reserves[0]!.address)).round).toBe(0n);
    // new answers on every feed: the daemon indexes them and proposes from them
    await pushFeedAnswers(chain.provider, d, { steps: 1, stepSeconds: 60 });

    const weth = d.market.reserves.find((r) => r.symbol === 'WETH')!.address;
    const round = await until('a published and applied round', async () => {
      const s = await d.oracle.latest(weth);
      const aave = await d.market.dataProvider.getFunction('getReserveConfigurationData')(weth);
      return s.round >= 1n && Number(aave.ltv) === Number(s.ltv) ? Number(s.round) : undefined;
    });
    expect(round).toBeGreaterThanOrEqual(1);
    // the round gauge is set when the round lands, the job counter when the job returns (after the apply): wait for both
    const metrics = await until('metrics with a finished round job and an indexed block', async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      const done = [
        /risk_oracle_round\{asset="WETH"\} [1-9]/,
        /risk_oracle_indexed_block [1-9]/,
        /risk_oracle_job_runs_total\{job="round",outcome="ok"\} [1-9]/,
      ];
      return done.every((re) => re.test(text)) ? text : undefined;
    });
    expect(metrics).toMatch(/risk_oracle_gas_used_total [1-9]/);
    const health = await until('healthy', async () => {
      const res = await fetch(`${url}/healthz`);
      return res.status === 200 ? ((await res.json()) as { healthy: boolean; details: { nextRuns: Record<string, string> } }) : undefined;
    });
    expect(health.healthy).toBe(true);
    expect(Object.keys(health.details.nextRuns).sort()).toEqual(['index', 'round', 'shadow']);
    // the dashboard at /, with the daemon's schedules and figures
    const home = await fetch(`${url}/`);
    expect([home.status, (await home.text()).includes('<h1>risk-oracle dashboard</h1>')]).toEqual([200, true]);
    const snapshot = (await (await fetch(`${url}/api/dashboard`)).json()) as {
      health: { nextRuns: Record<string, string>; metrics: Array<{ name: string }> };
      rounds: Array<{ status: string; signers: string[] }>;
    };
    expect(Object.keys(snapshot.health.nextRuns).sort()).toEqual(['index', 'round', 'shadow']);
    expect(snapshot.health.metrics.map((m) => m.name)).toContain('risk_oracle_round');
    expect(snapshot.rounds.find((r) => r.status === 'published')!.signers.sort()).toEqual(
      [signers[0]!, signers[2]!, signers[4]!].map((s) => s.address).sort(),
    );
    expect((await fetch(`${url}/score/not-an-address`)).status).toBe(400);
    expect((await fetch(`${url}/score/${publisher.address}`)).status).toBe(404);

    const exited = new Promise<number | null>((resolve) => daemon!.once('exit', (code) => resolve(code)));
    daemon.kill('SIGTERM');
    expect(await exited).toBe(0);
    daemon = undefined;
    for (const s of [...signers, publisher]) expect(stdout + stderr).not.toContain(s.privateKey.slice(2));
    // the lock went with it: the next start succeeds as far as listening
    const again = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let againOut = '';
    again.stdout!.on('data', (c: Buffer) => (againOut += c.toString()));
    await until('a restarted daemon', async () => (/daemon on http/.test(againOut) ? true : undefined));
    const stopped = new Promise((resolve) => again.once('exit', resolve));
    again.kill('SIGTERM');
    await stopped;
  }, 240_000);
});
