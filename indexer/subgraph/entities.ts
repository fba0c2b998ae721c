import type { AssetKind, NewRow } from '../../core';
import { UserError } from '../../core/errors';
import { formatFixed } from '../rpc/events';

/**
 * The Aave V3 subgraph entities this source reads (aave/protocol-subgraphs, schemas/v3.schema.graphql), the
 * fields each query selects, and their mapping onto the rows the RPC indexer writes, with the same field
 * conventions (`on_behalf_of`: the wallet whose position changes; `user_address`: who called). Every value is
 * checked before a row is made: a malformed one stops the page with its entity, id and field named.
 */
export const SUBGRAPH_SOURCE = 'subgraph';

export const EVENT_ENTITIES = ['supplies', 'redeemUnderlyings', 'borrows', 'repays', 'liquidationCalls'] as const;
export type EventEntity = (typeof EVENT_ENTITIES)[number];
export type SubgraphEntity = EventEntity | 'priceHistoryItems';
export const SUBGRAPH_ENTITIES: readonly SubgraphEntity[] = [...EVENT_ENTITIES, 'priceHistoryItems'];

const EVENT_FIELDS = 'id txHash timestamp user { id }';
export const FIELDS: Record<SubgraphEntity, string> = {
  supplies: `${EVENT_FIELDS} caller { id } reserve { underlyingAsset } amount`,
  redeemUnderlyings: `${EVENT_FIELDS} reserve { underlyingAsset } amount`,
  borrows: `${EVENT_FIELDS} caller { id } reserve { underlyingAsset } amount borrowRateMode`,
  repays: `${EVENT_FIELDS} repayer { id } reserve { underlyingAsset } amount useATokens`,
  liquidationCalls: `${EVENT_FIELDS} collateralReserve { underlyingAsset } principalReserve { underlyingAsset } collateralAmount principalAmount liquidator`,
  priceHistoryItems: 'id timestamp price asset { id }',
};
export const RESERVE_FIELDS = 'id underlyingAsset symbol decimals price { priceSource }';

/** What a malformed entity is reported as (the runner adds the endpoint). */
export class SubgraphDataError extends UserError {
  override readonly name: string = 'SubgraphDataError';
}

type Item = Record<string, unknown>;

/** Typed reads of one entity's fields; each failure names the entity, its id and the field. */
class Reader {
  readonly id: string;
  constructor(
    private readonly entity: string,
    private readonly item: Item,
  ) {
    const id = item.id;
    if (typeof id !== 'string' || id === '') throw new SubgraphDataError(`${entity}: an entity has no id (${JSON.stringify(id)})`);
    this.id = id;
  }
  fail(field: string, expected: string): never {
    throw new SubgraphDataError(`${this.entity} ${this.id}: field ${field} is ${JSON.stringify(this.get(field))}, not ${expected}`);
  }
  get(path: string): unknown {
    return path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Item)[k] : undefined), this.item);
  }
  uint(path: string): string {
    const v = this.get(path);
    return typeof v === 'string' && /^\d{1,78}$/.test(v) ? v.replace(/^0+(?=\d)/, '') : this.fail(path, 'an unsigned integer');
  }
  int(path: string): number {
    const v = this.get(path);
    return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : this.fail(path, 'a non-negative integer');
  }
  address(path: string): string {
    const v = this.get(path);
    return typeof v === 'string' && /^0x[0-9a-fA-F]{40}$/.test(v) ? v.toLowerCase() : this.fail(path, 'an address');
  }
  hash(path: string): string {
    const v = this.get(path);
    return typeof v === 'string' && /^0x[0-9a-fA-F]{64}$/.test(v) ? v.toLowerCase() : this.fail(path, 'a 32-byte hash');
  }
  bool(path: string): boolean {
    const v = this.get(path);
    return typeof v === 'boolean' ? v : this.fail(path, 'a boolean');
  }
  string(path: string): string {
    const v = this.get(path);
    return typeof v === 'string' && v !== '' ? v : this.fail(path, 'a string');
  }
}

/** `block:txIndex:txHash:logIndex:txLogIndex` (the subgraph's getHistoryEntityId): block and log index. */
function eventPosition(r: Reader, entity: string): { block: number; logIndex: number } {
  const m = /^(\d+):\d+:0x[0-9a-fA-F]{64}:(\d+)(:\d+)?$/.exec(r.id);
  if (!m) throw new SubgraphDataError(`${entity} ${r.id}: the id is not block:txIndex:txHash:logIndex:txLogIndex`);
  return { block: Number(m[1]), logIndex: Number(m[2]) };
}

/** A row with every column, so that every row of a page has the same keys (one multi-row insert). */
function eventRow(chainId: number, entity: EventEntity, r: Reader): NewRow<'lending_events'> {
  const { block, logIndex } = eventPosition(r, entity);
  const base = {
    chain_id: chainId,
    block_number: block,
    tx_hash: r.hash('txHash'),
    log_index: logIndex,
    timestamp: r.int('timestamp'),
    on_behalf_of: r.address('user.id'),
    interest_rate_mode: null,
    use_a_tokens: null,
    debt_asset: null,
    liquidated_collateral_amount: null,
    liquidator: null,
    source: SUBGRAPH_SOURCE,
  };
  switch (entity) {
    case 'supplies':
      return {
        ...base,
        kind: 'supply',
        reserve: r.address('reserve.underlyingAsset'),
        user_address: r.address('caller.id'),
        amount: r.uint('amount'),
      };
    case 'redeemUnderlyings':
      return {
        ...base,
        kind: 'withdraw',
        reserve: r.address('reserve.underlyingAsset'),
        user_address: base.on_behalf_of,
        amount: r.uint('amount'),
      };
    case 'borrows':
      return {
        ...base,
        kind: 'borrow',
        reserve: r.address('reserve.underlyingAsset'),
        user_address: r.address('caller.id'),
        amount: r.uint('amount'),
        interest_rate_mode: r.int('borrowRateMode'),
      };
    case 'repays':
      return {
        ...base,
        kind: 'repay',
        reserve: r.address('reserve.underlyingAsset'),
        user_address: r.address('repayer.id'),
        amount: r.uint('amount'),
        use_a_tokens: r.bool('useATokens'),
      };
    case 'liquidationCalls':
      // the subgraph keeps no receiveAToken: use_a_tokens stays null
      return {
        ...base,
        kind: 'liquidation',
        reserve: r.address('collateralReserve.underlyingAsset'),
        user_address: base.on_behalf_of,
        amount: r.uint('principalAmount'),
        debt_asset: r.address('principalReserve.underlyingAsset'),
        liquidated_collateral_amount: r.uint('collateralAmount'),
        liquidator: r.address('liquidator'),
      };
  }
}

export interface PageRows {
  lending_events: NewRow<'lending_events'>[];
  price_points: NewRow<'price_points'>[];
  /** Cursor after this page: the last item's timestamp and id. */
  last: { timestamp: number; id: string };
  /** Highest block among the page's events (0 for prices: the subgraph gives them no block). */
  maxBlock: number;
}

export interface PriceContext {
  /** Lower-case asset address → symbol (off-chain prices are keyed by upper-case symbol, as CSV imports are). */
  symbols: ReadonlyMap<string, string>;
  /** Decimals of `PriceHistoryItem.price` (Aave V3's base currency: USD with 8). */
  priceDecimals: number;
}

/** Checks every item of a page and maps it to rows; throws before anything is written if one is malformed. */
export function pageRows(chainId: number, entity: SubgraphEntity, items: unknown[], prices: PriceContext): PageRows {
  const out: PageRows = { lending_events: [], price_points: [], last: { timestamp: 0, id: '' }, maxBlock: 0 };
  for (const raw of items) {
    if (raw === null || typeof raw !== 'object') throw new SubgraphDataError(`${entity}: an item is ${JSON.stringify(raw)}, not an object`);
    const r = new Reader(entity, raw as Item);
    if (entity === 'priceHistoryItems') {
      const asset = r.address('asset.id');
      out.price_points.push({
        chain_id: 0,
        asset: prices.symbols.get(asset)?.toUpperCase() ?? asset,
        source: SUBGRAPH_SOURCE,
        timestamp: r.int('timestamp'),
        price_usd: formatFixed(BigInt(r.uint('price')), prices.priceDecimals),
        block_number: null,
      });
    } else {
      const row = eventRow(chainId, entity, r);
      out.lending_events.push(row);
      out.maxBlock = Math.max(out.maxBlock, row.block_number);
    }
    out.last = { timestamp: r.int('timestamp'), id: r.id };
  }
  return out;
}

const STABLE = /^(usd|dai|gho|lusd|frax|pyusd|crvusd|tusd|susd|eurs|usdt|usdc)/i;
const assetKind = (symbol: string): AssetKind =>
  /btc/i.test(symbol)
    ? 'btc'
    : /eth$|^weth|^steth|^wsteth|^reth|^cbeth|^weeth/i.test(symbol)
      ? 'eth'
      : STABLE.test(symbol)
        ? 'stable'
        : 'volatile';

/** `reserves` → `assets` rows (kind guessed from the symbol; an asset already known keeps its row). */
export function reserveRows(chainId: number, items: unknown[]): NewRow<'assets'>[] {
  return items.map((raw) => {
    const r = new Reader('reserves', (raw ?? {}) as Item);
    const symbol = r.string('symbol');
    return {
      chain_id: chainId,
      address: r.address('underlyingAsset'),
      symbol,
      decimals: r.int('decimals'),
      kind: assetKind(symbol),
      price_feed: r.address('price.priceSource'),
    };
  });
}
