import { createMetricsRegistry } from '../../core';
import { createTestDatabase } from '../../core/test/db';
import { driftDecision } from '../drift';
import { startOracleServer, type OracleServer } from '../server';
import { recordDecisions } from '../store';
import { createDashboard, type Dashboard } from './routes';
import { CONTRACTS, fakeChain, fakeChainState, publishOnFake, WETH, type FakeChainState } from './testing';
import type { DashboardSnapshot } from './types';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

interface SectionsAnswer {
  version: string;
  generatedAt: number;
  sections: Array<{ id: string; title: string; hash: string; html: string }>;
}

describe('dashboard routes: the page, its JSON and the live update of changed sections', () => {
  let h: TestDb;
  let state: FakeChainState;
  let dashboard: Dashboard;
  let server: OracleServer;
  let reads = 0;

  beforeAll(async () => {
    h = await createTestDatabase();
    state = fakeChainState();
    publishOnFake(state, WETH, 1, 7_000, `0x${'01'.repeat(32)}`);
    const chain = fakeChain(state);
    dashboard = createDashboard({
      db: h.db,
      chainId: 31337,
      contracts: CONTRACTS,
      chain: { ...chain, head: async () => (reads++, chain.head()) },
      verify: false,
      maxIndexerLagBlocks: 50,
      refreshMs: 0,
      pollMs: 750,
    });
    server = await startOracleServer({
      registry: createMetricsRegistry({ defaults: false }),
      health: async () => ({ healthy: true, problems: [] }),
      routes: dashboard.routes,
    });
  });
  afterAll(async () => {
    await server?.close();
    await h?.close();
  });

  const page = async () => {
    const res = await fetch(`${server.url}/`);
    return { res, html: await res.text() };
  };
  const held = (html: string) =>
    [...html.matchAll(/<section id="([a-z-]+)" aria-labelledby="[a-z-]+-h" data-hash="([0-9a-f]+)">/g)].map((m) => `${m[1]}.${m[2]}`);

  it('serves the page at / with a CSP that lets only its own nonce-tagged script run and nothing be loaded', async () => {
    const { res, html } = await page();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy')!;
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1]!;
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(html).toContain('data-poll-ms="750"');
    expect(held(html)).toHaveLength(8);
    // a new nonce per response
    const again = (await fetch(`${server.url}/index.html`)).headers.get('content-security-policy')!;
    expect(again).not.toBe(csp);
    expect((await fetch(`${server.url}/`, { method: 'POST' })).status).toBe(405);
  });

  it('serves the snapshot as JSON', async () => {
    const res = await fetch(`${server.url}/api/dashboard`);
    expect(res.status).toBe(200);
    const s = (await res.json()) as DashboardSnapshot;
    expect(s.chain.chainId).toBe(31337);
    expect(s.assets.find((a) => a.symbol === 'WETH')!.onChain).toMatchObject({ ltv: 7_000, round: 1 });
    expect(s.guardian).toMatchObject({
      paused: false,
      actions: [],
      fallBack: [{ symbol: 'WETH', appliedRound: 0, previous: null }, { symbol: 'GOV' }],
    });
  });

  it('sends only the sections that changed since what the page holds: nothing, then the ones a new publication touched', async () => {
    const have = held((await page()).html).join(',');
    const same = (await (await fetch(`${server.url}/api/dashboard/sections?have=${encodeURIComponent(have)}`)).json()) as SectionsAnswer;
    expect(same.sections).toEqual([]);

    publishOnFake(state, WETH, 2, 7_300, `0x${'02'.repeat(32)}`);
    const changed = (await (await fetch(`${server.url}/api/dashboard/sections?have=${encodeURIComponent(have)}`)).json()) as SectionsAnswer;
    const ids = changed.sections.map((s) => s.id);
    expect(ids).toEqual(expect.arrayContaining(['summary', 'parameters', 'rounds', 'health']));
    expect(ids).not.toContain('guards');
    expect(changed.version).not.toBe(same.version);
    expect(changed.sections.find((s) => s.id === 'parameters')!.html).toContain(
      '<strong data-field="ltv" data-bps="7300">73.00 %</strong>',
    );

    // what a page cannot hold is ignored: it gets every section
    const junk = (await (
      await fetch(`${server.url}/api/dashboard/sections?have=${encodeURIComponent('<script>.x,' + 'a'.repeat(5_000))}`)
    ).json()) as SectionsAnswer;
    expect(junk.sections).toHaveLength(8);
  });

  it('sends the guardian section again when the guardian pauses, and the pause in the JSON', async () => {
    const have = held((await page()).html).join(',');
    state.paused = true;
    state.guardianActions.push({
      contract: 'RiskOracle',
      event: 'Paused',
      args: { by: state.guardian },
      blockNumber: state.head.number,
      logIndex: 0,
      tx: `0x${'a1'.repeat(32)}`,
      t: state.head.timestamp,
    });
    try {
      const changed = (await (
        await fetch(`${server.url}/api/dashboard/sections?have=${encodeURIComponent(have)}`)
      ).json()) as SectionsAnswer;
      expect(changed.sections.map((s) => s.id).sort()).toEqual(['guardian', 'summary']);
      expect(changed.sections.find((s) => s.id === 'guardian')!.html).toContain('data-guardian-event="Paused"');
      const s = (await (await fetch(`${server.url}/api/dashboard`)).json()) as DashboardSnapshot;
      expect(s.guardian.paused).toBe(true);
      expect(s.guardian.actions).toEqual([expect.objectContaining({ event: 'Paused', actor: state.guardian, role: 'guardian' })]);
    } finally {
      state.paused = false;
      state.guardianActions = [];
    }
  });

  it("sends the guards section again when a credit epoch's drift decision is recorded, charted, and the decision in the JSON", async () => {
    const before = await page();
    expect(before.html).toContain('No credit epoch has been proposed yet: the drift guard has judged none.');
    const have = held(before.html).join(',');
    const decision = driftDecision(
      [{ feature: 'age_days', edges: [10, 100], proportions: [0.2, 0.5, 0.3] }],
      { age_days: [5, 50, 60, 70, 80, 150, 200, 300, 400, 500] },
      0.25,
    );
    await recordDecisions(h.db, 31337, 'epoch:1', [decision]);
    const changed = (await (await fetch(`${server.url}/api/dashboard/sections?have=${encodeURIComponent(have)}`)).json()) as SectionsAnswer;
    expect(changed.sections.map((s) => s.id)).toEqual(['guards']);
    const guards = changed.sections[0]!.html;
    expect(guards).toContain('Credit epoch <strong data-drift="epoch">1</strong>');
    expect(guards).toMatch(/aria-label="PSI per credit feature of epoch 1[^"]*"><svg/);
    expect(guards).toContain('Feature drift of epoch 1 (PSI against the training rows)');
    const s = (await (await fetch(`${server.url}/api/dashboard`)).json()) as DashboardSnapshot;
    expect(s.drift).toMatchObject({
      subject: 'epoch:1',
      decision: decision.decision,
      reason: decision.reason,
      threshold: 0.25,
      psi: (decision.details as { psi: Record<string, number> }).psi,
    });
  });

  it('reads once for many readers at the same time', async () => {
    const before = reads;
    await Promise.all([dashboard.view(), dashboard.view(), dashboard.view()]);
    expect(reads - before).toBe(1);
  });

  it('says what failed when the chain cannot be read, and recovers', async () => {
    state.down = 'connect ECONNREFUSED 127.0.0.1:8545 <b>';
    const res = await page();
    expect(res.res.status).toBe(503);
    expect(res.html).toContain('the dashboard could not read the chain or the database: connect ECONNREFUSED 127.0.0.1:8545 &lt;b&gt;');
    const api = await fetch(`${server.url}/api/dashboard/sections`);
    expect(api.status).toBe(503);
    expect(((await api.json()) as { error: string }).error).toMatch(/ECONNREFUSED/);
    state.down = undefined;
    expect((await page()).res.status).toBe(200);
  });
});
