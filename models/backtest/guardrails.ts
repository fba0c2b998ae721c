import type { FractionParams } from './engine';

/**
 * What the chain lets a parameter update do (RiskOracle's bounds, step limit and minimum delay; Aave's risk steward
 * has the same two knobs). Tightening (lower ltv or threshold, higher bonus) and loosening may have different steps.
 */
export interface Guardrails {
  /** Largest absolute change per parameter per update towards safety, and away from it (fractions). */
  maxTighten: number;
  maxLoosen: number;
  /** Seconds between two updates of one asset. */
  minDelaySeconds: number;
}

export const GUARDRAIL_PRESETS = {
  /** The project's defaults: 3 points an update, hourly (the demo's DAO bounds allow 5). */
  default: { maxTighten: 0.03, maxLoosen: 0.03, minDelaySeconds: 3_600 },
  /** Aave's risk stewards on mainnet: 50 bps absolute per parameter, at most once a day. */
  aave: { maxTighten: 0.005, maxLoosen: 0.005, minDelaySeconds: 86_400 },
} as const satisfies Record<string, Guardrails>;
export type GuardrailPreset = keyof typeof GUARDRAIL_PRESETS;

/** The DAO's bounds for one asset (fractions). */
export interface FractionBounds {
  min: FractionParams;
  max: FractionParams;
}

const step = (current: number, target: number, down: number, up: number): number =>
  Math.min(current + up, Math.max(current - down, target));

/**
 * One update from `current` towards `target`: clipped to the bounds, each parameter moved at most its step (lower
 * ltv and threshold and a higher bonus are tightening), then Aave's joint rules (ltv ≤ lt, lt × (1 + bonus) ≤ 1)
 * restored by lowering what breaks them.
 */
export function guardedUpdate(current: FractionParams, target: FractionParams, rails: Guardrails, bounds?: FractionBounds): FractionParams {
  const clip = (key: keyof FractionParams): number =>
    bounds ? Math.min(bounds.max[key], Math.max(bounds.min[key], target[key])) : target[key];
  const bonus = step(current.liquidationBonus, clip('liquidationBonus'), rails.maxLoosen, rails.maxTighten);
  const lt = Math.min(1 / (1 + bonus), step(current.liquidationThreshold, clip('liquidationThreshold'), rails.maxTighten, rails.maxLoosen));
  const ltv = Math.min(lt, step(current.ltv, clip('ltv'), rails.maxTighten, rails.maxLoosen));
  return { ltv, liquidationThreshold: lt, liquidationBonus: bonus };
}
