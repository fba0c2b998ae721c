import type { Command } from 'commander';
import { UserError } from '../../core';
import { runSubgraphIndexer, SUBGRAPH_ENTITIES, type SubgraphEntity } from '../../indexer/subgraph';
import { commandContext, withDatabase } from '../context';
import { createStepReporter } from '../progress';
import { wholeFlag } from './chain-id';

interface SubgraphFlags {
  url?: string;
  chainId?: string;
  name: string;
  entities?: string[];
  fromTimestamp?: string;
  rps: string;
}

/**
 * `risk-oracle index-subgraph`: an Aave-V3-shaped subgraph into the same tables the RPC indexer writes. The
 * endpoint and API key come from the config (`subgraph.url`, `subgraph.apiKey`, env RISK_ORACLE_SUBGRAPH_URL and
 * …_API_KEY) or `--url`; the key is never printed. Resumes from its per-entity cursors; Ctrl-C stops between pages.
 */
export function registerIndexSubgraph(program: Command): void {
  program
    .command('index-subgraph')
    .description(
      'index an Aave-V3-shaped subgraph (supplies, borrows, repays, redeems, liquidations, price history, reserves); resumes by cursor',
    )
    .option('--url <url>', 'subgraph endpoint (default: subgraph.url in the config)')
    .option('--chain-id <n>', 'the chain the subgraph indexes (default: chain.chainId in the config)')
    .option('--name <name>', 'checkpoint name, one per subgraph', 'aave-v3')
    .option('--entities <names...>', `only these lists (${SUBGRAPH_ENTITIES.join(', ')})`)
    .option('--from-timestamp <unix>', 'on a first run, skip entities at or before this time')
    .option('--rps <n>', 'requests per second at most', '5')
    .action(async (opts: SubgraphFlags, command: Command) => {
      const ctx = commandContext(command);
      const endpoint = opts.url ?? ctx.config.subgraph.url;
      if (!endpoint)
        throw new UserError('index-subgraph needs an endpoint: --url URL, subgraph.url in the config, or RISK_ORACLE_SUBGRAPH_URL');
      const chainId = wholeFlag(opts.chainId, '--chain-id') ?? ctx.config.chain.chainId;
      if (chainId === undefined) throw new UserError('index-subgraph needs the chain the subgraph indexes: --chain-id N or chain.chainId');
      const unknown = opts.entities?.find((e) => !(SUBGRAPH_ENTITIES as readonly string[]).includes(e));
      if (unknown) throw new UserError(`--entities: unknown list ${JSON.stringify(unknown)} (known: ${SUBGRAPH_ENTITIES.join(', ')})`);
      const rps = Number(opts.rps);
      if (!(rps > 0)) throw new UserError(`--rps must be a positive number, got ${JSON.stringify(opts.rps)}`);
      const progress = createStepReporter({ quiet: ctx.json });
      const abort = new AbortController();
      const stop = (): void => abort.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        const result = await withDatabase(ctx, (h) =>
          progress.step(`indexing subgraph ${opts.name} into chain ${chainId}`, () =>
            runSubgraphIndexer({
              db: h,
              endpoint,
              apiKey: ctx.config.subgraph.apiKey,
              chainId,
              name: opts.name,
              pageSize: ctx.config.subgraph.pageSize,
              requestsPerSecond: rps,
              signal: abort.signal,
              logger: ctx.log,
              ...(opts.entities ? { entities: opts.entities as SubgraphEntity[] } : {}),
              ...(opts.fromTimestamp === undefined ? {} : { fromTimestamp: wholeFlag(opts.fromTimestamp, '--from-timestamp', 0)! }),
              onPage: (p) => progress.note(`${p.entity}: ${p.items} item(s), up to ${new Date(p.cursor.timestamp * 1000).toISOString()}`),
            }),
          ),
        );
        const read = Object.entries(result.items)
          .filter(([, n]) => n > 0)
          .map(([entity, n]) => `${entity} ${n}`);
        ctx.print(
          `subgraph ${opts.name} → chain ${chainId}: ${read.length ? read.join(', ') : 'nothing new'}; ${result.assets} reserve(s), ${result.pages} page(s), ${result.requests} request(s), ${result.retries} retr${result.retries === 1 ? 'y' : 'ies'}${result.aborted ? '; stopped early (resumes from here)' : ''}`,
          { chainId, name: opts.name, ...result },
        );
      } finally {
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
      }
    });
}
