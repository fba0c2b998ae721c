import { Interface, toBeHex } from 'ethers';
import type { AaveMarket } from '../contracts/deploy/aave';
import type { BatchRpc } from './rpc';

/**
 * What the on-chain simulation needs of a local chain and an Aave V3 market: the contracts' ABIs (only the functions
 * and events it uses) and a block builder that queues transactions from many senders (anvil impersonates them),
 * mines them in one block at a chosen time, with automine off, and tells which did what they were sent for.
 */

export const POOL_ABI = new Interface([
  'function supply(address asset, uint256 amount, address onBehalfOf, uint16 referralCode)',
  'function borrow(address asset, uint256 amount, uint256 interestRateMode, uint16 referralCode, address onBehalfOf)',
  'function repay(address asset, uint256 amount, uint256 interestRateMode, address onBehalfOf) returns (uint256)',
  'function withdraw(address asset, uint256 amount, address to) returns (uint256)',
  'function liquidationCall(address collateralAsset, address debtAsset, address user, uint256 debtToCover, bool receiveAToken)',
  'function getUserAccountData(address user) view returns (uint256 totalCollateralBase, uint256 totalDebtBase, uint256 availableBorrowsBase, uint256 currentLiquidationThreshold, uint256 ltv, uint256 healthFactor)',
  'event Supply(address indexed reserve, address user, address indexed onBehalfOf, uint256 amount, uint16 indexed referralCode)',
  'event Withdraw(address indexed reserve, address indexed user, address indexed to, uint256 amount)',
  'event Borrow(address indexed reserve, address user, address indexed onBehalfOf, uint256 amount, uint8 interestRateMode, uint256 borrowRate, uint16 indexed referralCode)',
  'event Repay(address indexed reserve, address indexed user, address indexed repayer, uint256 amount, bool useATokens)',
  'event LiquidationCall(address indexed collateralAsset, address indexed debtAsset, address indexed user, uint256 debtToCover, uint256 liquidatedCollateralAmount, address liquidator, bool receiveAToken)',
]);
export const ERC20_ABI = new Interface([
  'function mint(uint256 value) returns (bool)',
  'function approve(address spender, uint256 value) returns (bool)',
  'event Transfer(address indexed from, address indexed to, uint256 value)',
  'event Approval(address indexed owner, address indexed spender, uint256 value)',
]);
export const AGGREGATOR_ABI = new Interface([
  'function setAnswer(int256 answer)',
  'event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt)',
]);

/**
 * The event each kind of transaction the simulation sends emits when it succeeds (and only then): a transaction
 * without it reverted.
 */
export const EXPECTED_EVENT: Record<string, string> = {
  mint: ERC20_ABI.getEvent('Transfer')!.topicHash,
  approve: ERC20_ABI.getEvent('Approval')!.topicHash,
  price: AGGREGATOR_ABI.getEvent('AnswerUpdated')!.topicHash,
  supply: POOL_ABI.getEvent('Supply')!.topicHash,
  borrow: POOL_ABI.getEvent('Borrow')!.topicHash,
  repay: POOL_ABI.getEvent('Repay')!.topicHash,
  withdraw: POOL_ABI.getEvent('Withdraw')!.topicHash,
  liquidationCall: POOL_ABI.getEvent('LiquidationCall')!.topicHash,
};
export const DATA_PROVIDER_ABI = new Interface([
  'function getUserReserveData(address asset, address user) view returns (uint256 currentATokenBalance, uint256 currentStableDebt, uint256 currentVariableDebt, uint256 principalStableDebt, uint256 scaledVariableDebt, uint256 stableBorrowRate, uint256 liquidityRate, uint40 stableRateLastUpdated, bool usageAsCollateralEnabled)',
]);
export const AAVE_ORACLE_ABI = new Interface(['function getAssetsPrices(address[] assets) view returns (uint256[])']);

/** The Pool events the simulation counts (and the indexer stores as `lending_events`). */
export type PoolEventKind = 'supply' | 'borrow' | 'repay' | 'withdraw' | 'liquidation';
export const POOL_EVENT_TOPICS: Record<string, PoolEventKind> = {
  [POOL_ABI.getEvent('Supply')!.topicHash]: 'supply',
  [POOL_ABI.getEvent('Borrow')!.topicHash]: 'borrow',
  [POOL_ABI.getEvent('Repay')!.topicHash]: 'repay',
  [POOL_ABI.getEvent('Withdraw')!.topicHash]: 'withdraw',
  [POOL_ABI.getEvent('LiquidationCall')!.topicHash]: 'liquidation',
};
export const emptyEventCounts = (): Record<PoolEventKind, number> => ({ supply: 0, borrow: 0, repay: 0, withdraw: 0, liquidation: 0 });

/** The local Aave V3 market, by address. */
export interface ChainMarket {
  pool: string;
  dataProvider: string;
  /** AaveOracle (reads the aggregators). */
  oracle: string;
  reserves: Array<{
    symbol: string;
    address: string;
    decimals: number;
    /** The settable Chainlink-style feed AaveOracle reads for this reserve. */
    aggregator: string;
    stable: boolean;
    /** Basis points, as configured at the start. */
    ltv: number;
    liquidationThreshold: number;
  }>;
}

const STABLECOINS = new Set(['USDC', 'USDT', 'DAI', 'GHO', 'LUSD', 'FRAX', 'USDS']);

/** A deployed Aave market (contracts/deploy/aave.ts) as the simulation addresses it, its collateral parameters read from Aave. */
export async function chainMarketOf(market: AaveMarket): Promise<ChainMarket> {
  return {
    pool: String(market.pool.target),
    dataProvider: String(market.dataProvider.target),
    oracle: String(market.oracle.target),
    reserves: await Promise.all(
      market.reserves.map(async (r) => {
        const c = await market.dataProvider.getFunction('getReserveConfigurationData')(r.address);
        return {
          symbol: r.symbol,
          address: r.address,
          decimals: r.decimals,
          aggregator: String(r.aggregator.target),
          stable: STABLECOINS.has(r.symbol.toUpperCase()),
          ltv: Number(c.ltv),
          liquidationThreshold: Number(c.liquidationThreshold),
        };
      }),
    ),
  };
}

/** A queued transaction; its tag names the kind of call (and so the event it must emit, {@link EXPECTED_EVENT}). */
interface Queued {
  from: string;
  to: string;
  data: string;
  gas: number;
  tag: string;
  first: boolean;
}

/** Totals over every block a builder mined. */
export interface BuilderStats {
  transactions: number;
  reverted: number;
  /** Reverted transactions by tag (`supply`, `borrow`, …). */
  revertedByTag: Record<string, number>;
  blocks: number;
  firstBlock: number | undefined;
  lastBlock: number | undefined;
  gasUsed: bigint;
  /** Pool events of the mined transactions. */
  events: Record<PoolEventKind, number>;
}

/**
 * Queues transactions (explicit nonces per sender and a fixed gas limit: no estimation against a pending state),
 * sends them in one JSON-RPC batch and mines them into one block at a given timestamp. Needs automine off and
 * `anvil_autoImpersonateAccount` on (see {@link takeOverMining}).
 */
export class BlockBuilder {
  private readonly nonces = new Map<string, number>();
  private queue: Queued[] = [];
  private clock = 0;
  private readonly blocks: number[] = [];
  private gasUsed = 0n;
  /** Every transaction sent (hash → tag) and the contracts they went to. */
  private readonly sent = new Map<string, string>();
  private readonly targets = new Set<string>();

  constructor(
    private readonly rpc: BatchRpc,
    private readonly pool: string,
    private readonly gasPrice: bigint,
  ) {}

  /** Known nonces of senders that have sent before (others start at 0, or at their pending count via `syncNonces`). */
  async syncNonces(addresses: readonly string[]): Promise<void> {
    const counts = await this.rpc.batch<string>(addresses.map((a) => ({ method: 'eth_getTransactionCount', params: [a, 'pending'] })));
    addresses.forEach((a, i) => this.nonces.set(a.toLowerCase(), Number(counts[i])));
  }

  /** The next block's time is at least this (the replay's clock). */
  setClock(timestamp: number): void {
    this.clock = Math.max(this.clock, timestamp);
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Queues a transaction; `first` ones pay twice the gas price, which anvil's fee ordering mines first in the block. */
  send(from: string, to: string, data: string, gas: number, tag: string, first = false): void {
    this.queue.push({ from, to, data, gas, tag, first });
  }

  /** Sends the queue and mines until all of it is in blocks (usually one); returns their numbers. */
  async mine(): Promise<number[]> {
    const queued = this.queue;
    this.queue = [];
    const requests = queued.map((q) => {
      const key = q.from.toLowerCase();
      const nonce = this.nonces.get(key) ?? 0;
      this.nonces.set(key, nonce + 1);
      const gasPrice = q.first ? 2n * this.gasPrice : this.gasPrice;
      return {
        method: 'eth_sendTransaction',
        params: [{ from: q.from, to: q.to, data: q.data, gas: toBeHex(q.gas), gasPrice: toBeHex(gasPrice), nonce: toBeHex(nonce) }],
      };
    });
    if (requests.length > 0) {
      const hashes = await this.rpc.batch<string>(requests);
      hashes.forEach((h, i) => this.sent.set(h.toLowerCase(), queued[i]!.tag));
      for (const q of queued) this.targets.add(q.to.toLowerCase());
    }
    const mined: number[] = [];
    let included = 0;
    do {
      const timestamp = this.clock;
      // the detailed form returns the block: its number and transactions, without a second round trip
      const [block] = await this.rpc.call<Array<{ number: string; gasUsed: string; transactions: unknown[] }>>('evm_mine_detailed', [
        { timestamp },
      ]);
      this.clock = timestamp + 1;
      mined.push(Number(block!.number));
      this.gasUsed += BigInt(block!.gasUsed);
      included += block!.transactions.length;
      if (mined.length > 50) throw new Error(`BlockBuilder: ${requests.length - included} transaction(s) never mined`);
    } while (included < requests.length);
    this.blocks.push(...mined);
    return mined;
  }

  /**
   * Totals every block mined so far. A transaction succeeded when it emitted the event it was sent for
   * ({@link EXPECTED_EVENT}), read with one `eth_getLogs` over the contracts it was sent to: far cheaper than
   * thousands of receipts (anvil builds each with all of its logs).
   */
  async settle(): Promise<BuilderStats> {
    const s: BuilderStats = {
      transactions: this.sent.size,
      reverted: 0,
      revertedByTag: {},
      blocks: this.blocks.length,
      firstBlock: this.blocks[0],
      lastBlock: this.blocks[this.blocks.length - 1],
      gasUsed: this.gasUsed,
      events: emptyEventCounts(),
    };
    if (this.blocks.length === 0) return s;
    const logs = await this.rpc.call<Array<{ address: string; topics: string[]; transactionHash: string }>>('eth_getLogs', [
      {
        address: [...this.targets],
        fromBlock: toBeHex(this.blocks[0]!),
        toBlock: toBeHex(this.blocks[this.blocks.length - 1]!),
        topics: [[...new Set(Object.values(EXPECTED_EVENT))]],
      },
    ]);
    const emitted = new Set<string>();
    for (const log of logs) {
      emitted.add(`${log.transactionHash.toLowerCase()}|${log.topics[0]}`);
      if (log.address.toLowerCase() !== this.pool.toLowerCase()) continue;
      const kind = POOL_EVENT_TOPICS[log.topics[0]!];
      if (kind) s.events[kind]++;
    }
    for (const [hash, tag] of this.sent) {
      const topic = EXPECTED_EVENT[tag];
      if (topic === undefined || emitted.has(`${hash}|${topic}`)) continue;
      s.reverted++;
      s.revertedByTag[tag] = (s.revertedByTag[tag] ?? 0) + 1;
    }
    return s;
  }
}

/**
 * Automine off and every sender impersonated, until the returned function restores anvil's defaults. The chain's
 * time only moves when a block is mined.
 */
export async function takeOverMining(rpc: BatchRpc): Promise<() => Promise<void>> {
  await rpc.batch([
    { method: 'evm_setAutomine', params: [false] },
    { method: 'anvil_autoImpersonateAccount', params: [true] },
  ]);
  return async () => {
    await rpc.batch([
      { method: 'anvil_autoImpersonateAccount', params: [false] },
      { method: 'evm_setAutomine', params: [true] },
    ]);
  };
}
