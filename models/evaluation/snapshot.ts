import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../core/schema';
import { trainingLeaves } from '../credit/artifact';
import { canonicalJson, merkleRoot } from '../credit/canonical-json';
import type { Dataset } from '../credit/dataset';
import { CREDIT_FEATURES, featureSpecHash } from '../credit/features';
import { readCanonicalFile } from '../credit/load';
import { creditDatasetFromDb, creditObservations } from '../credit/pipeline';
import { keccak256 } from 'ethers';
import { SNAPSHOT_FORMAT } from './format';
import { blockTime, checkIndexerReached } from './indexed';
import { checkCollateralSnapshot, collateralSnapshotSchema, type CollateralSnapshot } from './collateral-snapshot';

export { SNAPSHOT_FORMAT };
const DAY = 86_400;

/**
 * A public evaluation snapshot: feature rows and labels built from indexed data up to a fixed block, frozen in
 * one canonical JSON file whose keccak256 is its id. Every number `evaluate` reports is a function of this file
 * and the model artifact alone, so anyone with both gets the same figures to the last digit.
 */
export interface EvaluationSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  kind: 'credit';
  name: string;
  chainId: number;
  /** The block the data stops at, and its time: every label window closes by then. */
  block: number;
  timestamp: number;
  horizonSeconds: number;
  everyDays: number;
  minHistoryDays: number;
  featureSpecHash: string;
  features: string[];
  count: number;
  positives: number;
  /** Root over the rows with the training-data leaf scheme (`trainingLeaves`): keccak(entity ‖ t ‖ x ‖ y). */
  merkleRoot: string;
  /** Observation rows in (t, wallet) order. */
  rows: Array<{ wallet: string; t: number; x: number[]; y: number }>;
}

/** A credit or a collateral snapshot (./collateral-snapshot.ts): one file format, told apart by `kind`. */
export type AnySnapshot = EvaluationSnapshot | CollateralSnapshot;

export type SnapshotHeader = Omit<EvaluationSnapshot, 'rows'>;

const snapshotSchema = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  kind: z.literal('credit'),
  name: z.string().min(1),
  chainId: z.number().int().nonnegative(),
  block: z.number().int().nonnegative(),
  timestamp: z.number().int().nonnegative(),
  horizonSeconds: z.number().int().positive(),
  everyDays: z.number().positive(),
  minHistoryDays: z.number().nonnegative(),
  featureSpecHash: z.string().regex(/^0x[0-9a-f]{64}$/),
  features: z.array(z.string()),
  count: z.number().int().nonnegative(),
  positives: z.number().int().nonnegative(),
  merkleRoot: z.string().regex(/^0x[0-9a-f]{64}$/),
  rows: z.array(z.object({ wallet: z.string(), t: z.number().int(), x: z.array(z.number()), y: z.union([z.literal(0), z.literal(1)]) })),
});

/** The snapshot as a dataset; entities are `wallet@t`, as in training, so the leaves (and root) are the same. */
export function snapshotDataset(snapshot: Pick<EvaluationSnapshot, 'features' | 'rows'>): Dataset {
  const width = snapshot.features.length;
  const x = new Float64Array(snapshot.rows.length * width);
  snapshot.rows.forEach((r, i) => x.set(r.x, i * width));
  return {
    width,
    count: snapshot.rows.length,
    x,
    y: Uint8Array.from(snapshot.rows, (r) => r.y),
    t: Float64Array.from(snapshot.rows, (r) => r.t),
    entities: snapshot.rows.map((r) => `${r.wallet}@${r.t}`),
  };
}

/** Merkle root of the rows with the training-data leaf scheme. */
function rowsRoot(snapshot: Pick<EvaluationSnapshot, 'features' | 'rows'>): string {
  const data = snapshotDataset(snapshot);
  return merkleRoot(trainingLeaves(data, Array.from(data.y.keys())));
}

export const snapshotJson = (snapshot: AnySnapshot): string => canonicalJson(snapshot);
export const snapshotId = (snapshot: AnySnapshot): string => keccak256(Buffer.from(snapshotJson(snapshot)));

async function checkIndexed(db: Kysely<Database>, chainId: number, block: number): Promise<void> {
  await checkIndexerReached(db, chainId, block);
  const latest = await db
    .selectFrom('lending_events')
    .where('chain_id', '=', chainId)
    .select((eb) => eb.fn.max('block_number').as('b'))
    .executeTakeFirst();
  if (latest?.b === null || latest?.b === undefined) throw new Error(`no lending events on chain ${chainId}: index or simulate some first`);
}

export interface SnapshotOptions {
  block: number;
  horizonSeconds: number;
  everyDays?: number;
  minHistoryDays?: number;
  name?: string;
}

/** Builds a credit snapshot from the indexed tables: observations on the grid, SQL features, labels. */
export async function createCreditSnapshot(db: Kysely<Database>, chainId: number, options: SnapshotOptions): Promise<EvaluationSnapshot> {
  await checkIndexed(db, chainId, options.block);
  const timestamp = await blockTime(db, chainId, options.block);
  const everyDays = options.everyDays ?? 7;
  const minHistoryDays = options.minHistoryDays ?? 30;
  const grid = { horizonSeconds: options.horizonSeconds, everyDays, minHistoryDays, until: timestamp };
  // (t, wallet) in code-unit order, whatever the database's collation: the file's row order is part of its id
  const observations = (await creditObservations(db, chainId, grid)).sort(
    (a, b) => a.t - b.t || (a.wallet < b.wallet ? -1 : a.wallet > b.wallet ? 1 : 0),
  );
  if (observations.length === 0)
    throw new Error(`no wallet owed anything at the observation times up to block ${options.block}: nothing to evaluate on`);
  const data = await creditDatasetFromDb(db, chainId, observations, options.horizonSeconds);
  const rows = observations.map((o, i) => {
    const x = Array.from(data.x.subarray(i * data.width, (i + 1) * data.width), (v) => (v === 0 ? 0 : v)); // no −0: JSON has none
    if (x.some((v) => !Number.isFinite(v))) throw new Error(`features of ${o.wallet} at ${o.t} are not finite: ${x.join(', ')}`);
    return { wallet: o.wallet, t: o.t, x, y: data.y[i]! };
  });
  const features = CREDIT_FEATURES.map((f) => f.name);
  return {
    format: SNAPSHOT_FORMAT,
    kind: 'credit',
    name: options.name ?? `credit-${chainId}-${options.block}-h${Math.round(options.horizonSeconds / DAY)}d`,
    chainId,
    block: options.block,
    timestamp,
    horizonSeconds: options.horizonSeconds,
    everyDays,
    minHistoryDays,
    featureSpecHash: featureSpecHash(),
    features,
    count: rows.length,
    positives: rows.reduce((s, r) => s + r.y, 0),
    merkleRoot: rowsRoot({ features, rows }),
    rows,
  };
}

/** Checks what the header claims against the rows: counts, positives, widths and the Merkle root. */
export function checkSnapshot(snapshot: AnySnapshot, label: string): void {
  if (snapshot.kind === 'collateral') return checkCollateralSnapshot(snapshot, label);
  const fail = (what: string): never => {
    throw new Error(`${label}: ${what}`);
  };
  if (snapshot.rows.length !== snapshot.count) fail(`says ${snapshot.count} rows, holds ${snapshot.rows.length}`);
  const width = snapshot.features.length;
  const bad = snapshot.rows.findIndex((r) => r.x.length !== width);
  if (bad >= 0) fail(`row ${bad} has ${snapshot.rows[bad]!.x.length} features, the header names ${width}`);
  const positives = snapshot.rows.reduce((s, r) => s + r.y, 0);
  if (positives !== snapshot.positives) fail(`says ${snapshot.positives} positives, its rows have ${positives}`);
  const root = rowsRoot(snapshot);
  if (root !== snapshot.merkleRoot) fail(`its rows hash to ${root}, not the stated root ${snapshot.merkleRoot}: a row was altered`);
}

/** Reads a snapshot file (canonical JSON; the id is the keccak256 of its bytes) and checks it. Errors name the file. */
export function readSnapshot(file: string): { snapshot: AnySnapshot; id: string } {
  const label = `snapshot ${file}`;
  const { value, id } = readCanonicalFile(file, label, (parsed) => {
    const kind = (parsed as { kind?: unknown } | null)?.kind;
    const result = (kind === 'collateral' ? collateralSnapshotSchema : snapshotSchema).safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      throw new Error(`${label}: ${issue.path.join('.') || 'the file'}: ${issue.message}`);
    }
  });
  const snapshot = value as AnySnapshot;
  checkSnapshot(snapshot, label);
  return { snapshot, id };
}

/** A row's entity in `feature_rows`: `wallet@t` (credit) or `asset@t` (collateral). */
const entityOf = (row: AnySnapshot['rows'][number]): string => `${'wallet' in row ? row.wallet : row.asset}@${row.t}`;

const ROW_BATCH = 1_000;

/** Stores the snapshot (header and rows) in one transaction; storing the same snapshot again changes nothing. */
export async function storeSnapshot(db: Kysely<Database>, snapshot: AnySnapshot): Promise<string> {
  const id = snapshotId(snapshot);
  const { rows, ...header } = snapshot;
  await db.transaction().execute(async (tx) => {
    const inserted = await tx
      .insertInto('feature_snapshots')
      .values({
        id,
        kind: snapshot.kind,
        chain_id: snapshot.chainId,
        block_number: snapshot.block,
        timestamp: snapshot.timestamp,
        feature_spec_hash: snapshot.featureSpecHash,
        row_count: snapshot.count,
        merkle_root: snapshot.merkleRoot,
        header: JSON.stringify(header),
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return;
    for (let i = 0; i < rows.length; i += ROW_BATCH) {
      await tx
        .insertInto('feature_rows')
        .values(
          (rows as AnySnapshot['rows']).slice(i, i + ROW_BATCH).map((r) => ({
            snapshot_id: id,
            entity: entityOf(r),
            features: JSON.stringify(Object.fromEntries(snapshot.features.map((name, j) => [name, r.x[j]!]))),
            label: r.y,
          })),
        )
        .execute();
    }
  });
  return id;
}

/** Rebuilds a stored snapshot; its recomputed id must be the one it was stored under. */
export async function loadSnapshot(db: Kysely<Database>, id: string): Promise<AnySnapshot> {
  const head = await db.selectFrom('feature_snapshots').where('id', '=', id).selectAll().executeTakeFirst();
  if (!head) throw new Error(`no snapshot ${id} in the database (snapshot create stores one)`);
  if (!head.header) throw new Error(`snapshot ${id} was stored without its header: re-create it`);
  const header = head.header as unknown as Omit<AnySnapshot, 'rows'>;
  const key = header.kind === 'collateral' ? 'asset' : 'wallet';
  const stored = await db.selectFrom('feature_rows').where('snapshot_id', '=', id).select(['entity', 'features', 'label']).execute();
  const rows = stored
    .map((r) => {
      const at = r.entity.lastIndexOf('@');
      return {
        entity: r.entity.slice(0, at),
        t: Number(r.entity.slice(at + 1)),
        x: header.features.map((f) => r.features[f]!),
        y: Number(r.label),
      };
    })
    .sort((a, b) => a.t - b.t || (a.entity < b.entity ? -1 : a.entity > b.entity ? 1 : 0))
    .map(({ entity, ...r }) => ({ [key]: entity, ...r }));
  const snapshot = { ...header, rows } as AnySnapshot;
  checkSnapshot(snapshot, `snapshot ${id} in the database`);
  const again = snapshotId(snapshot);
  if (again !== id) throw new Error(`snapshot ${id} in the database rebuilds to ${again}: its rows were altered`);
  return snapshot;
}
