import { lineChart, renderSvg, type ChartSpec } from '../../core/charts';
import { renderReport } from '../../core/report';
import type { ClassificationMetrics } from '../metrics';
import type { CollateralEvaluation } from './collateral-evaluate';
import type { CreditEvaluation } from './evaluate';

const f = (v: number, digits = 4): string => v.toFixed(digits);

function rocChart(e: CreditEvaluation): ChartSpec {
  const values = [
    ...e.roc.model.map((p) => ({ ...p, curve: 'model (published integer PDs)' })),
    ...e.roc.baseline.map((p) => ({ ...p, curve: 'logistic baseline' })),
    { fpr: 0, tpr: 0, curve: 'chance' },
    { fpr: 1, tpr: 1, curve: 'chance' },
  ];
  return lineChart({
    title: 'ROC curve on the snapshot',
    values,
    x: { field: 'fpr', title: 'false positive rate' },
    y: { field: 'tpr', title: 'true positive rate', zero: true },
    series: { field: 'curve', title: 'curve' },
    width: 420,
    height: 320,
  });
}

function calibrationChart(e: CreditEvaluation): ChartSpec {
  return {
    title: 'Calibration: predicted PD against the observed default rate',
    width: 420,
    height: 320,
    layer: [
      {
        data: { values: [{ p: 0 }, { p: 1 }] },
        mark: { type: 'line', strokeDash: [4, 4], color: '#888' },
        encoding: { x: { field: 'p', type: 'quantitative' }, y: { field: 'p', type: 'quantitative' } },
      },
      {
        data: { values: e.calibration },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'meanPredicted', type: 'quantitative', title: 'mean predicted PD', scale: { domain: [0, 1] } },
          y: { field: 'observedRate', type: 'quantitative', title: 'observed default rate', scale: { domain: [0, 1] } },
          tooltip: [{ field: 'count', type: 'quantitative' }],
        },
      },
    ],
  } as ChartSpec;
}

function bandChart(e: CreditEvaluation): ChartSpec {
  return {
    title: 'Default rate by score band',
    width: 420,
    height: 240,
    data: { values: e.scoreBands.map((b) => ({ band: `${b.from}–${b.from + 49}`, rate: b.defaults / b.count, count: b.count })) },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'band', type: 'ordinal', title: 'score band', sort: null },
      y: { field: 'rate', type: 'quantitative', title: 'observed default rate' },
      tooltip: [{ field: 'count', type: 'quantitative' }],
    },
  } as ChartSpec;
}

const metricRow = (label: string, m: ClassificationMetrics): Array<string | number> => [
  label,
  f(m.rocAuc),
  f(m.prAuc),
  f(m.ks),
  f(m.brier),
  f(m.ece),
  f(m.recall),
  m.count,
];

/** A short standalone HTML page: the figures, where they come from, and three charts. */
export async function evaluationReportHtml(e: CreditEvaluation): Promise<string> {
  const s = e.snapshot;
  const when = new Date(s.timestamp * 1000).toISOString().slice(0, 10);
  return renderReport({
    title: 'Credit model evaluation',
    subtitle: `model ${e.modelId} on snapshot ${s.name} (${e.snapshotId})`,
    figures: [
      { label: 'ROC-AUC (published model)', value: f(e.model.rocAuc) },
      { label: 'ROC-AUC (logistic baseline)', value: f(e.baseline.rocAuc) },
      { label: 'KS', value: f(e.model.ks, 3) },
      { label: 'Brier', value: f(e.model.brier) },
      { label: 'rows / defaults', value: `${s.count} / ${s.positives}` },
    ],
    sections: [
      {
        id: 'metrics',
        title: 'Metrics',
        explanation: `Rows observed on chain ${s.chainId} up to block ${s.block} (${when}), labelled by a liquidation or a health factor below 1 within ${s.horizonSeconds / 86_400} days; merkle root ${s.merkleRoot}. The model's figures use the PDs of its published integer model, the ones Solidity proves. ${e.outOfTimeRows} of ${s.count} rows are at or after the model's own test start.${e.horizonMismatch ? ' The model was trained for another horizon than this snapshot labels.' : ''} Anyone running evaluate on these two files gets these numbers to the last digit.`,
        table: {
          columns: ['model', 'ROC-AUC', 'PR-AUC', 'KS', 'Brier', 'calibration error', `recall at PD ≥ ${e.model.threshold}`, 'rows'],
          rows: [
            metricRow('published model', e.model),
            metricRow('logistic baseline', e.baseline),
            metricRow('claimed by the artifact (its own test rows)', e.claimed),
          ],
        },
      },
      {
        id: 'roc',
        title: 'ROC curve',
        explanation: 'How well the PDs rank defaulters above the others, against the baseline and chance.',
        svg: await renderSvg(rocChart(e)),
      },
      {
        id: 'calibration',
        title: 'Calibration',
        explanation:
          'Predicted PDs binned in tenths against the share of those rows that defaulted: on the dashed line a PD means what it says.',
        svg: await renderSvg(calibrationChart(e)),
      },
      {
        id: 'bands',
        title: 'Score bands',
        explanation: 'Observed default rate per 50-point score band: it should fall as the score rises.',
        svg: await renderSvg(bandChart(e)),
      },
    ],
  });
}

function coverageChart(e: CollateralEvaluation): ChartSpec {
  return {
    title: 'Quantile coverage: share of realised moves at or below the predicted quantile',
    width: 420,
    height: 260,
    layer: [
      {
        data: { values: e.coverage.map((c) => ({ ...c, label: `q${c.quantile}` })) },
        mark: { type: 'point', filled: true, size: 70 },
        encoding: {
          x: { field: 'label', type: 'ordinal', title: 'quantile', sort: null },
          y: { field: 'share', type: 'quantitative', title: 'observed coverage', scale: { zero: false } },
          color: { field: 'asset', type: 'nominal', title: 'asset' },
          tooltip: [{ field: 'rows', type: 'quantitative' }],
        },
      },
      {
        data: { values: e.coverage.filter((c) => c.asset === 'all').map((c) => ({ label: `q${c.quantile}`, nominal: c.quantile })) },
        mark: { type: 'tick', color: '#444', thickness: 2, size: 30 },
        encoding: { x: { field: 'label', type: 'ordinal', sort: null }, y: { field: 'nominal', type: 'quantitative' } },
      },
    ],
  } as ChartSpec;
}

function thresholdChart(e: CollateralEvaluation): ChartSpec {
  return lineChart({
    title: 'Liquidation threshold over time: model against the empirical-quantile spec',
    values: e.backtest.path.flatMap((p) => [
      { t: p.t * 1000, lt: p.model, line: `${p.asset} model` },
      { t: p.t * 1000, lt: p.baseline, line: `${p.asset} empirical` },
    ]),
    x: { field: 't', title: 'time', type: 'temporal' },
    y: { field: 'lt', title: 'liquidation threshold' },
    series: { field: 'line', title: 'asset and policy' },
    width: 560,
    height: 300,
  });
}

function backtestChart(e: CollateralEvaluation): ChartSpec {
  const values = (['model', 'baseline'] as const).flatMap((policy) =>
    e.backtest[policy].assets.map((a) => ({
      asset: a.symbol,
      policy: policy === 'model' ? 'model' : 'empirical quantile',
      badDebtPct: a.badDebtPct,
      meanLtv: a.meanLtv,
    })),
  );
  return {
    title: 'Backtest per asset: mean allowed LTV (bars) and bad debt % of borrowed (tooltip)',
    width: 420,
    height: 240,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'asset', type: 'nominal', title: 'asset' },
      xOffset: { field: 'policy', type: 'nominal' },
      y: { field: 'meanLtv', type: 'quantitative', title: 'mean allowed LTV' },
      color: { field: 'policy', type: 'nominal', title: 'policy' },
      tooltip: [{ field: 'badDebtPct', type: 'quantitative', title: 'bad debt %' }],
    },
  } as ChartSpec;
}

/** The collateral evaluation as a standalone HTML page: coverage, pinball loss, the backtest, three charts. */
export async function collateralEvaluationReportHtml(e: CollateralEvaluation): Promise<string> {
  const s = e.snapshot;
  const b = e.backtest;
  const all = e.coverage.filter((c) => c.asset === 'all');
  const when = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);
  const policyRow = (label: string, r: CollateralEvaluation['backtest']['model']) => [
    label,
    f(r.badDebtUsd, 0),
    f(r.badDebtPct, 3),
    f(r.meanLtv),
    r.liquidations,
  ];
  return renderReport({
    title: 'Collateral model evaluation',
    subtitle: `model ${e.modelId} on snapshot ${s.name} (${e.snapshotId})`,
    figures: [
      ...all.map((c) => ({ label: `coverage of q${c.quantile}`, value: f(c.share, 3) })),
      { label: 'pinball loss (sum)', value: f(e.pinballTotal, 5) },
      { label: 'bad debt %, model / empirical', value: `${f(b.model.badDebtPct, 3)} / ${f(b.baseline.badDebtPct, 3)}` },
      { label: 'mean LTV, model / empirical', value: `${f(b.model.meanLtv, 3)} / ${f(b.baseline.meanLtv, 3)}` },
    ],
    sections: [
      {
        id: 'coverage',
        title: 'Quantile coverage',
        explanation: `${s.count} rows of ${s.assets.join(', ')} on chain ${s.chainId} up to block ${s.block} (${when(s.timestamp)}), each the worst fall over ${s.horizonSteps} steps of ${s.stepSeconds} s after its time; merkle root ${s.merkleRoot}. A calibrated q-quantile covers a share q of the moves (the dark ticks).${e.horizonMismatch ? ' The model was trained for another horizon than this snapshot labels.' : ''} Predictions are the canonical float64 inference, the one the oracle's signers run.`,
        svg: await renderSvg(coverageChart(e)),
        table: {
          columns: ['quantile', 'asset', 'rows', 'covered', 'coverage', 'claimed (its own test rows)'],
          rows: e.coverage.map((c) => [
            c.quantile,
            c.asset,
            c.rows,
            c.covered,
            f(c.share),
            c.asset === 'all' ? f(e.claimed.coverage[String(c.quantile)] ?? NaN) : '',
          ]),
        },
      },
      {
        id: 'pinball',
        title: 'Pinball loss',
        explanation: 'Mean pinball loss per quantile over every row: lower is better; the loss a quantile regression minimises.',
        table: { columns: ['quantile', 'mean pinball loss'], rows: e.pinball.map((p) => [p.quantile, f(p.loss, 6)]) },
      },
      {
        id: 'backtest',
        title: 'Parameter backtest',
        explanation: `From ${when(b.from)} to ${when(b.to)} (${b.steps} steps): the parameters the model's q${e.proposalQuantile} would set, updated every ${b.cadenceSteps} steps and moving at most ${b.maxChange} per update, against the oracle's empirical-quantile spec (the q${e.proposalQuantile} of the trailing 30 days' adverse moves) under the same rules, with the same borrowers.`,
        svg: await renderSvg(backtestChart(e)),
        table: {
          columns: ['policy', 'bad debt (USD)', 'bad debt (% of borrowed)', 'mean allowed LTV', 'liquidations'],
          rows: [policyRow('model', b.model), policyRow('empirical quantile', b.baseline)],
        },
      },
      {
        id: 'thresholds',
        title: 'Thresholds over time',
        explanation:
          'Each asset’s liquidation threshold under both policies: the model should tighten before the empirical spec in a regime change.',
        svg: await renderSvg(thresholdChart(e)),
      },
    ],
  });
}
