import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, graphql } from 'graphql';
import type { SubgraphFixtures } from './subgraph-fixtures';

/**
 * A tiny stand-in for a graph-node endpoint (graphql-yoga needs Node 22): the part of Aave's v3 subgraph schema
 * the indexer reads, with graph-node's list arguments (`first` ≤ 1000, `skip`, `where`, `orderBy`,
 * `orderDirection`; ties ordered by `id`, as graph-node does), served over node:http on 127.0.0.1.
 */
const EVENT_LISTS = ['supplies', 'redeemUnderlyings', 'borrows', 'repays', 'liquidationCalls', 'priceHistoryItems'] as const;

const SDL = /* GraphQL */ `
  scalar BigInt
  scalar Bytes
  enum OrderDirection {
    asc
    desc
  }
  enum Entity_orderBy {
    id
    timestamp
  }
  input Entity_filter {
    id_gt: ID
    timestamp: Int
    timestamp_gt: Int
    timestamp_gte: Int
  }
  type User {
    id: ID!
  }
  type PriceOracleAsset {
    id: ID!
    priceSource: Bytes!
  }
  type Reserve {
    id: ID!
    underlyingAsset: Bytes!
    symbol: String!
    name: String!
    decimals: Int!
    usageAsCollateralEnabled: Boolean!
    price: PriceOracleAsset!
  }
  type Supply {
    id: ID!
    txHash: Bytes!
    user: User!
    caller: User!
    reserve: Reserve!
    amount: BigInt!
    timestamp: Int!
  }
  type RedeemUnderlying {
    id: ID!
    txHash: Bytes!
    user: User!
    to: User!
    reserve: Reserve!
    amount: BigInt!
    timestamp: Int!
  }
  type Borrow {
    id: ID!
    txHash: Bytes!
    user: User!
    caller: User!
    reserve: Reserve!
    amount: BigInt!
    borrowRateMode: Int!
    timestamp: Int!
  }
  type Repay {
    id: ID!
    txHash: Bytes!
    user: User!
    repayer: User!
    reserve: Reserve!
    amount: BigInt!
    useATokens: Boolean!
    timestamp: Int!
  }
  type LiquidationCall {
    id: ID!
    txHash: Bytes!
    user: User!
    collateralReserve: Reserve!
    collateralAmount: BigInt!
    principalReserve: Reserve!
    principalAmount: BigInt!
    liquidator: Bytes!
    timestamp: Int!
  }
  type PriceHistoryItem {
    id: ID!
    asset: PriceOracleAsset!
    price: BigInt!
    timestamp: Int!
  }
  type Query {
    reserves(first: Int = 100, skip: Int = 0, where: Entity_filter, orderBy: Entity_orderBy, orderDirection: OrderDirection): [Reserve!]!
    supplies(first: Int = 100, skip: Int = 0, where: Entity_filter, orderBy: Entity_orderBy, orderDirection: OrderDirection): [Supply!]!
    redeemUnderlyings(
      first: Int = 100
      skip: Int = 0
      where: Entity_filter
      orderBy: Entity_orderBy
      orderDirection: OrderDirection
    ): [RedeemUnderlying!]!
    borrows(first: Int = 100, skip: Int = 0, where: Entity_filter, orderBy: Entity_orderBy, orderDirection: OrderDirection): [Borrow!]!
    repays(first: Int = 100, skip: Int = 0, where: Entity_filter, orderBy: Entity_orderBy, orderDirection: OrderDirection): [Repay!]!
    liquidationCalls(
      first: Int = 100
      skip: Int = 0
      where: Entity_filter
      orderBy: Entity_orderBy
      orderDirection: OrderDirection
    ): [LiquidationCall!]!
    priceHistoryItems(
      first: Int = 100
      skip: Int = 0
      where: Entity_filter
      orderBy: Entity_orderBy
      orderDirection: OrderDirection
    ): [PriceHistoryItem!]!
  }
`;

interface ListArgs {
  first: number;
  skip: number;
  where?: { id_gt?: string; timestamp?: number; timestamp_gt?: number; timestamp_gte?: number } | null;
  orderBy?: 'id' | 'timestamp' | null;
  orderDirection?: 'asc' | 'desc' | null;
}
type Entity = { id: string; timestamp?: number };

/** graph-node's list semantics over an in-memory array. */
export function listEntities<T extends Entity>(items: readonly T[], args: ListArgs): T[] {
  if (args.first > 1000) throw new Error('The `first` argument must be between 0 and 1000, but is ' + args.first);
  const w = args.where ?? {};
  const kept = items.filter(
    (e) =>
      (w.id_gt == null || e.id > w.id_gt) &&
      (w.timestamp == null || e.timestamp === w.timestamp) &&
      (w.timestamp_gt == null || (e.timestamp ?? 0) > w.timestamp_gt) &&
      (w.timestamp_gte == null || (e.timestamp ?? 0) >= w.timestamp_gte),
  );
  const by = args.orderBy ?? 'id';
  const sign = args.orderDirection === 'desc' ? -1 : 1;
  const cmpId = (a: Entity, b: Entity): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  kept.sort((a, b) => (by === 'timestamp' ? sign * ((a.timestamp ?? 0) - (b.timestamp ?? 0)) || cmpId(a, b) : sign * cmpId(a, b)));
  return kept.slice(args.skip, args.skip + args.first);
}

export interface GraphqlServerOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (as The Graph's gateway takes it). */
  apiKey?: string;
}

export interface GraphqlServer {
  url: string;
  /** Requests answered so far (faults included). */
  readonly requests: number;
  /** The next requests answer these HTTP statuses (429, 500, 503...) instead of data, in order. */
  failNext(...statuses: number[]): void;
  /** Replaces the served data (e.g. to serve a malformed value). */
  setFixtures(fixtures: SubgraphFixtures): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function startGraphqlServer(fixtures: SubgraphFixtures, options: GraphqlServerOptions = {}): Promise<GraphqlServer> {
  const schema = buildSchema(SDL);
  let data = fixtures;
  let requests = 0;
  const faults: number[] = [];
  const rootValue = (): Record<string, (args: ListArgs) => Entity[]> => {
    const root: Record<string, (args: ListArgs) => Entity[]> = { reserves: (args) => listEntities(data.reserves, args) };
    for (const list of EVENT_LISTS) root[list] = (args) => listEntities<Entity>(data[list], args);
    return root;
  };

  const server = createServer((req, res) => {
    void (async () => {
      requests++;
      const body = await readBody(req);
      const fault = faults.shift();
      if (fault !== undefined) return send(res, fault, { errors: [{ message: `injected HTTP ${fault}` }] });
      if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
        return send(res, 401, { errors: [{ message: 'auth error: malformed or unknown API key' }] });
      }
      if (req.method !== 'POST') return send(res, 405, { errors: [{ message: 'POST a GraphQL request' }] });
      let parsed: { query?: string; variables?: Record<string, unknown> };
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        return send(res, 400, { errors: [{ message: 'body is not JSON' }] });
      }
      const result = await graphql({ schema, source: parsed.query ?? '', rootValue: rootValue(), variableValues: parsed.variables });
      send(res, 200, result);
    })().catch((err: unknown) => send(res, 500, { errors: [{ message: String(err) }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/subgraphs/name/aave/protocol-v3`,
    get requests() {
      return requests;
    },
    failNext: (...statuses) => faults.push(...statuses),
    setFixtures: (f) => {
      data = f;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
