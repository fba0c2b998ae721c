import type { Command } from 'commander';
import { NonceManager, type Wallet } from 'ethers';
import { acquireInstanceLock, connectProvider, Counter, createMetricsRegistry, Gauge, UserError } from '../../core';
import { ModelRegistry__factory, RiskOracle__factory } from '../../contracts/build/types';
import { FreshnessError, indexedBlock } from '../../oracle/freshness';
import { loadSigner } from '../../oracle/keys';
import { modelInForceGauge } from '../../oracle/model-gauge';
import { runIndexer } from '../../indexer';
import { publishPendingEpoch, signPendingEpoch } from '../../oracle/credit-round';
import { recheckPublications } from '../../oracle/publish';
import { publishPendingRounds, signPendingRounds } from '../../oracle/rounds';
import { sendConfigFrom } from '../../oracle/send';
import { raiseAlert } from '../../oracle/store';
import { startScheduler, type Job } from '../../oracle/scheduler';
import { scoreRoute } from '../../oracle/scores';
import { collateralShadowJob, creditShadowJob } from '../../oracle/shadow';
import { createDashboard } from '../../oracle/dashboard';
import { startOracleServer, type HealthReport } from '../../oracle/server';
import { commandContext, openMigratedDatabase } from '../context';
import { deploymentSeed, readDeployment } from '../deployment';
import { dashboardContracts } from './dashboard';
import { keySource, withKeyOptions, type KeyOptions } from '../keys';
import { indexDeployment, withATokens } from './index-chain';
import { applyRounds, creditContracts, proposeEpoch, proposeRound } from './oracle';

interface RunOptions extends KeyOptions {
  indexSchedule: string;
  roundSchedule: string;
  shadowSchedule: string;
  signerKeyEnv?: string[];
  port?: string;
}

/**
 * The daemon: on cron schedules it indexes the deployment's market and runs a round (propose, sign with the keys
 * it holds, publish once the threshold is met, apply to Aave) and a credit epoch with the model in force; it serves the dashboard at /, /metrics, /healthz and /score/:wallet;
 * one instance per database (a lock); SIGTERM or SIGINT finish the current step and stop everything.
 */
export function registerRun(program: Command): void {
  withKeyOptions(program.command('run'), 'publisher')
    .description(
      'the daemon: index, propose, sign, publish and apply on schedules; serve the dashboard at /, /metrics, /healthz and /score/:wallet',
    )
    .option('--index-schedule <cron>', 'when to index new blocks (node-cron, six fields allow seconds)', '*/15 * * * * *')
    .option(
      '--round-schedule <cron>',
      'when to propose and publish a parameter round and a credit epoch (with the credit model in force)',
      '0 * * * *',
    )
    .option(
      '--shadow-schedule <cron>',
      'when to run candidate credit models beside the model in force (recorded, never published)',
      '30 * * * *',
    )
    .option('--signer-key-env <names...>', 'variables holding signer keys this daemon signs with (others sign with risk-oracle sign)')
    .option('--port <n>', 'HTTP port (default: server.port)')
    .action(async (opts: RunOptions, command: Command) => {
      const ctx = commandContext(command);
      const file = ctx.config.chain.deployment;
      if (!file) throw new UserError('run needs a deployment file: --deployment FILE (written by chain deploy) or chain.deployment');
      const deployment = readDeployment(file);
      const market = indexDeployment(file);
      const provider = await connectProvider(ctx.config.chain.rpcUrl, {
        timeoutMs: ctx.config.chain.timeoutMs,
        retries: ctx.config.chain.retries,
      });
      const handle = await openMigratedDatabase(ctx);
      const lock = await acquireInstanceLock(handle, 'daemon', ctx.config.database.dataDir).catch(async (err: unknown) => {
        await handle.close();
        provider.destroy();
        throw err;
      });
      const chainId = Number((await provider.getNetwork()).chainId);
      if (chainId !== deployment.chainId)
        throw new UserError(`deployment ${file} is for chain ${deployment.chainId}; the RPC is chain ${chainId}`);
      const publisher = new NonceManager(await loadSigner(keySource(opts), provider));
      const signers: Wallet[] = [];
      for (const name of opts.signerKeyEnv ?? []) signers.push(await loadSigner({ privateKeyEnv: name }));
      const oracle = RiskOracle__factory.connect(deployment.riskOracle, publisher);

      const registry = createMetricsRegistry();
      const indexed = new Gauge({ name: 'risk_oracle_indexed_block', help: 'last block the indexer committed', registers: [registry] });
      const lag = new Gauge({
        name: 'risk_oracle_indexer_lag_blocks',
        help: 'blocks between the head and the indexer',
        registers: [registry],
      });
      const lastRound = new Gauge({
        name: 'risk_oracle_round',
        help: 'latest published round per asset',
        labelNames: ['asset'],
        registers: [registry],
      });
      const lastPublish = new Gauge({
        name: 'risk_oracle_last_publish_timestamp_seconds',
        help: 'when a batch was last published',
        registers: [registry],
      });
      const holds = new Counter({
        name: 'risk_oracle_guard_holds_total',
        help: 'proposals held by a guard',
        labelNames: ['asset'],
        registers: [registry],
      });
      const freshnessHolds = new Counter({
        name: 'risk_oracle_round_freshness_holds_total',
        help: 'parameter rounds not proposed because the index lagged or a price was stale',
        labelNames: ['reason'],
        registers: [registry],
      });
      const lastEpoch = new Gauge({ name: 'risk_oracle_credit_epoch', help: 'latest published credit epoch', registers: [registry] });
      const epochHolds = new Counter({
        name: 'risk_oracle_credit_epoch_holds_total',
        help: 'credit epochs held by a guard',
        registers: [registry],
      });
      const setModelInForce = modelInForceGauge(registry);
      const publishFailures = new Counter({
        name: 'risk_oracle_publish_failures_total',
        help: 'round or epoch steps and rechecked publications that failed',
        labelNames: ['kind'],
        registers: [registry],
      });
      const resubmitted = new Counter({
        name: 'risk_oracle_publications_resubmitted_total',
        help: 'publications dropped or reorged out after confirming, sent again',
        labelNames: ['kind'],
        registers: [registry],
      });
      const gas = new Counter({ name: 'risk_oracle_gas_used_total', help: 'gas spent publishing and applying', registers: [registry] });
      const jobs = new Counter({
        name: 'risk_oracle_job_runs_total',
        help: 'job runs by outcome',
        labelNames: ['job', 'outcome'],
        registers: [registry],
      });
      let failing: string[] = [];

      const send = sendConfigFrom(ctx.config);
      const credit = creditContracts(deployment, publisher);
      // a publication that was dropped or reorged out since it confirmed is sent again before anything new
      const recheck = async () => {
        for (const r of await recheckPublications({
          db: handle.db,
          chainId,
          runner: publisher,
          oracle,
          registry: credit.registry,
          depthBlocks: ctx.config.indexer.finalityDepth * 2,
          send,
          log: ctx.log,
        })) {
          if (r.outcome === 'resubmitted') resubmitted.inc({ kind: r.kind });
          if (r.outcome === 'failed') publishFailures.inc({ kind: r.kind });
        }
      };
      // a lagging index or a stale price holds the round (counted, and an alert when the reasons change), like a guard
      let heldFor = '';
      const holdRound = async (err: FreshnessError): Promise<void> => {
        for (const reason of new Set(err.problems.map((p) => p.kind))) freshnessHolds.inc({ reason });
        const key = err.problems.map((p) => `${p.kind}:${p.subject}`).join(',');
        ctx.log.warn({ problems: err.problems.map((p) => p.message) }, 'parameter round held');
        if (key !== heldFor) await raiseAlert(handle.db, 'warning', 'round-held', err.message, { problems: err.problems });
        heldFor = key;
      };
      // rounds and epochs are both proposed at the block the indexer has reached
      const proposeAt = { db: handle.db, provider, deployment, chainId, oracle: ctx.config.oracle, log: ctx.log };
      // the parameter round: propose, sign with the keys this daemon holds, publish once the threshold is met, apply
      const parameterRound = async () => {
        const proposal = await proposeRound(proposeAt).catch((err: unknown) => {
          if (err instanceof FreshnessError) return holdRound(err);
          throw err;
        });
        if (!proposal) return;
        heldFor = '';
        setModelInForce('collateral', proposal.modelId);
        for (const a of proposal.assets.filter((x) => !x.publishable)) holds.inc({ asset: a.symbol });
        if (!proposal.assets.some((a) => a.publishable)) return;
        const now = (await provider.getBlock('latest'))!.timestamp;
        for (const signer of signers)
          await signPendingRounds({
            db: handle.db,
            oracle,
            chainId,
            signer,
            now,
            models: credit.models,
            seed: deploymentSeed(deployment, provider),
            maxPriceAgeSeconds: ctx.config.oracle.maxPriceAgeSeconds,
            log: ctx.log,
          });
        const published = await publishPendingRounds({ db: handle.db, oracle, chainId, send, log: ctx.log });
        if (!published.submitted) return;
        lastPublish.set(now);
        gas.inc(Number(published.gasUsed ?? 0n));
        for (const r of published.rounds) lastRound.set({ asset: r.symbol }, r.round);
        for (const a of await applyRounds(deployment, publisher, published.rounds)) gas.inc(a.gasUsed);
      };
      // the credit epoch: the model in force scores every indexed wallet; signed and published like a round
      const creditEpoch = async () => {
        const driftThreshold = ctx.config.oracle.driftThreshold;
        // at the block the indexer has reached; a lagging index is counted and alerted by the round, logged here
        const proposal = await proposeEpoch(proposeAt).catch((err: unknown) => {
          if (!(err instanceof FreshnessError)) throw err;
          ctx.log.warn({ problems: err.problems.map((p) => p.message) }, 'credit epoch not proposed');
          return undefined;
        });
        if (!proposal) return;
        setModelInForce('credit', proposal.modelId);
        if (proposal.status === 'held') return epochHolds.inc();
        if (proposal.status === 'unchanged') return;
        // the keys this daemon holds share one recomputation of the epoch
        if (proposal.status === 'proposed' && signers.length)
          await signPendingEpoch({ db: handle.db, chainId, ...credit, signerSet: oracle, signers, driftThreshold, log: ctx.log });
        const published = await publishPendingEpoch({
          db: handle.db,
          chainId,
          registry: credit.registry,
          threshold: Number(await oracle.threshold()),
          send,
          log: ctx.log,
        });
        if (!published?.submitted) return;
        lastEpoch.set(published.epoch);
        gas.inc(Number(published.gasUsed ?? 0n));
      };

      const shadowOptions = {
        db: handle.db,
        registry: ModelRegistry__factory.connect(deployment.modelRegistry, provider),
        chainId,
        metrics: registry,
        log: ctx.log,
      };
      const shadowSteps = [
        ['credit', creditShadowJob(shadowOptions)],
        ['collateral', collateralShadowJob(shadowOptions)],
      ] as const;
      // the reserves' aTokens, read once
      const addresses = await withATokens(provider, market);
      const jobList: Job[] = [
        {
          name: 'index',
          schedule: opts.indexSchedule,
          run: async (signal) => {
            const result = await runIndexer({
              db: handle,
              provider,
              addresses,
              assets: market.assets,
              chainId,
              fromBlock: market.block,
              signal,
              logger: ctx.log,
            });
            const head = await provider.getBlockNumber();
            if (result.lastBlock !== undefined) indexed.set(result.lastBlock);
            lag.set(head - ((await indexedBlock(handle.db, chainId)) ?? 0));
          },
        },
        {
          name: 'round',
          schedule: opts.roundSchedule,
          run: async () => {
            // independent halves: a market without prices still gets its credit epoch, and the other way round
            const failures: string[] = [];
            for (const [what, step] of [
              ['recheck', recheck],
              ['parameters', parameterRound],
              ['credit epoch', creditEpoch],
            ] as const)
              await step().catch((err: unknown) => {
                if (what !== 'recheck') publishFailures.inc({ kind: what });
                failures.push(`${what}: ${(err as Error).message}`);
              });
            if (failures.length) throw new Error(failures.join('; '));
          },
        },
        {
          name: 'shadow',
          schedule: opts.shadowSchedule,
          // credit and collateral candidates beside the models in force; one kind failing does not stop the other
          run: async () => {
            const failures: string[] = [];
            for (const [kind, step] of shadowSteps)
              await step().catch((err: unknown) => failures.push(`${kind}: ${(err as Error).message}`));
            if (failures.length) throw new Error(failures.join('; '));
          },
        },
      ];
      const scheduler = startScheduler(jobList, ctx.log, (job, ok) => {
        jobs.inc({ job, outcome: ok ? 'ok' : 'failed' });
        failing = ok ? failing.filter((j) => j !== job) : [...new Set([...failing, job])];
      });
      const health = async (): Promise<HealthReport> => {
        const head = await provider.getBlockNumber();
        const at = (await indexedBlock(handle.db, chainId)) ?? -1;
        const problems = failing.map((j) => `job ${j} failed on its last run`);
        if (at < 0) problems.push('nothing indexed yet');
        else if (head - at > ctx.config.oracle.maxIndexerLagBlocks)
          problems.push(`indexer ${head - at} blocks behind (limit ${ctx.config.oracle.maxIndexerLagBlocks})`);
        return { healthy: problems.length === 0, problems, details: { head, indexedBlock: at, nextRuns: scheduler.nextRuns() } };
      };
      // the page reads with the plain provider, never the publisher's signer: nothing on it can send a transaction
      const dashboard = createDashboard({
        db: handle.db,
        provider,
        chainId,
        contracts: dashboardContracts(deployment),
        maxIndexerLagBlocks: ctx.config.oracle.maxIndexerLagBlocks,
        logRange: { chunk: ctx.config.indexer.maxBlockRange },
        health,
        metrics: registry,
        log: ctx.log,
      });
      const server = await startOracleServer({
        registry,
        host: ctx.config.server.host,
        port: opts.port === undefined ? ctx.config.server.port : Number(opts.port),
        routes: [scoreRoute(handle.db, chainId), ...dashboard.routes],
        health,
      });
      ctx.log.info({ url: server.url, jobs: jobList.map((j) => `${j.name} ${j.schedule}`) }, 'daemon started');
      process.stdout.write(`risk-oracle daemon on ${server.url} (dashboard at /, metrics, healthz, score); Ctrl-C stops it\n`);

      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      ctx.log.info('stopping: finishing the current step');
      await scheduler.stop();
      await server.close();
      await lock.release();
      await handle.close();
      provider.destroy();
    });
}
