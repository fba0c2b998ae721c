import type { Kysely } from 'kysely';
import type { Database } from '../../core';
import type { ModelRegistry, RiskOracle } from '../../contracts/build/types';
import { creditModelFor, type CreditModelSource } from '../../models/credit/stored';
import type { SeedSource } from '../chain-state';
import { auditCreditEpoch, loadEpoch } from '../credit-epoch';
import type { LogRangeOptions } from '../logs';
import { DEFAULT_COLLATERAL_MODEL, type CollateralModelSpec } from '../propose';
import { verifyRounds } from '../verify';
import type { ChainEpoch, ChainParameterEvent } from './chain';
import type { VerifyStatus } from './types';

/** Re-derives published rounds and epochs for the page; each result is kept, so a round is checked once. */
export interface DashboardVerifier {
  rounds(events: readonly ChainParameterEvent[]): Promise<Map<string, VerifyStatus>>;
  epochs(epochs: readonly ChainEpoch[]): Promise<Map<number, VerifyStatus>>;
}

export const roundKey = (asset: string, round: number): string => `${asset.toLowerCase()}:${round}`;

/** Rounds re-derived per refresh at most: a long history is checked over a few refreshes, never blocking the page. */
const ROUNDS_PER_REFRESH = 8;
const EPOCHS_PER_REFRESH = 2;
const RECHECK_UNKNOWN_MS = 60_000;

/**
 * `risk-oracle verify` for the dashboard: rounds are re-derived from the prices, the model spec and the bounds in
 * force at their block (`verifyRounds`); epochs are checked against the chain's root and, with the credit model,
 * every score is recomputed from the features its leaf commits to. Failures to check are reported, not cached.
 */
export function createDashboardVerifier(options: {
  db: Kysely<Database>;
  oracle: RiskOracle;
  /** Rounds are checked against the collateral model in force at their block (see `verifyRounds`). */
  models?: ModelRegistry;
  chainId: number;
  seed?: SeedSource;
  spec?: CollateralModelSpec;
  /**
   * A credit model given by hand (`dashboard --artifact`): used for an epoch whose model's artifact the database
   * does not hold (`model_artifacts`, stored by `model submit` and `model import`). With neither, an epoch is
   * checked against its root only.
   */
  creditModel?: CreditModelSource;
  /** How RiskOracle's events are read (bounded ranges; see `queryLogsInRanges`). */
  logRange?: LogRangeOptions;
}): DashboardVerifier {
  const { db, chainId } = options;
  const roundResults = new Map<string, { status: VerifyStatus; at: number }>();
  const epochResults = new Map<number, { status: VerifyStatus; at: number }>();
  const models = new Map<string, CreditModelSource>();
  /** A verdict is kept; "cannot tell" is asked again after a while (the database may have caught up since). */
  const known = <K>(results: Map<K, { status: VerifyStatus; at: number }>, key: K): VerifyStatus | undefined => {
    const r = results.get(key);
    return r && (r.status.state !== 'unknown' || Date.now() - r.at < RECHECK_UNKNOWN_MS) ? r.status : undefined;
  };

  return {
    async rounds(events) {
      const unchecked = [...new Set(events.filter((e) => !known(roundResults, roundKey(e.asset, e.round))).map((e) => e.round))];
      const failed = new Map<number, string>();
      for (const round of unchecked.slice(-ROUNDS_PER_REFRESH)) {
        // only the blocks that hold the round's events are read again (one small range, not the chain's history)
        const ofRound = events.filter((e) => e.round === round);
        const blocks = ofRound.map((e) => e.blockNumber);
        try {
          const report = await verifyRounds({
            db,
            oracle: options.oracle,
            chainId,
            spec: options.spec ?? DEFAULT_COLLATERAL_MODEL,
            models: options.models,
            round,
            seed: options.seed,
            fromBlock: Math.min(...blocks),
            toBlock: Math.max(...blocks),
            logRange: options.logRange,
          });
          if (report.checked < ofRound.length) {
            // not every event is at its block any more (a reorg since they were read): nothing kept, asked again later
            failed.set(
              round,
              `${ofRound.length - report.checked} of its events are no longer at block(s) ${[...new Set(blocks)].join(', ')}`,
            );
            continue;
          }
          for (const e of ofRound) {
            const found = report.mismatches.filter((m) => m.asset === e.asset.toLowerCase());
            const inputs = found.find((m) => m.field === 'inputs');
            const status: VerifyStatus = inputs
              ? { state: 'unknown', reason: inputs.derived }
              : found.length
                ? { state: 'mismatch', fields: found.map((m) => `${m.field}: published ${m.published}, derived ${m.derived}`) }
                : { state: 'verified' };
            roundResults.set(roundKey(e.asset, round), { status, at: Date.now() });
          }
        } catch (err) {
          // not kept: tried again on the next refresh
          failed.set(round, (err as Error).message);
        }
      }
      const out = new Map<string, VerifyStatus>();
      for (const e of events) {
        const key = roundKey(e.asset, e.round);
        const error = failed.get(e.round);
        out.set(
          key,
          roundResults.get(key)?.status ?? { state: 'unknown', reason: error ? `not checked: ${error.slice(0, 200)}` : 'not checked yet' },
        );
      }
      return out;
    },

    async epochs(epochs) {
      let checked = 0;
      const out = new Map<number, VerifyStatus>();
      for (const e of [...epochs].sort((a, b) => b.epoch - a.epoch)) {
        const cached = known(epochResults, e.epoch);
        if (cached) {
          out.set(e.epoch, cached);
          continue;
        }
        if (checked >= EPOCHS_PER_REFRESH) {
          out.set(e.epoch, { state: 'unknown', reason: 'not checked yet' });
          continue;
        }
        checked++;
        try {
          const status = await checkEpoch(e);
          epochResults.set(e.epoch, { status, at: Date.now() });
          out.set(e.epoch, status);
        } catch (err) {
          // not kept: tried again on the next refresh
          out.set(e.epoch, { state: 'unknown', reason: `not checked: ${(err as Error).message}` });
        }
      }
      return out;
    },
  };

  async function checkEpoch(e: ChainEpoch): Promise<VerifyStatus> {
    const row = await db
      .selectFrom('credit_epochs')
      .select('root')
      .where('chain_id', '=', chainId)
      .where('epoch', '=', e.epoch)
      .executeTakeFirst();
    if (!row) return { state: 'unknown', reason: 'this database holds no leaves of the epoch: its scores cannot be re-derived here' };
    const stored = await loadEpoch(db, chainId, e.epoch);
    const fields: string[] = [];
    if (stored.root !== e.root) fields.push(`root: published ${e.root}, database ${stored.root}`);
    if (stored.modelId !== e.modelId) fields.push(`modelId: published ${e.modelId}, database ${stored.modelId}`);
    const source = await modelOf(e.modelId);
    if (!('model' in source))
      return fields.length
        ? { state: 'mismatch', fields }
        : { state: 'unknown', reason: `root matches the stored leaves; scores not recomputed: ${source.why}` };
    const wrong = await auditCreditEpoch(db, chainId, e.epoch, source.model);
    if (wrong.length)
      fields.push(
        `${wrong.length} score(s) differ from the model (${source.basis}), e.g. ${wrong[0]!.wallet}: published ${wrong[0]!.published.score}, recomputed ${wrong[0]!.recomputed.score}`,
      );
    return fields.length ? { state: 'mismatch', fields } : { state: 'verified', basis: `every score recomputed with ${source.basis}` };
  }

  /** The model an epoch was scored with (see `creditModelFor`); decoded models are kept by id. */
  async function modelOf(modelId: string): Promise<CreditModelSource | { why: string }> {
    const cached = models.get(modelId.toLowerCase());
    if (cached) return cached;
    const found = await creditModelFor(db, modelId, { command: 'the dashboard', given: options.creditModel });
    if ('model' in found) models.set(found.modelId, found);
    return found;
  }
}
