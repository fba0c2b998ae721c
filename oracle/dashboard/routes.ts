import { createHash, randomBytes } from 'node:crypto';
import type { Provider } from 'ethers';
import type { Logger } from '../../core';
import { ModelRegistry__factory, RiskOracle__factory } from '../../contracts/build/types';
import type { CreditModelSource } from '../../models/credit/stored';
import { aaveSeed } from '../chain-state';
import type { LogRangeOptions } from '../logs';
import type { Route, RouteAnswer } from '../server';
import { createDashboardChain, type DashboardChain, type DashboardContracts } from './chain';
import { createChartCache, renderCharts } from './charts';
import { gatherSnapshot, type GatherOptions } from './gather';
import { escapeHtml } from './html';
import { renderPage } from './page';
import { renderSections, type Section } from './sections';
import type { DashboardSnapshot } from './types';
import { createDashboardVerifier } from './verify';

export interface DashboardOptions extends Omit<GatherOptions, 'chain' | 'verifier' | 'contracts'> {
  /** The RPC to read from (optional only with `chain` and `verify: false`). */
  provider?: Provider;
  contracts: DashboardContracts;
  /** How often the page asks for changed sections. Default 5000 ms. */
  pollMs?: number;
  /** A snapshot younger than this is served again instead of read anew (many readers, one read). Default 1000 ms. */
  refreshMs?: number;
  /** Re-derive published rounds and epochs (`verify`). Default true. */
  verify?: boolean;
  /**
   * A credit model given by hand (`--artifact`): epochs scored by it are recomputed with it when the database does
   * not store its artifact (stored artifacts come first; without either, an epoch is checked against its root).
   */
  creditModel?: CreditModelSource;
  /** How event logs are read: in ranges of at most `chunk` blocks (default 5 000), halved where the RPC refuses. */
  logRange?: LogRangeOptions;
  /** Read the chain through this instead of JSON-RPC (tests). */
  chain?: DashboardChain;
  log?: Logger;
}

export interface DashboardView {
  snapshot: DashboardSnapshot;
  sections: Array<Section & { hash: string }>;
  /** Changes whenever any section does. */
  version: string;
}

export interface Dashboard {
  /** `GET /` (the page), `GET /api/dashboard` (the snapshot as JSON), `GET /api/dashboard/sections` (changed sections). */
  routes: Route[];
  /** The current view, read anew when older than `refreshMs`. */
  view(): Promise<DashboardView>;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

/** The page may run its own nonce'd script, style itself inline, and talk to this server only. */
const securityHeaders = (nonce?: string): Record<string, string> => ({
  'content-security-policy': [
    "default-src 'none'",
    nonce ? `script-src 'nonce-${nonce}'` : "script-src 'none'",
    "style-src 'unsafe-inline'",
    'img-src data:',
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
});

const json = (status: number, body: unknown): RouteAnswer => ({
  status,
  type: 'application/json',
  body: `${JSON.stringify(body)}\n`,
  headers: securityHeaders(),
});

/**
 * The dashboard: a read-only page served at `/` by the daemon (`risk-oracle run`) or on its own (`risk-oracle
 * dashboard`). Snapshots are read on demand (at most one read at a time, reused for `refreshMs`), rendered on the
 * server, and the page polls for the sections whose content changed.
 */
export function createDashboard(options: DashboardOptions): Dashboard {
  const { provider } = options;
  if (!provider && (!options.chain || options.verify !== false)) throw new Error('the dashboard needs a provider to read the chain');
  const chain = options.chain ?? createDashboardChain(provider!, options.chainId, options.contracts, { logRange: options.logRange });
  const verifier =
    options.verify === false || !provider
      ? undefined
      : createDashboardVerifier({
          db: options.db,
          oracle: RiskOracle__factory.connect(options.contracts.riskOracle, provider),
          models: ModelRegistry__factory.connect(options.contracts.modelRegistry, provider),
          chainId: options.chainId,
          seed: options.contracts.dataProvider ? aaveSeed(options.contracts.dataProvider, provider) : undefined,
          creditModel: options.creditModel,
          logRange: options.logRange,
        });
  const charts = createChartCache();
  const refreshMs = options.refreshMs ?? 1_000;
  const pollMs = options.pollMs ?? 5_000;
  let current: { view: DashboardView; at: number } | undefined;
  let reading: Promise<DashboardView> | undefined;

  async function read(): Promise<DashboardView> {
    const snapshot = await gatherSnapshot({ ...options, chain, verifier, contracts: options.contracts });
    const sections = renderSections(snapshot, await renderCharts(snapshot, charts)).map((s) => ({ ...s, hash: sha(s.html) }));
    return { snapshot, sections, version: sha(sections.map((s) => s.hash).join(',')) };
  }

  async function view(): Promise<DashboardView> {
    if (current && Date.now() - current.at < refreshMs) return current.view;
    reading ??= read()
      .then((v) => {
        current = { view: v, at: Date.now() };
        return v;
      })
      .finally(() => {
        reading = undefined;
      });
    return reading;
  }

  const failed = (err: unknown, html: boolean): RouteAnswer => {
    const message = `the dashboard could not read the chain or the database: ${(err as Error).message}`;
    options.log?.warn({ err }, 'dashboard read failed');
    return html
      ? {
          status: 503,
          type: 'text/html; charset=utf-8',
          body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>risk-oracle dashboard: unavailable</title></head><body><h1>Dashboard unavailable</h1><p>${escapeHtml(message)}</p><p>Reload to try again.</p></body></html>\n`,
          headers: securityHeaders(),
        }
      : json(503, { error: message });
  };

  const page: Route = async (_req, url) => {
    if (url.pathname !== '/' && url.pathname !== '/index.html') return undefined;
    try {
      const v = await view();
      const nonce = randomBytes(16).toString('base64');
      const body = renderPage({
        chainId: v.snapshot.chain.chainId,
        riskOracle: v.snapshot.chain.riskOracle,
        sections: v.sections,
        version: v.version,
        generatedAt: v.snapshot.generatedAt,
        pollMs,
        nonce,
      });
      return { status: 200, type: 'text/html; charset=utf-8', body, headers: securityHeaders(nonce) };
    } catch (err) {
      return failed(err, true);
    }
  };

  const api: Route = async (_req, url) => {
    if (url.pathname === '/api/dashboard') {
      try {
        return json(200, (await view()).snapshot);
      } catch (err) {
        return failed(err, false);
      }
    }
    if (url.pathname !== '/api/dashboard/sections') return undefined;
    // `have=id.hash,…`: the sections the page holds; only the others come back
    const have = new Set((url.searchParams.get('have') ?? '').split(',').filter((x) => /^[a-z-]{1,32}\.[0-9a-f]{1,64}$/.test(x)));
    try {
      const v = await view();
      return json(200, {
        version: v.version,
        generatedAt: v.snapshot.generatedAt,
        sections: v.sections.filter((s) => !have.has(`${s.id}.${s.hash}`)),
      });
    } catch (err) {
      return failed(err, false);
    }
  };

  return { routes: [page, api], view };
}
