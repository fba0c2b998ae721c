import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startAnvil, type AnvilInstance } from './anvil';
import { connectProvider, redactUrl, RetryingProvider } from './chain';

type Fault = '429' | '500' | 'truncated' | 'wrong-id' | 'hang' | 'ok';

/** An HTTP proxy in front of anvil that answers each request with the next scripted fault. */
async function faultyProxy(target: string, script: Fault[]): Promise<{ url: string; server: Server; seen: () => number }> {
  let seen = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', async () => {
      const fault = script[seen++] ?? 'ok';
      if (fault === 'hang') return; // never answers: the client's time-out must fire
      if (fault === '429' || fault === '500') {
        res.writeHead(Number(fault)).end('busy');
        return;
      }
      const upstream = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      let text = await upstream.text();
      if (fault === 'truncated') text = text.slice(0, Math.floor(text.length / 2));
      if (fault === 'wrong-id') text = text.replace(/"id":\s*(\d+)/, (_m, id: string) => `"id":${Number(id) + 1000}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, seen: () => seen };
}

describe('RetryingProvider', () => {
  let anvil: AnvilInstance;
  beforeAll(async () => {
    anvil = await startAnvil();
  });
  afterAll(async () => {
    await anvil.stop();
  });

  it('gets the right answer through 429, 500, truncated JSON, a wrong id and a time-out', async () => {
    const proxy = await faultyProxy(anvil.rpcUrl, ['429', '500', 'truncated', 'wrong-id', 'hang', 'ok']);
    const retries: number[] = [];
    const provider = new RetryingProvider(proxy.url, {
      chainId: 31337,
      baseDelayMs: 1,
      timeoutMs: 500,
      onRetry: (_e, attempt) => retries.push(attempt),
    });
    try {
      expect(await provider.getBlockNumber()).toBe(0);
      expect(retries).toEqual([1, 2, 3, 4, 5]);
      expect(proxy.seen()).toBe(6);
    } finally {
      provider.destroy();
      proxy.server.closeAllConnections();
      proxy.server.close();
    }
  });

  it('gives up with the last error after the retries are spent', async () => {
    const proxy = await faultyProxy(anvil.rpcUrl, Array<Fault>(10).fill('500'));
    const provider = new RetryingProvider(proxy.url, { chainId: 31337, baseDelayMs: 1, retries: 2 });
    try {
      await expect(provider.getBlockNumber()).rejects.toThrow(/HTTP 500/);
      expect(proxy.seen()).toBe(3);
    } finally {
      provider.destroy();
      proxy.server.close();
    }
  });

  it('connectProvider binds the chain id, and names an unreachable or wrong endpoint without leaking its path', async () => {
    const provider = await connectProvider(anvil.rpcUrl);
    expect(Number((await provider.getNetwork()).chainId)).toBe(31337);
    provider.destroy();
    await expect(connectProvider('http://127.0.0.1:1/secret-key', { retries: 0 })).rejects.toThrow(
      /RPC http:\/\/127\.0\.0\.1:1 is unreachable/,
    );
    await expect(connectProvider(anvil.rpcUrl, { chainId: 1 })).rejects.toThrow(/is chain 31337, expected 1/);
    await expect(connectProvider(undefined)).rejects.toThrow(/set RPC_URL/);
    expect(redactUrl('https://eth.example.org/v2/KEY123?x=1')).toBe('https://eth.example.org');
  });
});
