import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startGraphqlServer, type GraphqlServer } from '../indexer/testing/graphql-server';
import { eventCount, generateFixtures, type SubgraphFixtures } from '../indexer/testing/subgraph-fixtures';
import { cli, cliDatabase, cliJson } from './testing';

const API_KEY = 'sk-cli-test-7d1e55c2a9';
const COUNTS = { supplies: 120, redeemUnderlyings: 20, borrows: 50, repays: 30, liquidationCalls: 6, priceHistoryItems: 40 };

describe(`risk-oracle index-subgraph (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ro-index-subgraph-'));
  let database: Awaited<ReturnType<typeof cliDatabase>>;
  let server: GraphqlServer;
  let fixtures: SubgraphFixtures;
  let env: Record<string, string>;

  const subgraphEvents = async (): Promise<number> => {
    const h = await database.open();
    try {
      const events = await h.db
        .selectFrom('lending_events')
        .where('chain_id', '=', 1)
        .where('source', '=', 'subgraph')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(events.n);
    } finally {
      await h.close();
    }
  };

  beforeAll(async () => {
    fixtures = generateFixtures(3, COUNTS);
    [database, server] = await Promise.all([cliDatabase(dir), startGraphqlServer(fixtures, { apiKey: API_KEY })]);
    env = { ...database.env, RISK_ORACLE_SUBGRAPH_URL: server.url, RISK_ORACLE_SUBGRAPH_API_KEY: API_KEY };
  });
  afterAll(async () => {
    await server?.close();
    await database?.close();
  });

  it('indexes every list from the configured endpoint, then resumes with nothing new; the key is never printed', async () => {
    const first = await cli(['index-subgraph', '--chain-id', '1', '--rps', '1000', '--json'], env);
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
    expect(first.stdout + first.stderr).not.toContain(API_KEY);
    const result = JSON.parse(first.stdout.trim().split('\n').pop()!) as { items: Record<string, number>; assets: number };
    expect(result.items).toEqual(COUNTS);
    expect(result.assets).toBe(fixtures.reserves.length);
    expect(await subgraphEvents()).toBe(eventCount(fixtures));
    // a rerun re-reads only each list's last timestamp (blocks may share one), and stores nothing twice
    const again = await cliJson(['index-subgraph', '--chain-id', '1', '--rps', '1000'], env);
    const atLastTimestamp = Object.fromEntries(
      Object.keys(COUNTS).map((list) => {
        const items = fixtures[list as keyof typeof COUNTS] as Array<{ timestamp: number }>;
        const last = Math.max(...items.map((i) => i.timestamp));
        return [list, items.filter((i) => i.timestamp === last).length];
      }),
    );
    expect(again.items).toEqual(atLastTimestamp);
    expect(await subgraphEvents()).toBe(eventCount(fixtures));
  });

  it('refuses a missing endpoint or chain, an unknown list, and a wrong key with messages that name what is wrong', async () => {
    const { RISK_ORACLE_SUBGRAPH_URL: _url, ...noUrl } = env;
    expect((await cli(['index-subgraph', '--chain-id', '1'], noUrl)).stderr).toContain('needs an endpoint');
    expect((await cli(['index-subgraph', '--entities', 'swaps', '--chain-id', '1'], env)).stderr).toContain('unknown list "swaps"');
    const wrong = await cli(['index-subgraph', '--chain-id', '1', '--name', 'other'], {
      ...env,
      RISK_ORACLE_SUBGRAPH_API_KEY: 'sk-wrong-key-000',
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('refused the API key');
    expect(wrong.stderr).not.toContain('sk-wrong-key-000');
  });
});
