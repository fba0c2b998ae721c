import { sql, type Kysely } from 'kysely';
import type { Database } from '../../core/schema';
import { buildCreditArtifact, type CreditArtifact } from './artifact';
import type { Dataset } from './dataset';
import { CREDIT_FEATURE_COUNT } from './features';
import { creditFeaturesSql, creditLabelsSql, type Observation } from './features-sql';
import { creditScorer, type CanonicalScore } from './score';
import { trainCreditModel, type CreditTrainingOptions } from './train';

const DAY = 86_400;

export interface ObservationGrid {
  horizonSeconds: number;
  everyDays?: number;
  minHistoryDays?: number;
  /**
   * Only data up to this time (unix s): the last observation is `until − horizon`, so every label window closes
   * by then. Default: the last indexed event.
   */
  until?: number;
}

/**
 * Training observations from indexed data: on a grid of times (every `everyDays`, from the first event plus
 * `minHistoryDays` to the last event (or `until`) minus the horizon, so every label window is complete), every
 * wallet that owes something at its last health snapshot before that time.
 */
export async function creditObservations(db: Kysely<Database>, chainId: number, options: ObservationGrid): Promise<Observation[]> {
  let query = db
    .selectFrom('lending_events')
    .where('chain_id', '=', chainId)
    .select((eb) => [eb.fn.min('timestamp').as('first'), eb.fn.max('timestamp').as('last')]);
  if (options.until !== undefined) query = query.where('timestamp', '<=', options.until);
  const range = await query.executeTakeFirst();
  if (!range || range.first === null || range.last === null)
    throw new Error(
      `no lending events on chain ${chainId}${options.until === undefined ? '' : ` up to ${options.until}`}: index or simulate some first`,
    );
  const step = (options.everyDays ?? 7) * DAY;
  const from = Number(range.first) + (options.minHistoryDays ?? 30) * DAY;
  const to = (options.until ?? Number(range.last)) - options.horizonSeconds;
  if (to < from)
    throw new Error(
      `the indexed history (${((Number(range.last) - Number(range.first)) / DAY).toFixed(0)} days) is too short for the horizon`,
    );
  const times: number[] = [];
  for (let t = from; t <= to; t += step) times.push(t);
  const { rows } = await sql<{ wallet: string; t: number }>`
    select o.t, w.wallet
    from unnest(${times}::bigint[]) as o(t)
    cross join lateral (
      select distinct on (h.wallet) h.wallet, h.debt_usd
      from health_factors h
      where h.chain_id = ${chainId} and h.timestamp < o.t
      order by h.wallet, h.block_number desc
    ) w
    where w.debt_usd > 0
    order by o.t, w.wallet
  `.execute(db);
  return rows.map((r) => ({ wallet: r.wallet, t: Number(r.t) }));
}

/** Features (SQL) and labels for the observations, as a dataset. */
export async function creditDatasetFromDb(
  db: Kysely<Database>,
  chainId: number,
  observations: readonly Observation[],
  horizonSeconds: number,
): Promise<Dataset> {
  const rows = await creditFeaturesSql(db, chainId, observations);
  const y = await creditLabelsSql(db, chainId, observations, horizonSeconds);
  const width = CREDIT_FEATURE_COUNT;
  const x = new Float64Array(rows.length * width);
  rows.forEach((r, i) => x.set(r, i * width));
  return {
    width,
    count: rows.length,
    x,
    y,
    t: Float64Array.from(observations, (o) => o.t),
    entities: observations.map((o) => `${o.wallet}@${o.t}`),
  };
}

/** Trains the credit model on indexed data and returns the artifact file (canonical JSON) and its modelId. */
export async function trainCreditFromDb(
  db: Kysely<Database>,
  chainId: number,
  options: CreditTrainingOptions & { backend: string; everyDays?: number; minHistoryDays?: number; codeVersion?: string },
): Promise<{ artifact: CreditArtifact; json: string; modelId: string; trainSeconds: number }> {
  const observations = await creditObservations(db, chainId, options);
  const data = await creditDatasetFromDb(db, chainId, observations, options.horizonSeconds);
  const trained = await trainCreditModel(data, options);
  const built = await buildCreditArtifact({
    trained,
    data,
    seed: options.seed,
    backend: options.backend,
    horizonSeconds: options.horizonSeconds,
    codeVersion: options.codeVersion,
  });
  trained.mlp.model.dispose();
  return { ...built, trainSeconds: trained.trainSeconds };
}

export interface WalletScore extends CanonicalScore {
  wallet: string;
}

/** Just after the last indexed lending event of the chain: the time that scores every wallet's whole history. */
export async function afterLastEvent(db: Kysely<Database>, chainId: number): Promise<number> {
  const last = await db
    .selectFrom('lending_events')
    .where('chain_id', '=', chainId)
    .select((eb) => eb.fn.max('timestamp').as('t'))
    .executeTakeFirst();
  if (last?.t === null || last?.t === undefined) throw new Error(`no lending events on chain ${chainId}`);
  return Number(last.t) + 1;
}

/** The credit features of every wallet with history before t (SQL), in address order. */
export async function walletFeaturesAt(
  db: Kysely<Database>,
  chainId: number,
  t: number,
): Promise<{ wallets: string[]; rows: Float64Array[] }> {
  const found = await db
    .selectFrom('lending_events')
    .where('chain_id', '=', chainId)
    .where('timestamp', '<', t)
    .select('user_address')
    .distinct()
    .orderBy('user_address')
    .execute();
  const wallets = found.map((w) => w.user_address);
  return {
    wallets,
    rows: await creditFeaturesSql(
      db,
      chainId,
      wallets.map((wallet) => ({ wallet, t })),
    ),
  };
}

/** Canonical scores of every wallet with history before t (SQL features → the artifact's quantised model). */
export async function scoreWalletsFromDb(
  db: Kysely<Database>,
  chainId: number,
  artifact: CreditArtifact,
  t: number,
): Promise<WalletScore[]> {
  const { wallets, rows } = await walletFeaturesAt(db, chainId, t);
  const score = creditScorer(artifact);
  return rows.map((r, i) => ({ wallet: wallets[i]!, ...score(r) }));
}
