import { writeFileSync } from 'node:fs';
import { renderSvg, type ChartSpec } from '../../core/charts';
import { renderReport, type ReportSection } from '../../core/report';
import { frontierChart, type Comparison, type FrontierReport, type Matched } from '../../models';
import type { CycleResult } from '../../oracle/cycle';
import { driftChart } from '../../oracle/dashboard/charts';
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

/** The community path: snapshot, bonded submissions, reproduced claims, the DAO's votes, the candidate in shadow. */
function communitySections(summary: DemoSummary, driftSvg: string): ReportSection[] {
  const c = summary.community;
  const short = (id: string) => `${id.slice(0, 10)}…`;
  const drift = summary.drift;
  const above = Object.entries(drift.psi).filter(([f, v]) => v > drift.defaultThreshold && !(f in drift.outOfSupport));
  const market = Object.entries(drift.outOfSupport)
    .map(([f, share]) => `${f}: ${(share * 100).toFixed(1)} % of wallets outside the training range`)
    .join('; ');
  return [
    {
      id: 'community',
      title: 'Community models: submitted with a bond, reproduced by anyone, promoted by vote',
      explanation: `A public snapshot of the chain's indexed history (${c.snapshot.rows} observations, ${c.snapshot.positives} defaults within the horizon, up to block ${c.snapshot.block}; id ${short(c.snapshot.id)}) is what every claim is about: a claim is the keccak256 of a model's canonical evaluation on it. Three community members submitted a credit model with a bond and a claim; a watcher recomputed each evaluation from the published artifact and snapshot, found that one claim does not reproduce and disputed it with a bond. The DAO then voted twice (propose → vote → queue → execute): it promoted the first model to the credit model in force, and upheld the dispute, so the oversold model is rejected and the watcher may withdraw both bonds (${Number(c.disputerOwed) / 1e18} ETH). The artifacts, claims and snapshot are in community/ beside this report: anyone can recompute a claim with risk-oracle evaluate --artifact community/NAME.json --snapshot community/snapshot.json.`,
      table: {
        columns: ['submission', 'model id', 'model', 'claimed ROC-AUC', 'reproduced ROC-AUC', 'check', 'status after the votes'],
        rows: c.submissions.map((s) => [
          s.name,
          short(s.modelId),
          s.description,
          s.claimedAuc.toFixed(4),
          s.check.auc.toFixed(4),
          s.check.reproduced ? 'reproduces' : 'does not reproduce: disputed',
          s.status,
        ]),
      },
    },
    {
      id: 'shadow',
      title: 'Shadow: the candidate beside the model in force',
      explanation: `The remaining candidate scored the same wallets at the same time as the model in force, with the same canonical integer inference; nothing of it is published. Rank correlation 1 means both models order every wallet alike; a decision flip is a wallet one model puts at or above the lending cutoff and the other below it. This is the record the DAO reads before promoting a candidate.`,
      table: {
        columns: [
          'candidate',
          'wallets',
          'rank correlation',
          'mean |Δ score|',
          'max |Δ score|',
          'decision flips',
          'mean PD (candidate)',
          'mean PD (in force)',
        ],
        rows: c.shadow.map((r) => [
          short(r.modelId),
          r.wallets,
          r.rankCorrelation.toFixed(4),
          r.meanAbsScoreDiff.toFixed(1),
          r.maxAbsScoreDiff,
          `${r.decisionFlips} at ${r.cutoff}`,
          r.meanPd.toFixed(4),
          r.referenceMeanPd.toFixed(4),
        ]),
      },
    },
    {
      id: 'drift',
      title: 'Drift guard on epoch 1',
      explanation: `Before an epoch is signed, the oracle compares every wallet-level feature of the wallets it scores with the model's training distribution (population stability index, PSI) and holds the epoch above the default threshold ${drift.defaultThreshold}. A market-level feature (the 7-day volatility of the open collateral) takes one value per asset when everyone is scored at one instant, so it is judged by whether the model has seen such a market: the epoch holds when more than a tenth of the wallets lie outside its training range (${market || 'none'}). The guard ${drift.heldAtDefault ? 'held' : 'passed'} epoch 1 at the default (${above.length} of ${Object.keys(drift.psi).length - Object.keys(drift.outOfSupport).length} wallet-level features above it)${drift.heldAtDefault ? `: the hold and its alert stay on record, and the epoch was proposed again and signed under a threshold of ${drift.threshold}` : ''}. The model trains on off-chain histories from the same behaviour model as the on-chain agents, on the market's own reserves and no older than its history, so their features are comparable.`,
      svg: driftSvg,
    },
  ];
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
      )}) supplied, borrowed, repaid and withdrew on the local Aave V3 Pool while the price path moved its feeds (${m.steps} moves, ${m.priceUpdates} feed answers); ${m.loans.opened - m.loans.closed} of ${m.loans.opened} loans were still open at the end. A bot read the Pool's events and liquidated every account whose health factor fell below 1 (${m.liquidations.bot} liquidations of ${m.liquidations.accounts} accounts). The RPC indexer then read the chain back: its rows match the chain's events kind for kind. The credit epoch scores these wallets on their indexed history only.`,
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
        "Each epoch is a Merkle root over (wallet, score, PD, features hash), signed by 3 of the 5 RiskOracle signers and published with a bond. Epoch 1 went through the oracle's pipeline: proposed with the model in force at its block, guarded, recomputed by each signer before it signed, published once 3 signatures were stored. Epoch 2 was tampered with by a colluding quorum that skipped the recomputation: one score inflated.",
      table: {
        columns: ['epoch', 'wallets', 'model', 'root', 'gas', 'status'],
        rows: summary.epochs.map((e) => [
          e.epoch,
          e.wallets,
          `${e.modelId.slice(0, 10)}…`,
          e.root,
          e.gas,
          e.invalidated ? 'invalidated by a challenge' : 'valid',
        ]),
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

/** A matched figure as a person reads it: a percentage, 'not reached', or a ratio (∞ when only the model loses). */
const ratioText = (m: Matched): string =>
  m.modelBadDebtPctAtBaselineLtv === null
    ? 'not reached'
    : `${m.modelBadDebtPctAtBaselineLtv.toFixed(3)} % vs ${m.baselineBadDebtPct.toFixed(3)} % (×${m.badDebtRatio === Number.MAX_VALUE ? '∞' : m.badDebtRatio.toFixed(2)})`;

export async function writeDemoReport(
  file: string,
  summary: DemoSummary,
  comparison: Comparison,
  frontier: FrontierReport,
  cycle: CycleResult,
): Promise<void> {
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
        "The liquidation threshold and maximum LTV the tail model sets for each asset at its 99th percentile: the year's tail of 12-hour falls, lifted by the regime, the peg and the liquidation wave's impact at the asset's depth, moved at most 3 points per update like the on-chain step limit.",
      svg: await renderSvg(parameterChart(comparison)),
    },
    {
      id: 'backtest',
      title: 'Backtest: model vs static parameters',
      explanation:
        'The same simulated borrowers (half at the maximum LTV, the rest below it, 30-day mean lifetime) face both parameter sets on the same prices; liquidations wait one hour, pay slippage from the market depth (what all liquidators sell that hour), and are skipped when the bonus does not cover it and the gas. One point each: the frontier below compares them at matched LTV.',
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
      id: 'frontier',
      title: "Frontier: the model at the baseline's capital efficiency",
      explanation:
        "One point per policy is no comparison: any model buys LTV with bad debt. The model's risk appetite (the quantile of the adverse move its thresholds survive) is swept, the same backtest run for each, and its bad debt read off the curve at the static baseline's mean LTV (never extrapolated), overall and per asset class; below and right of the diamond is better.",
      svg: await renderSvg(frontierChart([{ name: 'tail model', points: frontier.frontier }], frontier.baseline)),
      table: {
        columns: ['assets', 'baseline mean LTV', 'bad debt at that LTV: model vs baseline', 'model mean LTV at the baseline bad debt'],
        rows: [
          [
            'all',
            pct(frontier.matched.baselineMeanLtv),
            ratioText(frontier.matched),
            frontier.matched.modelMeanLtvAtBaselineBadDebt === null ? 'n/a' : pct(frontier.matched.modelMeanLtvAtBaselineBadDebt),
          ],
          ...frontier.classes.map((c) => [
            `${c.class} (${c.symbols.join(', ')})`,
            pct(c.matched.baselineMeanLtv),
            ratioText(c.matched),
            c.matched.modelMeanLtvAtBaselineBadDebt === null ? 'n/a' : pct(c.matched.modelMeanLtvAtBaselineBadDebt),
          ]),
        ],
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
    ...communitySections(
      summary,
      // the dashboard's chart of the same guard, judged at the default threshold (the demo may have published at its fallback)
      await renderSvg(
        driftChart(
          { epoch: 1, psi: summary.drift.psi, outOfSupport: summary.drift.outOfSupport, threshold: summary.drift.defaultThreshold },
          { width: 520 },
        ),
      ),
    ),
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
      {
        label: `bad debt at the baseline's mean LTV (${pct(frontier.matched.baselineMeanLtv)}): model vs baseline`,
        value: ratioText(frontier.matched),
      },
      {
        label: "model's mean LTV at the baseline's bad debt",
        value: frontier.matched.modelMeanLtvAtBaselineBadDebt === null ? 'n/a' : pct(frontier.matched.modelMeanLtvAtBaselineBadDebt),
      },
      { label: 'assets published', value: String(summary.rounds.filter((r) => r.publishable).length) },
      {
        label: 'on-chain agents, transactions, liquidations',
        value: `${summary.market.agents}, ${summary.market.transactions}, ${summary.market.liquidations.bot}`,
      },
      {
        label: 'credit AUC (baseline, Bayes)',
        value: `${summary.credit.auc.toFixed(3)} (${summary.credit.baselineAuc.toFixed(3)}, ${summary.credit.bayesAuc?.toFixed(3) ?? 'n/a'})`,
      },
      {
        label: 'community models: reproduced, disputed',
        value: `${summary.community.submissions.filter((x) => x.check.reproduced).length}, ${summary.community.submissions.filter((x) => x.check.dispute).length}`,
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
