import { MaxUint256, toBeHex } from 'ethers';
import { AAVE_ORACLE_ABI, POOL_ABI, POOL_EVENT_TOPICS, type BlockBuilder, type ChainMarket } from './chain';
import type { BatchRpc } from './rpc';

/**
 * A liquidation bot, as one runs against Aave V3: it follows the Pool's events and keeps every account's collateral
 * and debt per reserve from them (event-sourced, like the indexer's positions; accrued interest is left to a safety
 * margin), estimates health factors off-chain at the oracle's current prices, asks the Pool for the exact health
 * factor (`getUserAccountData`) of the accounts near or below 1, and liquidates those below 1 with
 * `liquidationCall`, repaying the largest debt against the largest collateral (the Pool caps the amount at its
 * close factor).
 */

interface Balances {
  /** Per reserve (market order): supplied and borrowed amounts, from the events. */
  collateral: bigint[];
  debt: bigint[];
}

const PRICES_OF = (market: ChainMarket): string =>
  AAVE_ORACLE_ABI.encodeFunctionData('getAssetsPrices', [market.reserves.map((r) => r.address)]);

export interface Liquidation {
  user: string;
  collateral: string;
  debt: string;
  /** Health factor (1e18 = 1) the Pool reported before the call. */
  healthFactor: bigint;
}

export interface LiquidatorOptions {
  rpc: BatchRpc;
  market: ChainMarket;
  /** The bot's address: it holds (and has approved to the Pool) the debt tokens it repays. */
  address: string;
  /** Estimated health factors under this are checked on-chain (covers interest accrued since the last read). Default 1.05. */
  margin?: number;
  /** First block whose Pool events the bot reads. */
  fromBlock: number;
}

export interface LiquidatorStats {
  /** Accounts checked with `getUserAccountData`, over all scans. */
  checks: number;
  /** Liquidation calls sent (the LiquidationCall events tell which went through: `liquidated`). */
  calls: number;
}

export class Liquidator {
  readonly stats: LiquidatorStats = { checks: 0, calls: 0 };
  private readonly balances = new Map<string, Balances>();
  private nextBlock: number;
  private readonly thresholds: bigint[];
  private readonly reserveIndex: Map<string, number>;
  private prices: bigint[] = [];
  /** Health factor each account had when the bot last sent a liquidation for it. */
  private readonly sent = new Map<string, bigint>();
  /** Every liquidation of this bot that went through, in order. */
  readonly liquidated: Array<{ user: string; block: number; healthFactor: number }> = [];

  constructor(private readonly options: LiquidatorOptions) {
    this.nextBlock = options.fromBlock;
    this.thresholds = options.market.reserves.map((r) => BigInt(r.liquidationThreshold));
    this.reserveIndex = new Map(options.market.reserves.map((r, i) => [r.address.toLowerCase(), i]));
  }

  get address(): string {
    return this.options.address;
  }

  /**
   * Reads the Pool's events up to `toBlock` and the oracle's prices (one round trip), applies the events to the
   * accounts' balances, and notes the liquidations of this bot that went through.
   */
  async follow(toBlock: number): Promise<void> {
    const { rpc, market } = this.options;
    const from = this.nextBlock;
    const [logs, prices] = await rpc.batch<unknown>([
      toBlock >= from
        ? {
            method: 'eth_getLogs',
            params: [
              { address: market.pool, fromBlock: toBeHex(from), toBlock: toBeHex(toBlock), topics: [Object.keys(POOL_EVENT_TOPICS)] },
            ],
          }
        : { method: 'eth_chainId', params: [] },
      { method: 'eth_call', params: [{ to: market.oracle, data: PRICES_OF(market) }, 'latest'] },
    ]);
    this.prices = [...(AAVE_ORACLE_ABI.decodeFunctionResult('getAssetsPrices', prices as string)[0] as bigint[])];
    if (toBlock < from) return;
    this.nextBlock = toBlock + 1;
    for (const log of logs as Array<{ topics: string[]; data: string; blockNumber: string }>) {
      const e = POOL_ABI.parseLog(log)!;
      const a = e.args;
      switch (e.name) {
        case 'Supply':
          this.change(a.onBehalfOf as string, a.reserve as string, a.amount as bigint, 0n);
          break;
        case 'Withdraw':
          this.change(a.user as string, a.reserve as string, -(a.amount as bigint), 0n);
          break;
        case 'Borrow':
          this.change(a.onBehalfOf as string, a.reserve as string, 0n, a.amount as bigint);
          break;
        case 'Repay':
          this.change(a.user as string, a.reserve as string, a.useATokens ? -(a.amount as bigint) : 0n, -(a.amount as bigint));
          break;
        case 'LiquidationCall': {
          const user = (a.user as string).toLowerCase();
          this.change(user, a.debtAsset as string, 0n, -(a.debtToCover as bigint));
          this.change(user, a.collateralAsset as string, -(a.liquidatedCollateralAmount as bigint), 0n);
          if ((a.liquidator as string).toLowerCase() === this.options.address.toLowerCase()) {
            const hf = this.sent.get(user) ?? 0n;
            this.liquidated.push({ user, block: Number(log.blockNumber), healthFactor: Number(hf) / 1e18 });
          }
          break;
        }
      }
    }
  }

  /** An event's change to an account's balances of one reserve (never below zero: interest is not modelled). */
  private change(account: string, reserve: string, collateral: bigint, debt: bigint): void {
    const i = this.reserveIndex.get(reserve.toLowerCase());
    if (i === undefined) return;
    const key = account.toLowerCase();
    const n = this.options.market.reserves.length;
    const b = this.balances.get(key) ?? { collateral: new Array<bigint>(n).fill(0n), debt: new Array<bigint>(n).fill(0n) };
    b.collateral[i] = b.collateral[i]! + collateral > 0n ? b.collateral[i]! + collateral : 0n;
    b.debt[i] = b.debt[i]! + debt > 0n ? b.debt[i]! + debt : 0n;
    this.balances.set(key, b);
  }

  /** Accounts with a health factor below 1 at the prices `follow` read, each with the debt and collateral to liquidate. */
  async findUnhealthy(): Promise<Liquidation[]> {
    const { rpc, market } = this.options;
    const prices = this.prices;
    const unit = market.reserves.map((r) => 10n ** BigInt(r.decimals));
    const margin = BigInt(Math.round((this.options.margin ?? 1.05) * 10_000));
    const suspects: string[] = [];
    for (const [account, b] of this.balances) {
      let weighted = 0n;
      let debt = 0n;
      b.collateral.forEach((c, i) => (weighted += (c * prices[i]! * this.thresholds[i]!) / unit[i]!));
      b.debt.forEach((d, i) => (debt += (d * prices[i]!) / unit[i]!));
      // weighted / debt / 10 000 < margin / 10 000
      if (debt > 0n && weighted > 0n && weighted < debt * margin) suspects.push(account);
    }
    if (suspects.length === 0) return [];
    this.stats.checks += suspects.length;
    const data = await rpc.batch<string>(
      suspects.map((a) => ({
        method: 'eth_call',
        params: [{ to: market.pool, data: POOL_ABI.encodeFunctionData('getUserAccountData', [a]) }, 'latest'],
      })),
    );
    const out: Liquidation[] = [];
    suspects.forEach((account, k) => {
      const d = POOL_ABI.decodeFunctionResult('getUserAccountData', data[k]!);
      if ((d.healthFactor as bigint) >= 10n ** 18n || (d.totalCollateralBase as bigint) === 0n) return;
      const b = this.balances.get(account)!;
      const value = (xs: bigint[], i: number) => (xs[i]! * prices[i]!) / unit[i]!;
      const largest = (xs: bigint[]) => xs.reduce((best, _, i) => (value(xs, i) > value(xs, best) ? i : best), 0);
      out.push({
        user: account,
        collateral: market.reserves[largest(b.collateral)]!.address,
        debt: market.reserves[largest(b.debt)]!.address,
        healthFactor: d.healthFactor as bigint,
      });
    });
    return out;
  }

  /** Queues a `liquidationCall` per unhealthy account (the whole debt asked; the Pool caps it at its close factor). */
  liquidate(builder: BlockBuilder, targets: readonly Liquidation[]): void {
    for (const t of targets) {
      builder.send(
        this.options.address,
        this.options.market.pool,
        POOL_ABI.encodeFunctionData('liquidationCall', [t.collateral, t.debt, t.user, MaxUint256, false]),
        1_500_000,
        'liquidationCall',
      );
      this.stats.calls++;
      this.sent.set(t.user, t.healthFactor);
    }
  }
}
