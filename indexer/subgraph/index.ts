import { RetryableError, UserError } from '../../core/errors';
import { scrubSecrets, type Logger } from '../../core/logger';
import { loadCheckpoint, saveCheckpoint } from '../store/batch';
import { inTransaction, type Store } from '../store/bulk';
import { createSubgraphClient, type SubgraphClient, type SubgraphClientOptions } from './client';
import {
  FIELDS,
  pageRows,
  RESERVE_FIELDS,
  reserveRows,
  SUBGRAPH_ENTITIES,
  SubgraphDataError,
  type PriceContext,
  type SubgraphEntity,
} from './entities';

export { SUBGRAPH_ENTITIES, SUBGRAPH_SOURCE, SubgraphDataError, type SubgraphEntity } from './entities';

/**
 * Indexes an Aave-V3-shaped subgraph into the tables the RPC indexer writes (`lending_events` with source
 * `subgraph`, `price_points` keyed by symbol with chain 0 as other off-chain prices are, `assets` from `reserves`).
 *
 * Each entity list is read in pages ordered by (timestamp, id) — graph-node breaks ties by id — with a cursor of
 * the last (timestamp, id): first the rest of the cursor's timestamp (`timestamp: t, id_gt: id`), then what comes
 * after it (`timestamp_gt: t`). Timestamps, unlike the subgraph's ids (which start with the block number as a
 * decimal string), grow with the chain, so a later run picks up new events too. A page's rows and its cursor
 * (`indexer_checkpoints`, source `subgraph:<name>:<entity>`) are written in one transaction: all of a page or
 * none, and a stopped run resumes exactly after the last committed page.
 */
export interface SubgraphIndexerOptions extends SubgraphClientOptions {
  db: Store;
  /** The chain the subgraph indexes (events are stored under it). */
  chainId: number;
  /** Checkpoint name. Default: `aave-v3`. */
  name?: string;
  /** Default: every entity list. */
  entities?: readonly SubgraphEntity[];
  /** Items per request (graph-node allows at most 1000). Default: 1000. */
  pageSize?: number;
  /** Decimals of `PriceHistoryItem.price`. Default: 8 (Aave V3's USD base currency). */
  priceDecimals?: number;
  /** Entities at or before this unix time are skipped on a first run. Default: 0. */
  fromTimestamp?: number;
  /** Stops between pages (what is committed stays; the next run resumes from it). */
  signal?: AbortSignal;
  logger?: Logger;
  /** Called after each committed page. */
  onPage?: (page: { entity: SubgraphEntity; items: number; cursor: Cursor }) => void | Promise<void>;
}

export interface Cursor {
  timestamp: number;
  id: string;
}

export interface SubgraphIndexerResult {
  /** Items read per entity list in this run (rows written may be fewer: existing keys are skipped). */
  items: Record<SubgraphEntity, number>;
  pages: number;
  assets: number;
  requests: number;
  retries: number;
  /** True when `signal` stopped the run before the end. */
  aborted: boolean;
}

const checkpointSource = (name: string, entity: SubgraphEntity): string => `subgraph:${name}:${entity}`;

function parseCursor(text: string | null, source: string): Cursor | undefined {
  if (text === null) return undefined;
  let c: Partial<Cursor> | undefined;
  try {
    c = JSON.parse(text) as Partial<Cursor>;
  } catch {
    // reported below
  }
  if (typeof c?.timestamp !== 'number' || typeof c.id !== 'string') {
    throw new UserError(`indexer_checkpoints ${source}: cursor ${text} is not {"timestamp","id"}; delete the row to re-index`);
  }
  return { timestamp: c.timestamp, id: c.id };
}

/** A list query with its `where` inlined (variables would need the server's filter type names). */
function listQuery(entity: string, fields: string, first: number, where: string, orderBy: 'id' | 'timestamp'): string {
  return `{ ${entity}(first: ${first}, where: { ${where} }, orderBy: ${orderBy}, orderDirection: asc) { ${fields} } }`;
}

async function fetchList(client: SubgraphClient, entity: string, document: string): Promise<unknown[]> {
  const data = await client.query<Record<string, unknown>>(document);
  const list = data?.[entity];
  if (!Array.isArray(list))
    throw new SubgraphDataError(`${entity}: the answer has no ${entity} list (got ${JSON.stringify(data).slice(0, 200)})`);
  return list;
}

/** Every reserve, by id (a few dozen on any market), written to `assets`; returns address → symbol. */
async function syncReserves(o: SubgraphIndexerOptions, client: SubgraphClient, pageSize: number): Promise<Map<string, string>> {
  const symbols = new Map<string, string>();
  let after = '';
  let count = 0;
  for (;;) {
    const items = await fetchList(
      client,
      'reserves',
      listQuery('reserves', RESERVE_FIELDS, pageSize, `id_gt: ${JSON.stringify(after)}`, 'id'),
    );
    const rows = reserveRows(o.chainId, items);
    if (rows.length) {
      await o.db.db
        .insertInto('assets')
        .values(rows)
        .onConflict((oc) => oc.columns(['chain_id', 'address']).doNothing())
        .execute();
    }
    for (const r of rows) symbols.set(r.address, r.symbol);
    count += rows.length;
    if (items.length < pageSize) return symbols;
    after = (items[items.length - 1] as { id: string }).id;
    if (count > 100_000) throw new SubgraphDataError(`reserves: more than 100 000 reserves; the endpoint is not an Aave market`);
  }
}

export async function runSubgraphIndexer(o: SubgraphIndexerOptions): Promise<SubgraphIndexerResult> {
  const client = createSubgraphClient(o);
  const name = o.name ?? 'aave-v3';
  const pageSize = o.pageSize ?? 1000;
  const result: SubgraphIndexerResult = {
    items: { supplies: 0, redeemUnderlyings: 0, borrows: 0, repays: 0, liquidationCalls: 0, priceHistoryItems: 0 },
    pages: 0,
    assets: 0,
    requests: 0,
    retries: 0,
    aborted: false,
  };
  /** The error to throw: what was being read, from where, and whether a rerun can help. */
  const failure = (err: unknown, entity: string, cursor?: Cursor): Error => {
    const at = `subgraph ${client.where}: ${entity}${cursor ? ` after (timestamp ${cursor.timestamp}, id ${JSON.stringify(cursor.id)})` : ''}`;
    const message = scrubSecrets(err instanceof Error ? err.message : String(err)).replace(`subgraph ${client.where} `, '');
    if (err instanceof SubgraphDataError)
      return new SubgraphDataError(`${at}: ${message} (nothing from this page was written)`, { cause: err });
    if (err instanceof UserError) return new UserError(`${at}: ${message}`, { cause: err });
    return new RetryableError(`${at}: ${message} (committed up to here; run again to resume)`, { cause: err });
  };
  try {
    const symbols = await syncReserves(o, client, pageSize).catch((err: unknown) => {
      throw failure(err, 'reserves');
    });
    result.assets = symbols.size;
    const prices: PriceContext = { symbols, priceDecimals: o.priceDecimals ?? 8 };

    for (const entity of o.entities ?? SUBGRAPH_ENTITIES) {
      const source = checkpointSource(name, entity);
      const saved = await loadCheckpoint(o.db, o.chainId, source);
      const resumed = parseCursor(saved?.cursor ?? null, source);
      // A run re-reads the whole of its cursor's timestamp (rows already stored are skipped): where blocks share a
      // timestamp (L2s), a later block can add items there whose ids sort below the cursor's ("100:…" < "99:…").
      // Items of earlier timestamps cannot appear any more: timestamps never decrease along the chain.
      let cursor: Cursor = resumed ? { timestamp: resumed.timestamp, id: '' } : { timestamp: o.fromTimestamp ?? 0, id: '' };
      let drain = resumed !== undefined;
      let block = saved?.block ?? 0;
      for (;;) {
        if (o.signal?.aborted) {
          result.aborted = true;
          return result;
        }
        let items: unknown[] = [];
        try {
          if (drain) {
            const w = `timestamp: ${cursor.timestamp}, id_gt: ${JSON.stringify(cursor.id)}`;
            items = await fetchList(client, entity, listQuery(entity, FIELDS[entity], pageSize, w, 'id'));
          }
          if (items.length === 0) {
            items = await fetchList(
              client,
              entity,
              listQuery(entity, FIELDS[entity], pageSize, `timestamp_gt: ${cursor.timestamp}`, 'timestamp'),
            );
          }
          if (items.length === 0) break;
          const rows = pageRows(o.chainId, entity, items, prices);
          block = Math.max(block, rows.maxBlock);
          await inTransaction(o.db, async (tx) => {
            await tx.insert('lending_events', rows.lending_events);
            await tx.insert('price_points', rows.price_points);
            await saveCheckpoint(tx, o.chainId, source, { block, hash: null, cursor: JSON.stringify(rows.last) });
          });
          cursor = rows.last;
        } catch (err) {
          throw failure(err, entity, cursor);
        }
        drain = items.length === pageSize;
        result.items[entity] += items.length;
        result.pages++;
        o.logger?.debug({ entity, items: items.length, cursor }, 'subgraph page committed');
        await o.onPage?.({ entity, items: items.length, cursor });
      }
    }
    return result;
  } finally {
    result.requests = client.stats.requests;
    result.retries = client.stats.retries;
  }
}
