import type { Kysely } from 'kysely';
import type { Database } from '../core/schema';
import { createCollateralSnapshot, evaluateCollateral, type PolicyResult } from '../models';
import type { CollateralArtifact } from '../models/collateral';
import type { CollateralModel } from './collateral-model';

/** Bad debt and capital efficiency of one policy over the window. */
export interface BacktestFigures {
  badDebtPct: number;
  meanLtv: number;
  liquidations: number;
}

/** A candidate and the reference walked forward over the same window (unix seconds, grid steps). */
export interface ShadowBacktest {
  from: number;
  to: number;
  steps: number;
  candidate: BacktestFigures;
  reference: BacktestFigures;
  /** What `reference` is: the model in force, or the empirical quantile at the candidate's quantile and mapping. */
  referenceBasis: 'model in force' | 'empirical quantile';
}

const figures = (p: PolicyResult): BacktestFigures => ({ badDebtPct: p.badDebtPct, meanLtv: p.meanLtv, liquidations: p.liquidations });

/** The newest indexed block whose prices are at or before `at`: where the shadow's window ends. */
async function blockAt(db: Kysely<Database>, chainId: number, at: number): Promise<number | undefined> {
  const row = await db
    .selectFrom('price_points')
    .where('chain_id', '=', chainId)
    .where('block_number', 'is not', null)
    .where('timestamp', '<=', at)
    .select((eb) => eb.fn.max('block_number').as('b'))
    .executeTakeFirst();
  return row?.b === null || row?.b === undefined ? undefined : Number(row.b);
}

/**
 * The shadow's backtest: the candidate and the reference (the model in force, or the empirical-quantile spec while
 * none is) set parameters over the same indexed prices up to `at`, with the same borrowers, cadence, step limit and
 * mapping — `evaluate`'s walk-forward engine on a collateral snapshot built from the index on the candidate's grid.
 * So the DAO compares what each would have cost in bad debt and offered in mean LTV. Where no window can be built
 * (too little history, a reference on another grid or feature spec), says why instead.
 */
export async function shadowBacktest(
  db: Kysely<Database>,
  chainId: number,
  at: number,
  reference: CollateralModel,
  candidate: { modelId: string; artifact: CollateralArtifact },
): Promise<ShadowBacktest | { unavailable: string }> {
  try {
    const block = await blockAt(db, chainId, at);
    if (block === undefined) return { unavailable: `no indexed prices at or before ${at}` };
    const { artifact } = candidate;
    const snapshot = await createCollateralSnapshot(db, chainId, {
      block,
      stepSeconds: artifact.stepSeconds,
      horizonSteps: artifact.horizonSteps,
      referenceAsset: artifact.referenceAsset,
      name: `shadow ${candidate.modelId} at ${at}`,
    });
    const ids = (modelId: string) => ({ modelId, snapshotId: `shadow-${at}` });
    const mine = evaluateCollateral(artifact, ids(candidate.modelId), snapshot).backtest;
    // with no model in force, evaluate's baseline stands for the empirical spec: the trailing empirical quantile,
    // at the candidate's own quantile and mapping (the spec's method; its settings may differ)
    const inForce = 'artifact' in reference;
    const theirs = inForce ? evaluateCollateral(reference.artifact, ids(reference.modelId), snapshot).backtest.model : mine.baseline;
    return {
      from: mine.from,
      to: mine.to,
      steps: mine.steps,
      candidate: figures(mine.model),
      reference: figures(theirs),
      referenceBasis: inForce ? 'model in force' : 'empirical quantile',
    };
  } catch (err) {
    return { unavailable: (err as Error).message };
  }
}
