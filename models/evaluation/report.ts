import { lineChart, renderSvg, type ChartSpec } from '../../core/charts';
import { renderReport } from '../../core/report';
import type { ClassificationMetrics } from '../metrics';
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
