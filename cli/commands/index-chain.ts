import type { Command } from 'commander';
import type { ContractRunner } from 'ethers';
import { connectProvider, UserError, type AssetKind, type NewRow } from '../../core';
import { aTokensOf, runIndexer, type IndexerAddresses } from '../../indexer';
import { commandContext, withDatabase } from '../context';
import { readDeployment } from '../deployment';
import { createStepReporter } from '../progress';

export interface IndexDeployment {
  chainId: number;
  block: number;
  addresses: IndexerAddresses;
  assets: Array<NewRow<'assets'>>;
}

const kindOf = (symbol: string): AssetKind => {
  const s = symbol.toUpperCase();
  if (s.includes('ETH')) return 'eth';
  if (s.includes('BTC')) return 'btc';
  if (['USDC', 'USDT', 'DAI', 'GHO', 'LUSD', 'FRAX', 'USDS'].includes(s)) return 'stable';
  return 'volatile';
};

/** Pool, configurator, price feeds (aggregator → reserve), our own contracts and reserve metadata from a deployment JSON. */
export function indexDeployment(file: string): IndexDeployment {
  const d = readDeployment(file);
  return {
    chainId: d.chainId,
    block: d.block,
    addresses: {
      pool: d.aave.pool,
      configurator: d.aave.poolConfigurator,
      feeds: Object.fromEntries(d.aave.reserves.map((r) => [r.aggregator, r.address])),
      oracle: { risk_oracle: d.riskOracle, risk_steward: d.riskSteward, credit_registry: d.creditScoreRegistry },
    },
    assets: d.aave.reserves.map((r) => ({
      chain_id: d.chainId,
      address: r.address.toLowerCase(),
      symbol: r.symbol,
      decimals: r.decimals,
      kind: kindOf(r.symbol),
      price_feed: r.aggregator.toLowerCase(),
    })),
  };
}

/** The deployment's addresses with its reserves' aTokens, read from the Pool: their transfers move supply between wallets. */
export async function withATokens(runner: ContractRunner, index: IndexDeployment): Promise<IndexerAddresses> {
  const aTokens = await aTokensOf(
    runner,
    index.addresses.pool,
    index.assets.map((a) => a.address),
  );
  return { ...index.addresses, aTokens };
}

const block = (value: string | undefined, flag: string): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new UserError(`${flag} must be a block number, got ${JSON.stringify(value)}`);
  return n;
};

export function registerIndex(program: Command): void {
  program
    .command('index')
    .description('index Aave Pool / PoolConfigurator events and price feeds of a deployment into the database (resumes at its checkpoint)')
    .option('--from-block <n>', "first block (default: the deployment's block; a checkpoint above it wins)")
    .option('--to-block <n>', 'last block (default: the head)')
    .option('--follow', 'keep indexing new blocks until interrupted (Ctrl-C)')
    .option(
      '--workers <n>',
      'Postgres: n workers claim block ranges (FOR UPDATE SKIP LOCKED), with those of other processes run with --workers on the same database; PGlite: one worker',
    )
    .action(async (opts: { fromBlock?: string; toBlock?: string; follow?: boolean; workers?: string }, command: Command) => {
      const ctx = commandContext(command);
      const file = ctx.config.chain.deployment;
      if (!file) throw new UserError('index needs a deployment file: --deployment FILE (written by chain deploy) or chain.deployment');
      const deployment = indexDeployment(file);
      const fromBlock = block(opts.fromBlock, '--from-block') ?? deployment.block;
      const toBlock = block(opts.toBlock, '--to-block');
      if (toBlock !== undefined && toBlock < fromBlock) throw new UserError(`--to-block ${toBlock} is before --from-block ${fromBlock}`);
      const workers = opts.workers === undefined ? undefined : Number(opts.workers);
      if (workers !== undefined && (!Number.isSafeInteger(workers) || workers < 1))
        throw new UserError(`--workers must be a whole number ≥ 1, got ${JSON.stringify(opts.workers)}`);
      const progress = createStepReporter({ quiet: ctx.json });
      const provider = await connectProvider(ctx.config.chain.rpcUrl, {
        timeoutMs: ctx.config.chain.timeoutMs,
        retries: ctx.config.chain.retries,
        chainId: ctx.config.chain.chainId,
      });
      const abort = new AbortController();
      const stop = (): void => abort.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        const chainId = Number((await provider.getNetwork()).chainId);
        if (chainId !== deployment.chainId)
          throw new UserError(`deployment ${file} is for chain ${deployment.chainId}; the RPC is chain ${chainId}`);
        const cfg = ctx.config.indexer;
        const addresses = await withATokens(provider, deployment);
        const result = await withDatabase(ctx, (h) =>
          progress.step(`indexing chain ${chainId} from block ${fromBlock}${toBlock === undefined ? '' : ` to ${toBlock}`}`, () =>
            runIndexer({
              db: h,
              provider,
              addresses,
              assets: deployment.assets,
              chainId,
              fromBlock,
              toBlock,
              follow: opts.follow === true,
              signal: abort.signal,
              finalityDepth: cfg.finalityDepth,
              blockRange: cfg.blockRange,
              maxBlockRange: cfg.maxBlockRange,
              concurrency: cfg.concurrency,
              pollIntervalMs: cfg.pollIntervalMs,
              workers,
              leaseMs: cfg.leaseMs,
              logger: ctx.log,
              onBatch: (b) => progress.note(`blocks ${b.from}–${b.to}: ${b.logs} log(s)`),
            }),
          ),
        );
        ctx.print(
          `chain ${chainId}: ${result.lastBlock === undefined ? 'nothing new' : `up to block ${result.lastBlock}`}, ${result.batches} batch(es), ${result.logs} log(s), ${result.reorgs.length} reorg(s)`,
          {
            chainId,
            fromBlock,
            lastBlock: result.lastBlock ?? null,
            batches: result.batches,
            logs: result.logs,
            reorgs: result.reorgs,
            workers: result.workers,
          },
        );
      } finally {
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
        provider.destroy();
      }
    });
}
