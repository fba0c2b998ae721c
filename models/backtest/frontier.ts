/**
 * The efficient frontier: one (mean allowed LTV, bad debt) point per policy says nothing, since any model can buy
 * LTV with bad debt. Sweep the model's risk appetite, and read its bad debt at the baseline's mean LTV and its
 * mean LTV at the baseline's bad debt off the curve (linear interpolation, never extrapolated).
 */

export interface FrontierPoint {
  setting: number;
  meanLtv: number;
  badDebtPct: number;
}

export interface Matched {
  baselineMeanLtv: number;
  baselineBadDebtPct: number;
  /** The model's bad debt % at the baseline's mean LTV; null when the curve does not reach it. */
  modelBadDebtPctAtBaselineLtv: number | null;
  /**
   * modelBadDebtPctAtBaselineLtv ÷ baselineBadDebtPct: 0 when both are 0; Number.MAX_VALUE (JSON has no Infinity)
   * when only the baseline has none, or when the curve does not reach the baseline's LTV (no comparison is a loss).
   */
  badDebtRatio: number;
  /** The highest mean LTV on the curve whose bad debt is at most the baseline's; null when no point is. */
  modelMeanLtvAtBaselineBadDebt: number | null;
  /** Whether the curve spans the baseline's mean LTV (the comparison needs no extrapolation). */
  reachesBaselineLtv: boolean;
}

/** Points ordered by mean LTV (ties by bad debt), the order the interpolation walks. */
const byLtv = (curve: readonly FrontierPoint[]): FrontierPoint[] =>
  [...curve].sort((a, b) => a.meanLtv - b.meanLtv || a.badDebtPct - b.badDebtPct);

/** Bad debt % on the curve at `ltv` (linear between the neighbours in LTV); undefined outside the curve's span. */
export function badDebtAtLtv(curve: readonly FrontierPoint[], ltv: number): number | undefined {
  const pts = byLtv(curve);
  if (pts.length === 0 || ltv < pts[0]!.meanLtv || ltv > pts[pts.length - 1]!.meanLtv) return undefined;
  for (let k = 0; k < pts.length; k++) {
    const p = pts[k]!;
    if (p.meanLtv === ltv) return p.badDebtPct;
    const q = pts[k + 1];
    if (q && p.meanLtv < ltv && ltv < q.meanLtv)
      return p.badDebtPct + ((q.badDebtPct - p.badDebtPct) * (ltv - p.meanLtv)) / (q.meanLtv - p.meanLtv);
  }
  return undefined;
}

/**
 * The highest mean LTV at which the piecewise-linear curve's bad debt is at most `badDebt`: a point at or under it,
 * or where a segment crosses it from below.
 */
export function ltvAtBadDebt(curve: readonly FrontierPoint[], badDebt: number): number | undefined {
  const pts = byLtv(curve);
  let best: number | undefined;
  for (let k = 0; k < pts.length; k++) {
    const p = pts[k]!;
    if (p.badDebtPct <= badDebt) best = p.meanLtv;
    const q = pts[k + 1];
    if (q && p.badDebtPct <= badDebt && q.badDebtPct > badDebt && q.meanLtv > p.meanLtv)
      best = p.meanLtv + ((q.meanLtv - p.meanLtv) * (badDebt - p.badDebtPct)) / (q.badDebtPct - p.badDebtPct);
  }
  return best;
}

/** The matched comparison of a curve with the baseline's point. */
export function matchBaseline(curve: readonly FrontierPoint[], baseline: { meanLtv: number; badDebtPct: number }): Matched {
  const atLtv = badDebtAtLtv(curve, baseline.meanLtv);
  const atBadDebt = ltvAtBadDebt(curve, baseline.badDebtPct);
  let ratio: number;
  if (atLtv === undefined) ratio = Number.MAX_VALUE;
  else if (baseline.badDebtPct > 0) ratio = atLtv / baseline.badDebtPct;
  else ratio = atLtv > 0 ? Number.MAX_VALUE : 0;
  return {
    baselineMeanLtv: baseline.meanLtv,
    baselineBadDebtPct: baseline.badDebtPct,
    modelBadDebtPctAtBaselineLtv: atLtv ?? null,
    badDebtRatio: ratio,
    modelMeanLtvAtBaselineBadDebt: atBadDebt ?? null,
    reachesBaselineLtv: atLtv !== undefined,
  };
}
