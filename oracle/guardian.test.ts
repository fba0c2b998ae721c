import { getAddress, type Log } from 'ethers';
import { RiskOracle__factory, RiskSteward__factory } from '../contracts/build/types';
import { decodeGuardianLog, GUARDIAN_EVENTS, guardianTopics, nextFallBack } from './guardian';

const GUARDIAN = getAddress('0x00000000000000000000000000000000000000a7');
const ASSET = getAddress('0x00000000000000000000000000000000000000e1');

/** A log as a provider returns it, from the ABI's own encoding of the event. */
function logOf(encoded: { data: string; topics: string[] }, blockNumber = 7): Log {
  return { ...encoded, blockNumber, index: 3, transactionHash: `0x${'ab'.repeat(32)}` } as unknown as Log;
}

describe('guardian safety events', () => {
  const oracle = RiskOracle__factory.createInterface();
  const steward = RiskSteward__factory.createInterface();

  it("tells what a fall-back would do: skip the oracle's unapplied round, else restore the previous parameters", () => {
    const previous = { round: 2, ltv: 7_000, liquidationThreshold: 7_500, liquidationBonus: 10_500 };
    expect(nextFallBack(3, { appliedRound: 2, previous })).toBe('skip');
    expect(nextFallBack(3, { appliedRound: 2, previous: null })).toBe('skip');
    expect(nextFallBack(2, { appliedRound: 2, previous })).toBe('restore');
    expect(nextFallBack(2, { appliedRound: 2, previous: null })).toBeNull();
  });

  it("lists only events its contracts' ABIs have, and names one that is not there", () => {
    const topics = guardianTopics();
    expect(topics.RiskOracle).toEqual(
      (['Paused', 'Unpaused', 'GuardianSet', 'FallBackRecorded'] as const).map((e) => oracle.getEvent(e)!.topicHash),
    );
    expect(topics.RiskSteward).toEqual((['ParametersRestored', 'RoundSkipped'] as const).map((e) => steward.getEvent(e)!.topicHash));
    expect(GUARDIAN_EVENTS.length).toBe(topics.RiskOracle.length + topics.RiskSteward.length);
    expect(() => guardianTopics([...GUARDIAN_EVENTS, { contract: 'RiskSteward', event: 'RoundVanished' }])).toThrow(
      'GUARDIAN_EVENTS: RiskSteward has no event RoundVanished in its ABI',
    );
  });

  it('decodes a restore with every argument by name, and a pause with its actor', () => {
    const restored = logOf(steward.encodeEventLog('ParametersRestored', [ASSET, 4, 7_000, 7_500, 10_800, GUARDIAN]));
    expect(decodeGuardianLog('RiskSteward', restored)).toEqual({
      contract: 'RiskSteward',
      event: 'ParametersRestored',
      args: { asset: ASSET, round: '4', ltv: '7000', liquidationThreshold: '7500', liquidationBonus: '10800', by: GUARDIAN },
      blockNumber: 7,
      logIndex: 3,
      tx: `0x${'ab'.repeat(32)}`,
    });
    expect(decodeGuardianLog('RiskOracle', logOf(oracle.encodeEventLog('Paused', [GUARDIAN])))!.args).toEqual({ by: GUARDIAN });
    // GuardianSet carries no `by`: the list says who alone emits it
    const set = decodeGuardianLog('RiskOracle', logOf(oracle.encodeEventLog('GuardianSet', [getAddress(`0x${'0'.repeat(40)}`), GUARDIAN])));
    expect(set!.actor).toMatch(/DAO/);
  });

  it('leaves out events that are not listed, and events read from the other contract', () => {
    const applied = logOf(steward.encodeEventLog('ParametersApplied', [ASSET, 4, 3, 7_000, 7_500, 10_800]));
    expect(decodeGuardianLog('RiskSteward', applied)).toBeUndefined();
    // only listed events are decoded: without ParametersRestored in the list, a restore is not an action
    const restored = logOf(steward.encodeEventLog('ParametersRestored', [ASSET, 4, 7_000, 7_500, 10_800, GUARDIAN]));
    expect(decodeGuardianLog('RiskSteward', restored, [{ contract: 'RiskOracle', event: 'Paused' }])).toBeUndefined();
    expect(decodeGuardianLog('RiskOracle', restored)).toBeUndefined();
  });
});
