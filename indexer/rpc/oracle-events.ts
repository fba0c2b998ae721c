import type { Interface, ParamType, Result } from 'ethers';
import type { NewRow, OracleContractKind } from '../../core';
import { CreditScoreRegistry__factory, RiskOracle__factory, RiskSteward__factory } from '../../contracts/build/types';

/**
 * Decoding of this project's own contracts' events (the oracle monitors what it published): every event in each
 * contract's compiled ABI, so an event added to a contract is indexed without a decoder of its own.
 */
export const ORACLE_CONTRACT_INTERFACES: Record<OracleContractKind, Interface> = {
  risk_oracle: RiskOracle__factory.createInterface(),
  risk_steward: RiskSteward__factory.createInterface(),
  credit_registry: CreditScoreRegistry__factory.createInterface(),
};

/** Every topic0 of those events (added to the `eth_getLogs` filter when a deployment's contracts are indexed). */
export const ORACLE_TOPICS = [
  ...new Set(
    Object.values(ORACLE_CONTRACT_INTERFACES).flatMap((iface) => {
      const topics: string[] = [];
      iface.forEachEvent((e) => topics.push(e.topicHash));
      return topics;
    }),
  ),
];

type Json = string | boolean | Json[] | { [k: string]: Json };

/** An ABI value as JSON: integers as decimal strings, addresses and bytes lower-case, structs by field name. */
function toJson(type: ParamType, value: unknown): Json {
  if (type.isTuple()) {
    const fields = value as Result;
    return Object.fromEntries(type.components.map((c, i) => [c.name || String(i), toJson(c, fields[i])]));
  }
  if (type.isArray()) return (value as Result).map((v: unknown) => toJson(type.arrayChildren, v));
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value;
  return String(value).toLowerCase();
}

/** The key columns every indexed event row carries. */
export interface LogBase {
  chain_id: number;
  block_number: number;
  tx_hash: string;
  log_index: number;
  timestamp: number;
}

const whole = (v: unknown): number | null => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : null);

/**
 * One log of one of our contracts as a row; undefined for a log its ABI does not describe (an indexed argument
 * of a hashed type, or a log of another shape under a known topic, is skipped rather than stored half-read).
 */
export function decodeOracleLog(
  contract: OracleContractKind,
  log: { address: string; topics: string[]; data: string },
  base: LogBase,
): NewRow<'oracle_events'> | undefined {
  let parsed;
  try {
    parsed = ORACLE_CONTRACT_INTERFACES[contract].parseLog({ topics: log.topics, data: log.data });
  } catch {
    return undefined;
  }
  if (!parsed) return undefined;
  const args = Object.fromEntries(parsed.fragment.inputs.map((input, i) => [input.name || String(i), toJson(input, parsed.args[i])]));
  return {
    ...base,
    contract,
    address: log.address.toLowerCase(),
    event: parsed.name,
    asset: typeof args.asset === 'string' ? args.asset : null,
    round: whole(args.round),
    epoch: whole(args.epoch),
    args: JSON.stringify(args),
  };
}
