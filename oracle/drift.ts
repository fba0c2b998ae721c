import { outOfSupportShare, populationStabilityIndex, supportRange, type ReferenceDistribution } from '../models/drift';
import type { GuardDecision } from './guards';

export {
  outOfSupportShare,
  supportRange,
  populationStabilityIndex,
  referenceDistribution,
  referenceDistributions,
  type ReferenceDistribution,
} from '../models/drift';

/**
 * Market-level features (references with a training `support`) hold when more than this share of the scored wallets
 * lies outside the values the model was trained on: the market is in a state the model has not seen.
 */
export const MAX_OUT_OF_SUPPORT_SHARE = 0.1;

/**
 * The drift guard: PSI per wallet-level feature; above `threshold` (0.25 is the usual "significant shift") the
 * proposal is held and the features that moved are named. A market-level feature is judged by its training support
 * instead (see `ReferenceDistribution.support`); its PSI is still reported. Non-finite current values are drift too.
 */
export function driftDecision(
  references: ReferenceDistribution[],
  current: Record<string, readonly number[]>,
  threshold = 0.25,
): GuardDecision {
  const psi: Record<string, number> = {};
  const outOfSupport: Record<string, number> = {};
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
    const range = supportRange(ref);
    if (range) {
      const share = (outOfSupport[ref.feature] = outOfSupportShare(ref, values));
      if (share > MAX_OUT_OF_SUPPORT_SHARE) {
        const below = values.filter((v) => v < range.low).length;
        drifted.push(
          `${ref.feature} (${(share * 100).toFixed(1)} % of wallets outside the training range ${range.low.toPrecision(4)}–${range.high.toPrecision(4)}: ${below} below, ${Math.round(share * values.length) - below} above)`,
        );
      }
    } else if (psi[ref.feature]! > threshold) drifted.push(`${ref.feature} (PSI ${psi[ref.feature]!.toFixed(3)})`);
  }
  const details = { psi, ...(Object.keys(outOfSupport).length ? { outOfSupport } : {}), threshold };
  const marketLevel = Object.keys(outOfSupport);
  return drifted.length === 0
    ? {
        guard: 'drift',
        decision: 'pass',
        reason: marketLevel.length
          ? `every wallet-level feature's PSI ≤ ${threshold}; market-level ${marketLevel.join(', ')} within the training range for ≥ ${100 - MAX_OUT_OF_SUPPORT_SHARE * 100} % of wallets`
          : `every feature's PSI ≤ ${threshold}`,
        details,
      }
    : { guard: 'drift', decision: 'hold', reason: `feature drift against the training data: ${drifted.join(', ')}`, details };
}

/**
 * The drift guard for one feature row (a collateral round: one asset at one time): every feature with a training
 * support must lie inside it (widened by `SUPPORT_MARGIN`); a feature missing or not finite holds too. The model has
 * not seen a market outside its support, so its proposal is held rather than published on extrapolation.
 */
export function supportDecision(references: readonly ReferenceDistribution[], row: Readonly<Record<string, number>>): GuardDecision {
  const outside: string[] = [];
  for (const ref of references) {
    const range = supportRange(ref);
    if (!range) continue;
    const v = row[ref.feature];
    if (v === undefined || !Number.isFinite(v)) outside.push(`${ref.feature} (${v === undefined ? 'missing' : String(v)})`);
    else if (v < range.low || v > range.high)
      outside.push(`${ref.feature} ${v.toPrecision(4)} (trained on ${range.low.toPrecision(4)}–${range.high.toPrecision(4)})`);
  }
  return outside.length === 0
    ? { guard: 'drift', decision: 'pass', reason: 'every feature within the training range' }
    : {
        guard: 'drift',
        decision: 'hold',
        reason: `features outside the training range: ${outside.join(', ')}`,
        details: { row: { ...row } },
      };
}
