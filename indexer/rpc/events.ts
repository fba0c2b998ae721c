import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AbiCoder, EventFragment, getAddress, Interface, ZeroAddress } from 'ethers';
import type { LendingEventKind, NewRow, OracleContractKind } from '../../core';
import { rayDiv } from '../derive/aave-math';
import { decodeOracleLog, type LogBase } from './oracle-events';

/**
 * The events the RPC source indexes, with their ABIs taken from Aave V3's own compiled artifacts (Pool,
 * PoolConfigurator) and Chainlink's `AnswerUpdated`, and a decoder from a raw `eth_getLogs` entry to table rows.
 */
const AAVE = path.join(__dirname, '..', '..', 'node_modules', '@aave', 'core-v3', 'artifacts', 'contracts', 'protocol', 'pool');

/** The ABI of one of Aave's compiled contracts, by its artifact's path under `protocol/pool`. */
export function aaveInterface(artifact: string): Interface {
  const { abi } = JSON.parse(readFileSync(path.join(AAVE, artifact), 'utf8')) as { abi: never[] };
  return new Interface(abi);
}

function eventsOf(artifact: string, names: string[]): EventFragment[] {
  const iface = aaveInterface(artifact);
  return names.map((n) => iface.getEvent(n)!);
}

export const POOL_EVENTS = eventsOf('Pool.sol/Pool.json', [
  'Supply',
  'Withdraw',
  'Borrow',
  'Repay',
  'LiquidationCall',
  'ReserveDataUpdated',
  'ReserveUsedAsCollateralEnabled',
  'ReserveUsedAsCollateralDisabled',
  'UserEModeSet',
]);
export const CONFIGURATOR_EVENTS = eventsOf('PoolConfigurator.sol/PoolConfigurator.json', [
  'CollateralConfigurationChanged',
  'EModeCategoryAdded',
  'EModeAssetCategoryChanged',
]);
/**
 * The aToken's scaled-balance transfer (transfer, transferFrom, and a liquidation's seized collateral and protocol
 * fee), and its `Mint` (kept only for `Pool.mintToTreasury`: see its decoder).
 */
export const A_TOKEN_EVENTS = eventsOf('../tokenization/AToken.sol/AToken.json', ['BalanceTransfer', 'Mint']);
/** Chainlink aggregators' (and our SettableAggregator's) answer event. */
export const FEED_EVENTS = [EventFragment.from('event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt)')];

/** One interface over every indexed event, for encoding (tests, benchmark) and decoding. */
export const indexedEvents = new Interface([...POOL_EVENTS, ...CONFIGURATOR_EVENTS, ...A_TOKEN_EVENTS, ...FEED_EVENTS]);

/** A log exactly as `eth_getLogs` returns it (hex quantities). */
export interface RawLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  logIndex: string;
  /** Newer nodes (anvil, reth, geth ≥ 1.14) include it; otherwise the block is fetched. */
  blockTimestamp?: string;
  removed?: boolean;
}

/** Rows decoded from one batch of logs, ready to write. */
export interface DecodedRows {
  lending_events: NewRow<'lending_events'>[];
  reserve_updates: NewRow<'reserve_updates'>[];
  collateral_configs: NewRow<'collateral_configs'>[];
  price_points: NewRow<'price_points'>[];
  oracle_events: NewRow<'oracle_events'>[];
  a_token_transfers: NewRow<'a_token_transfers'>[];
  emode_events: NewRow<'emode_events'>[];
}

export const emptyRows = (): DecodedRows => ({
  lending_events: [],
  reserve_updates: [],
  collateral_configs: [],
  price_points: [],
  oracle_events: [],
  a_token_transfers: [],
  emode_events: [],
});

export interface DecodeContext {
  chainId: number;
  /** Block number → unix seconds. */
  timestampOf: (block: number) => number;
  /** Lower-case feed address → lower-case asset address (prices are stored under the asset). */
  feedAssets: ReadonlyMap<string, string>;
  /** Decimals of each feed's answer (default 8). */
  feedDecimals?: ReadonlyMap<string, number>;
  /** Lower-case address → which of this project's contracts it is (their every event goes to `oracle_events`). */
  oracleContracts?: ReadonlyMap<string, OracleContractKind>;
  /** Lower-case aToken address → lower-case underlying asset (their `BalanceTransfer`s go to `a_token_transfers`). */
  aTokens?: ReadonlyMap<string, string>;
  /** Lower-case Pool address: an aToken `Mint` it calls for itself is `mintToTreasury` (none kept without it). */
  pool?: string;
}

const coder = AbiCoder.defaultAbiCoder();
const topicAddress = (topic: string): string => `0x${topic.slice(26)}`.toLowerCase();
const word = (data: string, i: number): bigint => BigInt(`0x${data.slice(2 + 64 * i, 66 + 64 * i)}`);
const wordAddress = (data: string, i: number): string => `0x${data.slice(26 + 64 * i, 66 + 64 * i)}`.toLowerCase();
const topic0 = (f: EventFragment): string => f.topicHash;

/** Decimal string of `value / 10^decimals`, exact (prices). */
export function formatFixed(value: bigint, decimals: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(decimals + 1, '0');
  const int = digits.slice(0, digits.length - decimals);
  const frac = decimals > 0 ? digits.slice(-decimals).replace(/0+$/, '') : '';
  return `${negative ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}

type Decoder = (log: RawLog, base: LogBase, ctx: DecodeContext, out: DecodedRows) => void;

function lending(
  kind: LendingEventKind,
  fill: (log: RawLog) => Partial<NewRow<'lending_events'>> & { reserve: string; user_address: string; amount: string },
): Decoder {
  return (log, base, _ctx, out) => {
    out.lending_events.push({
      ...base,
      kind,
      on_behalf_of: null,
      interest_rate_mode: null,
      use_a_tokens: null,
      debt_asset: null,
      liquidated_collateral_amount: null,
      liquidator: null,
      source: 'rpc',
      ...fill(log),
    });
  };
}

const bool = (data: string, i: number): boolean => word(data, i) !== 0n;

/** `from_address` of an aToken minted to a wallet (`mintToTreasury`): nobody's balance decreases. */
export const MINTED = ZeroAddress;

/** An `a_token_transfers` row from a log of one of the indexed aTokens (`read` answers undefined: none). */
function aTokenTransfer(
  read: (log: RawLog, ctx: DecodeContext) => { from: string; to: string; scaled: bigint; index: bigint } | undefined,
): Decoder {
  return (l, base, ctx, out) => {
    const aToken = l.address.toLowerCase();
    const reserve = ctx.aTokens?.get(aToken);
    if (!reserve) return; // an aToken we were not asked about
    const t = read(l, ctx);
    if (!t) return;
    out.a_token_transfers.push({
      ...base,
      reserve,
      a_token: aToken,
      from_address: t.from,
      to_address: t.to,
      scaled_amount: t.scaled.toString(),
      liquidity_index: t.index.toString(),
    });
  };
}
/** The e-mode columns one kind of `emode_events` row leaves empty. */
const NO_EMODE = {
  wallet: null,
  asset: null,
  ltv: null,
  liquidation_threshold: null,
  liquidation_bonus: null,
  price_source: null,
  label: null,
};

/**
 * Field conventions for `lending_events`: `on_behalf_of` is always the wallet whose position changes, `user_address`
 * the account that acted (Supply.user, Withdraw.user, Borrow.user, Repay.repayer; the liquidated user for a
 * liquidation, whose liquidator is in `liquidator`). A liquidation's `use_a_tokens` is its `receiveAToken`.
 */
const RAW_DECODERS: Array<[string, Decoder]> = [
  // Supply(reserve indexed, user, onBehalfOf indexed, amount, referralCode indexed)
  [
    topic0(POOL_EVENTS[0]!),
    lending('supply', (l) => ({
      reserve: topicAddress(l.topics[1]!),
      on_behalf_of: topicAddress(l.topics[2]!),
      user_address: wordAddress(l.data, 0),
      amount: word(l.data, 1).toString(),
    })),
  ],
  // Withdraw(reserve indexed, user indexed, to indexed, amount)
  [
    topic0(POOL_EVENTS[1]!),
    lending('withdraw', (l) => ({
      reserve: topicAddress(l.topics[1]!),
      user_address: topicAddress(l.topics[2]!),
      on_behalf_of: topicAddress(l.topics[2]!),
      amount: word(l.data, 0).toString(),
    })),
  ],
  // Borrow(reserve indexed, user, onBehalfOf indexed, amount, interestRateMode, borrowRate, referralCode indexed)
  [
    topic0(POOL_EVENTS[2]!),
    lending('borrow', (l) => ({
      reserve: topicAddress(l.topics[1]!),
      on_behalf_of: topicAddress(l.topics[2]!),
      user_address: wordAddress(l.data, 0),
      amount: word(l.data, 1).toString(),
      interest_rate_mode: Number(word(l.data, 2)),
    })),
  ],
  // Repay(reserve indexed, user indexed, repayer indexed, amount, useATokens)
  [
    topic0(POOL_EVENTS[3]!),
    lending('repay', (l) => ({
      reserve: topicAddress(l.topics[1]!),
      on_behalf_of: topicAddress(l.topics[2]!),
      user_address: topicAddress(l.topics[3]!),
      amount: word(l.data, 0).toString(),
      use_a_tokens: bool(l.data, 1),
    })),
  ],
  // LiquidationCall(collateralAsset indexed, debtAsset indexed, user indexed, debtToCover, liquidatedCollateralAmount, liquidator, receiveAToken)
  [
    topic0(POOL_EVENTS[4]!),
    lending('liquidation', (l) => ({
      reserve: topicAddress(l.topics[1]!),
      debt_asset: topicAddress(l.topics[2]!),
      user_address: topicAddress(l.topics[3]!),
      on_behalf_of: topicAddress(l.topics[3]!),
      amount: word(l.data, 0).toString(),
      liquidated_collateral_amount: word(l.data, 1).toString(),
      liquidator: wordAddress(l.data, 2),
      use_a_tokens: bool(l.data, 3),
    })),
  ],
  [
    topic0(POOL_EVENTS[5]!),
    (l, base, _ctx, out) => {
      out.reserve_updates.push({
        ...base,
        reserve: topicAddress(l.topics[1]!),
        liquidity_rate: word(l.data, 0).toString(),
        stable_borrow_rate: word(l.data, 1).toString(),
        variable_borrow_rate: word(l.data, 2).toString(),
        liquidity_index: word(l.data, 3).toString(),
        variable_borrow_index: word(l.data, 4).toString(),
      });
    },
  ],
  [
    topic0(POOL_EVENTS[6]!),
    lending('collateral_enabled', (l) => ({
      reserve: topicAddress(l.topics[1]!),
      user_address: topicAddress(l.topics[2]!),
      on_behalf_of: topicAddress(l.topics[2]!),
      amount: '0',
    })),
  ],
  [
    topic0(POOL_EVENTS[7]!),
    lending('collateral_disabled', (l) => ({
      reserve: topicAddress(l.topics[1]!),
      user_address: topicAddress(l.topics[2]!),
      on_behalf_of: topicAddress(l.topics[2]!),
      amount: '0',
    })),
  ],
  [
    topic0(CONFIGURATOR_EVENTS[0]!),
    (l, base, _ctx, out) => {
      out.collateral_configs.push({
        ...base,
        asset: topicAddress(l.topics[1]!),
        ltv: Number(word(l.data, 0)),
        liquidation_threshold: Number(word(l.data, 1)),
        liquidation_bonus: Number(word(l.data, 2)),
      });
    },
  ],
  // UserEModeSet(user indexed, categoryId)
  [
    topic0(POOL_EVENTS[8]!),
    (l, base, _ctx, out) => {
      out.emode_events.push({
        ...base,
        ...NO_EMODE,
        kind: 'user',
        wallet: topicAddress(l.topics[1]!),
        category_id: Number(word(l.data, 0)),
      });
    },
  ],
  // EModeCategoryAdded(categoryId indexed, ltv, liquidationThreshold, liquidationBonus, oracle, label)
  [
    topic0(CONFIGURATOR_EVENTS[1]!),
    (l, base, _ctx, out) => {
      const [ltv, threshold, bonus, oracle, label] = coder.decode(
        ['uint256', 'uint256', 'uint256', 'address', 'string'],
        l.data,
      ) as unknown as [bigint, bigint, bigint, string, string];
      out.emode_events.push({
        ...base,
        ...NO_EMODE,
        kind: 'category',
        category_id: Number(BigInt(l.topics[1]!)),
        ltv: Number(ltv),
        liquidation_threshold: Number(threshold),
        liquidation_bonus: Number(bonus),
        price_source: oracle.toLowerCase(),
        label,
      });
    },
  ],
  // EModeAssetCategoryChanged(asset indexed, oldCategoryId, newCategoryId)
  [
    topic0(CONFIGURATOR_EVENTS[2]!),
    (l, base, _ctx, out) => {
      out.emode_events.push({
        ...base,
        ...NO_EMODE,
        kind: 'asset',
        asset: topicAddress(l.topics[1]!),
        category_id: Number(word(l.data, 1)),
      });
    },
  ],
  // BalanceTransfer(from indexed, to indexed, value, index): value is scaled
  [
    topic0(A_TOKEN_EVENTS[0]!),
    aTokenTransfer((l) => ({
      from: topicAddress(l.topics[1]!),
      to: topicAddress(l.topics[2]!),
      scaled: word(l.data, 0),
      index: word(l.data, 1),
    })),
  ],
  // Mint(caller indexed, onBehalfOf indexed, value, balanceIncrease, index): only Pool.mintToTreasury's, the one
  // mint with the Pool as caller that adds principal (a transfer's mints of accrued interest have value =
  // balanceIncrease; a supply's caller is the supplier and its Pool event is indexed). The treasury's reserve-factor
  // income lands as a transfer from the zero address of what `_mintScaled` adds: (value − balanceIncrease) rayDiv
  // index, exact. (The Pool's own `MintedToTreasury` names neither the treasury nor the index.)
  [
    topic0(A_TOKEN_EVENTS[1]!),
    aTokenTransfer((l, ctx) => {
      const principal = word(l.data, 0) - word(l.data, 1);
      if (!ctx.pool || topicAddress(l.topics[1]!) !== ctx.pool || principal <= 0n) return undefined;
      const index = word(l.data, 2);
      return { from: MINTED, to: topicAddress(l.topics[2]!), scaled: rayDiv(principal, index), index };
    }),
  ],
  [
    topic0(FEED_EVENTS[0]!),
    (l, base, ctx, out) => {
      const feed = l.address.toLowerCase();
      const asset = ctx.feedAssets.get(feed);
      if (!asset) return; // a feed we were not asked about
      const [answer] = coder.decode(['int256'], l.topics[1]!) as unknown as [bigint];
      if (answer <= 0n) return; // a failed round (Chainlink answers ≤ 0 only when broken): no price
      out.price_points.push({
        chain_id: base.chain_id,
        asset,
        source: 'chainlink',
        // the block's time, not the feed's updatedAt: one price per (asset, block time), reorg-safe by block
        timestamp: base.timestamp,
        price_usd: formatFixed(answer, ctx.feedDecimals?.get(feed) ?? 8),
        block_number: base.block_number,
      });
    },
  ],
];

/** Each event's topic count and minimum data words, from its ABI: a log of another shape under the same topic0 is skipped. */
const SHAPES = new Map(
  [...POOL_EVENTS, ...CONFIGURATOR_EVENTS, ...A_TOKEN_EVENTS, ...FEED_EVENTS].map((f) => [
    f.topicHash,
    { topics: 1 + f.inputs.filter((i) => i.indexed).length, words: f.inputs.filter((i) => !i.indexed).length },
  ]),
);

const DECODERS = new Map<string, Decoder>(
  RAW_DECODERS.map(([topic, decode]) => {
    const shape = SHAPES.get(topic)!;
    const checked: Decoder = (log, base, ctx, out) => {
      if (log.topics.length === shape.topics && log.data.length >= 2 + 64 * shape.words) decode(log, base, ctx, out);
    };
    return [topic, checked];
  }),
);

/** Every topic0 the decoder understands (the `eth_getLogs` filter). */
export const INDEXED_TOPICS = [...DECODERS.keys()];

/** Decodes a batch of raw logs into rows; logs of unknown events are skipped. */
export function decodeLogs(logs: RawLog[], ctx: DecodeContext, out: DecodedRows = emptyRows()): DecodedRows {
  for (const log of logs) {
    if (log.removed) continue;
    const contract = ctx.oracleContracts?.get(log.address.toLowerCase());
    const decoder = contract ? undefined : DECODERS.get(log.topics[0] ?? '');
    if (!contract && !decoder) continue;
    const block = Number(log.blockNumber);
    const base = {
      chain_id: ctx.chainId,
      block_number: block,
      tx_hash: log.transactionHash.toLowerCase(),
      log_index: Number(log.logIndex),
      timestamp: ctx.timestampOf(block),
    };
    if (decoder) decoder(log, base, ctx, out);
    else {
      const row = decodeOracleLog(contract!, log, base);
      if (row) out.oracle_events.push(row);
    }
  }
  return out;
}

/** Checksummed → lower-case address normalisation used throughout the indexer. */
export const normalizeAddress = (a: string): string => getAddress(a).toLowerCase();
