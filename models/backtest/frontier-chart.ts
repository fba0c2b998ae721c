import type { ChartSpec } from '../../core/charts';
import type { FrontierPoint } from './frontier';

/**
 * The frontier as risk teams read it: one line per model curve (mean allowed LTV → bad debt, one point per risk
 * appetite) and the static baseline as one diamond on the same axes; below and right of the diamond is better. Shared
 * by the demo report, notebook 03 and the dashboard.
 */
export function frontierChart(
  curves: ReadonlyArray<{ name: string; points: readonly FrontierPoint[] }>,
  baseline: { meanLtv: number; badDebtPct: number },
  options: { title?: string; width?: number; height?: number } = {},
): ChartSpec {
  const values = [
    ...curves.flatMap((c) => c.points.map((p) => ({ set: c.name, setting: p.setting, meanLtv: p.meanLtv, badDebtPct: p.badDebtPct }))),
    { set: 'static baseline', setting: null, meanLtv: baseline.meanLtv, badDebtPct: baseline.badDebtPct },
  ];
  const x = {
    field: 'meanLtv',
    type: 'quantitative',
    title: 'mean allowed LTV (capital efficiency)',
    scale: { zero: false },
    axis: { format: '%' },
  };
  const y = { field: 'badDebtPct', type: 'quantitative', title: 'bad debt (% of borrowed)' };
  const color = { field: 'set', type: 'nominal', title: 'parameters' };
  return {
    title: options.title ?? 'Frontier: bad debt against mean allowed LTV',
    width: options.width ?? 520,
    height: options.height ?? 260,
    data: { values },
    layer: [
      {
        transform: [{ filter: "datum.set !== 'static baseline'" }],
        mark: { type: 'line', point: true },
        encoding: { x, y, color, order: { field: 'meanLtv' }, tooltip: [{ field: 'setting', title: 'quantile' }] },
      },
      {
        transform: [{ filter: "datum.set === 'static baseline'" }],
        mark: { type: 'point', shape: 'diamond', filled: true, size: 180 },
        encoding: { x, y, color },
      },
    ],
  } as ChartSpec;
}
