import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = 'http429' | 'http500' | 'http503' | 'timeout' | 'truncated' | 'wrongId' | 'garbage' | 'rangeLimit';
export const FAULTS: Fault[] = ['http429', 'http500', 'http503', 'timeout', 'truncated', 'wrongId', 'garbage', 'rangeLimit'];

export interface FaultyProxy {
  url: string;
  /** How many of each fault were injected. */
  injected: Record<Fault, number>;
  close(): Promise<void>;
}

/**
 * An HTTP JSON-RPC proxy on 127.0.0.1 in front of `target` that fails a share of requests in every way a real
 * provider does: 429 and 5xx, answers that never come, truncated or non-JSON bodies, answers with the wrong id,
 * and "range too large" refusals of eth_getLogs.
 */
export async function startFaultyProxy(
  target: string,
  options: {
    failureRate: number;
    random: () => number;
    hangMs?: number;
    /** Every eth_getLogs answer this much later. */ logsDelayMs?: number;
  },
): Promise<FaultyProxy> {
  const injected = Object.fromEntries(FAULTS.map((f) => [f, 0])) as Record<Fault, number>;
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => void handle(body, res));
  });
  const forward = async (body: string): Promise<string> => {
    const r = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return r.text();
  };
  const handle = async (body: string, res: http.ServerResponse): Promise<void> => {
    const request = JSON.parse(body) as { id: number; method: string };
    if (options.logsDelayMs && request.method === 'eth_getLogs') await new Promise((resolve) => setTimeout(resolve, options.logsDelayMs));
    // only eth_getLogs can be refused as too large; every other request draws among the other faults
    // (half of eth_getLogs' failures are range refusals, so that adaptive ranges are exercised)
    const others = FAULTS.filter((f) => f !== 'rangeLimit');
    const pickOther = (): Fault => others[Math.floor(options.random() * others.length)]!;
    const failing = options.random() < options.failureRate;
    const fault = !failing ? undefined : request.method === 'eth_getLogs' && options.random() < 0.5 ? 'rangeLimit' : pickOther();
    const send = (status: number, text: string): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(text);
    };
    if (fault) injected[fault]++;
    switch (fault) {
      case 'http429':
        return send(429, '{"error":"rate limited"}');
      case 'http500':
        return send(500, 'internal error');
      case 'http503':
        return send(503, '<html>unavailable</html>');
      case 'timeout':
        hanging.add(res);
        setTimeout(() => {
          hanging.delete(res);
          if (!res.writableEnded) send(200, 'too late');
        }, options.hangMs ?? 2_000);
        return;
      case 'truncated': {
        const text = await forward(body);
        return send(200, text.slice(0, Math.floor(text.length / 2)));
      }
      case 'wrongId': {
        const answer = JSON.parse(await forward(body)) as { id: number };
        return send(200, JSON.stringify({ ...answer, id: answer.id + 1_000_000 }));
      }
      case 'garbage':
        return send(200, 'not json at all');
      case 'rangeLimit':
        return send(
          200,
          JSON.stringify({ jsonrpc: '2.0', id: request.id, error: { code: -32005, message: 'query returned more than 10000 results' } }),
        );
      default:
        return send(200, await forward(body));
    }
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    injected,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
