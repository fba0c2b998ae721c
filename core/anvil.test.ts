import { spawn } from 'node:child_process';
import path from 'node:path';
import { startAnvil, withAnvil } from './anvil';
import { isAlive } from './process';

async function waitFor(predicate: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function rpc(url: string, method: string): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [] }),
  });
  return ((await res.json()) as { result: unknown }).result;
}

describe('anvil helper', () => {
  it('starts on a free port on 127.0.0.1 and stops without leaving a process', async () => {
    const [a, b] = await Promise.all([startAnvil(), startAnvil({ chainId: 1337 })]);
    expect(a.port).not.toBe(b.port);
    expect(a.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await rpc(b.rpcUrl, 'eth_chainId')).toBe('0x539');
    await Promise.all([a.stop(), b.stop()]);
    expect(isAlive(a.pid)).toBe(false);
    expect(isAlive(b.pid)).toBe(false);
    await a.stop();
  });

  it('withAnvil stops the chain when the body throws', async () => {
    let pid = -1;
    await expect(
      withAnvil(async (anvil) => {
        pid = anvil.pid;
        throw new Error('test failure');
      }),
    ).rejects.toThrow('test failure');
    expect(isAlive(pid)).toBe(false);
  });

  it('a process interrupted with SIGINT or SIGTERM takes its anvil down with it', async () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const script = `require('tsx/cjs'); require(${JSON.stringify(path.join(__dirname, 'anvil.ts'))}).startAnvil().then(a => { console.log(a.pid); setInterval(() => {}, 1000); });`;
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      const pid = await new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
      expect(isAlive(pid)).toBe(true);
      child.kill(signal);
      await waitFor(() => !isAlive(pid));
    }
  });
});
