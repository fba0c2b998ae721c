import { InvalidArgumentError, type Command } from 'commander';
import { acquireInstanceLock, createMetricsRegistry, UserError } from '../../core';
import { givenCreditModel, readCreditArtifact } from '../../models';
import { createDashboard, type DashboardContracts } from '../../oracle/dashboard';
import { scoreRoute } from '../../oracle/scores';
import { startOracleServer } from '../../oracle/server';
import { connectDeployment } from './oracle';
import { commandContext, openMigratedDatabase } from '../context';
import type { DeploymentAddresses } from '../deployment';

interface DashboardCommandOptions {
  port?: number;
  host?: string;
  poll: number;
  artifact?: string;
  logRange?: number;
}

/** What the dashboard reads, from a deployment JSON. */
export const dashboardContracts = (d: DeploymentAddresses): DashboardContracts => ({
  riskOracle: d.riskOracle,
  creditScoreRegistry: d.creditScoreRegistry,
  modelRegistry: d.modelRegistry,
  riskSteward: d.riskSteward,
  dataProvider: d.aave.dataProvider,
  reserves: d.aave.reserves.map((r) => ({ symbol: r.symbol, address: r.address })),
  fromBlock: d.block,
});

const whole = (what: string, min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`expected ${what} from ${min} to ${max}`);
  return n;
};

/**
 * `risk-oracle dashboard`: the daemon's web page on its own, read-only, against any database and RPC. It binds
 * 127.0.0.1 unless told otherwise and serves `/`, `/api/dashboard`, `/score/:wallet`, `/metrics` and `/healthz`.
 */
export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description(
      'serve the read-only dashboard at / (parameters against bounds, rounds, guards, guardian actions and fall-backs, credit epochs, models with submissions and shadow results, health)',
    )
    .option('--port <n>', 'HTTP port (default: server.port; 0 picks a free one)', whole('a port', 0, 65_535))
    .option('--host <host>', 'interface to bind (default: server.host, 127.0.0.1)')
    .option('--poll <ms>', 'how often the page checks for changes', whole('milliseconds', 250, 3_600_000), 5_000)
    .option(
      '--artifact <file>',
      "a credit model artifact: epochs scored by it are re-derived with it when the database does not store its model's artifact",
    )
    .option(
      '--log-range <blocks>',
      'most blocks asked for in one eth_getLogs call, halved where the RPC still refuses (default: indexer.maxBlockRange)',
      whole('a number of blocks', 1, 1_000_000),
    )
    .action(async (opts: DashboardCommandOptions, command: Command) => {
      const ctx = commandContext(command);
      const creditModel = opts.artifact ? givenCreditModel(readCreditArtifact(opts.artifact)) : undefined;
      const { deployment, provider, chainId } = await connectDeployment(ctx, 'dashboard');
      const handle = await openMigratedDatabase(ctx);
      // PGlite serves one process: never beside a daemon on the same directory (the daemon serves this page itself)
      const lock = handle.pool
        ? undefined
        : await acquireInstanceLock(handle, 'daemon', ctx.config.database.dataDir).catch(async (err: unknown) => {
            await handle.close();
            provider.destroy();
            throw new UserError(
              `${(err as Error).message}. PGlite serves one process at a time: open the daemon's own page (risk-oracle run serves it at /), or use Postgres (DATABASE_URL) to run both`,
            );
          });
      const dashboard = createDashboard({
        db: handle.db,
        provider,
        chainId,
        contracts: dashboardContracts(deployment),
        maxIndexerLagBlocks: ctx.config.oracle.maxIndexerLagBlocks,
        pollMs: opts.poll,
        creditModel,
        logRange: { chunk: opts.logRange ?? ctx.config.indexer.maxBlockRange },
        log: ctx.log,
      });
      const server = await startOracleServer({
        registry: createMetricsRegistry(),
        host: opts.host ?? ctx.config.server.host,
        port: opts.port ?? ctx.config.server.port,
        routes: [scoreRoute(handle.db, chainId), ...dashboard.routes],
        health: async () => {
          const { health } = (await dashboard.view()).snapshot;
          return {
            healthy: health.healthy,
            problems: health.problems,
            details: { indexedBlock: health.indexedBlock, lagBlocks: health.lagBlocks },
          };
        },
      }).catch(async (err: unknown) => {
        await lock?.release();
        await handle.close();
        provider.destroy();
        throw new UserError(`cannot listen: ${(err as Error).message}`);
      });
      ctx.log.info({ url: server.url, chainId, deployment: ctx.config.chain.deployment }, 'dashboard started');
      ctx.print(`risk-oracle dashboard on ${server.url}/ (read-only); Ctrl-C stops it`, { url: `${server.url}/` });

      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
      await lock?.release();
      await handle.close();
      provider.destroy();
    });
}
