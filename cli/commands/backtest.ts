import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { migrate, openDatabase, UserError, type DatabaseHandle } from '../../core';
import { importPrices, loadPriceSeries } from '../../indexer';
import {
  ASSET_CLASSES,
  DEFAULT_FRONTIER_SETTINGS,
  DEFAULT_TAIL_OPTIONS,
  GUARDRAIL_PRESETS,
  baselineFor,
  boundsFor,
  compareBaselineWithModel,
  parseBaseline,
  parseDuration,
  prepareMarket,
  sweepFrontier,
  type AssetClass,
  type Baseline,
  type FrontierReport,
  type GuardrailPreset,
  type Guardrails,
  type PricePoint,
} from '../../models';
import { commandContext, openMigratedDatabase, type CommandContext } from '../context';
import { createStepReporter } from '../progress';

interface BacktestFlags {
  prices: string[];
  baseline: string;
  cadence: string;
  horizon?: string;
  quantile: string;
  guardrails?: string;
  maxChange?: string;
  seed: string;
  frontier?: boolean;
  settings?: string;
  maxParams?: string;
  class?: string[];
  intoDatabase?: boolean;
}

const pct = (x: number): string => `${x.toFixed(4)} %`;
const num = (x: number | null): string => (x === null ? 'n/a' : x === Number.MAX_VALUE ? '∞' : x.toFixed(4));

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UserError(`${file}: ${(err as Error).message}`);
  }
}

/** `--class SYMBOL=class` pairs. */
function parseClasses(pairs: string[] | undefined): Record<string, AssetClass> | undefined {
  if (!pairs?.length) return undefined;
  return Object.fromEntries(
    pairs.map((pair) => {
      const [symbol, cls] = pair.split('=');
      if (!symbol || !ASSET_CLASSES.includes(cls as AssetClass))
        throw new UserError(`--class expects SYMBOL=CLASS with CLASS one of ${ASSET_CLASSES.join(', ')}, got "${pair}"`);
      return [symbol.toUpperCase(), cls as AssetClass];
    }),
  );
}

function guardrailsOf(opts: BacktestFlags, cadenceSeconds: number): { name: string; rails: Guardrails } {
  if (opts.guardrails !== undefined && opts.maxChange !== undefined) throw new UserError('give --guardrails or --max-change, not both');
  if (opts.maxChange !== undefined) {
    const step = Number(opts.maxChange);
    if (!(step > 0 && step <= 1)) throw new UserError(`--max-change must be a fraction in (0, 1], got ${opts.maxChange}`);
    return { name: `max-change ${step}`, rails: { maxTighten: step, maxLoosen: step, minDelaySeconds: cadenceSeconds } };
  }
  const name = opts.guardrails ?? 'default';
  if (!(name in GUARDRAIL_PRESETS))
    throw new UserError(`--guardrails must be one of ${Object.keys(GUARDRAIL_PRESETS).join(', ')}, got "${name}"`);
  return { name, rails: GUARDRAIL_PRESETS[name as GuardrailPreset] };
}

function parseSettings(text: string | undefined): number[] {
  if (text === undefined) return [...DEFAULT_FRONTIER_SETTINGS];
  const settings = text.split(',').map((s) => Number(s.trim()));
  if (settings.length < 2 || settings.some((q) => !(q > 0 && q < 1)))
    throw new UserError(`--settings takes at least two quantiles in (0, 1), comma-separated, got "${text}"`);
  return settings;
}

/**
 * The price files as series. A backtest is a read-only analysis: the files go into a temporary in-memory database
 * (the same validation and refusals as import-prices) unless --into-database asks for the configured one.
 */
async function loadSeries(ctx: CommandContext, files: string[], intoDatabase: boolean): Promise<Record<string, PricePoint[]>> {
  const handle: DatabaseHandle = intoDatabase ? await openMigratedDatabase(ctx) : await openDatabase({ dataDir: 'memory://' });
  try {
    if (!intoDatabase) await migrate(handle.db);
    const imported = await importPrices(handle.db, files);
    const symbols = [...new Set(imported.flatMap((f) => f.assets.map((a) => a.asset)))];
    return Object.fromEntries(await Promise.all(symbols.map(async (s) => [s, await loadPriceSeries(handle.db, s)] as const)));
  } finally {
    await handle.close();
  }
}

function printFrontier(ctx: CommandContext, report: FrontierReport, guardrails: string): void {
  const line = (label: string, m: FrontierReport['matched'], baseline: { meanLtv: number; badDebtPct: number }): string =>
    `${label.padEnd(11)} baseline ${pct(baseline.badDebtPct)} at LTV ${baseline.meanLtv.toFixed(3)} | model at that LTV ${m.modelBadDebtPctAtBaselineLtv === null ? 'not reached' : pct(m.modelBadDebtPctAtBaselineLtv)} (ratio ${num(m.badDebtRatio)}), model LTV at that bad debt ${num(m.modelMeanLtvAtBaselineBadDebt)}`;
  const curve = report.frontier.map((p) => `  q=${p.setting}: mean LTV ${p.meanLtv.toFixed(3)}, bad debt ${pct(p.badDebtPct)}`);
  ctx.print(
    [
      `${report.steps} steps from ${new Date(report.from * 1000).toISOString()}, guardrails ${guardrails}`,
      'frontier (tail model, by proposal quantile):',
      ...curve,
      line('ALL', report.matched, report.baseline),
      ...report.classes.map((c) => line(c.class, c.matched, c.baseline)),
    ].join('\n'),
    {
      baseline: { badDebtPct: report.baseline.badDebtPct, meanLtv: report.baseline.meanLtv, badDebtUsd: report.baseline.badDebtUsd },
      frontier: report.frontier,
      matched: report.matched,
      classes: report.classes,
      assets: report.assets,
      guardrails: { name: guardrails, ...report.guardrails },
      steps: report.steps,
      from: report.from,
      stepSeconds: report.stepSeconds,
    },
  );
}

export function registerBacktest(program: Command): void {
  program
    .command('backtest')
    .description('replay price history with a borrower population: static baseline parameters vs the tail model, walk-forward')
    .requiredOption('--prices <paths...>', 'price CSV files or directories (validated as import-prices does)')
    .requiredOption(
      '--baseline <file>',
      'baseline parameters: { "WETH": { "ltv": 0.8, "liquidationThreshold": 0.83, "liquidationBonus": 0.05 } }',
    )
    .option('--frontier', "sweep the model's risk appetite and compare with the baseline at matched LTV and bad debt")
    .option('--settings <quantiles>', `the quantiles --frontier sweeps (default ${DEFAULT_FRONTIER_SETTINGS.join(',')})`)
    .option('--guardrails <preset>', `step limits and delay: ${Object.keys(GUARDRAIL_PRESETS).join(' or ')} (aave: 50 bps a day)`)
    .option('--max-change <fraction>', 'symmetric step limit per update, one update per cadence (instead of --guardrails)')
    .option('--cadence <duration>', 'parameter update cadence and time step', '1h')
    .option('--horizon <duration>', "the model's liquidation horizon (default 12h)")
    .option('--quantile <q>', 'quantile of the adverse move, without --frontier', '0.99')
    .option('--max-params <file>', "the DAO's upper bounds per asset, in the baseline's format")
    .option('--class <symbol=class...>', `an asset's class where its name and prices should not decide (${ASSET_CLASSES.join(', ')})`)
    .option('--seed <n>', 'seed of the borrower population', '7')
    .option('--into-database', 'import the price files into the configured database (default: a temporary one)')
    .action(async (opts: BacktestFlags, command: Command) => {
      const ctx = commandContext(command);
      const baseline: Baseline = parseBaseline(readJson(opts.baseline), opts.baseline);
      const maxParams = opts.maxParams ? parseBaseline(readJson(opts.maxParams), opts.maxParams) : undefined;
      const quantile = Number(opts.quantile);
      if (!(quantile > 0 && quantile < 1)) throw new UserError(`--quantile must be in (0, 1), got ${opts.quantile}`);
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed)) throw new UserError(`--seed must be an integer, got ${opts.seed}`);
      const cadenceSeconds = parseDuration(opts.cadence);
      const horizonSeconds = opts.horizon === undefined ? undefined : parseDuration(opts.horizon);
      const classes = parseClasses(opts.class);
      const guardrails = guardrailsOf(opts, cadenceSeconds);
      const settings = parseSettings(opts.settings);
      const steps = createStepReporter({ quiet: ctx.json });
      const series = await steps.step(opts.intoDatabase ? 'import the prices' : 'read the prices (temporary database)', () =>
        loadSeries(ctx, opts.prices, opts.intoDatabase === true),
      );
      if (opts.frontier) {
        const market = prepareMarket(series, { stepSeconds: cadenceSeconds, ...(classes ? { classes } : {}) });
        for (const l of market.limitedBy)
          steps.note(
            `${l.symbol}'s prices ${l.bound === 'start' ? 'start' : 'end'} at ${new Date(l.t * 1000).toISOString()}: the backtest scores only the time every asset covers (the others' earlier prices are the model's warm-up)`,
          );
        const bounds = boundsFor(market, maxParams);
        const report = await steps.step(
          `frontier: ${settings.length} settings × ${market.assets.length} assets × ${market.steps} steps`,
          async () =>
            sweepFrontier(market, {
              settings,
              guardrails: guardrails.rails,
              baseline: baselineFor(market, baseline),
              ...(bounds ? { bounds } : {}),
              population: { seed },
              ...(horizonSeconds ? { model: { ...DEFAULT_TAIL_OPTIONS, horizonSeconds } } : {}),
              onSetting: (p) =>
                steps.note(`q=${p.setting} (${p.index + 1}/${p.of}): mean LTV ${p.meanLtv.toFixed(3)}, bad debt ${pct(p.badDebtPct)}`),
            }),
        );
        const idle = report.assets.filter((a) => a.frontier.every((f) => Object.values(f.drivers).every((n) => n === 0)));
        if (idle.length > 0)
          steps.note(
            `${idle.map((a) => a.symbol).join(', ')}: too little history for the model (${DEFAULT_TAIL_OPTIONS.minHistorySeconds / 86_400} days), which kept the baseline's parameters throughout`,
          );
        printFrontier(ctx, report, guardrails.name);
        return;
      }
      const result = await steps.step('backtest: static baseline vs the tail model', async () =>
        compareBaselineWithModel(series, baseline, {
          cadenceSeconds,
          quantile,
          guardrails: guardrails.rails,
          seed,
          ...(horizonSeconds ? { horizonSeconds } : {}),
          ...(maxParams ? { maxParams } : {}),
          ...(classes ? { classes } : {}),
        }),
      );
      const rows = result.assets.map(
        (a) =>
          `${a.symbol.padEnd(8)} ${a.class.padEnd(10)} baseline: bad debt $${a.baseline.badDebtUsd.toFixed(0)} (${pct(a.baseline.badDebtPct)}), mean LTV ${a.baseline.meanLtv.toFixed(3)}, ${a.baseline.liquidations} liq.  |  model: bad debt $${a.model.badDebtUsd.toFixed(0)} (${pct(a.model.badDebtPct)}), mean LTV ${a.model.meanLtv.toFixed(3)}, ${a.model.liquidations} liq.`,
      );
      const total = `TOTAL    baseline: $${result.baseline.badDebtUsd.toFixed(0)} (${pct(result.baseline.badDebtPct)}), mean LTV ${result.baseline.meanLtv.toFixed(3)}  |  model: $${result.model.badDebtUsd.toFixed(0)} (${pct(result.model.badDebtPct)}), mean LTV ${result.model.meanLtv.toFixed(3)}`;
      ctx.print(
        `${result.steps} steps from ${new Date(result.from * 1000).toISOString()} to ${new Date(result.to * 1000).toISOString()}\n${rows.join('\n')}\n${total}\n(one point each: --frontier compares at matched LTV)`,
        {
          baseline: result.baseline,
          model: result.model,
          assets: result.assets,
          steps: result.steps,
          from: result.from,
          to: result.to,
        },
      );
    });
}
