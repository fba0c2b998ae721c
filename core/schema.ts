import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/**
 * The one typed view of the database, kept beside `migrations/` (each migration that changes a table changes
 * this file in the same commit). Both drivers are set up to read `bigint` as a JS number (block numbers and
 * unix seconds stay far below 2^53) and `numeric` as an exact decimal string (uint256 amounts, prices).
 */

/** uint256 / exact decimal: written as a decimal string or bigint, read as a decimal string. */
export type Numeric = ColumnType<string, string | bigint, string | bigint>;
/** JSON documents: written as a JSON string (JSON.stringify), read parsed. */
export type Json<T = unknown> = ColumnType<T, string, string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
/** A nullable column that an insert may leave out (columns added to an existing table). */
type NullableColumn<T> = ColumnType<T | null, T | null | undefined, T | null>;
type NullableNumeric = ColumnType<string | null, string | bigint | null | undefined, string | bigint | null>;

export interface ChainsTable {
  chain_id: number;
  name: string;
  created_at: CreatedAt;
}

export interface BlocksTable {
  chain_id: number;
  number: number;
  hash: string;
  parent_hash: string;
  timestamp: number;
}

export interface IndexerCheckpointsTable {
  chain_id: number;
  /** e.g. `rpc:aave-pool`, `subgraph:aave-v3`. */
  source: string;
  block_number: number;
  block_hash: string | null;
  /** Opaque resume cursor for paginated sources. */
  cursor: string | null;
  updated_at: CreatedAt;
}

/** A block range claimed by one indexer worker at a time (scale-out on Postgres); pending while `done_at` is null. */
export interface IndexerRangesTable {
  chain_id: number;
  source: string;
  from_block: number;
  to_block: number;
  done_at: Date | null;
  /** Which worker committed it (`host:pid:n`). */
  worker: string | null;
  created_at: CreatedAt;
}

export type AssetKind = 'volatile' | 'stable' | 'eth' | 'btc';

export interface AssetsTable {
  chain_id: number;
  address: string;
  symbol: string;
  decimals: number;
  kind: AssetKind;
  price_feed: string | null;
}

export type LendingEventKind = 'supply' | 'withdraw' | 'borrow' | 'repay' | 'liquidation' | 'collateral_enabled' | 'collateral_disabled';

/** One Aave V3 Pool event. For a liquidation, `reserve` is the collateral asset and `amount` the debt covered. */
export interface LendingEventsTable {
  chain_id: number;
  block_number: number;
  tx_hash: string;
  log_index: number;
  timestamp: number;
  kind: LendingEventKind;
  reserve: string;
  user_address: string;
  on_behalf_of: string | null;
  amount: Numeric;
  interest_rate_mode: number | null;
  use_a_tokens: boolean | null;
  debt_asset: string | null;
  liquidated_collateral_amount: Numeric | null;
  liquidator: string | null;
  /** `rpc`, `subgraph` or `sim`. */
  source: ColumnType<string, string | undefined, string>;
}

export interface ReserveUpdatesTable {
  chain_id: number;
  block_number: number;
  tx_hash: string;
  log_index: number;
  timestamp: number;
  reserve: string;
  liquidity_rate: Numeric;
  stable_borrow_rate: Numeric;
  variable_borrow_rate: Numeric;
  liquidity_index: Numeric;
  variable_borrow_index: Numeric;
}

/** PoolConfigurator CollateralConfigurationChanged (bps; bonus as 10000 + bonus). */
export interface CollateralConfigsTable {
  chain_id: number;
  block_number: number;
  tx_hash: string;
  log_index: number;
  timestamp: number;
  asset: string;
  ltv: number;
  liquidation_threshold: number;
  liquidation_bonus: number;
}

/**
 * An aToken's `BalanceTransfer` (a transfer or transferFrom between wallets, and a liquidation's seized collateral
 * moved to the liquidator or, as the liquidation protocol fee, to the treasury): `scaled_amount` is what moved in
 * scaled balance (the amount rayDiv the reserve's `liquidity_index` then), `reserve` the underlying asset.
 */
export interface ATokenTransfersTable {
  chain_id: number;
  block_number: number;
  tx_hash: string;
  log_index: number;
  timestamp: number;
  reserve: string;
  a_token: string;
  from_address: string;
  to_address: string;
  scaled_amount: Numeric;
  liquidity_index: Numeric;
}

/**
 * E-mode: `user` is the Pool's `UserEModeSet` (`wallet` enters `category_id`, 0 leaves e-mode), `category` the
 * PoolConfigurator's `EModeCategoryAdded` (the category's ltv, liquidation threshold and bonus in bps, its optional
 * price source and label; a category set again is a new row), `asset` its `EModeAssetCategoryChanged` (`asset` is
 * now in `category_id`).
 */
export interface EModeEventsTable {
  chain_id: number;
  block_number: number;
  tx_hash: string;
  log_index: number;
  timestamp: number;
  kind: 'user' | 'category' | 'asset';
  category_id: number;
  wallet: string | null;
  asset: string | null;
  ltv: number | null;
  liquidation_threshold: number | null;
  liquidation_bonus: number | null;
  price_source: string | null;
  label: string | null;
}

/** Which of this project's contracts emitted an indexed event. */
export type OracleContractKind = 'risk_oracle' | 'risk_steward' | 'credit_registry';

/**
 * An event of RiskOracle, RiskSteward or CreditScoreRegistry. `args`: every argument by name (integers as decimal
 * strings, addresses lower-case, structs as objects); `asset`, `round`, `epoch` repeat the arguments of those names.
 */
export interface OracleEventsTable {
  chain_id: number;
  block_number: number;
  tx_hash: string;
  log_index: number;
  timestamp: number;
  contract: OracleContractKind;
  address: string;
  event: string;
  asset: string | null;
  round: number | null;
  epoch: number | null;
  args: Json<Record<string, unknown>>;
}

/** A USD price. `chain_id` 0 and `block_number` null for off-chain sources (CSV, subgraph). */
export interface PricePointsTable {
  chain_id: number;
  /** Asset address on-chain, or upper-case symbol off-chain. */
  asset: string;
  source: string;
  timestamp: number;
  price_usd: Numeric;
  block_number: number | null;
  /** Market depth in USD beside the price (the collateral model's liquidity proxy); null where the source has none. */
  liquidity_usd: Numeric | null;
}

export interface WalletPositionsTable {
  chain_id: number;
  wallet: string;
  reserve: string;
  block_number: number;
  timestamp: number;
  collateral: Numeric;
  debt: Numeric;
  collateral_enabled: boolean;
}

export interface HealthFactorsTable {
  chain_id: number;
  wallet: string;
  block_number: number;
  timestamp: number;
  collateral_usd: Numeric;
  debt_usd: Numeric;
  /** null: no debt. */
  health_factor: Numeric | null;
}

export type ModelKind = 'credit' | 'collateral';

export interface FeatureSnapshotsTable {
  id: string;
  kind: ModelKind;
  chain_id: number;
  block_number: number;
  timestamp: number;
  feature_spec_hash: string;
  row_count: number;
  merkle_root: string;
  /** Everything of the snapshot file but its rows (null only for rows written before the header existed). */
  header: Json<Record<string, unknown>> | null;
  created_at: CreatedAt;
}

export interface FeatureRowsTable {
  snapshot_id: string;
  /** Wallet or asset address. */
  entity: string;
  features: Json<Record<string, number>>;
  label: number | null;
}

export interface ModelArtifactsTable {
  model_id: string;
  kind: ModelKind;
  weights_hash: string | null;
  feature_spec_hash: string;
  seed: number;
  backend: string;
  metrics: Json<Record<string, number>>;
  /** The artifact file's exact bytes (keccak256 of which is `model_id`). */
  artifact: string;
  status: ColumnType<string, string | undefined, string>;
  created_at: CreatedAt;
}

export interface ShadowResultsTable {
  chain_id: number;
  model_id: string;
  /** The time (unix s) both models scored the same history before. */
  at: number;
  kind: ModelKind;
  reference_model_id: string;
  figures: Json<Record<string, number>>;
  created_at: CreatedAt;
}

export type RoundStatus = 'proposed' | 'held' | 'signed' | 'submitted' | 'published' | 'applied' | 'failed';

export interface RiskParameterRoundsTable {
  chain_id: number;
  asset: string;
  round: number;
  ltv: number;
  liquidation_threshold: number;
  liquidation_bonus: number;
  model_id: string;
  inputs_root: string;
  valid_until: number;
  at_block: number;
  batch_digest: string | null;
  status: ColumnType<RoundStatus, RoundStatus | undefined, RoundStatus>;
  explanation: Json | null;
  created_at: CreatedAt;
}

export type EpochStatus = 'proposed' | 'held' | 'signed' | 'submitted' | 'published' | 'invalidated' | 'failed';

export interface CreditEpochsTable {
  chain_id: number;
  epoch: number;
  root: string;
  model_id: string;
  wallet_count: number;
  at_block: number;
  /** Wallets are scored from history strictly before this time (null for epochs stored before it was kept). */
  data_time: ColumnType<number | null, number | null | undefined, number | null>;
  digest: string | null;
  status: ColumnType<EpochStatus, EpochStatus | undefined, EpochStatus>;
  created_at: CreatedAt;
}

export interface CreditScoresTable {
  chain_id: number;
  epoch: number;
  wallet: string;
  score: number;
  /** WAD (1e18 = 100 %). */
  pd: Numeric;
  features_hash: string;
  /** Hex of the packed quantised features (docs/canonical-model.md). */
  features: string;
}

export interface SignaturesTable {
  chain_id: number;
  digest: string;
  signer: string;
  kind: 'parameters' | 'epoch';
  signature: string;
  created_at: CreatedAt;
}

export type PublicationStatus = 'pending' | 'submitted' | 'confirmed' | 'replaced' | 'dropped' | 'failed';

export interface PublicationsTable {
  chain_id: number;
  digest: string;
  attempt: number;
  kind: 'parameters' | 'epoch' | 'apply' | 'challenge';
  tx_hash: string | null;
  nonce: number | null;
  status: PublicationStatus;
  gas_used: number | null;
  block_number: number | null;
  error: string | null;
  created_at: CreatedAt;
  updated_at: CreatedAt;
  /** The attempt's transaction, kept so that a restart can find, replace or resubmit it (unset on old rows). */
  sender: NullableColumn<string>;
  to_address: NullableColumn<string>;
  calldata: NullableColumn<string>;
  value: NullableNumeric;
  gas_limit: NullableNumeric;
  /** EIP-1559 max fee, or the gas price of a legacy transaction. */
  max_fee_per_gas: NullableNumeric;
  max_priority_fee_per_gas: NullableNumeric;
  /** Hash of the block that included the transaction; a reorg shows as another hash or no receipt. */
  block_hash: NullableColumn<string>;
}

export interface GuardDecisionsTable {
  id: Generated<number>;
  chain_id: number;
  /** What was guarded, e.g. `round:<asset>:<n>` or `epoch:<n>`. */
  subject: string;
  guard: string;
  decision: 'pass' | 'clip' | 'hold';
  reason: string;
  details: Json | null;
  created_at: CreatedAt;
}

export interface AlertsTable {
  id: Generated<number>;
  severity: 'info' | 'warning' | 'critical';
  kind: string;
  message: string;
  details: Json | null;
  created_at: CreatedAt;
  resolved_at: Date | null;
}

export interface Database {
  chains: ChainsTable;
  blocks: BlocksTable;
  indexer_checkpoints: IndexerCheckpointsTable;
  indexer_ranges: IndexerRangesTable;
  assets: AssetsTable;
  lending_events: LendingEventsTable;
  reserve_updates: ReserveUpdatesTable;
  collateral_configs: CollateralConfigsTable;
  price_points: PricePointsTable;
  oracle_events: OracleEventsTable;
  a_token_transfers: ATokenTransfersTable;
  emode_events: EModeEventsTable;
  wallet_positions: WalletPositionsTable;
  health_factors: HealthFactorsTable;
  feature_snapshots: FeatureSnapshotsTable;
  feature_rows: FeatureRowsTable;
  model_artifacts: ModelArtifactsTable;
  shadow_results: ShadowResultsTable;
  risk_parameter_rounds: RiskParameterRoundsTable;
  credit_epochs: CreditEpochsTable;
  credit_scores: CreditScoresTable;
  signatures: SignaturesTable;
  publications: PublicationsTable;
  guard_decisions: GuardDecisionsTable;
  alerts: AlertsTable;
}

export type Row<T extends keyof Database> = Selectable<Database[T]>;
export type NewRow<T extends keyof Database> = Insertable<Database[T]>;
