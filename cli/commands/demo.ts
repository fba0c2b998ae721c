import path from 'node:path';
import type { Command } from 'commander';
import { MIN_DAYS, MIN_WALLETS, runDemo } from '../demo/run';
import { commandContext } from '../context';
import { UserError } from '../../core/errors';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the pipeline end to end on a local anvil chain and an embedded database (no server to install)')
    .option('--out <dir>', 'where report.html and summary.json are written', './out/demo')
    .option('--days <n>', `days of simulated hourly prices (at least ${MIN_DAYS})`, '90')
    .option('--prices <files...>', 'your own price CSVs (WETH, WBTC, USDC and GOV) instead of simulated ones')
    .option(
      '--wallets <n>',
      `on-chain borrower agents on the local Aave market (indexed, scored and published in the credit epoch; at least ${MIN_WALLETS})`,
      '200',
    )
    .option('--training-wallets <n>', 'simulated borrower histories the credit model trains on', '20000')
    .action(async (opts: { out: string; days: string; prices?: string[]; wallets: string; trainingWallets: string }, command: Command) => {
      const ctx = commandContext(command);
      const summary = await runDemo({
        outDir: path.resolve(opts.out),
        databaseUrl: ctx.config.database.url,
        days: atLeast(opts.days, MIN_DAYS, '--days'),
        prices: opts.prices,
        wallets: positiveInteger(opts.wallets, '--wallets'),
        trainingWallets: positiveInteger(opts.trainingWallets, '--training-wallets'),
        quiet: ctx.json,
      });
      const mk = summary.market;
      const matched = summary.backtest.frontier.matched;
      const lines = [
        `on-chain market: ${mk.agents} borrower agents, ${mk.transactions} transactions (${mk.reverted} reverted) over ${mk.steps} price moves; the bot liquidated ${mk.liquidations.accounts} accounts ${mk.liquidations.bot} times`,
        `indexed ${mk.indexed.total} lending events of it (${Object.entries(mk.indexed.events)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ')}) and ${mk.indexed.prices} feed prices`,
        `backtest at the static parameters' mean LTV ${matched.baselineMeanLtv.toFixed(3)}: bad debt static ${matched.baselineBadDebtPct.toFixed(3)} %, model ${matched.modelBadDebtPctAtBaselineLtv === null ? 'not reached by its frontier' : `${matched.modelBadDebtPctAtBaselineLtv.toFixed(3)} %`}`,
        `published ${summary.rounds.filter((r) => r.publishable).length} assets on RiskOracle ${summary.contracts.riskOracle}, round ${Math.max(...summary.rounds.map((r) => r.round))} (3 of 5 signers; the first batch took ${summary.gas.publishBatch4Assets} gas)`,
        ...summary.aave
          .filter((a) => a.round === 1)
          .map(
            (a) =>
              `Aave V3 ${a.symbol.padEnd(5)} ltv ${a.before.ltv} → ${a.after.ltv}, liquidation threshold ${a.before.liquidationThreshold} → ${a.after.liquidationThreshold}, bonus ${a.before.liquidationBonus} → ${a.after.liquidationBonus}`,
          ),
        `credit model ${summary.credit.modelId.slice(0, 10)}…: test AUC ${summary.credit.auc.toFixed(3)} (logistic baseline ${summary.credit.baselineAuc.toFixed(3)}, Bayes limit ${summary.credit.bayesAuc?.toFixed(3) ?? 'n/a'})`,
        `community: ${summary.community.submissions.length} models submitted with bonds and claims on snapshot ${summary.community.snapshot.id.slice(0, 10)}… (${summary.community.snapshot.rows} rows); ${summary.community.submissions
          .map((x) => `${x.name} ${x.check.reproduced ? 'reproduced' : 'disputed'} → ${x.status}`)
          .join(', ')}`,
        ...summary.community.shadow.map(
          (r) =>
            `shadow ${r.modelId.slice(0, 10)}… beside the model in force: rank correlation ${r.rankCorrelation.toFixed(3)}, ${r.decisionFlips} of ${r.wallets} decisions flip at ${r.cutoff}, mean PD ${r.meanPd.toFixed(4)} vs ${r.referenceMeanPd.toFixed(4)}`,
        ),
        `drift guard at ${summary.drift.defaultThreshold}: ${summary.drift.heldAtDefault ? `held (${summary.drift.atDefault.reason}); published at ${summary.drift.threshold}` : 'passed'} (see the report's drift section)`,
        `credit epoch 1 (oracle pipeline, model in force ${summary.epochs[0]?.modelId.slice(0, 10)}…): ${summary.epochs[0]?.wallets} wallets; CreditLine lent ${summary.creditLine.good.borrowed} USDC to a ${summary.creditLine.good.score} score, refused a ${summary.creditLine.poor.score} (${summary.creditLine.poor.refused ?? 'not refused'})`,
        `DAO tightened ${summary.dao.tightened.symbol} max LTV to ${summary.dao.tightened.maxLtvAfter} bps; the next round published ${summary.dao.tightened.publishedLtv}`,
        `tampered epoch ${summary.challenge.epoch} challenged on-chain: ${summary.challenge.invalidated ? 'invalidated' : 'NOT invalidated'}`,
        `verify: ${summary.verify.checked} round(s) and ${summary.verify.scoresChecked} scores re-derived from public data, ${summary.verify.mismatches + summary.verify.epochMismatches} mismatch(es)`,
        `finished in ${summary.totalSeconds.toFixed(1)} s; report: ${summary.report}`,
      ];
      ctx.print(lines.join('\n'), summary);
    });
}

function positiveInteger(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${flag} must be a positive whole number, got ${JSON.stringify(value)}`);
  return n;
}

function atLeast(value: string, min: number, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min)
    throw new UserError(`${flag} must be at least ${min} (days of history the demo's story needs), got ${JSON.stringify(value)}`);
  return n;
}
