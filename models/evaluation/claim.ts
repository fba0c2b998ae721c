/** What the registry holds of a submitted model, or what anyone recomputes from its artifact and the snapshot. */
export interface ClaimRecord {
  weightsHash: string;
  featureSpecHash: string;
  /** 'credit' | 'collateral'; compared when both sides give it. */
  kind?: string;
  snapshotId: string;
  /** keccak256 of the canonical evaluation. */
  claimHash: string;
}

const NO_CLAIM = `0x${'0'.repeat(64)}`;

/**
 * Why a registered claim does not hold against the reproduction: each difference in words (none: it reproduces).
 * `otherSnapshot` is set, and nothing compared, when the claim is on another snapshot than the one reproduced on.
 * `model check` and the demo's watcher both decide with this.
 */
export function claimDifferences(registered: ClaimRecord, reproduced: ClaimRecord): { problems: string[]; otherSnapshot?: string } {
  const problems: string[] = [];
  if (registered.weightsHash !== reproduced.weightsHash)
    problems.push(`registered weights hash ${registered.weightsHash}, the artifact's ${reproduced.weightsHash}`);
  if (registered.featureSpecHash !== reproduced.featureSpecHash)
    problems.push(`registered feature spec ${registered.featureSpecHash}, the artifact's ${reproduced.featureSpecHash}`);
  if (registered.kind && reproduced.kind && registered.kind !== reproduced.kind)
    problems.push(`registered as a ${registered.kind} model, the artifact is ${reproduced.kind}`);
  if (registered.claimHash === NO_CLAIM) problems.push('no claim to check: the DAO registered this model itself');
  else if (registered.snapshotId !== reproduced.snapshotId) return { problems, otherSnapshot: registered.snapshotId };
  else if (registered.claimHash !== reproduced.claimHash)
    problems.push(`claimed evaluation ${registered.claimHash}, reproduced ${reproduced.claimHash}`);
  return { problems };
}
