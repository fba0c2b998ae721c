import type { AssetBounds, CollateralParams, Decision } from '../guards';
import type { CollateralShadow, CreditShadow } from '../shadow';
import type { FallBackStep } from '../guardian';
import type { ChainSubmission } from './chain';

/**
 * What the dashboard shows, gathered in one pass from the database and the chain. Plain data (JSON-safe: numbers,
 * strings, booleans, null), served as it is at `GET /api/dashboard` and rendered to HTML by `sections.ts`.
 * Units are Aave's: basis points, the liquidation bonus as 10000 + bonus; times are unix seconds.
 */
export interface DashboardSnapshot {
  /** Server clock when the snapshot was taken. */
  generatedAt: number;
  chain: ChainView;
  health: HealthView;
  assets: AssetView[];
  rounds: RoundView[];
  guards: GuardView[];
  /** The drift guard's newest decision on a credit epoch, held or passed; null before any epoch was proposed. */
  drift: DriftView | null;
  alerts: AlertView[];
  credit: CreditView;
  models: ModelsView;
  guardian: GuardianView;
}

export interface ChainView {
  chainId: number;
  head: { number: number; timestamp: number };
  riskOracle: string;
  creditScoreRegistry: string;
  modelRegistry: string;
  /** RiskOracle's k of n. */
  threshold: number;
  signers: string[];
  paused: boolean;
}

export interface HealthView {
  healthy: boolean;
  /** One line per problem, e.g. "indexer 80 blocks behind (limit 50)". */
  problems: string[];
  indexedBlock: number | null;
  lagBlocks: number | null;
  maxLagBlocks: number;
  /** Newest price the model can read per asset: its time and age at the head block. */
  prices: Array<{ symbol: string; source: string; latest: number | null; ageSeconds: number | null }>;
  /** The daemon's schedules (absent when the dashboard runs on its own). */
  nextRuns?: Record<string, string>;
  /** The daemon's own figures from /metrics that matter to a reader (absent when it runs on its own). */
  metrics?: Array<{ name: string; help: string; value: string }>;
}

export interface ParameterState extends CollateralParams {
  round: number;
  updatedAt: number;
}

export interface ParameterPoint extends CollateralParams {
  round: number;
  /** Block time of the publication. */
  t: number;
}

export interface AssetView {
  symbol: string;
  address: string;
  /** In force on RiskOracle; round 0 when the oracle never published for the asset. */
  onChain: ParameterState;
  /** The lending market's own configuration, shown while the oracle has not published (round 0). */
  market?: CollateralParams;
  bounds: AssetBounds;
  provenance: { modelId: string; inputsRoot: string };
  /** The newest round the model proposed for the asset (database), whatever became of it. */
  proposal: ProposalView | null;
  /** Every publication on-chain, oldest first. */
  history: ParameterPoint[];
  /** The price series the collateral model reads (down-sampled for the chart). */
  prices: { source: string; points: Array<{ t: number; p: number }> };
}

export interface ProposalView extends CollateralParams {
  round: number;
  status: string;
  /** What the model gave before the guards (absent in records that do not carry it). */
  raw?: CollateralParams;
  atBlock: number;
  createdAt: number;
  /** Non-pass guard decisions of this round. */
  decisions: Array<{ guard: string; decision: Decision; reason: string }>;
}

export type VerifyStatus =
  /** Re-derived from public data, bit for bit equal; `basis` says with what (e.g. which model artifact). */
  | { state: 'verified'; basis?: string }
  | { state: 'mismatch'; fields: string[] }
  /** Not re-derivable from this database (no record of its inputs), or not checked yet. */
  | { state: 'unknown'; reason: string };

export interface RoundView extends CollateralParams {
  asset: string;
  symbol: string;
  round: number;
  /** published: on-chain (from its event); otherwise the database's status of a proposal not (yet) on-chain. */
  status: string;
  time: number;
  blockNumber: number | null;
  tx: string | null;
  /** Gas of the whole batch transaction the round was published in. */
  gasUsed: number | null;
  /** Assets the batch updated (from its calldata): the batch's gas is shared by them. */
  batchAssets: number | null;
  /**
   * The batch's gas ÷ its assets (rounded). Each update in a batch does the same work (its calldata, two storage
   * records, one event) while the base cost and the signature checks serve the whole batch and belong to none of
   * them more than another: an even split is the share each asset is answerable for.
   */
  gasPerAsset: number | null;
  /** Recovered from the transaction's signatures (or, before publication, the ones stored). */
  signers: string[];
  verify: VerifyStatus;
}

export interface GuardView {
  time: number;
  subject: string;
  /** The asset's symbol and round, for `round:<asset>:<n>` subjects. */
  symbol: string | null;
  round: number | null;
  guard: string;
  decision: Decision;
  reason: string;
}

/** What the drift guard charts: PSI per feature of an epoch's wallets against the threshold (`driftDecision`'s details). */
export interface DriftFigures {
  epoch: number;
  /** PSI per credit feature against the model's training rows. */
  psi: Record<string, number>;
  /** Market-level features (judged by their training range, not PSI): the share of scored wallets outside it. */
  outOfSupport: Record<string, number>;
  /** A wallet-level feature's PSI above it holds the epoch. */
  threshold: number;
}

/**
 * The drift guard's newest decision on a credit epoch (table `guard_decisions`, subject `epoch:N`), whether it held
 * or passed. `threshold` is null (and `psi` empty) when the decision recorded no figures, e.g. an artifact without
 * training distributions ("not checked").
 */
export interface DriftView extends Omit<DriftFigures, 'threshold'> {
  subject: string;
  time: number;
  decision: Decision;
  reason: string;
  threshold: number | null;
}

export interface AlertView {
  time: number;
  severity: string;
  kind: string;
  message: string;
}

export interface EpochView {
  epoch: number;
  /** The database's status, or `published`/`invalidated` as the chain says for epochs it does not hold. */
  status: string;
  wallets: number;
  root: string;
  modelId: string;
  publishedAt: number | null;
  /** End of the challenge window. */
  closesAt: number | null;
  invalidated: boolean;
  tx: string | null;
  gasUsed: number | null;
  signers: string[];
  verify: VerifyStatus;
}

export interface ChallengeView {
  epoch: number;
  challenger: string;
  wallet: string;
  publishedScore: number;
  recomputedScore: number;
  /** Wei, as a decimal string. */
  bondPaid: string;
  tx: string;
  time: number;
}

export interface ScoreDistribution {
  epoch: number;
  count: number;
  mean: number;
  min: number;
  max: number;
  p10: number;
  median: number;
  p90: number;
  /** Wallets per 25-point bucket from 300 (`from` inclusive). */
  buckets: Array<{ from: number; count: number }>;
}

export interface CreditView {
  latestEpoch: number;
  epochs: EpochView[];
  challenges: ChallengeView[];
  distribution: ScoreDistribution | null;
}

export interface ModelView {
  modelId: string;
  kind: 'credit' | 'collateral';
  /** The registry's status (Candidate, Active, Retired), or `unregistered`. */
  status: string;
  index: number | null;
  /** Where it is used: e.g. "RiskOracle: WETH, WBTC" or "epoch 3". */
  inForce: string[];
  metrics: Record<string, number>;
}

/** A bonded submission as the chain tells it, with the model's status in the registry now. */
export interface SubmissionView extends ChainSubmission {
  kind: 'credit' | 'collateral' | null;
  /** Candidate, Active, Retired, Disputed, Rejected (the registry's status now). */
  status: string;
  index: number | null;
}

/** A candidate's recorded shadow comparisons beside the model in force (table `shadow_results`), oldest first. */
export interface ShadowView {
  modelId: string;
  /** The registry's status now, or `unregistered`. */
  status: string;
  /** The newest comparisons (at most 60). */
  points: CreditShadow[];
  /** All comparisons recorded for the model. */
  total: number;
}

/**
 * A collateral candidate's newest shadow comparison (table `shadow_results`, kind `collateral`): per asset what it
 * and the collateral model in force (the empirical spec while none is) would propose on the same prices.
 */
export interface CollateralShadowView {
  modelId: string;
  /** The registry's status now, or `unregistered`. */
  status: string;
  newest: CollateralShadow;
  /** The newest comparisons (at most 60), oldest first: the charts over time. */
  points: CollateralShadowPoint[];
  /** All comparisons recorded for the model. */
  total: number;
}

/** One recorded collateral comparison, as the charts over time draw it. */
export interface CollateralShadowPoint {
  /** Data time of the comparison. */
  at: number;
  /** Mean and largest |candidate − in force| liquidation threshold over the assets, in bps. */
  meanAbsLtDiff: number;
  maxAbsLtDiff: number;
  /** The shadow backtest's bad debt (% of debt) of each policy, where one was recorded. */
  badDebtPct?: { candidate: number; reference: number };
}

export interface ModelsView {
  models: ModelView[];
  /** ModelRegistry.activeModel per kind. */
  active: { credit: string | null; collateral: string | null };
  submissions: SubmissionView[];
  /** Credit candidates in shadow. */
  shadow: ShadowView[];
  collateralShadow: CollateralShadowView[];
}

/** A guardian's or the DAO's safety action as RiskOracle or the steward logged it (`GUARDIAN_EVENTS`). */
export interface GuardianActionView {
  contract: 'RiskOracle' | 'RiskSteward';
  event: string;
  time: number;
  blockNumber: number;
  tx: string;
  /** The event's `by`, or who alone may emit it; null when neither is known. */
  actor: string | null;
  /** What the actor is now: `guardian`, `DAO` (RiskOracle's owner), or null. */
  role: 'guardian' | 'DAO' | null;
  asset: string | null;
  symbol: string | null;
  round: number | null;
  /** The parameters the action put in force (a restore's), in Aave units. */
  values: CollateralParams | null;
  /** The event's other arguments by name. */
  details: Array<{ name: string; value: string }>;
}

/** What a fall-back would do for an asset now (`RiskSteward.previous`, `appliedRound`; `guardian status`). */
export interface FallBackView {
  symbol: string;
  address: string;
  /** RiskOracle's round in force and the steward's last applied round. */
  oracleRound: number;
  appliedRound: number;
  /** What a fall-back would put back and the round it undoes; null: nothing to restore. */
  previous: (CollateralParams & { round: number }) | null;
  /** What a fall-back would do now: skip the oracle's unapplied round, restore `previous`, or nothing. */
  next: FallBackStep;
}

export interface GuardianView {
  paused: boolean;
  guardian: string;
  /** RiskOracle's owner: the DAO's timelock, the only one that unpauses. */
  dao: string;
  /** The steward whose fall-backs are listed; null when the deployment names none. */
  steward: string | null;
  /** Newest first. */
  actions: GuardianActionView[];
  /** Per asset; empty without a steward. */
  fallBack: FallBackView[];
}
