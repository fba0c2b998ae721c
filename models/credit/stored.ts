import type { Kysely } from 'kysely';
import type { Database } from '../../core/schema';
import { loadStoredArtifact, storeArtifact, type StoredArtifact } from '../stored-artifact';
import type { CreditArtifact } from './artifact';

/**
 * Keeps a credit artifact's exact bytes in `model_artifacts`, so the daemon can run a model it did not train
 * (a community candidate in shadow). Storing the same artifact again changes nothing.
 */
export async function storeCreditArtifact(db: Kysely<Database>, stored: StoredArtifact<CreditArtifact>): Promise<void> {
  const { artifact } = stored;
  const m = artifact.metrics.model;
  await storeArtifact(db, 'credit', stored, {
    weightsHash: artifact.quantized.weightsHash,
    featureSpecHash: artifact.featureSpec.hash,
    seed: artifact.seed,
    backend: artifact.backend,
    metrics: { rocAuc: m.rocAuc, prAuc: m.prAuc, ks: m.ks, brier: m.brier, ece: m.ece },
  });
}

/** A stored credit artifact, or undefined; its bytes must still hash to its id and be canonical. */
export const loadStoredCreditArtifact = (db: Kysely<Database>, modelId: string): Promise<StoredArtifact<CreditArtifact> | undefined> =>
  loadStoredArtifact<CreditArtifact>(db, 'credit', modelId);
