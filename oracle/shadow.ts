import { ZeroHash } from 'ethers';
import type { Kysely } from 'kysely';
import type { ModelRegistry } from '../contracts/build/types';
import type { Logger } from '../core/logger';
import { Gauge, type Registry } from '../core/metrics';
import type { Database, ModelKind } from '../core/schema';
import {
  afterLastEvent,
  creditScorer,
  indexedPrices,
  loadStoredCollateralArtifact,
  loadStoredCreditArtifact,
  spearman,
  walletFeaturesAt,
  type CollateralArtifact,
  type CollateralParams,
  type CreditArtifact,
  type IndexedAssetPrices,
} from '../models';
import { collateralModelInForce, collateralProposerOf, type CollateralModel } from './collateral-model';
import { shadowBacktest, type BacktestFigures, type ShadowBacktest } from './shadow-backtest';
import { DEFAULT_COLLATERAL_MODEL, modelIdOf, type CollateralModelSpec } from './propose';

export interface CreditModelRef {
  modelId: string;
  artifact: CreditArtifact;
}

/** A candidate credit model beside the model in force, on the same wallets' history before the same time. */
export interface CreditShadow {
  modelId: string;
  referenceModelId: string;
  at: number;
  wallets: number;
  /** Spearman correlation of the two models' scores: 1 when they order every wallet alike. */
  rankCorrelation: number;
  meanAbsScoreDiff: number;
  maxAbsScoreDiff: number;
  /** Mean published PD (Q16 ÷ 2^16) of each model. */
  meanPd: number;
  referenceMeanPd: number;
  /** Wallets at or above `cutoff` for one model and below it for the other (a lender's yes against a no). */
  cutoff: number;
  decisionFlips: number;
}

/** The score a lender might require (the demo's CreditLine asks for 650): flips across it are what users feel. */
export const SHADOW_CUTOFF = 650;

/**
 * Scores every wallet with indexed history before `at` with the model in force and each candidate (features
 * computed once, canonical integer inference for every model) and compares them. Nothing is published.
 */
export async function shadowCredit(
  db: Kysely<Database>,
  chainId: number,
  at: number,
  reference: CreditModelRef,
  candidates: readonly CreditModelRef[],
): Promise<CreditShadow[]> {
  const { rows } = await walletFeaturesAt(db, chainId, at);
  if (rows.length < 2) throw new Error(`only ${rows.length} wallet(s) with history before ${at} on chain ${chainId}: nothing to compare`);
  const scoreAll = (artifact: CreditArtifact) => {
    const score = creditScorer(artifact);
    const scores = new Float64Array(rows.length);
    let pd = 0;
    rows.forEach((r, i) => {
      const s = score(r);
      scores[i] = s.score;
      pd += s.pQ / 65_536;
    });
    return { scores, meanPd: pd / rows.length };
  };
  const ref = scoreAll(reference.artifact);
  return candidates.map((candidate) => {
    const c = scoreAll(candidate.artifact);
    let sum = 0;
    let max = 0;
    let flips = 0;
    for (let i = 0; i < rows.length; i++) {
      const d = Math.abs(c.scores[i]! - ref.scores[i]!);
      sum += d;
      max = Math.max(max, d);
      if (c.scores[i]! >= SHADOW_CUTOFF !== ref.scores[i]! >= SHADOW_CUTOFF) flips++;
    }
    return {
      modelId: candidate.modelId,
      referenceModelId: reference.modelId,
      at,
      wallets: rows.length,
      rankCorrelation: spearman(c.scores, ref.scores),
      meanAbsScoreDiff: sum / rows.length,
      maxAbsScoreDiff: max,
      meanPd: c.meanPd,
      referenceMeanPd: ref.meanPd,
      cutoff: SHADOW_CUTOFF,
      decisionFlips: flips,
    };
  });
}

interface ShadowRow {
  modelId: string;
  referenceModelId: string;
  at: number;
  figures: Record<string, number>;
}

/** Writes shadow rows of one kind; the same model at the same time is recorded once (a re-run changes nothing). */
async function recordShadowRows(db: Kysely<Database>, chainId: number, kind: ModelKind, rows: readonly ShadowRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('shadow_results')
    .values(
      rows.map((r) => ({
        chain_id: chainId,
        model_id: r.modelId,
        at: r.at,
        kind,
        reference_model_id: r.referenceModelId,
        figures: JSON.stringify(r.figures),
      })),
    )
    .onConflict((oc) => oc.columns(['chain_id', 'model_id', 'at']).doNothing())
    .execute();
}

/** A model's recorded shadow rows of one kind, oldest first. */
async function shadowRows(db: Kysely<Database>, chainId: number, modelId: string, kind: ModelKind): Promise<ShadowRow[]> {
  const rows = await db
    .selectFrom('shadow_results')
    .where('chain_id', '=', chainId)
    .where('model_id', '=', modelId.toLowerCase())
    .where('kind', '=', kind)
    .selectAll()
    .orderBy('at')
    .execute();
  return rows.map((r) => ({ modelId: r.model_id, referenceModelId: r.reference_model_id, at: Number(r.at), figures: r.figures }));
}

/** Records credit shadow results; the same model at the same time is recorded once (a re-run changes nothing). */
export function recordShadow(db: Kysely<Database>, chainId: number, results: readonly CreditShadow[]): Promise<void> {
  return recordShadowRows(
    db,
    chainId,
    'credit',
    results.map(({ modelId, referenceModelId, at, ...figures }) => ({ modelId, referenceModelId, at, figures: { ...figures } })),
  );
}

/** Every recorded credit shadow result of a model, oldest first: its track record beside the models in force. */
export async function shadowHistory(db: Kysely<Database>, chainId: number, modelId: string): Promise<CreditShadow[]> {
  return (await shadowRows(db, chainId, modelId, 'credit')).map((r) => ({
    ...(r.figures as unknown as Omit<CreditShadow, 'modelId' | 'referenceModelId' | 'at'>),
    modelId: r.modelId,
    referenceModelId: r.referenceModelId,
    at: r.at,
  }));
}

const CANDIDATE = 1n;
const CREDIT = 0n;
const COLLATERAL = 1n;

/** Every model of `kind` (0 credit, 1 collateral) the registry lists as a candidate, in registration order. */
async function candidatesOf(registry: ModelRegistry, kind: bigint): Promise<string[]> {
  const found: string[] = [];
  for (let index = 1; ; index++) {
    const modelId = await registry.modelIdAt(index);
    if (modelId === ZeroHash) return found;
    const m = await registry.model(modelId);
    if (m.status === CANDIDATE && m.kind === kind) found.push(modelId);
  }
}

/** Every credit model the registry lists as a candidate, in registration order. */
export const creditCandidates = (registry: ModelRegistry): Promise<string[]> => candidatesOf(registry, CREDIT);

/**
 * One shadow step: the model in force (ModelRegistry.activeModel) against every candidate whose artifact the
 * database holds (`model submit` and `model import` store them), at `at` (default: just after the last indexed
 * event); recorded, and returned with the candidates that could not run.
 */
export async function runCreditShadow(
  db: Kysely<Database>,
  registry: ModelRegistry,
  chainId: number,
  at?: number,
): Promise<{ at: number; inForce: string; results: CreditShadow[]; missing: string[] }> {
  const active = await registry.activeModel(CREDIT);
  if (active === ZeroHash) throw new Error(`${NO_MODEL_IN_FORCE}: the DAO promotes one first (model propose-promotion)`);
  const load = async (modelId: string): Promise<CreditModelRef | undefined> => {
    const stored = await loadStoredCreditArtifact(db, modelId);
    return stored && { modelId: stored.modelId, artifact: stored.artifact };
  };
  const reference = await load(active);
  if (!reference) throw new Error(`the artifact of the model in force (${active}) is not stored: model import --artifact FILE`);
  const ids = await creditCandidates(registry);
  const loaded = await Promise.all(ids.map(load));
  const candidates = loaded.filter((c): c is CreditModelRef => c !== undefined);
  const missing = ids.filter((_, i) => loaded[i] === undefined);
  at ??= await afterLastEvent(db, chainId);
  const results = await shadowCredit(db, chainId, at, reference, candidates);
  await recordShadow(db, chainId, results);
  return { at, inForce: reference.modelId, results, missing };
}

const NO_MODEL_IN_FORCE = 'no credit model is in force';

/** What a daemon shadow job reads and where it reports. */
export interface ShadowJobOptions {
  db: Kysely<Database>;
  registry: ModelRegistry;
  chainId: number;
  metrics: Registry;
  log: Logger;
}

const perModelGauge = (metrics: Registry) => (name: string, help: string) =>
  new Gauge({ name, help, labelNames: ['model'], registers: [metrics] });

/**
 * The daemon's shadow job: one `runCreditShadow` per run, its figures as gauges per candidate (rank correlation,
 * mean |Δscore|, decision flips). With no model in force there is nothing to shadow: the run logs it and succeeds.
 */
export function creditShadowJob(options: ShadowJobOptions): () => Promise<void> {
  const gauge = perModelGauge(options.metrics);
  const rank = gauge('risk_oracle_shadow_rank_correlation', 'Spearman correlation of a candidate credit model with the model in force');
  const diff = gauge('risk_oracle_shadow_mean_abs_score_diff', 'mean |score difference| of a candidate and the model in force');
  const flips = gauge('risk_oracle_shadow_decision_flips', 'wallets a candidate puts on the other side of the lending cutoff');
  return async () => {
    let run: Awaited<ReturnType<typeof runCreditShadow>>;
    try {
      run = await runCreditShadow(options.db, options.registry, options.chainId);
    } catch (err) {
      if ((err as Error).message.startsWith(NO_MODEL_IN_FORCE)) return options.log.info('shadow: no credit model in force yet');
      throw err;
    }
    for (const r of run.results) {
      rank.set({ model: r.modelId }, r.rankCorrelation);
      diff.set({ model: r.modelId }, r.meanAbsScoreDiff);
      flips.set({ model: r.modelId }, r.decisionFlips);
    }
    if (run.missing.length) options.log.warn({ missing: run.missing }, 'shadow: candidates whose artifacts are not stored (model import)');
    options.log.info({ at: run.at, inForce: run.inForce, candidates: run.results.length }, 'shadow step recorded');
  };
}

// ---- collateral ------------------------------------------------------------------------------------------------

/** What the oracle would run for collateral: a stored artifact (the model in force) or the empirical-quantile spec. */
/** The model a candidate is compared with: the collateral model in force, or the empirical spec. */
export type CollateralReference = CollateralModel;

const PARAMS = ['ltv', 'liquidationThreshold', 'liquidationBonus'] as const;

/** One asset: both proposals (bps, before the guards) and candidate − reference. */
export interface CollateralShadowAsset {
  symbol: string;
  proposed: CollateralParams;
  reference: CollateralParams;
  diff: CollateralParams;
  /** The candidate's predicted move at its proposal quantile. */
  predictedMove: number;
}

/** A candidate collateral model beside the reference on the same indexed prices at the same time. */
export interface CollateralShadow {
  modelId: string;
  referenceModelId: string;
  at: number;
  assets: CollateralShadowAsset[];
  meanAbsLtDiff: number;
  maxAbsLtDiff: number;
  meanAbsLtvDiff: number;
  /** Assets the candidate could not propose for (no reference series, too short a history), with why. */
  skipped: Array<{ symbol: string; reason: string }>;
  /** Both policies walked forward over the same indexed window (see `shadowBacktest`), or why none could be. */
  backtest?: ShadowBacktest | { unavailable: string };
}

/** A proposal function over the indexed series (pegs from the assets table); see `collateralProposerOf`. */
function proposerOf(
  model: CollateralModel,
  series: readonly IndexedAssetPrices[],
  at: number,
): (asset: IndexedAssetPrices) => { params: CollateralParams; move: number } {
  const asModel = (a: IndexedAssetPrices) => ({ symbol: a.symbol, prices: a.points, ...(a.peg === undefined ? {} : { peg: a.peg }) });
  const propose = collateralProposerOf(model, series.map(asModel), at);
  return (asset) => propose(asModel(asset));
}

/**
 * Every candidate's proposal per asset beside the reference's, from the same indexed prices up to `at` (the
 * parameters each would propose, before the oracle's guards). Assets the reference cannot propose for are left
 * out for all; those a candidate cannot are listed in its `skipped`. Nothing is published.
 */
export function shadowCollateral(
  series: readonly IndexedAssetPrices[],
  at: number,
  reference: CollateralReference,
  candidates: ReadonlyArray<{ modelId: string; artifact: CollateralArtifact }>,
): CollateralShadow[] {
  const attempt = (propose: ReturnType<typeof proposerOf>, asset: IndexedAssetPrices) => {
    try {
      return { ok: propose(asset) };
    } catch (err) {
      return { reason: (err as Error).message };
    }
  };
  const ref = proposerOf(reference, series, at);
  const base = series.flatMap((asset) => {
    const r = attempt(ref, asset);
    return r.ok ? [{ asset, params: r.ok.params }] : [];
  });
  if (base.length === 0) throw new Error(`the reference ${reference.modelId} proposes for no asset at ${at}: not enough indexed prices`);
  return candidates.map((candidate) => {
    const propose = proposerOf(candidate, series, at);
    const assets: CollateralShadowAsset[] = [];
    const skipped: CollateralShadow['skipped'] = [];
    for (const { asset, params } of base) {
      const c = attempt(propose, asset);
      if (!c.ok) {
        skipped.push({ symbol: asset.symbol, reason: c.reason! });
        continue;
      }
      const diff = Object.fromEntries(PARAMS.map((k) => [k, c.ok.params[k] - params[k]])) as unknown as CollateralParams;
      assets.push({ symbol: asset.symbol, proposed: c.ok.params, reference: params, diff, predictedMove: c.ok.move });
    }
    const lt = assets.map((a) => Math.abs(a.diff.liquidationThreshold));
    const mean = (values: number[]) => (values.length ? values.reduce((x, y) => x + y, 0) / values.length : 0);
    return {
      modelId: candidate.modelId,
      referenceModelId: reference.modelId,
      at,
      assets,
      meanAbsLtDiff: mean(lt),
      maxAbsLtDiff: lt.length ? Math.max(...lt) : 0,
      meanAbsLtvDiff: mean(assets.map((a) => Math.abs(a.diff.ltv))),
      skipped,
    };
  });
}

/**
 * `shadow_results.figures` holds numbers by name: per asset `SYMBOL.ltv`, `SYMBOL.referenceLtv`, `SYMBOL.ltvDiff`
 * (and the same for liquidationThreshold and liquidationBonus) and `SYMBOL.predictedMove`, with the summary
 * figures beside them. Skipped assets are not recorded.
 */
function collateralFigures(r: CollateralShadow): Record<string, number> {
  const figures: Record<string, number> = {
    assets: r.assets.length,
    meanAbsLtDiff: r.meanAbsLtDiff,
    maxAbsLtDiff: r.maxAbsLtDiff,
    meanAbsLtvDiff: r.meanAbsLtvDiff,
  };
  for (const a of r.assets) {
    for (const k of PARAMS) {
      const cap = `${k[0]!.toUpperCase()}${k.slice(1)}`;
      figures[`${a.symbol}.${k}`] = a.proposed[k];
      figures[`${a.symbol}.reference${cap}`] = a.reference[k];
      figures[`${a.symbol}.${k}Diff`] = a.diff[k];
    }
    figures[`${a.symbol}.predictedMove`] = a.predictedMove;
  }
  if (r.backtest && !('unavailable' in r.backtest)) {
    const b = r.backtest;
    Object.assign(figures, { 'backtest.from': b.from, 'backtest.to': b.to, 'backtest.steps': b.steps });
    Object.assign(figures, { 'backtest.referenceIsModel': b.referenceBasis === 'model in force' ? 1 : 0 });
    for (const side of ['candidate', 'reference'] as const) for (const k of BACKTEST_FIGURES) figures[`backtest.${side}.${k}`] = b[side][k];
  }
  return figures;
}

const BACKTEST_FIGURES = ['badDebtPct', 'meanLtv', 'liquidations'] as const;

/** The backtest recorded in a shadow row's figures, if one was. */
function recordedBacktest(f: Record<string, number>): ShadowBacktest | undefined {
  if (f['backtest.steps'] === undefined) return undefined;
  const side = (name: string) =>
    Object.fromEntries(BACKTEST_FIGURES.map((k) => [k, f[`backtest.${name}.${k}`]!])) as unknown as BacktestFigures;
  return {
    from: f['backtest.from']!,
    to: f['backtest.to']!,
    steps: f['backtest.steps'],
    candidate: side('candidate'),
    reference: side('reference'),
    referenceBasis: f['backtest.referenceIsModel'] === 1 ? 'model in force' : 'empirical quantile',
  };
}

/** Records collateral shadow results (kind `collateral`); a re-run at the same time changes nothing. */
export function recordCollateralShadow(db: Kysely<Database>, chainId: number, results: readonly CollateralShadow[]): Promise<void> {
  return recordShadowRows(
    db,
    chainId,
    'collateral',
    results.map((r) => ({ modelId: r.modelId, referenceModelId: r.referenceModelId, at: r.at, figures: collateralFigures(r) })),
  );
}

/** A collateral candidate's recorded shadow results, oldest first (skipped assets are not recorded). */
export async function collateralShadowHistory(db: Kysely<Database>, chainId: number, modelId: string): Promise<CollateralShadow[]> {
  return (await shadowRows(db, chainId, modelId, 'collateral')).map((r) => {
    const f = r.figures;
    const symbols = Object.keys(f)
      .filter((k) => k.endsWith('.predictedMove'))
      .map((k) => k.slice(0, -'.predictedMove'.length))
      .sort();
    const params = (symbol: string, name: (k: (typeof PARAMS)[number]) => string) =>
      Object.fromEntries(PARAMS.map((k) => [k, f[`${symbol}.${name(k)}`]!])) as unknown as CollateralParams;
    return {
      modelId: r.modelId,
      referenceModelId: r.referenceModelId,
      at: r.at,
      assets: symbols.map((symbol) => ({
        symbol,
        proposed: params(symbol, (k) => k),
        reference: params(symbol, (k) => `reference${k[0]!.toUpperCase()}${k.slice(1)}`),
        diff: params(symbol, (k) => `${k}Diff`),
        predictedMove: f[`${symbol}.predictedMove`]!,
      })),
      meanAbsLtDiff: f.meanAbsLtDiff!,
      maxAbsLtDiff: f.maxAbsLtDiff!,
      meanAbsLtvDiff: f.meanAbsLtvDiff!,
      skipped: [],
      ...(recordedBacktest(f) ? { backtest: recordedBacktest(f) } : {}),
    };
  });
}

/** Every collateral model the registry lists as a candidate, in registration order. */
export const collateralCandidates = (registry: ModelRegistry): Promise<string[]> => candidatesOf(registry, COLLATERAL);

/** The time of the newest indexed price on the chain: the default time of a collateral shadow step. */
async function latestIndexedPrice(db: Kysely<Database>, chainId: number): Promise<number> {
  const row = await db
    .selectFrom('price_points')
    .where('chain_id', '=', chainId)
    .where('block_number', 'is not', null)
    .select((eb) => eb.fn.max('timestamp').as('t'))
    .executeTakeFirst();
  if (row?.t === null || row?.t === undefined) throw new Error(`no indexed prices on chain ${chainId}: index first`);
  return Number(row.t);
}

/**
 * One collateral shadow step: every candidate collateral model whose artifact the database holds beside the
 * model in force (ModelRegistry.activeModel(Collateral), its artifact stored), or beside the oracle's
 * empirical-quantile spec while none is in force, on the indexed prices up to `at` (default: the newest);
 * recorded, and returned with the candidates that could not run.
 */
export async function runCollateralShadow(
  db: Kysely<Database>,
  registry: ModelRegistry,
  chainId: number,
  at?: number,
  spec: CollateralModelSpec = DEFAULT_COLLATERAL_MODEL,
): Promise<{ at: number; inForce: string; empirical: boolean; results: CollateralShadow[]; missing: string[] }> {
  const inForce = await collateralModelInForce(db, registry);
  const reference: CollateralReference = inForce.inForce ? inForce : { modelId: modelIdOf(spec), spec };
  const ids = await collateralCandidates(registry);
  const loaded = await Promise.all(ids.map((id) => loadStoredCollateralArtifact(db, id)));
  const candidates = loaded.filter((c): c is NonNullable<typeof c> => c !== undefined);
  const missing = ids.filter((_, i) => loaded[i] === undefined);
  at ??= await latestIndexedPrice(db, chainId);
  const results = candidates.length ? shadowCollateral(await indexedPrices(db, chainId, { at }), at, reference, candidates) : [];
  for (const [i, r] of results.entries()) r.backtest = await shadowBacktest(db, chainId, at, reference, candidates[i]!);
  await recordCollateralShadow(db, chainId, results);
  return { at, inForce: reference.modelId, empirical: 'spec' in reference, results, missing };
}

/**
 * The daemon's collateral shadow job: one `runCollateralShadow` per run (beside the empirical spec while no
 * collateral model is in force), mean and max |Δlt| per candidate as gauges.
 */
export function collateralShadowJob(options: ShadowJobOptions): () => Promise<void> {
  const gauge = perModelGauge(options.metrics);
  const mean = gauge(
    'risk_oracle_collateral_shadow_mean_abs_lt_diff_bps',
    'mean |Δ liquidation threshold| of a candidate against the reference',
  );
  const max = gauge(
    'risk_oracle_collateral_shadow_max_abs_lt_diff_bps',
    'largest |Δ liquidation threshold| of a candidate against the reference',
  );
  const backtest = (name: string, help: string) => new Gauge({ name, help, labelNames: ['model', 'policy'], registers: [options.metrics] });
  const badDebt = backtest(
    'risk_oracle_collateral_shadow_backtest_bad_debt_pct',
    'bad debt, % of borrowed, of a candidate and of the reference over the same indexed window',
  );
  const meanLtv = backtest(
    'risk_oracle_collateral_shadow_backtest_mean_ltv',
    'mean allowed LTV of a candidate and of the reference over the same indexed window',
  );
  return async () => {
    // nothing to compare (and maybe no indexed prices yet): the step is a no-op, not a failure
    if ((await collateralCandidates(options.registry)).length === 0) return;
    const run = await runCollateralShadow(options.db, options.registry, options.chainId);
    for (const r of run.results) {
      mean.set({ model: r.modelId }, r.meanAbsLtDiff);
      max.set({ model: r.modelId }, r.maxAbsLtDiff);
      if (!r.backtest || 'unavailable' in r.backtest) continue;
      for (const policy of ['candidate', 'reference'] as const) {
        badDebt.set({ model: r.modelId, policy }, r.backtest[policy].badDebtPct);
        meanLtv.set({ model: r.modelId, policy }, r.backtest[policy].meanLtv);
      }
    }
    if (run.missing.length)
      options.log.warn({ missing: run.missing }, 'collateral shadow: candidates whose artifacts are not stored (model import)');
    options.log.info(
      { at: run.at, reference: run.inForce, empirical: run.empirical, candidates: run.results.length },
      'collateral shadow step recorded',
    );
  };
}
