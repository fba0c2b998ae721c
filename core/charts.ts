import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

export type ChartSpec = TopLevelSpec;

/**
 * Renders a vega-lite spec to a standalone SVG string in Node (no browser, no network): the report and the
 * notebooks show the same charts from the same specs.
 */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  const compiled = vl.compile({ background: 'white', ...spec } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A line chart of `y` against `x`, one line per `series` (when given), with titled axes. */
export function lineChart(options: {
  title: string;
  values: Array<Record<string, unknown>>;
  x: { field: string; title: string; type?: 'quantitative' | 'temporal' };
  y: { field: string; title: string; zero?: boolean };
  series?: { field: string; title: string };
  width?: number;
  height?: number;
}): ChartSpec {
  return {
    title: options.title,
    width: options.width ?? 560,
    height: options.height ?? 240,
    data: { values: options.values },
    mark: { type: 'line', interpolate: 'linear' },
    encoding: {
      x: { field: options.x.field, type: options.x.type ?? 'quantitative', title: options.x.title },
      y: { field: options.y.field, type: 'quantitative', title: options.y.title, scale: { zero: options.y.zero ?? false } },
      ...(options.series ? { color: { field: options.series.field, type: 'nominal', title: options.series.title } } : {}),
    },
  } as ChartSpec;
}
