import { keccak256 } from 'ethers';
import type { Kysely } from 'kysely';
import type { Database, ModelKind } from '../core/schema';
import { canonicalJson } from './credit/canonical-json';

/** An artifact's exact file bytes (canonical JSON) and its id, the keccak256 of those bytes. */
export interface StoredArtifact<T> {
  artifact: T;
  json: string;
  modelId: string;
}

/** The summary columns of `model_artifacts` beside the bytes (for listings; the bytes are what is run). */
export interface ArtifactColumns {
  weightsHash: string | null;
  featureSpecHash: string;
  seed: number;
  backend: string;
  metrics: Record<string, number>;
}

/**
 * Keeps an artifact's exact bytes in `model_artifacts` under its kind, so the daemon can run a model it did not
 * train (a community candidate in shadow, the model in force). Storing the same artifact again changes nothing.
 */
export async function storeArtifact(
  db: Kysely<Database>,
  kind: ModelKind,
  stored: Pick<StoredArtifact<unknown>, 'json' | 'modelId'>,
  columns: ArtifactColumns,
): Promise<void> {
  const modelId = stored.modelId.toLowerCase();
  if (keccak256(Buffer.from(stored.json)) !== modelId) throw new Error(`the ${kind} artifact given as ${modelId} does not hash to it`);
  await db
    .insertInto('model_artifacts')
    .values({
      model_id: modelId,
      kind,
      weights_hash: columns.weightsHash,
      feature_spec_hash: columns.featureSpecHash,
      seed: columns.seed,
      backend: columns.backend,
      metrics: JSON.stringify(columns.metrics),
      artifact: stored.json,
    })
    .onConflict((oc) => oc.column('model_id').doNothing())
    .execute();
}

/**
 * A stored artifact of `kind`, or undefined; its bytes must still hash to its id and be canonical, and `parse`
 * checks (and types) the parsed value.
 */
export async function loadStoredArtifact<T>(
  db: Kysely<Database>,
  kind: ModelKind,
  modelId: string,
  parse: (value: unknown, label: string) => T = (value) => value as T,
): Promise<StoredArtifact<T> | undefined> {
  const id = modelId.toLowerCase();
  const row = await db
    .selectFrom('model_artifacts')
    .where('model_id', '=', id)
    .where('kind', '=', kind)
    .select('artifact')
    .executeTakeFirst();
  if (!row) return undefined;
  const json = row.artifact;
  const value: unknown = JSON.parse(json);
  if (keccak256(Buffer.from(json)) !== id || canonicalJson(value) !== json)
    throw new Error(`the stored artifact of model ${modelId} no longer hashes to its id: the database row was altered`);
  return { artifact: parse(value, `the stored ${kind} artifact ${id}`), json, modelId: id };
}
