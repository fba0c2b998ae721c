import { keccak256 } from 'ethers';
import type { Kysely } from 'kysely';
import type { Database } from '../../core/schema';
import type { CreditArtifact } from './artifact';
import { canonicalJson } from './canonical-json';

/**
 * Keeps a credit artifact's exact bytes in `model_artifacts`, so the daemon can run a model it did not train
 * (a community candidate in shadow). Storing the same artifact again changes nothing.
 */
export async function storeCreditArtifact(
  db: Kysely<Database>,
  stored: { artifact: CreditArtifact; json: string; modelId: string },
): Promise<void> {
  const { artifact, json, modelId } = stored;
  const m = artifact.metrics.model;
  await db
    .insertInto('model_artifacts')
    .values({
      model_id: modelId,
      kind: 'credit',
      weights_hash: artifact.quantized.weightsHash,
      feature_spec_hash: artifact.featureSpec.hash,
      seed: artifact.seed,
      backend: artifact.backend,
      metrics: JSON.stringify({ rocAuc: m.rocAuc, prAuc: m.prAuc, ks: m.ks, brier: m.brier, ece: m.ece }),
      artifact: json,
    })
    .onConflict((oc) => oc.column('model_id').doNothing())
    .execute();
}

/** A stored credit artifact, or undefined; its bytes must still hash to its id and be canonical. */
export async function loadStoredCreditArtifact(
  db: Kysely<Database>,
  modelId: string,
): Promise<{ artifact: CreditArtifact; json: string; modelId: string } | undefined> {
  const row = await db
    .selectFrom('model_artifacts')
    .where('model_id', '=', modelId.toLowerCase())
    .where('kind', '=', 'credit')
    .select('artifact')
    .executeTakeFirst();
  if (!row) return undefined;
  const json = row.artifact;
  const artifact = JSON.parse(json) as CreditArtifact;
  if (keccak256(Buffer.from(json)) !== modelId.toLowerCase() || canonicalJson(artifact) !== json)
    throw new Error(`the stored artifact of model ${modelId} no longer hashes to its id: the database row was altered`);
  return { artifact, json, modelId: modelId.toLowerCase() };
}
