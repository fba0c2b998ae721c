import { Contract, ZeroAddress, type ContractRunner } from 'ethers';
import { RetryableError, UserError, type OracleContractKind } from '../../core';
import { aaveInterface, decodeLogs, INDEXED_TOPICS, type DecodeContext, type DecodedRows, type RawLog } from './events';
import { ORACLE_TOPICS } from './oracle-events';
import { getHeader, getHeaders, getLogs, type BlockHeader, type LogFilter, type RpcClient } from './logs';

/** What the indexer watches. Addresses are lower-cased. */
export interface IndexerAddresses {
  /** Aave V3 Pool (proxy). */
  pool: string;
  /** Aave V3 PoolConfigurator (proxy). */
  configurator?: string;
  /** Chainlink-style feeds: feed address → the asset whose USD price it gives. */
  feeds?: Record<string, string>;
  /** This project's own contracts, whose every event is kept in `oracle_events` (what the oracle published). */
  oracle?: Partial<Record<OracleContractKind, string>>;
  /**
   * aTokens: aToken address → its underlying asset (the Pool's `getReserveData(asset).aTokenAddress`, see
   * `aTokensOf`). Their `BalanceTransfer`s move supply between wallets and their `Mint`s by the Pool are
   * `mintToTreasury`; without them the derivation follows only the Pool's events (a liquidation paid in aTokens
   * still moves the collateral to the liquidator; the treasury's income is missed).
   */
  aTokens?: Record<string, string>;
}

export function logFilter(addresses: IndexerAddresses): LogFilter {
  const own = Object.values(addresses.oracle ?? {});
  const list = [
    addresses.pool,
    addresses.configurator,
    ...Object.keys(addresses.feeds ?? {}),
    ...Object.keys(addresses.aTokens ?? {}),
    ...own,
  ].filter((a): a is string => !!a);
  return { addresses: list.map((a) => a.toLowerCase()), topics: own.length ? [...INDEXED_TOPICS, ...ORACLE_TOPICS] : INDEXED_TOPICS };
}

/** Lower-case address → which of our contracts it is. */
export function oracleContractMap(addresses: IndexerAddresses): Map<string, OracleContractKind> {
  return new Map(Object.entries(addresses.oracle ?? {}).map(([kind, address]) => [address.toLowerCase(), kind as OracleContractKind]));
}

/** Lower-case aToken → lower-case underlying asset. */
export function aTokenMap(addresses: IndexerAddresses): Map<string, string> {
  return new Map(Object.entries(addresses.aTokens ?? {}).map(([aToken, asset]) => [aToken.toLowerCase(), asset.toLowerCase()]));
}

/** Each asset's aToken, read from the Pool (`getReserveData(asset).aTokenAddress`): the `aTokens` of {@link IndexerAddresses}. */
export async function aTokensOf(runner: ContractRunner, pool: string, assets: readonly string[]): Promise<Record<string, string>> {
  const contract = new Contract(pool, aaveInterface('Pool.sol/Pool.json'), runner);
  const out: Record<string, string> = {};
  for (const asset of assets) {
    const data = (await contract.getFunction('getReserveData')(asset)) as { aTokenAddress: string };
    if (data.aTokenAddress === ZeroAddress) throw new UserError(`asset ${asset} is not a reserve of the Pool at ${pool}`);
    out[data.aTokenAddress.toLowerCase()] = asset.toLowerCase();
  }
  return out;
}

export function feedMap(addresses: IndexerAddresses): Map<string, string> {
  return new Map(Object.entries(addresses.feeds ?? {}).map(([feed, asset]) => [feed.toLowerCase(), asset.toLowerCase()]));
}

export interface FetchedRange {
  from: number;
  to: number;
  rows: DecodedRows;
  logs: number;
  /** Headers of every block in the range (unfinalized ranges only). */
  headers: BlockHeader[];
  /** Hash of block `to` (unfinalized ranges only). */
  hash: string | null;
}

export interface FetchOptions {
  rpc: RpcClient;
  filter: LogFilter;
  chainId: number;
  feeds: Map<string, string>;
  /** Our own contracts by address (see {@link oracleContractMap}); none when absent. */
  oracleContracts?: ReadonlyMap<string, OracleContractKind>;
  /** aTokens by address (see {@link aTokenMap}). */
  aTokens?: ReadonlyMap<string, string>;
  /** The Pool, lower-case (its `mintToTreasury` is read from the aTokens' `Mint`s). */
  pool?: string;
  concurrency: number;
  onSplit?: (size: number) => void;
}

/** Thrown when the node's chain changed while a range was being read: read it again after a reorg check. */
export class ChainMovedError extends RetryableError {
  override readonly name = 'ChainMovedError';
}

async function timestamps(o: FetchOptions, logs: RawLog[], headers: BlockHeader[]): Promise<Map<number, number>> {
  const out = new Map<number, number>(headers.map((h) => [h.number, h.timestamp]));
  const missing = new Set<number>();
  for (const log of logs) {
    const n = Number(log.blockNumber);
    if (out.has(n)) continue;
    if (log.blockTimestamp !== undefined) out.set(n, Number(log.blockTimestamp));
    else missing.add(n);
  }
  const fetched = await getHeaders(o.rpc, [...missing], o.concurrency);
  for (const h of fetched) {
    if (!h) throw new ChainMovedError('a block with logs disappeared while it was read');
    out.set(h.number, h.timestamp);
  }
  return out;
}

function decode(o: FetchOptions, logs: RawLog[], times: Map<number, number>): DecodedRows {
  const ctx: DecodeContext = {
    chainId: o.chainId,
    timestampOf: (n) => times.get(n)!,
    feedAssets: o.feeds,
    oracleContracts: o.oracleContracts,
    aTokens: o.aTokens,
    pool: o.pool,
  };
  return decodeLogs(logs, ctx);
}

/** A finalized range: its logs, decoded; no headers kept. */
export async function fetchFinalized(o: FetchOptions, from: number, to: number): Promise<FetchedRange> {
  const logs = await getLogs(o.rpc, o.filter, from, to, o.onSplit);
  const rows = decode(o, logs, await timestamps(o, logs, []));
  return { from, to, rows, logs: logs.length, headers: [], hash: null };
}

/**
 * An unfinalized range: every header (checked to form one chain starting at `parentHash`, when known), then
 * its logs (checked to come from those very blocks). Any disagreement means the chain moved: ChainMovedError.
 */
export async function fetchUnfinalized(o: FetchOptions, from: number, to: number, parentHash: string | undefined): Promise<FetchedRange> {
  const numbers = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  const headers = await getHeaders(o.rpc, numbers, o.concurrency);
  let previous = parentHash;
  for (const h of headers) {
    if (!h) throw new ChainMovedError(`block ${from}..${to} is no longer on the chain`);
    if (previous !== undefined && h.parentHash !== previous)
      throw new ChainMovedError(`block ${h.number}'s parent is not the block indexed before it`);
    previous = h.hash;
  }
  const complete = headers as BlockHeader[];
  const logs = await getLogs(o.rpc, o.filter, from, to, o.onSplit).catch(async (err: unknown) => {
    // a node whose chain got shorter meanwhile refuses blocks past its head (anvil: BlockOutOfRangeError) rather
    // than answering nothing: that is the chain moving, not a failure
    if ((await getHeader(o.rpc, to))?.hash !== complete.at(-1)!.hash)
      throw new ChainMovedError(`block ${to} changed while the logs of ${from}..${to} were read`, { cause: err });
    throw err;
  });
  const byNumber = new Map(complete.map((h) => [h.number, h.hash]));
  for (const log of logs) {
    if (byNumber.get(Number(log.blockNumber)) !== log.blockHash.toLowerCase())
      throw new ChainMovedError(`logs of block ${Number(log.blockNumber)} come from another fork`);
  }
  const rows = decode(o, logs, await timestamps(o, logs, complete));
  return { from, to, rows, logs: logs.length, headers: complete, hash: complete.at(-1)!.hash };
}

/** The node's head block. */
export async function getHead(rpc: RpcClient): Promise<BlockHeader> {
  const head = await getHeader(rpc, 'latest');
  if (!head) throw new RetryableError('the node returned no latest block');
  return head;
}
