import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { UserError, type Database } from '../../core';
import {
  collateralWeightsHash,
  quantizedNetwork,
  readCollateralArtifact,
  readCreditArtifact,
  storeCollateralArtifact,
  storeCreditArtifact,
  weightsHash,
  type AnyEvaluation,
  type CollateralArtifact,
  type CreditArtifact,
} from '../../models';
import { loadArtifact } from './score';

/** A model artifact of either kind, checked, with what the registry records of it. */
export type CheckedModel = { json: string; modelId: string; weightsHash: string; featureSpecHash: string } & (
  { kind: 'credit'; artifact: CreditArtifact } | { kind: 'collateral'; artifact: CollateralArtifact }
);

/** The `kind` a JSON file states, or undefined when it is not JSON (the credit reader then says what is wrong). */
function statedKind(file: string): unknown {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { kind?: unknown } | null)?.kind;
  } catch {
    return undefined;
  }
}

/**
 * What can be checked of an artifact before anything is registered or stored: its id is the keccak256 of its
 * canonical bytes and its feature spec is this code's; a credit artifact's quantised weights decode within the
 * verifier's bounds and hash to what it states; a collateral artifact's network is one the canonical inference
 * runs. Errors are UserErrors naming the file.
 */
export function checkedModel(file: string): CheckedModel {
  if (statedKind(file) === 'collateral') {
    let loaded: ReturnType<typeof readCollateralArtifact>;
    try {
      loaded = readCollateralArtifact(file);
    } catch (err) {
      throw new UserError((err as Error).message, { cause: err });
    }
    const { artifact } = loaded;
    return { ...loaded, kind: 'collateral', weightsHash: collateralWeightsHash(artifact), featureSpecHash: artifact.featureSpec.hash };
  }
  const { artifact, modelId } = loadArtifact(file); // canonical form, feature spec, weights decode and validate
  const decoded = weightsHash(quantizedNetwork(artifact));
  if (decoded !== artifact.quantized.weightsHash)
    throw new UserError(`credit artifact ${file}: its weights hash to ${decoded}, it states ${artifact.quantized.weightsHash}`);
  const { json } = readCreditArtifact(file);
  return { kind: 'credit', artifact, json, modelId, weightsHash: decoded, featureSpecHash: artifact.featureSpec.hash };
}

/** Keeps a checked artifact's bytes in `model_artifacts` under its kind. */
export function storeCheckedModel(db: Kysely<Database>, model: CheckedModel): Promise<void> {
  return model.kind === 'credit' ? storeCreditArtifact(db, model) : storeCollateralArtifact(db, model);
}

/** One line of an evaluation's headline figures. */
export function evaluationHeadline(e: AnyEvaluation): string {
  if (e.kind === 'credit') {
    const m = e.model;
    return `ROC-AUC ${m.rocAuc.toFixed(4)}, PR-AUC ${m.prAuc.toFixed(4)}, KS ${m.ks.toFixed(4)}, Brier ${m.brier.toFixed(4)}, ECE ${m.ece.toFixed(4)}`;
  }
  const b = e.backtest;
  return [
    ...e.coverage.filter((c) => c.asset === 'all').map((c) => `coverage of q${c.quantile} ${c.share.toFixed(4)}`),
    `pinball ${e.pinballTotal.toFixed(5)}`,
    `bad debt ${b.model.badDebtPct.toFixed(3)} % (empirical ${b.baseline.badDebtPct.toFixed(3)} %)`,
    `mean LTV ${b.model.meanLtv.toFixed(4)} (empirical ${b.baseline.meanLtv.toFixed(4)})`,
  ].join(', ');
}
