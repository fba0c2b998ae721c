import { keccak256 } from 'ethers';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../core/schema';
import { resample } from '../collateral/adverse';
import { featureWindowSteps } from '../collateral/canonical';
import { COLLATERAL_FEATURES } from '../collateral/features';
import { collateralDataset, collateralSpecHash } from '../collateral/train';
import { canonicalJson, merkleRoot } from '../credit/canonical-json';
import { SNAPSHOT_FORMAT } from './format';
import { blockTime, checkIndexerReached, indexedPrices } from './indexed';

/**
 * A public collateral evaluation snapshot: every asset's indexed prices up to a block on one grid, and the rows
 * (features at t, the worst fall over [t, t + horizon]) built from them, each label window closed by the block.
 * The rows are a function of the prices (checked on every read), so the file is the whole evidence: coverage,
 * pinball loss and the parameter backtest all replay from it.
 */
export interface CollateralSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  kind: 'collateral';
  name: string;
  chainId: number;
  block: number;
  timestamp: number;
  stepSeconds: number;
  horizonSteps: number;
  sampleEvery: number;
  /** Time of grid step 0; step k is at gridStart + k · stepSeconds. */
  gridStart: number;
  /** Symbol of the ETH-like asset the correlation feature reads. */
  referenceAsset: string;
  featureSpecHash: string;
  features: string[];
  /**
   * Prices on the grid (forward-filled), by symbol; pegged assets carry their peg; assets whose prices came with a
   * market depth carry it on the same grid (forward-filled, null before the first), which the liquidity feature reads.
   */
  assets: Array<{ symbol: string; address: string; peg?: number; prices: number[]; liquidity?: Array<number | null> }>;
  count: number;
  /** Root over the rows: leaf keccak256(canonical JSON [asset, t, x, y]). */
  merkleRoot: string;
  /** Rows in (t, asset) order. */
  rows: Array<{ asset: string; t: number; x: number[]; y: number }>;
}

const hash = z.string().regex(/^0x[0-9a-f]{64}$/);
export const collateralSnapshotSchema = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  kind: z.literal('collateral'),
  name: z.string().min(1),
  chainId: z.number().int().nonnegative(),
  block: z.number().int().nonnegative(),
  timestamp: z.number().int().nonnegative(),
  stepSeconds: z.number().int().positive(),
  horizonSteps: z.number().int().positive(),
  sampleEvery: z.number().int().positive(),
  gridStart: z.number().int(),
  referenceAsset: z.string().min(1),
  featureSpecHash: hash,
  features: z.array(z.string()),
  assets: z
    .array(
      z.object({
        symbol: z.string().min(1),
        address: z.string(),
        peg: z.number().positive().optional(),
        prices: z.array(z.number().positive()),
        liquidity: z.array(z.number().positive().nullable()).optional(),
      }),
    )
    .min(1),
  count: z.number().int().nonnegative(),
  merkleRoot: hash,
  rows: z.array(z.object({ asset: z.string(), t: z.number().int(), x: z.array(z.number()), y: z.number() })),
});

type Grid = Pick<CollateralSnapshot, 'assets' | 'referenceAsset' | 'stepSeconds' | 'horizonSteps' | 'sampleEvery' | 'gridStart'>;

/** The rows a grid of prices gives: the training pipeline's own dataset (features, labels, warm-up), in (t, asset) order. */
export function collateralSnapshotRows(grid: Grid): CollateralSnapshot['rows'] {
  const data = collateralDataset(
    grid.assets.map((a) => ({
      symbol: a.symbol,
      prices: a.prices,
      ...(a.peg === undefined ? {} : { peg: a.peg }),
      ...(a.liquidity === undefined ? {} : { liquidity: a.liquidity.map((d) => d ?? NaN) }),
    })),
    grid.referenceAsset,
    {
      stepSeconds: grid.stepSeconds,
      horizonSteps: grid.horizonSteps,
      sampleEvery: grid.sampleEvery,
      warmupSteps: featureWindowSteps(grid.stepSeconds),
    },
  );
  const rows = data.rows.map((r, k) => ({
    asset: r.symbol,
    t: grid.gridStart + r.step * grid.stepSeconds,
    x: Array.from(data.x.subarray(k * data.width, (k + 1) * data.width), (v) => (v === 0 ? 0 : v)), // no −0: JSON has none
    y: data.y[k]! === 0 ? 0 : data.y[k]!,
  }));
  return rows.sort((a, b) => a.t - b.t || (a.asset < b.asset ? -1 : a.asset > b.asset ? 1 : 0));
}

export const collateralRowsRoot = (rows: CollateralSnapshot['rows']): string =>
  merkleRoot(rows.map((r) => keccak256(Buffer.from(canonicalJson([r.asset, r.t, r.x, r.y])))));

/** Checks a collateral snapshot: its rows are exactly those its prices give, its counts and root what it states. */
export function checkCollateralSnapshot(snapshot: CollateralSnapshot, label: string): void {
  const fail = (what: string): never => {
    throw new Error(`${label}: ${what}`);
  };
  const steps = snapshot.assets[0]!.prices.length;
  const uneven = snapshot.assets.find((a) => a.prices.length !== steps);
  if (uneven) fail(`${uneven.symbol} has ${uneven.prices.length} prices, ${snapshot.assets[0]!.symbol} ${steps}: one grid for all`);
  const depthless = snapshot.assets.find((a) => a.liquidity !== undefined && a.liquidity.length !== steps);
  if (depthless) fail(`${depthless.symbol} has ${depthless.liquidity!.length} depths for ${steps} prices: one grid for all`);
  if (!snapshot.assets.some((a) => a.symbol === snapshot.referenceAsset))
    fail(`no prices for the reference asset ${snapshot.referenceAsset}`);
  if (snapshot.rows.length !== snapshot.count) fail(`says ${snapshot.count} rows, holds ${snapshot.rows.length}`);
  const width = snapshot.features.length;
  const bad = snapshot.rows.findIndex((r) => r.x.length !== width);
  if (bad >= 0) fail(`row ${bad} has ${snapshot.rows[bad]!.x.length} features, the header names ${width}`);
  const root = collateralRowsRoot(snapshot.rows);
  if (root !== snapshot.merkleRoot) fail(`its rows hash to ${root}, not the stated root ${snapshot.merkleRoot}: a row was altered`);
  if (snapshot.featureSpecHash !== collateralSpecHash()) return; // other features: evaluate refuses the pairing, naming both
  const expected = collateralSnapshotRows(snapshot);
  if (expected.length !== snapshot.rows.length) fail(`its prices give ${expected.length} rows, it holds ${snapshot.rows.length}`);
  expected.forEach((e, i) => {
    const r = snapshot.rows[i]!;
    if (r.asset !== e.asset || r.t !== e.t || r.y !== e.y || r.x.some((v, j) => v !== e.x[j]))
      fail(`row ${i} (${r.asset} at ${r.t}) is not what its prices and depths give: the prices, depths or the row were altered`);
  });
}

export interface CollateralSnapshotOptions {
  block: number;
  stepSeconds: number;
  horizonSteps: number;
  /** A row every n steps per asset. Default 6. */
  sampleEvery?: number;
  /** Default: the one asset of kind `eth` in the assets table. */
  referenceAsset?: string;
  name?: string;
}

/**
 * Builds a collateral snapshot from the indexed prices (rows with a block number at or before `block`) of every
 * asset of the chain, on one grid over the time all of them cover, ending at the block's time.
 */
export async function createCollateralSnapshot(
  db: Kysely<Database>,
  chainId: number,
  options: CollateralSnapshotOptions,
): Promise<CollateralSnapshot> {
  await checkIndexerReached(db, chainId, options.block);
  const timestamp = await blockTime(db, chainId, options.block, 'price_points');
  const assets = await indexedPrices(db, chainId, { block: options.block });
  if (assets.length === 0) throw new Error(`no indexed prices on chain ${chainId} at or before block ${options.block}`);
  const eth = assets.filter((a) => a.eth);
  const referenceAsset = options.referenceAsset?.toUpperCase() ?? (eth.length === 1 ? eth[0]!.symbol : undefined);
  if (!referenceAsset) throw new Error(`chain ${chainId} has ${eth.length} assets of kind eth: name the reference asset`);
  if (!assets.some((a) => a.symbol === referenceAsset))
    throw new Error(`no indexed prices for the reference asset ${referenceAsset} (have ${assets.map((a) => a.symbol).join(', ')})`);
  const gridStart = Math.max(...assets.map((a) => a.points[0]!.t));
  const step = options.stepSeconds;
  const grid = {
    assets: assets.map((a) => {
      const g = resample(a.points, step, gridStart, timestamp);
      return {
        symbol: a.symbol,
        address: a.address,
        ...(a.peg === undefined ? {} : { peg: a.peg }),
        prices: g.p,
        ...(g.liquidity.some(Number.isFinite) ? { liquidity: g.liquidity.map((d) => (Number.isFinite(d) ? d : null)) } : {}),
      };
    }),
    referenceAsset,
    stepSeconds: step,
    horizonSteps: options.horizonSteps,
    sampleEvery: options.sampleEvery ?? 6,
    gridStart,
  };
  const needed = featureWindowSteps(step) + options.horizonSteps + 1;
  if (grid.assets[0]!.prices.length < needed)
    throw new Error(
      `the prices all assets cover up to block ${options.block} span ${grid.assets[0]!.prices.length} steps; a row needs ${needed} (30 days of features and the horizon)`,
    );
  const rows = collateralSnapshotRows(grid);
  return {
    format: SNAPSHOT_FORMAT,
    kind: 'collateral',
    name: options.name ?? `collateral-${chainId}-${options.block}-h${(options.horizonSteps * step) / 3_600}h`,
    chainId,
    block: options.block,
    timestamp,
    ...grid,
    featureSpecHash: collateralSpecHash(),
    features: COLLATERAL_FEATURES.map((f) => f.name),
    count: rows.length,
    merkleRoot: collateralRowsRoot(rows),
    rows,
  };
}
