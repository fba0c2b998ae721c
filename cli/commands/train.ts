import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { UserError, type Database, type DatabaseHandle } from '../../core';
import { importPrices, loadPriceSeries } from '../../indexer';
import {
  indexedPrices,
  parseDuration,
  resample,
  selectBackend,
  trainCollateral,
  trainCreditFromDb,
  type CollateralAsset,
  type PricePoint,
} from '../../models';
import { generateWallets, simulateMarket, writeSimulation } from '../../sim';
import { commandContext, withDatabase, type CommandContext } from '../context';
import { createStepReporter, type StepReporter } from '../progress';
import { dataChainId, wholeFlag } from './chain-id';

interface TrainFlags {
  out: string;
  seed?: string;
  epochs?: string;
  chainId?: string;
  simulate?: string;
  days: string;
  horizonDays?: string;
  everyDays: string;
  hidden?: string;
  prices?: string[];
  indexed?: boolean;
  ethSymbol: string;
  proposalQuantile?: string;
  step: string;
  horizon: string;
}

const DAY = 86_400;
const STABLE = new Set(['USDC', 'USDT', 'DAI', 'GHO', 'LUSD', 'FRAX', 'USDS']);

const positive = (value: string, flag: string): number => {
  const n = Number(value);
  if (!(Number.isFinite(n) && n > 0)) throw new UserError(`${flag} must be a positive number, got ${JSON.stringify(value)}`);
  return n;
};

function hiddenLayers(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const widths = value.split(',').map((w) => wholeFlag(w.trim(), '--hidden')!);
  if (widths.length > 3 || widths.some((w) => w > 64)) throw new UserError(`--hidden: at most 3 layers of at most 64 units, got ${value}`);
  return widths;
}

/** Simulated wallets (hidden types, known Bayes limit) written into the indexer's tables as if indexed. */
async function simulate(
  handle: DatabaseHandle,
  chainId: number,
  count: number,
  opts: { seed: number; days: number; horizonSeconds: number },
) {
  const market = simulateMarket({ seed: opts.seed, days: opts.days });
  const wallets = generateWallets(market, { seed: opts.seed, count, horizonSeconds: opts.horizonSeconds });
  return writeSimulation(handle, market, wallets, { chainId });
}

async function trainCredit(ctx: CommandContext, progress: StepReporter, opts: TrainFlags, common: { seed: number; epochs?: number }) {
  const horizonSeconds =
    (opts.horizonDays === undefined ? ctx.config.models.horizonDays : positive(opts.horizonDays, '--horizon-days')) * DAY;
  const simulated = wholeFlag(opts.simulate, '--simulate');
  const hidden = hiddenLayers(opts.hidden);
  const { name: backend } = await selectBackend(ctx.config.models.backend);
  return withDatabase(ctx, async (h) => {
    let chainId = wholeFlag(opts.chainId, '--chain-id') ?? ctx.config.chain.chainId;
    if (simulated !== undefined) {
      chainId ??= 31_337;
      const id = chainId;
      const written = await progress.step(`simulating ${simulated} wallets over ${opts.days} days into chain ${id}`, () =>
        simulate(h, id, simulated, { seed: common.seed, days: positive(opts.days, '--days'), horizonSeconds }),
      );
      progress.note(`${written.events} lending events, ${written.snapshots} health snapshots, ${written.prices} prices`);
    }
    const chain = await dataChainId(h.db, chainId);
    const started = performance.now();
    const trained = await progress.step(`training the credit model on chain ${chain} (${backend})`, () =>
      trainCreditFromDb(h.db, chain, {
        seed: common.seed,
        horizonSeconds,
        everyDays: positive(opts.everyDays, '--every-days'),
        backend,
        ...(common.epochs === undefined ? {} : { epochs: common.epochs }),
        ...(hidden ? { hidden } : {}),
      }).catch((err: unknown) => {
        // no data, too short a history, one class only: what to change, not a stack
        throw new UserError(`train credit: ${(err as Error).message}`, { cause: err });
      }),
    );
    const m = trained.artifact.metrics;
    return {
      kind: 'credit' as const,
      chainId: chain,
      modelId: trained.modelId,
      json: trained.json,
      backend,
      seconds: (performance.now() - started) / 1000,
      trainSeconds: trained.trainSeconds,
      metrics: m,
      summary: [
        `AUC ${m.model.rocAuc.toFixed(3)} (float ${m.float.rocAuc.toFixed(3)}, logistic baseline ${m.baseline.rocAuc.toFixed(3)}${m.bayesAuc === undefined ? '' : `, Bayes limit ${m.bayesAuc.toFixed(3)}`})`,
        `PR-AUC ${m.model.prAuc.toFixed(3)}, KS ${m.model.ks.toFixed(3)}, Brier ${m.model.brier.toFixed(4)}, ECE ${m.model.ece.toFixed(4)}`,
        `rows: ${m.rows.train} train, ${m.rows.validation} validation, ${m.rows.test} test; max quantisation PD error ${m.maxQuantisationPdError.toExponential(2)}`,
      ],
    };
  });
}

type SeriesOf = { symbol: string; points: PricePoint[]; peg?: number };

/** Every CSV-imported asset (pegged when its symbol is a known stablecoin). */
async function importedSeries(db: Kysely<Database>): Promise<SeriesOf[]> {
  const symbols = (
    await db.selectFrom('price_points').where('source', '=', 'csv').select('asset').distinct().orderBy('asset').execute()
  ).map((r) => r.asset);
  if (symbols.length === 0) throw new UserError('no imported prices: run import-prices FILES first, or pass --prices FILES');
  return Promise.all(
    symbols.map(async (symbol) => ({ symbol, points: await loadPriceSeries(db, symbol), ...(STABLE.has(symbol) ? { peg: 1 } : {}) })),
  );
}

/** Every asset's indexed prices on a chain (feed answers the indexer wrote), pegged by the assets table's kind. */
async function indexedSeries(db: Kysely<Database>, chainId: number): Promise<SeriesOf[]> {
  const assets = await indexedPrices(db, chainId);
  if (assets.length === 0) throw new UserError(`chain ${chainId} has no indexed prices: run index first`);
  return assets.map((a) => ({ symbol: a.symbol, points: a.points, ...(a.peg === undefined ? {} : { peg: a.peg }) }));
}

/** The series resampled onto one grid over the range all of them cover, each with its depth where it has one. */
function onOneGrid(series: SeriesOf[], stepSeconds: number, what: string): CollateralAsset[] {
  const from = Math.max(...series.map((s) => s.points[0]!.t));
  const to = Math.min(...series.map((s) => s.points[s.points.length - 1]!.t));
  if (to <= from) throw new UserError(`the ${what} price series (${series.map((s) => s.symbol).join(', ')}) do not overlap in time`);
  return series.map(({ symbol, points, peg }) => {
    const grid = resample(points, stepSeconds, from, to);
    return { symbol, prices: grid.p, liquidity: grid.liquidity, ...(peg === undefined ? {} : { peg }) };
  });
}

async function trainCollateralModel(
  ctx: CommandContext,
  progress: StepReporter,
  opts: TrainFlags,
  common: { seed: number; epochs?: number },
) {
  const stepSeconds = parseDuration(opts.step);
  const horizonSteps = Math.max(1, Math.round(parseDuration(opts.horizon) / stepSeconds));
  const { name: backend } = await selectBackend(ctx.config.models.backend);
  return withDatabase(ctx, async (h) => {
    if (opts.indexed && opts.prices?.length)
      throw new UserError('train collateral: --indexed trains on indexed prices; --prices imports CSVs: pick one');
    if (opts.prices?.length) await progress.step('importing prices', () => importPrices(h.db, opts.prices!));
    const what = opts.indexed ? 'indexed' : 'imported';
    const series = opts.indexed
      ? await indexedSeries(h.db, await dataChainId(h.db, wholeFlag(opts.chainId, '--chain-id', 0)))
      : await importedSeries(h.db);
    const assets = onOneGrid(series, stepSeconds, what);
    const eth = opts.ethSymbol.toUpperCase();
    if (!assets.some((a) => a.symbol === eth))
      throw new UserError(`--eth-symbol ${eth}: no ${what} prices for it (have ${assets.map((a) => a.symbol).join(', ')})`);
    const started = performance.now();
    const trained = await progress.step(
      `training the collateral quantile model on ${assets.map((a) => a.symbol).join(', ')} (${backend})`,
      () =>
        trainCollateral(assets, {
          ethSymbol: eth,
          stepSeconds,
          horizonSteps,
          seed: common.seed,
          backend,
          ...(common.epochs === undefined ? {} : { epochs: common.epochs }),
          ...(opts.proposalQuantile === undefined ? {} : { proposalQuantile: positive(opts.proposalQuantile, '--proposal-quantile') }),
        }).catch((err: unknown) => {
          throw new UserError(`train collateral: ${(err as Error).message}`, { cause: err });
        }),
    );
    trained.model.model.dispose();
    const m = trained.artifact.metrics;
    return {
      kind: 'collateral' as const,
      modelId: trained.modelId,
      json: trained.json,
      backend,
      seconds: (performance.now() - started) / 1000,
      metrics: m,
      summary: [
        `coverage on ${m.testRows} test rows: ${Object.entries(m.coverage)
          .map(([q, c]) => `q${q} → ${(c * 100).toFixed(1)} %`)
          .join(', ')}`,
        `training rows: ${trained.artifact.training.rows}; the oracle would follow q${trained.artifact.proposalQuantile} (reference ${trained.artifact.referenceAsset})`,
      ],
    };
  });
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description(
      'train the credit model (on indexed or simulated wallets) or the collateral model (on imported or indexed prices); write its artifact',
    )
    .argument('<kind>', 'credit or collateral')
    .requiredOption('--out <file>', 'artifact file to write (canonical JSON; its keccak256 is the modelId)')
    .option('--seed <n>', 'training seed (default: models.seed in the config)')
    .option('--epochs <n>', 'training epochs (default: the model’s own)')
    .option('--chain-id <n>', 'the chain whose indexed data to train on (default: the only one in the database)')
    .option('--simulate <n>', 'credit: first simulate n wallets into the database (no chain needed)')
    .option('--days <n>', 'credit --simulate: days of simulated history', '240')
    .option('--horizon-days <n>', 'credit: default label horizon (default: models.horizonDays, 30)')
    .option('--every-days <n>', 'credit: days between observation times', '7')
    .option('--hidden <widths>', 'credit: hidden layer widths, e.g. 32,16 (default 32)')
    .option('--prices <paths...>', 'collateral: import these price CSVs first (as import-prices does)')
    .option('--indexed', 'collateral: train on the chain’s indexed prices (feed answers) instead of imported CSVs')
    .option('--eth-symbol <symbol>', 'collateral: the ETH-like reference asset', 'WETH')
    .option('--proposal-quantile <q>', 'collateral: the quantile the oracle’s parameters follow (one of the trained ones; default 0.99)')
    .option('--step <duration>', 'collateral: grid step', '1h')
    .option('--horizon <duration>', 'collateral: liquidation horizon', '24h')
    .action(async (kind: string, opts: TrainFlags, command: Command) => {
      const ctx = commandContext(command);
      if (kind !== 'credit' && kind !== 'collateral')
        throw new UserError(`train: kind must be credit or collateral, got ${JSON.stringify(kind)}`);
      const progress = createStepReporter({ quiet: ctx.json });
      const common = { seed: wholeFlag(opts.seed, '--seed', 0) ?? ctx.config.models.seed, epochs: wholeFlag(opts.epochs, '--epochs') };
      const result =
        kind === 'credit' ? await trainCredit(ctx, progress, opts, common) : await trainCollateralModel(ctx, progress, opts, common);
      const out = path.resolve(opts.out);
      writeFileSync(out, `${result.json}\n`);
      const { json: _json, summary, ...machine } = result;
      ctx.print(
        [`${kind} model ${result.modelId} (${result.backend}, ${result.seconds.toFixed(1)} s)`, ...summary, `wrote ${out}`].join('\n'),
        { ...machine, file: out },
      );
    });
}
