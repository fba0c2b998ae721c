import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './2026-11-24T00-00-initial';
import * as snapshotHeader from './2026-11-25T00-00-snapshot-header';
import * as shadowResults from './2026-11-25T01-00-shadow-results';
import * as epochDataTime from './2026-11-26T00-00-epoch-data-time';
import * as indexerRanges from './2026-11-26T01-00-indexer-ranges';
import * as publicationAttempts from './2026-11-26T02-00-publication-attempts';
import * as oracleEvents from './2026-12-02T00-00-oracle-events';
import * as aTokenTransfersEmode from './2026-12-02T01-00-a-token-transfers-emode';
import * as reserveUpdatesOrder from './2026-12-02T02-00-reserve-updates-order';
import * as priceLiquidity from './2026-12-02T03-00-price-liquidity';

/**
 * Every migration, in order. Listed explicitly (not read from the folder at run time) so that they work the
 * same from tsx, jest and a bundled CLI. Forward-only: a released migration is never edited, only followed.
 */
export const migrations: Record<string, Migration> = {
  '2026-11-24T00-00-initial': initial,
  '2026-11-25T00-00-snapshot-header': snapshotHeader,
  '2026-11-25T01-00-shadow-results': shadowResults,
  '2026-11-26T00-00-epoch-data-time': epochDataTime,
  '2026-11-26T01-00-indexer-ranges': indexerRanges,
  '2026-11-26T02-00-publication-attempts': publicationAttempts,
  '2026-12-02T00-00-oracle-events': oracleEvents,
  '2026-12-02T01-00-a-token-transfers-emode': aTokenTransfersEmode,
  '2026-12-02T02-00-reserve-updates-order': reserveUpdatesOrder,
  '2026-12-02T03-00-price-liquidity': priceLiquidity,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
