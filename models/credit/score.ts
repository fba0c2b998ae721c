import { compileQuantized, decodeWeights, featuresHash, quantizeFeatures, type Inference, type QuantizedModel } from '../quantize';
import type { CreditArtifact } from './artifact';
import { featureSpecHash } from './features';

export interface CanonicalScore extends Inference {
  /** The normalised, quantised inputs (int32, Q16) and their keccak256: the score leaf's featuresHash. */
  features: number[];
  featuresHash: string;
}

/** Raw features → z-scores with the artifact's training mean/std, clipped to ±16 → Q16 integers. */
export function canonicalInputs(raw: ArrayLike<number>, normalisation: CreditArtifact['normalisation']): number[] {
  if (raw.length !== normalisation.mean.length) throw new Error(`expected ${normalisation.mean.length} features, got ${raw.length}`);
  return quantizeFeatures(Array.from(raw, (v, j) => (v - normalisation.mean[j]!) / normalisation.std[j]!));
}

/** The integer network an artifact publishes with: its quantised weights, decoded (never the float layers). */
export const quantizedNetwork = (artifact: Pick<CreditArtifact, 'quantized'>): QuantizedModel =>
  decodeWeights(Buffer.from(artifact.quantized.weights.slice(2), 'hex'));

/**
 * The published scorer of an artifact: canonical integer inference on the quantised weights (never the float
 * layers). Refuses an artifact whose feature spec is not the one this code computes.
 */
export function creditScorer(artifact: CreditArtifact): (raw: ArrayLike<number>) => CanonicalScore {
  if (artifact.featureSpec.hash !== featureSpecHash(artifact.featureSpec.features)) {
    throw new Error('the artifact feature spec does not match its hash: the file was altered');
  }
  if (artifact.featureSpec.hash !== featureSpecHash()) {
    throw new Error(`the artifact was trained on feature spec ${artifact.featureSpec.hash}, this code computes ${featureSpecHash()}`);
  }
  const scorer = compileQuantized(quantizedNetwork(artifact));
  return (raw) => {
    const features = canonicalInputs(raw, artifact.normalisation);
    return { ...scorer.infer(features), features, featuresHash: featuresHash(features) };
  };
}
