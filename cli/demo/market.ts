import type { JsonRpcProvider } from 'ethers';
import { sql } from 'kysely';
import type { AssetKind, DatabaseHandle, NewRow } from '../../core';
import type { Deployment } from '../../contracts';
import { aTokensOf, runIndexer, type IndexerResult } from '../../indexer';
import {
  chainMarketOf,
  emptyEventCounts,
  planAgents,
  pricePath,
  replaySteps,
  runChainSimulation,
  type AgentPlan,
  type ChainSimulationResult,
  type PoolEventKind,
} from '../../sim';

/**
 * The demo's on-chain market: borrower agents with hidden types and a liquidation bot on the deployment's Aave V3
 * market over the demo's price path (sim/market-chain.ts), then the project's RPC indexer over the demo's own
 * chain, as `risk-oracle index` runs it.
 */

const kindOf = (symbol: string): AssetKind => {
  if (symbol.includes('ETH')) return 'eth';
  if (symbol.includes('BTC')) return 'btc';
  if (['USDC', 'USDT', 'DAI'].includes(symbol)) return 'stable';
  return 'volatile';
};

export interface DemoMarket {
  agents: AgentPlan[];
  /** The reserves as the agents borrowed on them: symbol, LTV and liquidation threshold (fractions) at the start. */
  reserves: Array<{ symbol: string; ltv: number; liquidationThreshold: number }>;
  result: ChainSimulationResult;
}

/** Plans `wallets` agents over the price series and plays them, with the bot, on the local chain. */
export async function runDemoMarket(options: {
  deployment: Deployment;
  rpcUrl: string;
  priceAdmin: string;
  series: Record<string, ReadonlyArray<{ t: number; p: number }>>;
  wallets: number;
  seed: number;
}): Promise<DemoMarket> {
  const market = await chainMarketOf(options.deployment.market);
  const path = pricePath(options.series);
  const steps = replaySteps(path, { everySeconds: 12 * 3_600, move: 0.08 });
  const agents = planAgents(path, steps, { seed: options.seed, count: options.wallets, reserves: market.reserves });
  const result = await runChainSimulation({
    rpcUrl: options.rpcUrl,
    market,
    path,
    steps,
    agents,
    priceAdmin: options.priceAdmin,
    seed: options.seed,
  });
  const reserves = market.reserves.map((r) => ({
    symbol: r.symbol,
    ltv: r.ltv / 10_000,
    liquidationThreshold: r.liquidationThreshold / 10_000,
  }));
  return { agents, reserves, result };
}

export interface DemoIndex {
  indexer: Pick<IndexerResult, 'lastBlock' | 'batches' | 'logs'>;
  /** Lending events the indexer stored from the simulation's blocks, by kind. */
  events: Record<PoolEventKind, number>;
  /** Price answers it stored from the feeds. */
  prices: number;
  seconds: number;
}

/** Indexes the demo's chain from the deployment's block to the head: Pool, PoolConfigurator and the price feeds. */
export async function indexDemoChain(options: {
  db: DatabaseHandle;
  provider: JsonRpcProvider;
  deployment: Deployment;
  chainId: number;
  /** The simulation's blocks, for the counts. */
  blocks: { from: number; to: number };
}): Promise<DemoIndex> {
  const started = Date.now();
  const { deployment: d, chainId } = options;
  await sql`insert into chains (chain_id, name) values (${chainId}, ${'demo (anvil)'}) on conflict do nothing`.execute(options.db.db);
  const assets: Array<NewRow<'assets'>> = d.market.reserves.map((r) => ({
    chain_id: chainId,
    address: r.address.toLowerCase(),
    symbol: r.symbol,
    decimals: r.decimals,
    kind: kindOf(r.symbol),
    price_feed: String(r.aggregator.target).toLowerCase(),
  }));
  const indexer = await runIndexer({
    db: options.db,
    provider: options.provider,
    addresses: {
      pool: String(d.market.pool.target),
      configurator: String(d.market.configurator.target),
      feeds: Object.fromEntries(d.market.reserves.map((r) => [String(r.aggregator.target), r.address])),
      // aToken transfers move supply between wallets (and a liquidation for aTokens pays through one)
      aTokens: await aTokensOf(
        options.provider,
        String(d.market.pool.target),
        d.market.reserves.map((r) => r.address),
      ),
    },
    assets,
    chainId,
    fromBlock: d.block,
    // a local chain: every block is final
    finalityDepth: 0,
    blockRange: 5_000,
    maxBlockRange: 20_000,
  });
  const rows = await options.db.db
    .selectFrom('lending_events')
    .select(['kind', (eb) => eb.fn.countAll<string>().as('n')])
    .where('chain_id', '=', chainId)
    .where('source', '=', 'rpc')
    .where('block_number', '>=', options.blocks.from)
    .where('block_number', '<=', options.blocks.to)
    .groupBy('kind')
    .execute();
  const events = emptyEventCounts();
  for (const r of rows) if (r.kind in events) events[r.kind as PoolEventKind] = Number(r.n);
  const prices = await options.db.db
    .selectFrom('price_points')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('chain_id', '=', chainId)
    .where('source', '=', 'chainlink')
    .executeTakeFirstOrThrow();
  return {
    indexer: { lastBlock: indexer.lastBlock, batches: indexer.batches, logs: indexer.logs },
    events,
    prices: Number(prices.n),
    seconds: (Date.now() - started) / 1000,
  };
}
