import { DEFAULT_POPULATION, generatePopulation, runBacktest, type BacktestResult, type FractionParams } from '../backtest/engine';
import { forwardAdverseMoves, trailingAdverseQuantile } from '../collateral/adverse';
import { canonicalQuantiles, decodeCollateralNetwork, featureWindowSteps } from '../collateral/canonical';
import { collateralFeatures } from '../collateral/features';
import { proposeParameters, type ParamBounds } from '../collateral/params';
import type { CollateralArtifact } from '../collateral/train';
import type { CollateralSnapshot } from './collateral-snapshot';
import { EVALUATION_FORMAT } from './evaluate';

const DAY = 86_400;
/** The on-chain step limit both policies move under in the backtest, per daily update (compare.ts's default). */
export const BACKTEST_MAX_CHANGE = 0.03;
const PATH_POINTS = 300;

export interface QuantileCoverage {
  quantile: number;
  /** A symbol, or `all`. */
  asset: string;
  rows: number;
  /** Rows whose realised move was at or below the predicted quantile. */
  covered: number;
  share: number;
}

type Summary = Pick<BacktestResult, 'badDebtUsd' | 'badDebtPct' | 'meanLtv' | 'liquidations'>;

export interface PolicyResult extends Summary {
  assets: Array<{ symbol: string } & Summary>;
}

/**
 * The reproducible evaluation of a collateral model on a collateral snapshot, a function of the two files only:
 * quantile coverage and pinball loss of the canonical inference on the snapshot's rows, and a walk-forward
 * backtest of the parameters it would set against the oracle's empirical-quantile spec (the q-quantile of the
 * trailing 30 days' adverse moves), with the same borrowers, cadence, step limit and mapping.
 */
export interface CollateralEvaluation {
  format: typeof EVALUATION_FORMAT;
  kind: 'collateral';
  modelId: string;
  snapshotId: string;
  snapshot: Pick<
    CollateralSnapshot,
    'name' | 'chainId' | 'block' | 'timestamp' | 'stepSeconds' | 'horizonSteps' | 'count' | 'merkleRoot'
  > & {
    assets: string[];
  };
  /** The model's horizon differs from the snapshot's: its quantiles answer another question. */
  horizonMismatch: boolean;
  proposalQuantile: number;
  coverage: QuantileCoverage[];
  /** Mean pinball loss per quantile over every row, and their sum. */
  pinball: Array<{ quantile: number; loss: number }>;
  pinballTotal: number;
  /** What the artifact claims on its own test rows. */
  claimed: CollateralArtifact['metrics'];
  backtest: {
    from: number;
    to: number;
    steps: number;
    cadenceSteps: number;
    maxChange: number;
    model: PolicyResult;
    baseline: PolicyResult;
    /** Liquidation thresholds over time (thinned), per asset, for charts. */
    path: Array<{ asset: string; t: number; model: number; baseline: number }>;
  };
}

/** Refuses a pairing whose numbers would mean nothing: other features, another grid or reference asset, no rows. */
function checkPairing(artifact: CollateralArtifact, snapshot: CollateralSnapshot): void {
  if (artifact.featureSpec.hash !== snapshot.featureSpecHash)
    throw new Error(`the model reads feature spec ${artifact.featureSpec.hash}, the snapshot holds ${snapshot.featureSpecHash}`);
  if (artifact.stepSeconds !== snapshot.stepSeconds)
    throw new Error(`the model's features are on a ${artifact.stepSeconds} s grid, the snapshot's on ${snapshot.stepSeconds} s`);
  if (artifact.referenceAsset !== snapshot.referenceAsset)
    throw new Error(`the model correlates with ${artifact.referenceAsset}, the snapshot's features with ${snapshot.referenceAsset}`);
  if (snapshot.count === 0) throw new Error(`snapshot ${snapshot.name} has no rows`);
}

const pick = (r: Summary): Summary => ({
  badDebtUsd: r.badDebtUsd,
  badDebtPct: r.badDebtPct,
  meanLtv: r.meanLtv,
  liquidations: r.liquidations,
});
const policyResult = (r: BacktestResult): PolicyResult => ({ ...pick(r), assets: r.assets.map((a) => ({ symbol: a.symbol, ...pick(a) })) });

/**
 * Parameters per asset and step from a predicted move per update step: the first estimate is taken as it is,
 * later ones within `maxChange` of the parameters in force (proposeParameters: the same mapping for both
 * policies). `moveAt(a, i)` may read prices before step i only.
 */
function policyPath(
  assets: number,
  steps: number,
  cadence: number,
  maxChange: number,
  quantile: number,
  mapping: CollateralArtifact['mapping'],
  moveAt: (asset: number, step: number) => number,
): FractionParams[][] {
  const open: ParamBounds = {
    min: { ltv: 0, liquidationThreshold: 0, liquidationBonus: 0 },
    max: { ltv: 1, liquidationThreshold: 1, liquidationBonus: 1 },
    maxChange,
  };
  return Array.from({ length: assets }, (_, a) => {
    const out = new Array<FractionParams>(steps);
    let current: FractionParams | undefined;
    for (let i = 0; i < steps; i++) {
      if (current === undefined || i % cadence === 0) {
        const bounds = current === undefined ? { ...open, maxChange: Infinity } : open;
        current = proposeParameters(moveAt(a, i), quantile, current ?? open.min, bounds, mapping).params;
      }
      out[i] = current;
    }
    return out;
  });
}

export function evaluateCollateral(
  artifact: CollateralArtifact,
  ids: { modelId: string; snapshotId: string },
  snapshot: CollateralSnapshot,
): CollateralEvaluation {
  checkPairing(artifact, snapshot);
  const network = decodeCollateralNetwork(artifact);
  const quantiles = artifact.quantiles;
  const predicted = snapshot.rows.map((r) => canonicalQuantiles(network, r.x));
  const symbols = snapshot.assets.map((a) => a.symbol);
  const coverage = quantiles.flatMap((quantile, k) =>
    ['all', ...symbols].map((asset): QuantileCoverage => {
      const idx = snapshot.rows.flatMap((r, i) => (asset === 'all' || r.asset === asset ? [i] : []));
      const covered = idx.filter((i) => snapshot.rows[i]!.y <= predicted[i]![k]!).length;
      return { quantile, asset, rows: idx.length, covered, share: idx.length ? covered / idx.length : 0 };
    }),
  );
  const pinball = quantiles.map((quantile, k) => {
    let sum = 0;
    snapshot.rows.forEach((r, i) => {
      const residual = r.y - predicted[i]![k]!;
      sum += Math.max(quantile * residual, (quantile - 1) * residual);
    });
    return { quantile, loss: sum / snapshot.rows.length };
  });

  // the backtest runs from the first step whose previous step has 30 days of features behind it
  const step = snapshot.stepSeconds;
  const n = featureWindowSteps(step);
  const h = artifact.horizonSteps;
  const first = n + 1;
  const total = snapshot.assets[0]!.prices.length;
  if (total - first < 2) throw new Error(`snapshot ${snapshot.name} is too short for a backtest after the 30-day feature window`);
  const prices = snapshot.assets.map((a) => a.prices);
  const reference = prices[symbols.indexOf(snapshot.referenceAsset)]!;
  const moves = prices.map((p) => forwardAdverseMoves(p, h));
  const j = quantiles.indexOf(artifact.proposalQuantile);
  const q = artifact.proposalQuantile;
  const cadence = Math.max(1, Math.round(DAY / step));
  const steps = total - first;
  const model = policyPath(symbols.length, steps, cadence, BACKTEST_MAX_CHANGE, q, artifact.mapping, (a, i) => {
    const asset = snapshot.assets[a]!;
    const x = collateralFeatures(
      { prices: asset.prices, ...(asset.peg === undefined ? {} : { peg: asset.peg }) },
      reference,
      first + i - 1,
      step,
    );
    return canonicalQuantiles(network, x)[j]!;
  });
  const baseline = policyPath(symbols.length, steps, cadence, BACKTEST_MAX_CHANGE, q, artifact.mapping, (a, i) => {
    const move = trailingAdverseQuantile(moves[a]!, first + i, h, n, q);
    if (move === undefined) throw new Error(`no empirical ${q} quantile for ${symbols[a]} at step ${first + i}`);
    return move;
  });
  const replayed = prices.map((p) => p.slice(first));
  const openings = generatePopulation(symbols.length, steps, {
    ...DEFAULT_POPULATION,
    lifetimeMeanSteps: Math.max(1, Math.round((30 * DAY) / step)),
  });
  const modelRun = runBacktest(symbols, replayed, (a, i) => model[a]![i]!, openings);
  const baselineRun = runBacktest(symbols, replayed, (a, i) => baseline[a]![i]!, openings);
  const every = Math.max(1, Math.ceil(steps / PATH_POINTS));
  const path = symbols.flatMap((asset, a) =>
    model[a]!.flatMap((p, i) =>
      i % every === 0
        ? [
            {
              asset,
              t: snapshot.gridStart + (first + i) * step,
              model: p.liquidationThreshold,
              baseline: baseline[a]![i]!.liquidationThreshold,
            },
          ]
        : [],
    ),
  );
  return {
    format: EVALUATION_FORMAT,
    kind: 'collateral',
    modelId: ids.modelId,
    snapshotId: ids.snapshotId,
    snapshot: {
      name: snapshot.name,
      chainId: snapshot.chainId,
      block: snapshot.block,
      timestamp: snapshot.timestamp,
      stepSeconds: step,
      horizonSteps: snapshot.horizonSteps,
      count: snapshot.count,
      merkleRoot: snapshot.merkleRoot,
      assets: symbols,
    },
    horizonMismatch: artifact.horizonSteps !== snapshot.horizonSteps,
    proposalQuantile: q,
    coverage,
    pinball,
    pinballTotal: pinball.reduce((s, p) => s + p.loss, 0),
    claimed: artifact.metrics,
    backtest: {
      from: snapshot.gridStart + first * step,
      to: snapshot.gridStart + (total - 1) * step,
      steps,
      cadenceSteps: cadence,
      maxChange: BACKTEST_MAX_CHANGE,
      model: policyResult(modelRun),
      baseline: policyResult(baselineRun),
      path,
    },
  };
}
