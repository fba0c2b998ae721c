import type { Interface, Log } from 'ethers';
import { RiskOracle__factory, RiskSteward__factory, type RiskSteward } from '../contracts/build/types';
import type { CollateralParams } from './guards';

/** The contracts whose safety actions are listed (their ABIs decode the events). */
export type GuardianContract = 'RiskOracle' | 'RiskSteward';

export interface GuardianEventSpec {
  contract: GuardianContract;
  /** The event's name in the contract's ABI. */
  event: string;
  /** Who acted, for an event that carries no `by` argument (only that party may emit it). */
  actor?: string;
}

/**
 * The guardian's and the DAO's safety actions the dashboard lists, one line each. Every event is decoded with its
 * contract's ABI and shown by its argument names: `by` is the actor, `asset` names the asset, `round`, `ltv`,
 * `liquidationThreshold` and `liquidationBonus` are the round and the values it set, any other argument is shown
 * by name and value. So a new event (a skipped round, a restore on RiskOracle) is one more line here.
 */
export const GUARDIAN_EVENTS: readonly GuardianEventSpec[] = [
  { contract: 'RiskOracle', event: 'Paused' },
  { contract: 'RiskOracle', event: 'Unpaused' },
  { contract: 'RiskOracle', event: 'GuardianSet', actor: 'the DAO (only it sets the guardian)' },
  { contract: 'RiskSteward', event: 'ParametersRestored' },
  { contract: 'RiskSteward', event: 'RoundSkipped' },
  { contract: 'RiskOracle', event: 'FallBackRecorded', actor: 'the steward, for a fall-back' },
];

const INTERFACES: Record<GuardianContract, Interface> = {
  RiskOracle: RiskOracle__factory.createInterface(),
  RiskSteward: RiskSteward__factory.createInterface(),
};

/** The topic hashes of `events` per contract; an event its contract's ABI does not have is an error that names it. */
export function guardianTopics(events: readonly GuardianEventSpec[] = GUARDIAN_EVENTS): Record<GuardianContract, string[]> {
  const topics: Record<GuardianContract, string[]> = { RiskOracle: [], RiskSteward: [] };
  for (const e of events) {
    const fragment = INTERFACES[e.contract].getEvent(e.event);
    if (!fragment) throw new Error(`GUARDIAN_EVENTS: ${e.contract} has no event ${e.event} in its ABI (contracts/build)`);
    topics[e.contract].push(fragment.topicHash);
  }
  return topics;
}

/** One logged safety action: every argument by its ABI name, as a string (addresses checksummed, integers decimal). */
export interface GuardianLog {
  contract: GuardianContract;
  event: string;
  args: Record<string, string>;
  /** From the event list: who acted when the event carries no `by`. */
  actor?: string;
  blockNumber: number;
  logIndex: number;
  tx: string;
}

/** Decodes a log of one of `events` emitted by `contract`; undefined for any other log. */
export function decodeGuardianLog(
  contract: GuardianContract,
  log: Log,
  events: readonly GuardianEventSpec[] = GUARDIAN_EVENTS,
): GuardianLog | undefined {
  const parsed = INTERFACES[contract].parseLog(log);
  const spec = parsed && events.find((e) => e.contract === contract && e.event === parsed.name);
  if (!parsed || !spec) return undefined;
  const args = Object.fromEntries(parsed.fragment.inputs.map((input, i) => [input.name, String(parsed.args[i])]));
  return {
    contract,
    event: parsed.name,
    args,
    ...(spec.actor ? { actor: spec.actor } : {}),
    blockNumber: log.blockNumber,
    logIndex: log.index,
    tx: log.transactionHash,
  };
}

/** What a guardian fall-back would do for an asset now (`guardian status`, the dashboard). */
export interface FallBackState {
  /** The last round the steward applied to Aave (0 when none). */
  appliedRound: number;
  /** The parameters a fall-back would put back and the round it would undo; null when there is nothing to restore. */
  previous: (CollateralParams & { round: number }) | null;
}

/** What a fall-back would do now: skip RiskOracle's round when it is newer than the applied one, else restore. */
export type FallBackStep = 'skip' | 'restore' | null;

/** IRiskSteward.fallBack's rule: a published, unapplied round is skipped (Aave untouched); else `previous` is restored. */
export function nextFallBack(oracleRound: number, state: FallBackState): FallBackStep {
  if (oracleRound > state.appliedRound) return 'skip';
  return state.previous ? 'restore' : null;
}

/** `RiskSteward.appliedRound` and `previous` for an asset. */
export async function fallBackState(steward: RiskSteward, asset: string): Promise<FallBackState> {
  const [applied, previous] = await Promise.all([steward.appliedRound(asset), steward.previous(asset)]);
  return {
    appliedRound: Number(applied),
    previous:
      previous.round === 0n
        ? null
        : {
            round: Number(previous.round),
            ltv: Number(previous.ltv),
            liquidationThreshold: Number(previous.liquidationThreshold),
            liquidationBonus: Number(previous.liquidationBonus),
          },
  };
}
