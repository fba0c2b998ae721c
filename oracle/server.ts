import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthReport {
  healthy: boolean;
  /** One line per problem, e.g. "indexer 80 blocks behind (limit 50)". */
  problems: string[];
  details?: Record<string, unknown>;
}

export interface RouteAnswer {
  status: number;
  type: string;
  body: string;
  /** Extra response headers (e.g. the dashboard's Content-Security-Policy). */
  headers?: Record<string, string>;
}

export type Route = (req: IncomingMessage, url: URL) => Promise<RouteAnswer | undefined>;

export interface OracleServerOptions {
  registry: Registry;
  health: () => Promise<HealthReport>;
  /** Extra read-only routes (score lookups, the dashboard), tried in order before the 404. */
  routes?: Route[];
  /** Default 127.0.0.1: nothing is exposed beyond the machine unless asked for. */
  host?: string;
  port?: number;
}

export interface OracleServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': type, 'cache-control': 'no-store' }).end(body);
}

/** The daemon's HTTP server: `GET /metrics` (Prometheus text), `GET /healthz` (200 or 503 with the problems). */
export async function startOracleServer(options: OracleServerOptions): Promise<OracleServer> {
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'read-only: GET only\n');
      try {
        if (url.pathname === '/metrics') return send(res, 200, options.registry.contentType, await options.registry.metrics());
        if (url.pathname === '/healthz') {
          const report = await options.health();
          return send(res, report.healthy ? 200 : 503, 'application/json', `${JSON.stringify(report)}\n`);
        }
        for (const route of options.routes ?? []) {
          const answer = await route(req, url);
          if (answer) return send(res, answer.status, answer.type, answer.body, answer.headers);
        }
        send(res, 404, 'text/plain', `no route for ${url.pathname}\n`);
      } catch (err) {
        send(res, 500, 'text/plain', `internal error: ${(err as Error).message}\n`);
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
