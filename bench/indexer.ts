import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { JsonRpcProvider } from 'ethers';
import { migrate, openDatabase, startAnvil, type DatabaseHandle } from '../core';
import { feedMap, fetchFinalized, logFilter } from '../indexer/rpc/fetch';
import { LOGS_PER_RANGE, runIndexer } from '../indexer/rpc/runner';
import { runSubgraphIndexer } from '../indexer/subgraph';
import { startGraphqlServer } from '../indexer/testing/graphql-server';
import { EMITTER_CODE } from '../indexer/testing/emitter';
import { emitRandomActivity, fakeMarket, rng, type FakeMarket } from '../indexer/testing/market';
import { startTestChain } from '../indexer/testing/setup';
import { DEFAULT_COUNTS, eventCount, generateFixtures } from '../indexer/testing/subgraph-fixtures';
import { benchCacheDir, emitFigures, freshPostgres, progress, timed } from './lib';

/**
 * Indexer throughput, measured in one run on one machine:
 * - the chain: at least `--events` Aave V3 events (Pool events from `--wallets` wallets, feed answers,
 *   collateral configuration changes) on anvil, generated once with pipelined transactions (automine: one block
 *   per transaction) and cached as an anvil state dump, keyed by the generator's parameters (`benchCacheDir`);
 *   later runs load the dump (`anvil --load-state`), blocks, hashes and logs included;
 * - floor: raw `eth_getLogs` + decoding of the whole chain, no database (what no indexer can beat);
 * - the RPC indexer (`runIndexer`, positions derived as in production) into PGlite (a file data dir) and, when
 *   DATABASE_URL is set, into Postgres (a fresh schema, dropped afterwards), sequential and with `--workers`
 *   range workers; each as events/s and as a ratio to the floor;
 * - the subgraph indexer against the local GraphQL server (no rate limit), events + prices per second.
 * Options: --events N (default 200 000), --events-per-tx N (default 25), --wallets N (default 2 000),
 * --workers N (default 4; 0 skips that run), --no-pglite, --json (figures only as the last line).
 */
const arg = (name: string, fallback: number, min = 1): number => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isSafeInteger(v) || v < min)
    throw new Error(`bench:indexer: --${name} must be a whole number ≥ ${min} (got ${process.argv[i + 1]})`);
  return v;
};

const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

/** Bumped whenever the generator changes what it emits: the cached chains of older versions are not reused. */
const GENERATOR_VERSION = 1;

interface BenchChain {
  provider: JsonRpcProvider;
  chainId: number;
  market: FakeMarket;
  events: number;
  head: number;
  /** Seconds spent generating (fresh) or loading (cached). */
  seconds: number;
  cached: boolean;
  stop(): Promise<void>;
}

interface ChainMeta {
  events: number;
  head: number;
}

/** The benchmark chain: loaded from the cache, or generated (and cached) when absent. */
async function benchChain(plan: { events: number; eventsPerTx: number; wallets: number }): Promise<BenchChain> {
  const started = Date.now();
  const dir = benchCacheDir('bench-indexer', { version: GENERATOR_VERSION, seed: 42, ...plan, emitter: EMITTER_CODE });
  const stateFile = path.join(dir, 'state.json');
  const metaFile = path.join(dir, 'meta.json');
  const market = fakeMarket({ wallets: plan.wallets });
  if (existsSync(stateFile) && existsSync(metaFile)) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as ChainMeta;
    progress(`loading the cached chain (${meta.events} events, ${meta.head} blocks) from ${dir}...`);
    const anvil = await startAnvil({ args: ['--load-state', stateFile], startTimeoutMs: 600_000 });
    const provider = new JsonRpcProvider(anvil.rpcUrl, anvil.chainId, { staticNetwork: true, batchMaxCount: 1 });
    const head = await provider.getBlockNumber();
    if (head !== meta.head)
      throw new Error(`bench:indexer: the cached chain in ${dir} has head ${head}, not ${meta.head}: delete the folder`);
    const stop = async (): Promise<void> => {
      provider.destroy();
      await anvil.stop();
    };
    return { provider, chainId: anvil.chainId, market, ...meta, seconds: (Date.now() - started) / 1000, cached: true, stop };
  }
  const chain = await startTestChain({ wallets: plan.wallets });
  const random = rng(42);
  let events = 0;
  const CHUNK = 500; // transactions per call: progress lines, and a bounded set of receipts to wait for
  while (events < plan.events) {
    const txs = Math.max(1, Math.min(CHUNK, Math.ceil((plan.events - events) / (0.8 * plan.eventsPerTx))));
    events += await emitRandomActivity(chain.provider, chain.from, chain.market, random, {
      txs,
      eventsPerTx: plan.eventsPerTx,
      inFlight: 64,
    });
    progress(`  generated ${events} / ${plan.events} events (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  const head = await chain.provider.getBlockNumber();
  // anvil_dumpState answers gzipped JSON (hex), blocks and receipts included; --load-state reads the JSON
  const dump = (await chain.provider.send('anvil_dumpState', [])) as string;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${stateFile}.tmp`, gunzipSync(Buffer.from(dump.slice(2), 'hex')));
  renameSync(`${stateFile}.tmp`, stateFile);
  writeFileSync(metaFile, JSON.stringify({ events, head } satisfies ChainMeta));
  return {
    provider: chain.provider,
    chainId: chain.anvil.chainId,
    market: chain.market,
    events,
    head,
    seconds: (Date.now() - started) / 1000,
    cached: false,
    stop: () => chain.stop(),
  };
}

async function main(): Promise<void> {
  const plan = { events: arg('events', 200_000), eventsPerTx: arg('events-per-tx', 25), wallets: arg('wallets', 2_000) };
  const workers = arg('workers', 4, 0);
  const started = Date.now();
  const chain = await benchChain(plan);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-indexer-'));
  const handles: DatabaseHandle[] = [];
  try {
    const { events, head, provider, market } = chain;
    progress(`${events} events in ${head} blocks (${chain.cached ? 'loaded' : 'generated'} in ${chain.seconds.toFixed(1)} s)`);

    // floor: the indexer's own read + decode path, 4 ranges in flight, nothing written; each answer about as large
    // as the indexer's adaptive ranges settle at (LOGS_PER_RANGE): larger answers are slower per log (ethers
    // gathers a response body by copying it whole at every chunk), which would flatter the ratios
    const blocksPerRange = Math.max(1, Math.min(2_000, Math.floor((LOGS_PER_RANGE * (head + 1)) / events)));
    const fetchOptions = {
      rpc: provider,
      filter: logFilter(market.addresses),
      chainId: chain.chainId,
      feeds: feedMap(market.addresses),
      concurrency: 4,
    };
    const readAll = async (): Promise<number> => {
      let next = 0;
      let logs = 0;
      const reader = async (): Promise<void> => {
        while (next <= head) {
          const from = next;
          next += blocksPerRange;
          const fetched = await fetchFinalized(fetchOptions, from, Math.min(head, from + blocksPerRange - 1));
          logs += fetched.logs; // not `logs += await ...`: that reads `logs` before the await, and loses counts
        }
      };
      await Promise.all(Array.from({ length: 4 }, reader));
      return logs;
    };
    // best of two: the first pass also pays for JIT warm-up and connection set-up, which would flatter the ratios
    let floor = await timed(readAll);
    const again = await timed(readAll);
    if (again.seconds < floor.seconds) floor = again;
    if (floor.result !== events) throw new Error(`the floor read ${floor.result} logs, not the ${events} emitted`);
    const floorEventsPerSec = events / floor.seconds;
    progress(
      `floor (eth_getLogs + decode, ${blocksPerRange}-block ranges): ${floor.seconds.toFixed(2)} s, ${floorEventsPerSec.toFixed(0)} events/s`,
    );

    const indexInto = async (label: string, handle: DatabaseHandle, n?: number): Promise<{ seconds: number; eventsPerSec: number }> => {
      const run = await timed(() => runIndexer({ db: handle, provider, addresses: market.addresses, fromBlock: 0, workers: n }));
      if (run.result.logs !== events) throw new Error(`${label}: indexed ${run.result.logs} logs, not the ${events} emitted`);
      const eventsPerSec = events / run.seconds;
      progress(
        `${label}: ${run.seconds.toFixed(2)} s, ${eventsPerSec.toFixed(0)} events/s (${((100 * eventsPerSec) / floorEventsPerSec).toFixed(0)} % of the floor)`,
      );
      return { seconds: run.seconds, eventsPerSec };
    };

    let pgliteRun: { seconds: number; eventsPerSec: number } | undefined;
    const pglite = await openDatabase({ dataDir: path.join(dataDir, 'pglite') });
    handles.push(pglite);
    await migrate(pglite.db);
    if (process.argv.includes('--no-pglite')) progress('PGlite: skipped (--no-pglite)');
    else pgliteRun = await indexInto('PGlite (file)', pglite);

    let postgresRun: { seconds: number; eventsPerSec: number } | undefined;
    let workersRun: { seconds: number; eventsPerSec: number } | undefined;
    const url = process.env.DATABASE_URL;
    if (url) {
      const pg = await freshPostgres(url, 'bench', Math.max(8, workers + 2));
      handles.push(pg);
      postgresRun = await indexInto('Postgres', pg);
      if (workers > 0) {
        const pgw = await freshPostgres(url, 'bench', Math.max(8, workers + 2));
        handles.push(pgw);
        workersRun = await indexInto(`Postgres, ${workers} range workers`, pgw, workers);
      }
    } else {
      progress('Postgres: skipped (set DATABASE_URL to measure it)');
    }

    // the subgraph source, into the same PGlite (another chain id: no overlap with the RPC rows)
    const fixtures = generateFixtures(42, DEFAULT_COUNTS);
    const server = await startGraphqlServer(fixtures);
    let subgraph: { seconds: number; items: number; eventsPerSec: number; requests: number };
    try {
      const items = eventCount(fixtures) + fixtures.priceHistoryItems.length;
      const run = await timed(() =>
        runSubgraphIndexer({ db: pglite, endpoint: server.url, chainId: 1, name: 'bench', requestsPerSecond: 10_000 }),
      );
      subgraph = { seconds: run.seconds, items, eventsPerSec: items / run.seconds, requests: run.result.requests };
    } finally {
      await server.close();
    }
    progress(`subgraph → PGlite: ${subgraph.items} items in ${subgraph.seconds.toFixed(2)} s, ${subgraph.eventsPerSec.toFixed(0)} items/s`);

    const figures = (run: { seconds: number; eventsPerSec: number } | undefined) =>
      run
        ? { seconds: round(run.seconds), eventsPerSec: round(run.eventsPerSec, 0), ratio: round(run.eventsPerSec / floorEventsPerSec) }
        : undefined;
    const lite = figures(pgliteRun);
    const pgs = figures(postgresRun);
    const pgw = figures(workersRun);
    emitFigures({
      events,
      blocks: head,
      chainCached: chain.cached,
      chainSeconds: round(chain.seconds, 1),
      floorBlocksPerRange: blocksPerRange,
      floorSeconds: round(floor.seconds),
      floorEventsPerSec: round(floorEventsPerSec, 0),
      pgliteSeconds: lite?.seconds ?? null,
      pgliteEventsPerSec: lite?.eventsPerSec ?? null,
      ratioPglite: lite?.ratio ?? null,
      postgresSeconds: pgs?.seconds ?? null,
      postgresEventsPerSec: pgs?.eventsPerSec ?? null,
      postgresWorkers: pgw ? workers : null,
      postgresWorkersSeconds: pgw?.seconds ?? null,
      postgresWorkersEventsPerSec: pgw?.eventsPerSec ?? null,
      ratioPostgresWorkers: pgw?.ratio ?? null,
      subgraphItems: subgraph.items,
      subgraphSeconds: round(subgraph.seconds),
      subgraphItemsPerSec: round(subgraph.eventsPerSec, 0),
      subgraphRequests: subgraph.requests,
      totalSeconds: round((Date.now() - started) / 1000, 1),
      ratioPostgres: pgs?.ratio ?? null,
    });
  } finally {
    for (const h of handles) await h.close();
    await chain.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:indexer failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
