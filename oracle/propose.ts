import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { keccak256, toUtf8Bytes } from 'ethers';
import {
  DEFAULT_MAPPING,
  forwardAdverseMoves,
  mapAdverseMove,
  resample,
  trailingAdverseQuantile,
  type MappingOptions,
  type PricePoint,
} from '../models';
import type { CollateralParams } from './guards';

/** The collateral model's specification; its canonical JSON's keccak256 is the `modelId` it publishes under. */
export interface CollateralModelSpec {
  kind: 'collateral-empirical-quantile';
  version: 1;
  quantile: number;
  stepSeconds: number;
  horizonSeconds: number;
  lookbackSeconds: number;
  mapping: MappingOptions;
}

export const DEFAULT_COLLATERAL_MODEL: CollateralModelSpec = {
  kind: 'collateral-empirical-quantile',
  version: 1,
  quantile: 0.99,
  stepSeconds: 3_600,
  horizonSeconds: 86_400,
  lookbackSeconds: 30 * 86_400,
  mapping: DEFAULT_MAPPING,
};

/** JSON with sorted keys: the same spec always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export const modelIdOf = (spec: CollateralModelSpec): string => keccak256(toUtf8Bytes(canonicalJson(spec)));

export interface CollateralProposal {
  params: CollateralParams;
  /** Merkle root of the (time, price) grid the proposal was computed from: anyone can rebuild and compare it. */
  inputsRoot: string;
  explanation: Record<string, unknown>;
}

/**
 * Proposes an asset's parameters at time `at` from its price history before `at`: the q-quantile of the worst fall
 * over the liquidation horizon, mapped to (ltv, lt, bonus). Deterministic: the same prices give the same bits.
 */
export function proposeFromPrices(
  series: readonly PricePoint[],
  at: number,
  spec: CollateralModelSpec = DEFAULT_COLLATERAL_MODEL,
): CollateralProposal {
  const from = at - spec.lookbackSeconds - spec.horizonSeconds;
  const grid = resample(
    series.filter((p) => p.t <= at),
    spec.stepSeconds,
    from,
    at,
  );
  const horizon = Math.max(1, Math.round(spec.horizonSeconds / spec.stepSeconds));
  const moves = forwardAdverseMoves(grid.p, horizon);
  // every window that ended by `at`: the proposal is computed as of the step after the last price
  const adverse = trailingAdverseQuantile(moves, grid.p.length, horizon, grid.p.length, spec.quantile);
  if (adverse === undefined)
    throw new Error(`not enough price history before ${new Date(at * 1000).toISOString()} to estimate the ${spec.quantile} quantile`);
  const mapped = mapAdverseMove(Math.min(0.99, adverse), spec.mapping);
  const leaves = grid.t.map((t, i) => [t, BigInt(Math.round(grid.p[i]! * 1e8))]);
  const inputsRoot = StandardMerkleTree.of(leaves, ['uint64', 'uint256']).root;
  return {
    params: mapped.bps,
    inputsRoot,
    explanation: { ...mapped.explanation, quantile: spec.quantile, samples: grid.p.length, horizonSteps: horizon },
  };
}
