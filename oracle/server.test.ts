import { createMetricsRegistry, Gauge } from '../core';
import { startOracleServer } from './server';

describe('oracle HTTP server', () => {
  it('serves /metrics, /healthz (503 with the problems when unhealthy), extra routes and 404s, read-only, on 127.0.0.1', async () => {
    const registry = createMetricsRegistry({ defaults: false });
    const lag = new Gauge({ name: 'risk_oracle_indexer_lag_blocks', help: 'blocks behind the head', registers: [registry] });
    lag.set(80);
    let healthy = false;
    const server = await startOracleServer({
      registry,
      health: async () => (healthy ? { healthy, problems: [] } : { healthy, problems: ['indexer 80 blocks behind (limit 50)'] }),
      routes: [async (_req, url) => (url.pathname === '/ping' ? { status: 200, type: 'text/plain', body: 'pong' } : undefined)],
    });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/^risk_oracle_indexer_lag_blocks 80$/m);
      const sick = await fetch(`${server.url}/healthz`);
      expect(sick.status).toBe(503);
      expect(((await sick.json()) as { problems: string[] }).problems).toEqual(['indexer 80 blocks behind (limit 50)']);
      healthy = true;
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${server.url}/ping`)).text()).toBe('pong');
      expect((await fetch(`${server.url}/nope`)).status).toBe(404);
      expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });
});
