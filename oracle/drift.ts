import { populationStabilityIndex, type ReferenceDistribution } from '../models/drift';
import type { GuardDecision } from './guards';

export { populationStabilityIndex, referenceDistribution, referenceDistributions, type ReferenceDistribution } from '../models/drift';

/**
 * The drift guard: PSI per feature; above `threshold` (0.25 is the usual "significant shift") the proposal is
 * held and the features that moved are named. Non-finite current values are drift too.
 */
export function driftDecision(
  references: ReferenceDistribution[],
  current: Record<string, readonly number[]>,
  threshold = 0.25,
): GuardDecision {
  const psi: Record<string, number> = {};
  const drifted: string[] = [];
  for (const ref of references) {
    const values = current[ref.feature];
    if (!values || values.length === 0) {
      drifted.push(`${ref.feature} (missing)`);
      continue;
    }
    if (values.some((v) => !Number.isFinite(v))) {
      drifted.push(`${ref.feature} (non-finite values)`);
      continue;
    }
    psi[ref.feature] = populationStabilityIndex(ref, values);
    if (psi[ref.feature]! > threshold) drifted.push(`${ref.feature} (PSI ${psi[ref.feature]!.toFixed(3)})`);
  }
  return drifted.length === 0
    ? { guard: 'drift', decision: 'pass', reason: `every feature's PSI ≤ ${threshold}`, details: { psi } }
    : {
        guard: 'drift',
        decision: 'hold',
        reason: `feature drift against the training data: ${drifted.join(', ')}`,
        details: { psi, threshold },
      };
}
