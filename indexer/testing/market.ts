import { type JsonRpcProvider } from 'ethers';
import { indexedEvents } from '../rpc/events';
import type { IndexerAddresses } from '../rpc/fetch';
import { emitLogs, installEmitter, waitMined, type LogRecord } from './emitter';

/**
 * A stand-in Aave V3 market for indexer tests and the benchmark: emitter contracts at a Pool, a
 * PoolConfigurator and one feed per reserve address, which emit exactly the events the real contracts emit.
 */
export interface FakeMarket {
  addresses: Required<Omit<IndexerAddresses, 'oracle' | 'aTokens'>>;
  reserves: string[];
  wallets: string[];
}

const addr = (prefix: string, i: number): string => `0x${prefix}${i.toString(16).padStart(40 - prefix.length, '0')}`;

export function fakeMarket(options: { reserves?: number; wallets?: number } = {}): FakeMarket {
  const reserves = Array.from({ length: options.reserves ?? 4 }, (_, i) => addr('a5e7', i + 1));
  const feeds = Object.fromEntries(reserves.map((r, i) => [addr('feed', i + 1), r]));
  return {
    addresses: { pool: addr('9001', 1), configurator: addr('c0f1', 1), feeds },
    reserves,
    wallets: Array.from({ length: options.wallets ?? 50 }, (_, i) => addr('ba11', i + 1)),
  };
}

export async function installFakeMarket(provider: JsonRpcProvider, market: FakeMarket): Promise<void> {
  await installEmitter(provider, market.addresses.pool, market.addresses.configurator, ...Object.keys(market.addresses.feeds));
}

/** Deterministic random numbers: the project's one seeded PRNG. */
export { createRandom as rng } from '../../core/random';

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const amount = (r: () => number): bigint => BigInt(Math.floor(r() * 1e6) + 1) * 10n ** 12n;
const RAY = 10n ** 27n;
const enc = (name: string, values: unknown[]): LogRecord => indexedEvents.encodeEventLog(indexedEvents.getEvent(name)!, values);

/** One random Pool event, as the Pool emits it. */
export function randomPoolEvent(r: () => number, m: FakeMarket): LogRecord {
  const reserve = pick(r, m.reserves);
  const user = pick(r, m.wallets);
  switch (Math.floor(r() * 8)) {
    case 0:
      return enc('Supply', [reserve, user, user, amount(r), 0]);
    case 1:
      return enc('Withdraw', [reserve, user, user, amount(r)]);
    case 2:
      return enc('Borrow', [reserve, user, user, amount(r), 2, RAY / 20n, 0]);
    case 3:
      return enc('Repay', [reserve, user, user, amount(r), r() < 0.2]);
    case 4:
      return enc('LiquidationCall', [reserve, pick(r, m.reserves), user, amount(r), amount(r), pick(r, m.wallets), false]);
    case 5:
      return enc('ReserveUsedAsCollateralEnabled', [reserve, user]);
    case 6:
      return enc('ReserveUsedAsCollateralDisabled', [reserve, user]);
    default:
      return enc('ReserveDataUpdated', [
        reserve,
        RAY / 50n,
        0n,
        RAY / 20n,
        RAY + BigInt(Math.floor(r() * 1e6)) * 10n ** 18n,
        RAY + BigInt(Math.floor(r() * 1e6)) * 10n ** 18n,
      ]);
  }
}

export interface EmitPlan {
  /** Transactions to send. */
  txs: number;
  /** Pool events per transaction. */
  eventsPerTx: number;
  /**
   * Transactions sent before the first of them must be mined (the benchmark's generator: anvil mines each on
   * arrival, so the sender need not wait for every receipt). All are mined when the call returns. Default: 1.
   */
  inFlight?: number;
}

/**
 * Sends `txs` transactions of random market activity: mostly Pool events, with now and then a price answer or
 * a collateral configuration change. Returns how many logs were emitted.
 */
export async function emitRandomActivity(
  provider: JsonRpcProvider,
  from: string,
  m: FakeMarket,
  r: () => number,
  plan: EmitPlan,
): Promise<number> {
  let emitted = 0;
  const inFlight = Math.max(1, plan.inFlight ?? 1);
  const pending: string[] = [];
  const send = async (to: string, records: LogRecord[]): Promise<void> => {
    if (inFlight === 1) {
      await emitLogs(provider, from, to, records);
    } else {
      pending.push(await emitLogs(provider, from, to, records, false));
      if (pending.length >= inFlight) await waitMined(provider, pending.shift()!);
    }
    emitted += records.length;
  };
  for (let t = 0; t < plan.txs; t++) {
    const roll = r();
    if (roll < 0.15) {
      const feed = pick(r, Object.keys(m.addresses.feeds));
      await send(feed, [enc('AnswerUpdated', [BigInt(Math.floor(r() * 1e11) + 1), BigInt(t + 1), BigInt(Math.floor(Date.now() / 1000))])]);
    } else if (roll < 0.2) {
      const lt = 5_000 + Math.floor(r() * 3_000);
      await send(m.addresses.configurator, [enc('CollateralConfigurationChanged', [pick(r, m.reserves), lt - 500, lt, 10_500])]);
    } else {
      await send(
        m.addresses.pool,
        Array.from({ length: plan.eventsPerTx }, () => randomPoolEvent(r, m)),
      );
    }
  }
  for (const hash of pending) await waitMined(provider, hash);
  return emitted;
}
