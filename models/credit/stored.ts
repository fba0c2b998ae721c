import type { Kysely } from 'kysely';
import type { Database } from '../../core/schema';
import type { QuantizedModel } from '../quantize';
import { loadStoredArtifact, storeArtifact, type StoredArtifact } from '../stored-artifact';
import type { CreditArtifact } from './artifact';
import { quantizedNetwork } from './score';

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

/** A credit model ready to re-derive published scores, and where it came from (reports say which). */
export interface CreditModelSource {
  modelId: string;
  model: QuantizedModel;
  basis: string;
}

/** A credit model read from a file the user gave (`--artifact FILE`). */
export const givenCreditModel = (read: { artifact: CreditArtifact; modelId: string }): CreditModelSource => ({
  modelId: read.modelId,
  model: quantizedNetwork(read.artifact),
  basis: 'the artifact given (--artifact)',
});

/**
 * The credit model `modelId` names, to re-derive what it scored (`verify --epoch`, the dashboard): its artifact as
 * this database stores it (`model import`, `model submit`; its bytes checked against the id), else `given` when it
 * is that model. Otherwise `why`, naming the model and how to make it available; `command` is the one that takes
 * `--artifact` (e.g. `verify`).
 */
export async function creditModelFor(
  db: Kysely<Database>,
  modelId: string,
  options: { command: string; given?: CreditModelSource },
): Promise<CreditModelSource | { why: string }> {
  const id = modelId.toLowerCase();
  let why = `the database stores no artifact of credit model ${id}`;
  try {
    const stored = await loadStoredCreditArtifact(db, id);
    if (stored)
      return {
        modelId: stored.modelId,
        model: quantizedNetwork(stored.artifact),
        basis: 'the artifact of its model stored in the database',
      };
  } catch (err) {
    // an altered row is never run; the artifact given by hand may still stand in for it
    why = (err as Error).message;
  }
  const { given } = options;
  if (given?.modelId.toLowerCase() === id) return given;
  return {
    why: given
      ? `${why}, and the artifact given is of another model (${given.modelId})`
      : `${why} (risk-oracle model import --artifact FILE, or give ${options.command} --artifact FILE)`,
  };
}
