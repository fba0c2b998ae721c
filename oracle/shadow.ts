import { ZeroHash } from 'ethers';
import type { Kysely } from 'kysely';
import type { ModelRegistry } from '../contracts/build/types';
import type { Logger } from '../core/logger';
import { Gauge, type Registry } from '../core/metrics';
import type { Database } from '../core/schema';
import { afterLastEvent, creditScorer, loadStoredCreditArtifact, spearman, walletFeaturesAt, type CreditArtifact } from '../models';

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

/** Records shadow results; the same model at the same time is recorded once (a re-run changes nothing). */
export async function recordShadow(db: Kysely<Database>, chainId: number, results: readonly CreditShadow[]): Promise<void> {
  if (results.length === 0) return;
  await db
    .insertInto('shadow_results')
    .values(
      results.map(({ modelId, referenceModelId, at, ...figures }) => ({
        chain_id: chainId,
        model_id: modelId,
        at,
        kind: 'credit' as const,
        reference_model_id: referenceModelId,
        figures: JSON.stringify(figures),
      })),
    )
    .onConflict((oc) => oc.columns(['chain_id', 'model_id', 'at']).doNothing())
    .execute();
}

/** Every recorded shadow result of a model, oldest first: its track record beside the models in force. */
export async function shadowHistory(db: Kysely<Database>, chainId: number, modelId: string): Promise<CreditShadow[]> {
  const rows = await db
    .selectFrom('shadow_results')
    .where('chain_id', '=', chainId)
    .where('model_id', '=', modelId.toLowerCase())
    .selectAll()
    .orderBy('at')
    .execute();
  return rows.map((r) => ({
    ...(r.figures as unknown as Omit<CreditShadow, 'modelId' | 'referenceModelId' | 'at'>),
    modelId: r.model_id,
    referenceModelId: r.reference_model_id,
    at: Number(r.at),
  }));
}

const CANDIDATE = 1n;
const CREDIT = 0n;

/** Every credit model the registry lists as a candidate, in registration order. */
export async function creditCandidates(registry: ModelRegistry): Promise<string[]> {
  const found: string[] = [];
  for (let index = 1; ; index++) {
    const modelId = await registry.modelIdAt(index);
    if (modelId === ZeroHash) return found;
    const m = await registry.model(modelId);
    if (m.status === CANDIDATE && m.kind === CREDIT) found.push(modelId);
  }
}

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

/**
 * The daemon's shadow job: one `runCreditShadow` per run, its figures as gauges per candidate (rank correlation,
 * mean |Δscore|, decision flips). With no model in force there is nothing to shadow: the run logs it and succeeds.
 */
export function creditShadowJob(options: {
  db: Kysely<Database>;
  registry: ModelRegistry;
  chainId: number;
  metrics: Registry;
  log: Logger;
}): () => Promise<void> {
  const gauge = (name: string, help: string) => new Gauge({ name, help, labelNames: ['model'], registers: [options.metrics] });
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
