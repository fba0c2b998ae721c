import type { Kysely } from 'kysely';
import type { Database } from '../../core/schema';
import { loadStoredArtifact, storeArtifact, type StoredArtifact } from '../stored-artifact';
import { checkCollateralArtifact, collateralWeightsHash } from './artifact-file';
import type { CollateralArtifact } from './train';

/** Keeps a collateral artifact's exact bytes in `model_artifacts` (kind `collateral`); storing it again changes nothing. */
export async function storeCollateralArtifact(db: Kysely<Database>, stored: StoredArtifact<CollateralArtifact>): Promise<void> {
  const { artifact } = stored;
  await storeArtifact(db, 'collateral', stored, {
    weightsHash: collateralWeightsHash(artifact),
    featureSpecHash: artifact.featureSpec.hash,
    seed: artifact.seed,
    backend: artifact.backend,
    metrics: {
      ...Object.fromEntries(Object.entries(artifact.metrics.coverage).map(([q, c]) => [`coverage_${q}`, c])),
      testRows: artifact.metrics.testRows,
    },
  });
}

/** A stored collateral artifact, or undefined; hash, canonical form and the artifact's own checks are verified. */
export const loadStoredCollateralArtifact = (
  db: Kysely<Database>,
  modelId: string,
): Promise<StoredArtifact<CollateralArtifact> | undefined> => loadStoredArtifact(db, 'collateral', modelId, checkCollateralArtifact);
