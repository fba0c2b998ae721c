import { writeFileSync } from 'node:fs';
import { renderSvg, type ChartSpec } from '../../core/charts';
import { renderReport, type ReportSection } from '../../core/report';
import type { Comparison } from '../../models';
import type { CycleResult } from '../../oracle/cycle';
import type { DemoSummary } from './run';

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

/** The model's walk-forward liquidation threshold and max LTV per asset. */
function parameterChart(comparison: Comparison): ChartSpec {
  const values = comparison.modelPath.flatMap((p) => [
    { symbol: p.symbol, t: p.t * 1000, series: 'liquidation threshold', value: p.liquidationThreshold },
    { symbol: p.symbol, t: p.t * 1000, series: 'max LTV', value: p.ltv },
  ]);
  return {
    title: 'Parameters the model sets over time (walk-forward, step-limited)',
    data: { values },
    facet: { row: { field: 'symbol', type: 'nominal', title: null } },
    spec: {
      width: 640,
      height: 110,
      mark: { type: 'line', strokeWidth: 2 },
      encoding: {
        x: { field: 't', type: 'temporal', title: 'date' },
        y: {
          field: 'value',
          type: 'quantitative',
          title: 'fraction of collateral value',
          axis: { format: '%' },
          scale: { domain: [0, 1] },
        },
        color: { field: 'series', type: 'nominal', title: null },
      },
    },
  } as ChartSpec;
}

/** Each asset's price, indexed to 1 at the start, so the crash and the depeg are visible side by side. */
function priceChart(comparison: Comparison): ChartSpec {
  const first = new Map<string, number>();
  const values = comparison.modelPath.map((p) => {
    if (!first.has(p.symbol)) first.set(p.symbol, p.price);
    return { symbol: p.symbol, t: p.t * 1000, index: p.price / first.get(p.symbol)! };
  });
  return {
    title: 'Prices (indexed to 1 at the start)',
    width: 640,
    height: 220,
    data: { values },
    mark: { type: 'line' },
    encoding: {
      x: { field: 't', type: 'temporal', title: 'date' },
      y: { field: 'index', type: 'quantitative', title: 'price / first price', scale: { zero: false } },
      color: { field: 'symbol', type: 'nominal', title: 'asset' },
    },
  } as ChartSpec;
}

function backtestChart(comparison: Comparison): ChartSpec {
  const values = comparison.assets.flatMap((a) => [
    { symbol: a.symbol, set: 'static baseline', badDebtPct: a.baseline.badDebtPct, meanLtv: a.baseline.meanLtv },
    { symbol: a.symbol, set: 'model', badDebtPct: a.model.badDebtPct, meanLtv: a.model.meanLtv },
  ]);
  return {
    title: 'Backtest: bad debt against capital efficiency, per asset',
    width: 520,
    height: 260,
    data: { values },
    mark: { type: 'point', filled: true, size: 140 },
    encoding: {
      x: {
        field: 'meanLtv',
        type: 'quantitative',
        title: 'mean allowed LTV (capital efficiency)',
        scale: { zero: false },
        axis: { format: '%' },
      },
      y: { field: 'badDebtPct', type: 'quantitative', title: 'bad debt (% of borrowed)' },
      color: { field: 'set', type: 'nominal', title: 'parameters' },
      shape: { field: 'symbol', type: 'nominal', title: 'asset' },
    },
  } as ChartSpec;
}

/** Distribution of the published scores (epoch 1). */
function scoreChart(scores: number[]): ChartSpec {
  return {
    title: 'Published credit scores (epoch 1)',
    width: 520,
    height: 200,
    data: { values: scores.map((score) => ({ score })) },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'score', type: 'quantitative', bin: { maxbins: 30 }, title: 'score (300–850)' },
      y: { aggregate: 'count', type: 'quantitative', title: 'wallets' },
    },
  } as ChartSpec;
}

/** Epoch 1's scores of the on-chain agents, by the hidden type the model never saw. */
function scoreByTypeChart(scores: DemoSummary['market']['scores']): ChartSpec {
  return {
    title: 'Scores of the on-chain agents by hidden type (epoch 1)',
    width: 520,
    height: 180,
    data: { values: scores.map((s) => ({ ...s, outcome: s.liquidated ? 'liquidated' : 'not liquidated' })) },
    mark: { type: 'tick', thickness: 2, size: 24 },
    encoding: {
      x: { field: 'score', type: 'quantitative', title: 'score (300–850)', scale: { domain: [300, 850] } },
      y: { field: 'type', type: 'nominal', title: 'hidden type' },
      color: { field: 'outcome', type: 'nominal', title: 'by the bot' },
    },
  } as ChartSpec;
}

/** The on-chain market the agents and the bot made, and what the indexer stored of it. */
function marketSection(summary: DemoSummary, svg: string): ReportSection {
  const m = summary.market;
  const kinds = ['supply', 'borrow', 'repay', 'withdraw', 'liquidation'] as const;
  return {
    id: 'market',
    title: 'On-chain market: borrower agents and a liquidation bot',
    explanation: `${m.agents} wallets with hidden types (${Object.entries(m.byType)
      .map(([t, n]) => `${n} ${t}`)
      .join(
        ', ',
      )}) supplied, borrowed, repaid and withdrew on the local Aave V3 Pool while the price path moved its feeds (${m.steps} moves, ${m.priceUpdates} feed answers); ${m.loans.defaulted} of ${m.loans.opened} loans were left unpaid. A bot read the Pool's events and liquidated every account whose health factor fell below 1 (${m.liquidations.bot} liquidations of ${m.liquidations.accounts} accounts). The RPC indexer then read the chain back: its rows match the chain's events kind for kind. The credit epoch scores these wallets on their indexed history only.`,
    svg,
    table: {
      columns: ['', 'transactions', ...kinds, 'reverted'],
      rows: [
        ['on-chain', m.transactions, ...kinds.map((k) => m.events[k]), m.reverted],
        ['indexed (lending_events)', '', ...kinds.map((k) => m.indexed.events[k]), ''],
      ],
    },
  };
}

/** The credit model against its baseline and the Bayes limit the simulator knows. */
function creditSections(summary: DemoSummary, scoresSvg: string): ReportSection[] {
  const c = summary.credit;
  const borrow = (label: string, o: DemoSummary['creditLine']['good']) => [
    label,
    o.wallet,
    o.score,
    `${o.limit} USDC`,
    `${o.collateralBps / 100} %`,
    o.refused ? `refused: ${o.refused}` : `borrowed ${o.borrowed} USDC`,
  ];
  return [
    {
      id: 'credit',
      title: 'Credit model',
      explanation: `A TF.js MLP trained on ${c.trainingWallets} simulated borrower histories whose hidden types the model never sees, calibrated (Platt) and quantised to the canonical integer model that Solidity recomputes bit for bit. Metrics on the later, held-out part of the time split; the Bayes limit is the AUC of the true posterior, the best any model could reach on these observables. The published scores are those of the on-chain agents, from their indexed history (SQL features). Backend: ${c.backend}; model id ${c.modelId}.`,
      svg: scoresSvg,
      table: {
        columns: ['model', 'ROC-AUC', 'PR-AUC', 'KS', 'Brier', 'calibration error'],
        rows: [
          ['canonical (published)', c.auc.toFixed(4), c.prAuc.toFixed(4), c.ks.toFixed(4), c.brier.toFixed(4), c.ece.toFixed(4)],
          ['logistic baseline', c.baselineAuc.toFixed(4), '', '', '', ''],
          ['Bayes limit', c.bayesAuc === null ? 'n/a' : c.bayesAuc.toFixed(4), '', '', '', ''],
        ],
      },
    },
    {
      id: 'epochs',
      title: 'Credit epochs (CreditScoreRegistry)',
      explanation:
        'Each epoch is a Merkle root over (wallet, score, PD, features hash), signed by 3 of the 5 RiskOracle signers and published with a bond. Epoch 2 was tampered with by a colluding quorum: one score inflated.',
      table: {
        columns: ['epoch', 'wallets', 'root', 'gas', 'status'],
        rows: summary.epochs.map((e) => [e.epoch, e.wallets, e.root, e.gas, e.invalidated ? 'invalidated by a challenge' : 'valid']),
      },
    },
    {
      id: 'creditline',
      title: 'Borrowing against a proved score (CreditLine)',
      explanation:
        'Each wallet proves its leaf of epoch 1 on-chain; once the challenge window has passed, CreditLine lends up to a limit that grows with the score and asks for less collateral the higher it is. The local chain impersonates the simulated wallets to send their transactions.',
      table: {
        columns: ['wallet', 'address', 'score', 'limit', 'collateral', 'outcome'],
        rows: [borrow('best score', summary.creditLine.good), borrow('worst score', summary.creditLine.poor)],
      },
    },
    {
      id: 'dao',
      title: 'Governance',
      explanation: `Every setting belongs to the DAO's timelock; each change below went through propose → vote → queue → execute. After the DAO lowered ${summary.dao.tightened.symbol}'s maximum LTV from ${summary.dao.tightened.maxLtvBefore} to ${summary.dao.tightened.maxLtvAfter} bps, the next round's guards read the bound from the chain and published ${summary.dao.tightened.publishedLtv} bps.`,
      table: { columns: ['proposal', 'id'], rows: summary.dao.proposals.map((p) => [p.description, `${p.id.slice(0, 12)}…`]) },
    },
    {
      id: 'challenge',
      title: 'Challenge',
      explanation: `Anyone can recompute a leaf: the audit of epoch ${summary.challenge.epoch} found ${summary.challenge.found} score(s) that the registered model does not give for the committed features; the challenge recomputed it on-chain with the quantised model (${summary.challenge.gas} gas), invalidated the epoch and paid the publisher's bond to the challenger.`,
      table: {
        columns: ['epoch', 'wallet', 'invalidated'],
        rows: [[summary.challenge.epoch, summary.challenge.wallet, summary.challenge.invalidated ? 'yes' : 'no']],
      },
    },
  ];
}

export async function writeDemoReport(file: string, summary: DemoSummary, comparison: Comparison, cycle: CycleResult): Promise<void> {
  const sections: ReportSection[] = [
    {
      id: 'prices',
      title: 'Price paths',
      explanation: 'Hourly prices: calm and volatile regimes, a crash at 70 % of the period, and a stablecoin depeg during it.',
      svg: await renderSvg(priceChart(comparison)),
    },
    {
      id: 'parameters',
      title: 'Parameters over time',
      explanation:
        'The liquidation threshold and maximum LTV the collateral model sets for each asset from the 99th percentile of 24-hour falls seen before each hour, moved at most 3 points per update like the on-chain step limit.',
      svg: await renderSvg(parameterChart(comparison)),
    },
    {
      id: 'backtest',
      title: 'Backtest: model vs static parameters',
      explanation:
        'The same simulated borrowers (30 % at the maximum LTV, the rest below it, 30-day mean lifetime) face both parameter sets on the same prices; liquidations wait one hour and pay slippage that grows with size. Lower and further right is better.',
      svg: await renderSvg(backtestChart(comparison)),
      table: {
        columns: [
          'asset',
          'baseline bad debt',
          'model bad debt',
          'baseline mean LTV',
          'model mean LTV',
          'baseline liquidations',
          'model liquidations',
        ],
        rows: comparison.assets.map((a) => [
          a.symbol,
          `${a.baseline.badDebtPct.toFixed(3)} %`,
          `${a.model.badDebtPct.toFixed(3)} %`,
          pct(a.baseline.meanLtv),
          pct(a.model.meanLtv),
          a.baseline.liquidations,
          a.model.liquidations,
        ]),
      },
    },
    {
      id: 'published',
      title: 'Published on-chain (RiskOracle, 3 of 5 signers), latest round',
      explanation: `Parameters read back from the RiskOracle contract after the last signed batch (model ${cycle.modelId.slice(0, 18)}…). Each went through the guards: finite, within the DAO bounds, within the step limit, and Aave's joint invariants.`,
      table: {
        columns: ['asset', 'round', 'ltv (bps)', 'liquidation threshold (bps)', 'bonus (10000 + bps)', 'guards'],
        rows: summary.rounds.map((r) => {
          const decisions = cycle.assets.find((a) => a.symbol === r.symbol)?.decisions ?? [];
          return [
            r.symbol,
            r.round,
            r.ltv,
            r.liquidationThreshold,
            r.liquidationBonus,
            decisions
              .filter((d) => d.decision !== 'pass')
              .map((d) => `${d.guard}: ${d.reason}`)
              .join('; ') || 'all passed',
          ];
        }),
      },
    },
    {
      id: 'aave',
      title: 'Aave V3: configuration before and after',
      explanation:
        "The RiskSteward holds Aave's RISK_ADMIN role and applied each published round to the real PoolConfigurator; read back from Aave's data provider (bps; bonus as 10000 + bps).",
      table: {
        columns: ['asset', 'ltv before', 'ltv after', 'threshold before', 'threshold after', 'bonus before', 'bonus after'],
        rows: summary.aave.map((a) => [
          a.symbol,
          a.before.ltv,
          a.after.ltv,
          a.before.liquidationThreshold,
          a.after.liquidationThreshold,
          a.before.liquidationBonus,
          a.after.liquidationBonus,
        ]),
      },
    },
    marketSection(summary, await renderSvg(scoreByTypeChart(summary.market.scores))),
    ...creditSections(summary, await renderSvg(scoreChart(summary.credit.scores))),
    {
      id: 'verify',
      title: 'Verification',
      explanation:
        'Every published round re-derived from the prices, the model specification (whose hash is the published model id) and the bounds in force at that block, and compared bit for bit with the chain; every score of the honest epoch recomputed with the canonical model from the features it commits to.',
      table: {
        columns: ['rounds checked', 'round mismatches', 'scores checked', 'score mismatches'],
        rows: [[summary.verify.checked, summary.verify.mismatches, summary.verify.scoresChecked, summary.verify.epochMismatches]],
      },
    },
    {
      id: 'gas',
      title: 'Gas',
      explanation:
        'Gas used on the local chain: the 4-asset batch, one Aave update through the steward, a credit epoch, a proof and the challenge.',
      table: { columns: ['operation', 'gas'], rows: Object.entries(summary.gas).map(([k, v]) => [k, v]) },
    },
  ];
  const html = renderReport({
    title: 'risk-oracle demo',
    subtitle: `chain ${summary.chain.chainId}, ${summary.database.kind} database, ${summary.backtest.steps} hourly steps`,
    figures: [
      { label: 'bad debt, static baseline', value: `${comparison.baseline.badDebtPct.toFixed(3)} %` },
      { label: 'bad debt, model', value: `${comparison.model.badDebtPct.toFixed(3)} %` },
      { label: 'mean LTV, baseline → model', value: `${pct(comparison.baseline.meanLtv)} → ${pct(comparison.model.meanLtv)}` },
      { label: 'assets published', value: String(summary.rounds.filter((r) => r.publishable).length) },
      {
        label: 'on-chain agents, transactions, liquidations',
        value: `${summary.market.agents}, ${summary.market.transactions}, ${summary.market.liquidations.bot}`,
      },
      {
        label: 'credit AUC (baseline, Bayes)',
        value: `${summary.credit.auc.toFixed(3)} (${summary.credit.baselineAuc.toFixed(3)}, ${summary.credit.bayesAuc?.toFixed(3) ?? 'n/a'})`,
      },
      { label: 'tampered epoch', value: summary.challenge.invalidated ? 'invalidated' : 'NOT invalidated' },
      {
        label: 'verify mismatches',
        value: `${summary.verify.mismatches + summary.verify.epochMismatches} of ${summary.verify.checked + summary.verify.scoresChecked}`,
      },
    ],
    sections,
  });
  writeFileSync(file, html);
}
