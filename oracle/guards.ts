/**
 * Guards between a model's output and a signature. Each returns decisions that are recorded with their reason:
 * `pass`, `clip` (the value was moved to what the chain allows, and the clip is recorded) or `hold` (the
 * proposal is not published this cycle). Units are Aave's: basis points, the bonus as 10000 + bonus.
 */

export const BPS = 10_000;

export interface CollateralParams {
  ltv: number;
  liquidationThreshold: number;
  liquidationBonus: number;
}

/** DAO-set bounds for one asset, as RiskOracle stores them. */
export interface AssetBounds {
  min: CollateralParams;
  max: CollateralParams;
  /** Largest change of any one parameter per update, in bps (absolute). */
  maxChangeBps: number;
  /** Seconds that must pass between two updates of the asset. */
  minDelaySeconds: number;
}

export interface OnChainState extends CollateralParams {
  /** Unix seconds of the last update; 0 when never set (then step limits do not apply unless `seeded`). */
  updatedAt: number;
  /**
   * Before the oracle's first round, the parameters come from the lending market's own configuration: the step
   * limit applies from them (an asset is not moved 30 points in one go because the oracle is new); the delay does not.
   */
  seeded?: boolean;
}

export type Decision = 'pass' | 'clip' | 'hold';

export interface GuardDecision {
  guard: string;
  decision: Decision;
  reason: string;
  details?: Record<string, unknown>;
}

export interface GuardedParams {
  params: CollateralParams;
  decisions: GuardDecision[];
  /** True when every decision is pass or clip. */
  publishable: boolean;
}

const KEYS = ['ltv', 'liquidationThreshold', 'liquidationBonus'] as const;

/** Aave's percentMul: half-up rounding of x·bps/10000, as PoolConfigurator checks lt × bonus ≤ 100 %. */
export function percentMul(value: number, percentage: number): number {
  return Math.floor((value * percentage + BPS / 2) / BPS);
}

/** The joint invariants Aave's PoolConfigurator enforces, checked together; empty when they all hold. */
export function invariantViolations(p: CollateralParams): string[] {
  const out: string[] = [];
  if (p.ltv > p.liquidationThreshold) out.push(`ltv ${p.ltv} > liquidation threshold ${p.liquidationThreshold}`);
  if (p.liquidationThreshold > 0) {
    if (p.liquidationBonus <= BPS) out.push(`liquidation bonus ${p.liquidationBonus} must exceed ${BPS} when the threshold is set`);
    else if (percentMul(p.liquidationThreshold, p.liquidationBonus) > BPS)
      out.push(
        `liquidation threshold × bonus = ${percentMul(p.liquidationThreshold, p.liquidationBonus)} bps > 100 % (liquidation would be unprofitable or insolvent)`,
      );
  } else if (p.liquidationBonus !== 0) out.push('liquidation bonus must be 0 when the threshold is 0');
  return out;
}

/** NaN, infinities, fractions and values outside [0, 2·BPS] never reach the chain. */
export function sanityDecision(p: CollateralParams): GuardDecision {
  for (const key of KEYS) {
    const v = p[key];
    if (!Number.isFinite(v)) return { guard: 'finite', decision: 'hold', reason: `${key} is ${v}`, details: { ...p } };
    if (!Number.isInteger(v))
      return { guard: 'finite', decision: 'hold', reason: `${key} ${v} is not a whole number of bps`, details: { ...p } };
    if (v < 0 || v > 2 * BPS)
      return { guard: 'range', decision: 'hold', reason: `${key} ${v} is outside [0, ${2 * BPS}] bps`, details: { ...p } };
  }
  return { guard: 'finite', decision: 'pass', reason: 'all parameters are finite whole bps in range' };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/**
 * Applies every guard to one asset's proposal: sanity, bounds (clip), step limit against the current on-chain
 * values (clip), minimum delay (hold), then the joint invariants on the final values (hold if they fail: we
 * never submit what the chain would refuse).
 */
export function guardParameters(proposed: CollateralParams, current: OnChainState, bounds: AssetBounds, nowSeconds: number): GuardedParams {
  const decisions: GuardDecision[] = [];
  const sanity = sanityDecision(proposed);
  decisions.push(sanity);
  if (sanity.decision === 'hold') return { params: proposed, decisions, publishable: false };

  const params = { ...proposed };
  for (const key of KEYS) {
    const bounded = clamp(params[key], bounds.min[key], bounds.max[key]);
    if (bounded !== params[key]) {
      decisions.push({
        guard: 'bounds',
        decision: 'clip',
        reason: `${key} ${params[key]} clipped to the DAO bounds [${bounds.min[key]}, ${bounds.max[key]}]`,
        details: { key, from: params[key], to: bounded },
      });
      params[key] = bounded;
    }
  }

  const stepLimited = current.updatedAt > 0 || current.seeded === true;
  if (stepLimited) {
    for (const key of KEYS) {
      const stepped = clamp(params[key], current[key] - bounds.maxChangeBps, current[key] + bounds.maxChangeBps);
      if (stepped !== params[key]) {
        decisions.push({
          guard: 'step',
          decision: 'clip',
          reason: `${key} ${params[key]} moves more than ${bounds.maxChangeBps} bps from ${current[key]}; clipped to ${stepped}`,
          details: { key, from: params[key], to: stepped, current: current[key] },
        });
        params[key] = stepped;
      }
    }
    const elapsed = nowSeconds - current.updatedAt;
    if (current.updatedAt > 0 && elapsed < bounds.minDelaySeconds) {
      decisions.push({
        guard: 'delay',
        decision: 'hold',
        reason: `only ${elapsed} s since the last update; the DAO requires ${bounds.minDelaySeconds} s`,
        details: { elapsed, minDelaySeconds: bounds.minDelaySeconds },
      });
    }
  }

  // a threshold clipped below the ltv pulls the ltv down with it, when the ltv's own limits allow that
  const ltvFloor = Math.max(bounds.min.ltv, stepLimited ? current.ltv - bounds.maxChangeBps : -Infinity);
  if (params.ltv > params.liquidationThreshold && params.liquidationThreshold >= ltvFloor) {
    decisions.push({
      guard: 'invariants',
      decision: 'clip',
      reason: `ltv ${params.ltv} lowered to the liquidation threshold ${params.liquidationThreshold}`,
      details: { key: 'ltv', from: params.ltv, to: params.liquidationThreshold },
    });
    params.ltv = params.liquidationThreshold;
  }

  const violations = invariantViolations(params);
  decisions.push(
    violations.length === 0
      ? { guard: 'invariants', decision: 'pass', reason: 'ltv ≤ lt, lt × bonus ≤ 100 %, bonus > 100 %' }
      : { guard: 'invariants', decision: 'hold', reason: violations.join('; '), details: { ...params } },
  );
  return { params, decisions, publishable: decisions.every((d) => d.decision !== 'hold') };
}

/** True when two parameter sets are equal (nothing to publish). */
export function sameParams(a: CollateralParams, b: CollateralParams): boolean {
  return KEYS.every((k) => a[k] === b[k]);
}
