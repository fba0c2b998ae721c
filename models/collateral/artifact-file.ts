import { keccak256 } from 'ethers';
import { z } from 'zod';
import { loadArtifactLayers } from '../credit/artifact';
import { readCanonicalFile } from '../credit/load';
import { decodeCollateralNetwork } from './canonical';
import type { QuantileModel } from './quantile';
import { collateralSpecHash, type CollateralArtifact } from './train';

export const COLLATERAL_FORMAT = 'risk-oracle/collateral-model@1';

const hash = z.string().regex(/^0x[0-9a-f]{64}$/);
const fraction = z.number().min(0).max(1);

const artifactSchema = z.object({
  format: z.literal(COLLATERAL_FORMAT),
  kind: z.literal('collateral'),
  codeVersion: z.string(),
  seed: z.number().int(),
  backend: z.string(),
  stepSeconds: z.number().int().positive(),
  horizonSteps: z.number().int().positive(),
  quantiles: z.array(z.number().gt(0).lt(1)).min(1),
  referenceAsset: z.string().min(1),
  proposalQuantile: z.number(),
  mapping: z.object({
    slippage: fraction,
    gasCost: fraction,
    bonusMargin: fraction,
    ltvBuffer: fraction,
    minBonus: fraction,
    maxBonus: fraction,
  }),
  featureSpec: z.object({ features: z.array(z.object({ name: z.string(), unit: z.string(), window: z.string() })), hash }),
  normalisation: z.object({ mean: z.array(z.number()), std: z.array(z.number()), clip: z.number() }),
  layers: z.object({ modelTopology: z.object({}).passthrough(), weightSpecs: z.array(z.object({}).passthrough()), weightData: z.string() }),
  training: z.object({
    rows: z.number().int(),
    merkleRoot: hash,
    testFrom: z.number(),
    drift: z
      .array(
        z.object({
          feature: z.string(),
          edges: z.array(z.number()),
          proportions: z.array(z.number()),
          support: z.object({ low: z.number(), high: z.number() }).optional(),
        }),
      )
      .optional(),
  }),
  metrics: z.object({ coverage: z.record(z.string(), z.number()), testRows: z.number().int() }),
});

/**
 * Checks a parsed collateral artifact: its shape (fields added to format @1 for the oracle — `referenceAsset`,
 * `proposalQuantile`, `mapping` — are required: an artifact without them cannot say what the oracle would
 * publish), its proposal quantile among its quantiles, its feature spec this code's, and a network the canonical
 * inference can run. Errors start with `label`.
 */
export function checkCollateralArtifact(parsed: unknown, label: string): CollateralArtifact {
  const result = artifactSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new Error(`${label}: ${issue.path.join('.') || 'the file'}: ${issue.message}`);
  }
  const a = parsed as CollateralArtifact;
  if (!a.quantiles.includes(a.proposalQuantile))
    throw new Error(`${label}: proposalQuantile ${a.proposalQuantile} is not among its quantiles ${a.quantiles.join(', ')}`);
  if (a.featureSpec.hash !== collateralSpecHash())
    throw new Error(`${label}: feature spec ${a.featureSpec.hash} is not this code's (${collateralSpecHash()}): its features would differ`);
  decodeCollateralNetwork(a, label);
  return a;
}

/** Reads a collateral artifact file: canonical JSON whose keccak256 is the modelId, checked. Errors name the file. */
export function readCollateralArtifact(file: string): { artifact: CollateralArtifact; json: string; modelId: string } {
  const label = `collateral artifact ${file}`;
  const { value, json, id } = readCanonicalFile(file, label, (parsed) => checkCollateralArtifact(parsed, label));
  return { artifact: value as CollateralArtifact, json, modelId: id };
}

/** The weights hash registered on-chain for a collateral model: keccak256 of its float32 weight bytes. */
export const collateralWeightsHash = (artifact: Pick<CollateralArtifact, 'layers'>): string =>
  keccak256(Buffer.from(artifact.layers.weightData, 'base64'));

/** The artifact's float layers as a TF.js quantile model (for comparison with the canonical inference). */
export async function loadCollateralLayers(artifact: CollateralArtifact): Promise<QuantileModel> {
  return {
    quantiles: [...artifact.quantiles],
    standardizer: { mean: artifact.normalisation.mean, std: artifact.normalisation.std },
    model: await loadArtifactLayers(artifact),
    width: artifact.featureSpec.features.length,
  };
}
