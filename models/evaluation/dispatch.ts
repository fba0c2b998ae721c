import type { CollateralArtifact } from '../collateral/train';
import type { CreditArtifact } from '../credit/artifact';
import { evaluateCollateral, type CollateralEvaluation } from './collateral-evaluate';
import { evaluateCredit, type CreditEvaluation } from './evaluate';
import { collateralEvaluationReportHtml, evaluationReportHtml } from './report';
import type { AnySnapshot } from './snapshot';

export type AnyArtifact = CreditArtifact | CollateralArtifact;
export type AnyEvaluation = CreditEvaluation | CollateralEvaluation;

/** Evaluates an artifact of either kind on a snapshot of the same kind; a mixed pairing is refused, naming both. */
export function evaluateArtifact(
  artifact: AnyArtifact,
  ids: { modelId: string; snapshotId: string },
  snapshot: AnySnapshot,
): AnyEvaluation {
  if (artifact.kind === 'credit' && snapshot.kind === 'credit') return evaluateCredit(artifact, ids, snapshot);
  if (artifact.kind === 'collateral' && snapshot.kind === 'collateral') return evaluateCollateral(artifact, ids, snapshot);
  throw new Error(`a ${artifact.kind} model cannot be evaluated on a ${snapshot.kind} snapshot`);
}

/** The HTML report of an evaluation of either kind. */
export const anyEvaluationReportHtml = (e: AnyEvaluation): Promise<string> =>
  e.kind === 'credit' ? evaluationReportHtml(e) : collateralEvaluationReportHtml(e);
