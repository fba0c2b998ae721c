import { getAddress } from 'ethers';
import { sql, type Kysely } from 'kysely';
import type { Database, ModelKind } from '../../core';
import type { CollateralParams, Decision } from '../guards';
import type { AlertView, DriftView, GuardView, ProposalView, ScoreDistribution } from './types';

/** The database side of the dashboard: what the oracle proposed, decided, signed and scored (oracle/store.ts writes it). */
type Db = Kysely<Database>;

const seconds = (d: Date | string): number => Math.floor(new Date(d).getTime() / 1000);

const params = (value: unknown): CollateralParams | undefined => {
  const v = value as Partial<CollateralParams> | null | undefined;
  return v && typeof v.ltv === 'number' && typeof v.liquidationThreshold === 'number' && typeof v.liquidationBonus === 'number'
    ? { ltv: v.ltv, liquidationThreshold: v.liquidationThreshold, liquidationBonus: v.liquidationBonus }
    : undefined;
};

/** The non-pass decisions the guards recorded for one round. */
async function roundDecisions(db: Db, chainId: number, asset: string, round: number): Promise<ProposalView['decisions']> {
  const rows = await db
    .selectFrom('guard_decisions')
    .select(['guard', 'decision', 'reason'])
    .where('chain_id', '=', chainId)
    .where('subject', '=', `round:${asset.toLowerCase()}:${round}`)
    .where('decision', '!=', 'pass')
    .orderBy('id')
    .execute();
  return rows;
}

/** The newest round the model proposed for an asset, whatever its status, with the guards' non-pass decisions. */
export async function latestProposal(db: Db, chainId: number, asset: string): Promise<ProposalView | null> {
  const row = await db
    .selectFrom('risk_parameter_rounds')
    .selectAll()
    .where('chain_id', '=', chainId)
    .where('asset', '=', asset.toLowerCase())
    .orderBy('round', 'desc')
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) return null;
  const raw = params((row.explanation as { proposed?: unknown } | null)?.proposed);
  return {
    round: row.round,
    status: row.status,
    ltv: row.ltv,
    liquidationThreshold: row.liquidation_threshold,
    liquidationBonus: row.liquidation_bonus,
    ...(raw ? { raw } : {}),
    atBlock: row.at_block,
    createdAt: seconds(row.created_at),
    decisions: await roundDecisions(db, chainId, row.asset, row.round),
  };
}

export interface StoredRound extends CollateralParams {
  asset: string;
  round: number;
  status: string;
  atBlock: number;
  createdAt: number;
  digest: string | null;
}

/** The newest rounds in the database, newest first. */
export async function recentRounds(db: Db, chainId: number, limit: number): Promise<StoredRound[]> {
  const rows = await db
    .selectFrom('risk_parameter_rounds')
    .selectAll()
    .where('chain_id', '=', chainId)
    .orderBy('created_at', 'desc')
    .orderBy('round', 'desc')
    .orderBy('asset')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    asset: r.asset,
    round: r.round,
    status: r.status,
    ltv: r.ltv,
    liquidationThreshold: r.liquidation_threshold,
    liquidationBonus: r.liquidation_bonus,
    atBlock: r.at_block,
    createdAt: seconds(r.created_at),
    digest: r.batch_digest,
  }));
}

/** The signers whose signatures the database holds for a digest (before publication: who has signed so far). */
export async function storedSigners(db: Db, chainId: number, digest: string): Promise<string[]> {
  const rows = await db
    .selectFrom('signatures')
    .select('signer')
    .where('chain_id', '=', chainId)
    .where('digest', '=', digest)
    .orderBy('signer')
    .execute();
  // checksummed, as the signers recovered from a transaction are: one round shows the same strings either way
  return rows.map((r) => getAddress(r.signer));
}

/** Holds and clips, newest first; `round:<asset>:<n>` subjects are resolved to the asset's symbol. */
export async function guardDecisions(db: Db, chainId: number, symbols: Map<string, string>, limit: number): Promise<GuardView[]> {
  const rows = await db
    .selectFrom('guard_decisions')
    .select(['subject', 'guard', 'decision', 'reason', 'created_at'])
    .where('chain_id', '=', chainId)
    .where('decision', '!=', 'pass')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => {
    const m = /^round:(0x[0-9a-f]{40}):(\d+)$/.exec(r.subject);
    return {
      time: seconds(r.created_at),
      subject: r.subject,
      symbol: m ? (symbols.get(m[1]!) ?? m[1]!) : null,
      round: m ? Number(m[2]) : null,
      guard: r.guard,
      decision: r.decision as Decision,
      reason: r.reason,
    };
  });
}

/** A `{ feature: number }` record from stored JSON, without what is not a finite number. */
const figures = (value: unknown): Record<string, number> =>
  value && typeof value === 'object'
    ? Object.fromEntries(Object.entries(value).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])))
    : {};

/**
 * The drift guard's newest decision on a credit epoch (subject `epoch:N`), held or passed, with its figures
 * (`driftDecision`'s details: `psi`, `outOfSupport`, `threshold`). Newest by record: a held epoch proposed again
 * under the same number records a second decision, and that one is what stands. Null when none was recorded.
 */
export async function latestEpochDrift(db: Db, chainId: number): Promise<DriftView | null> {
  const row = await db
    .selectFrom('guard_decisions')
    .select(['subject', 'decision', 'reason', 'details', 'created_at'])
    .where('chain_id', '=', chainId)
    .where('guard', '=', 'drift')
    .where('subject', 'like', 'epoch:%')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) return null;
  const details = (row.details ?? {}) as { psi?: unknown; outOfSupport?: unknown; threshold?: unknown };
  return {
    subject: row.subject,
    epoch: Number(row.subject.slice('epoch:'.length)),
    time: seconds(row.created_at),
    decision: row.decision as Decision,
    reason: row.reason,
    threshold: typeof details.threshold === 'number' ? details.threshold : null,
    psi: figures(details.psi),
    outOfSupport: figures(details.outOfSupport),
  };
}

/** Unresolved alerts, newest first. */
export async function openAlerts(db: Db, limit: number): Promise<AlertView[]> {
  const rows = await db
    .selectFrom('alerts')
    .select(['severity', 'kind', 'message', 'created_at'])
    .where('resolved_at', 'is', null)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ time: seconds(r.created_at), severity: r.severity, kind: r.kind, message: r.message }));
}

export interface StoredEpochRow {
  epoch: number;
  status: string;
  wallets: number;
  root: string;
  modelId: string;
  digest: string | null;
  createdAt: number;
}

/** The newest credit epochs in the database, newest first. */
export async function recentEpochs(db: Db, chainId: number, limit: number): Promise<StoredEpochRow[]> {
  const rows = await db
    .selectFrom('credit_epochs')
    .selectAll()
    .where('chain_id', '=', chainId)
    .orderBy('epoch', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    epoch: r.epoch,
    status: r.status,
    wallets: r.wallet_count,
    root: r.root,
    modelId: r.model_id,
    digest: r.digest,
    createdAt: seconds(r.created_at),
  }));
}

const BUCKET = 25;

/** Summary and 25-point histogram of an epoch's scores, computed in SQL (an epoch may hold millions of wallets). */
export async function scoreDistribution(db: Db, chainId: number, epoch: number): Promise<ScoreDistribution | null> {
  const stats = await db
    .selectFrom('credit_scores')
    .select([
      sql<string>`count(*)`.as('count'),
      sql<string>`avg(score)`.as('mean'),
      sql<number>`min(score)`.as('min'),
      sql<number>`max(score)`.as('max'),
      sql<number>`percentile_disc(0.1) within group (order by score)`.as('p10'),
      sql<number>`percentile_disc(0.5) within group (order by score)`.as('median'),
      sql<number>`percentile_disc(0.9) within group (order by score)`.as('p90'),
    ])
    .where('chain_id', '=', chainId)
    .where('epoch', '=', epoch)
    .executeTakeFirst();
  const count = Number(stats?.count ?? 0);
  if (!stats || count === 0) return null;
  const buckets = await db
    .selectFrom('credit_scores')
    .select([sql<number>`(score - 300) / ${sql.lit(BUCKET)}`.as('bucket'), sql<string>`count(*)`.as('count')])
    .where('chain_id', '=', chainId)
    .where('epoch', '=', epoch)
    .groupBy(sql`1`)
    .orderBy(sql`1`)
    .execute();
  return {
    epoch,
    count,
    mean: Number(stats.mean),
    min: Number(stats.min),
    max: Number(stats.max),
    p10: Number(stats.p10),
    median: Number(stats.median),
    p90: Number(stats.p90),
    buckets: buckets.map((b) => ({ from: 300 + Number(b.bucket) * BUCKET, count: Number(b.count) })),
  };
}

/**
 * The price series the collateral model reads for an asset (imported CSV prices, by symbol), or the indexed
 * Chainlink-style feed answers when there are none; the newest `limit` points, oldest first, then thinned to at
 * most `maxPoints` (the newest point is always kept).
 */
export async function priceSeries(
  db: Db,
  chainId: number,
  asset: { symbol: string; address: string },
  options: { limit: number; maxPoints: number },
): Promise<{ source: string; points: Array<{ t: number; p: number }> }> {
  const read = (source: string, chain: number, key: string) =>
    db
      .selectFrom('price_points')
      .select(['timestamp', 'price_usd'])
      .where('chain_id', '=', chain)
      .where('asset', '=', key)
      .where('source', '=', source)
      .orderBy('timestamp', 'desc')
      .limit(options.limit)
      .execute();
  let source = 'csv';
  let rows = await read('csv', 0, asset.symbol.toUpperCase());
  if (rows.length === 0) {
    source = 'chainlink';
    rows = await read('chainlink', chainId, asset.address.toLowerCase());
  }
  const points = rows.reverse().map((r) => ({ t: r.timestamp, p: Number(r.price_usd) }));
  return { source: points.length ? source : 'none', points: thin(points, options.maxPoints) };
}

/** Every n-th point so that at most `max` remain, always keeping the last one (the price in force). */
export function thin<T>(points: T[], max: number): T[] {
  if (points.length <= max) return points;
  const step = Math.ceil(points.length / max);
  const out = points.filter((_, i) => (points.length - 1 - i) % step === 0);
  return out;
}

/** Metrics of model artifacts the database holds, by model id. */
export async function artifactMetrics(db: Db): Promise<Map<string, { kind: 'credit' | 'collateral'; metrics: Record<string, number> }>> {
  const rows = await db.selectFrom('model_artifacts').select(['model_id', 'kind', 'metrics']).execute();
  return new Map(rows.map((r) => [r.model_id.toLowerCase(), { kind: r.kind, metrics: r.metrics ?? {} }]));
}

/** The models of `kind` with shadow results on this chain, with how many each has, in order of their first result. */
export async function shadowedModels(db: Db, chainId: number, kind: ModelKind): Promise<Array<{ modelId: string; total: number }>> {
  const rows = await db
    .selectFrom('shadow_results')
    .select(['model_id', sql<string>`count(*)`.as('total'), sql<string>`min(at)`.as('first')])
    .where('chain_id', '=', chainId)
    // each kind records its own figures (oracle/shadow.ts): the page shows them in a table of their own
    .where('kind', '=', kind)
    .groupBy('model_id')
    .orderBy(sql`min(at)`)
    .orderBy('model_id')
    .execute();
  return rows.map((r) => ({ modelId: r.model_id, total: Number(r.total) }));
}
