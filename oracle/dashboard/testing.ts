import type { AssetBounds } from '../guards';
import type { FallBackState } from '../guardian';
import type {
  ChainEpoch,
  ChainGuardianAction,
  ChainParameterEvent,
  ChainSubmission,
  ChainTransaction,
  DashboardChain,
  DashboardContracts,
  RegistryModel,
} from './chain';
import type { ChallengeView, DashboardSnapshot, ParameterState } from './types';

/** Test helpers: a chain held in memory (what `createDashboardChain` would read) and a snapshot to render. */

export const WETH = '0x00000000000000000000000000000000000000e1';
export const GOV = '0x00000000000000000000000000000000000000c0';
export const MODEL = `0x${'ab'.repeat(32)}`;
export const ROOT = `0x${'cd'.repeat(32)}`;
/** Submitted credit candidates: one in shadow, one disputed. */
export const CANDIDATE = `0x${'ef'.repeat(32)}`;
export const REJECTED = `0x${'e0'.repeat(32)}`;
/** A collateral candidate in shadow. */
export const COLLATERAL_CANDIDATE = `0x${'c7'.repeat(32)}`;
/** The collateral model's id that the fake chain's publications carry. */
export const COLLATERAL_MODEL = `0x${'c0'.repeat(32)}`;

export const GUARDIAN = '0x00000000000000000000000000000000000000a7';
export const DAO = '0x00000000000000000000000000000000000000da';
export const STEWARD = '0x0000000000000000000000000000000000000a04';

export const BOUNDS: AssetBounds = {
  min: { ltv: 5_000, liquidationThreshold: 6_000, liquidationBonus: 10_100 },
  max: { ltv: 8_000, liquidationThreshold: 8_500, liquidationBonus: 11_500 },
  maxChangeBps: 300,
  minDelaySeconds: 3_600,
};

export const CONTRACTS: DashboardContracts = {
  riskOracle: '0x0000000000000000000000000000000000000a01',
  creditScoreRegistry: '0x0000000000000000000000000000000000000a02',
  modelRegistry: '0x0000000000000000000000000000000000000a03',
  reserves: [
    { symbol: 'WETH', address: WETH },
    { symbol: 'GOV', address: GOV },
  ],
  fromBlock: 1,
};

export interface FakeChainState {
  head: { number: number; timestamp: number };
  signers: string[];
  threshold: number;
  paused: boolean;
  states: Record<string, ParameterState>;
  events: ChainParameterEvent[];
  transactions: Record<string, ChainTransaction>;
  latestEpoch: number;
  epochs: ChainEpoch[];
  challenges: ChallengeView[];
  models: RegistryModel[];
  active: { credit: string | null; collateral: string | null };
  submissions: ChainSubmission[];
  guardian: string;
  dao: string;
  /** The steward's address; null: the deployment names none (no fall-back state is read). */
  steward: string | null;
  guardianActions: ChainGuardianAction[];
  /** What a fall-back would restore, per lower-case asset address (nothing applied when absent). */
  fallBack: Record<string, FallBackState>;
  /** Makes every read throw (an RPC that is down). */
  down?: string;
}

export function fakeChainState(): FakeChainState {
  return {
    head: { number: 120, timestamp: 1_750_000_000 },
    signers: ['0x1000000000000000000000000000000000000001', '0x2000000000000000000000000000000000000002'],
    threshold: 2,
    paused: false,
    states: {},
    events: [],
    transactions: {},
    latestEpoch: 0,
    epochs: [],
    challenges: [],
    models: [],
    active: { credit: null, collateral: null },
    submissions: [],
    guardian: GUARDIAN,
    dao: DAO,
    steward: STEWARD,
    guardianActions: [],
    fallBack: {},
  };
}

/** A DashboardChain over `state` (mutate it between reads). */
export function fakeChain(state: FakeChainState): DashboardChain {
  const up = () => {
    if (state.down) throw new Error(state.down);
  };
  return {
    head: async () => (up(), state.head),
    oracle: async () => (up(), { threshold: state.threshold, signers: state.signers, paused: state.paused }),
    asset: async (address) => {
      up();
      const s = state.states[address.toLowerCase()] ?? { ltv: 0, liquidationThreshold: 0, liquidationBonus: 0, round: 0, updatedAt: 0 };
      const last = state.events.filter((e) => e.asset.toLowerCase() === address.toLowerCase()).at(-1);
      return {
        state: s,
        bounds: BOUNDS,
        provenance: { modelId: last?.modelId ?? `0x${'0'.repeat(64)}`, inputsRoot: last?.inputsRoot ?? `0x${'0'.repeat(64)}` },
        ...(s.round === 0 ? { market: { ltv: 7_000, liquidationThreshold: 7_500, liquidationBonus: 10_800 } } : {}),
      };
    },
    parameterEvents: async () => (up(), state.events),
    transaction: async (hash) => (up(), state.transactions[hash] ?? { gasUsed: null, signers: [], updates: null }),
    epochs: async () => (up(), { latest: state.latestEpoch, epochs: state.epochs }),
    challenges: async () => (up(), [...state.challenges]),
    models: async () => (up(), state.models),
    activeModels: async () => (up(), state.active),
    submissions: async () => (up(), structuredClone(state.submissions)),
    guardian: async () => (
      up(),
      { guardian: state.guardian, dao: state.dao, steward: state.steward, actions: structuredClone(state.guardianActions) }
    ),
    fallBack: async (asset) => (
      up(),
      state.steward === null ? null : (state.fallBack[asset.toLowerCase()] ?? { appliedRound: 0, previous: null })
    ),
  };
}

/** Publishes a round on the fake chain: its state, its event and its transaction. */
export function publishOnFake(state: FakeChainState, asset: string, round: number, ltv: number, tx: string): ChainParameterEvent {
  state.head = { number: state.head.number + 1, timestamp: state.head.timestamp + 12 };
  const e: ChainParameterEvent = {
    asset,
    round,
    ltv,
    liquidationThreshold: ltv + 500,
    liquidationBonus: 10_500,
    modelId: COLLATERAL_MODEL,
    inputsRoot: ROOT,
    blockNumber: state.head.number,
    t: state.head.timestamp,
    tx,
  };
  state.events.push(e);
  state.states[asset.toLowerCase()] = { ltv, liquidationThreshold: ltv + 500, liquidationBonus: 10_500, round, updatedAt: e.t };
  // one more asset in the same transaction: a batch
  const batch = state.transactions[tx];
  state.transactions[tx] = {
    gasUsed: batch ? batch.gasUsed! + 60_000 : 123_456,
    signers: state.signers,
    updates: (batch?.updates ?? 0) + 1,
  };
  return e;
}

/** A snapshot with something in every section, including text that would be markup if it were not escaped. */
export function sampleSnapshot(): DashboardSnapshot {
  const evil = '<img src=x onerror=alert(1)>';
  return {
    generatedAt: 1_750_000_100,
    chain: {
      chainId: 31337,
      head: { number: 120, timestamp: 1_750_000_000 },
      riskOracle: CONTRACTS.riskOracle,
      creditScoreRegistry: CONTRACTS.creditScoreRegistry,
      modelRegistry: CONTRACTS.modelRegistry,
      threshold: 2,
      signers: ['0x1000000000000000000000000000000000000001', '0x2000000000000000000000000000000000000002'],
      paused: false,
    },
    health: {
      healthy: false,
      problems: [`indexer 80 blocks behind (limit 50) ${evil}`],
      indexedBlock: 40,
      lagBlocks: 80,
      maxLagBlocks: 50,
      prices: [{ symbol: 'WETH', source: 'csv', latest: 1_749_996_400, ageSeconds: 3_600 }],
    },
    assets: [
      {
        symbol: 'WETH',
        address: WETH,
        onChain: { ltv: 7_500, liquidationThreshold: 8_000, liquidationBonus: 10_500, round: 2, updatedAt: 1_749_990_000 },
        bounds: BOUNDS,
        provenance: { modelId: MODEL, inputsRoot: ROOT },
        proposal: {
          round: 3,
          status: 'held',
          ltv: 7_300,
          liquidationThreshold: 7_800,
          liquidationBonus: 10_500,
          raw: { ltv: 6_900, liquidationThreshold: 7_400, liquidationBonus: 10_600 },
          atBlock: 118,
          createdAt: 1_749_999_000,
          decisions: [{ guard: 'drift', decision: 'hold', reason: `feature volatility PSI 0.4 > 0.25 ${evil}` }],
        },
        history: [
          { round: 1, t: 1_749_900_000, ltv: 7_200, liquidationThreshold: 7_700, liquidationBonus: 10_500 },
          { round: 2, t: 1_749_990_000, ltv: 7_500, liquidationThreshold: 8_000, liquidationBonus: 10_500 },
        ],
        prices: {
          source: 'csv',
          points: [
            { t: 1_749_900_000, p: 2_300 },
            { t: 1_749_996_400, p: 2_250.5 },
          ],
        },
      },
      {
        symbol: evil,
        address: GOV,
        onChain: { ltv: 0, liquidationThreshold: 0, liquidationBonus: 0, round: 0, updatedAt: 0 },
        market: { ltv: 7_000, liquidationThreshold: 7_500, liquidationBonus: 10_800 },
        bounds: BOUNDS,
        provenance: { modelId: `0x${'0'.repeat(64)}`, inputsRoot: `0x${'0'.repeat(64)}` },
        proposal: null,
        history: [],
        prices: { source: 'none', points: [] },
      },
    ],
    rounds: [
      {
        asset: WETH,
        symbol: 'WETH',
        round: 3,
        ltv: 7_300,
        liquidationThreshold: 7_800,
        liquidationBonus: 10_500,
        status: 'held',
        time: 1_749_999_000,
        blockNumber: null,
        tx: null,
        gasUsed: null,
        batchAssets: null,
        gasPerAsset: null,
        signers: [],
        verify: { state: 'unknown', reason: 'held by a guard: never sent' },
      },
      {
        asset: WETH,
        symbol: 'WETH',
        round: 2,
        ltv: 7_500,
        liquidationThreshold: 8_000,
        liquidationBonus: 10_500,
        status: 'published',
        time: 1_749_990_000,
        blockNumber: 100,
        tx: `0x${'12'.repeat(32)}`,
        gasUsed: 180_000,
        batchAssets: 2,
        gasPerAsset: 90_000,
        signers: ['0x1000000000000000000000000000000000000001', '0x2000000000000000000000000000000000000002'],
        verify: { state: 'mismatch', fields: [`ltv: published 7500, derived 7400 ${evil}`] },
      },
    ],
    guards: [
      {
        time: 1_749_999_000,
        subject: `round:${WETH}:3`,
        symbol: 'WETH',
        round: 3,
        guard: 'step',
        decision: 'clip',
        reason: `ltv clipped to the 300 bps step ${evil}`,
      },
    ],
    drift: {
      subject: 'epoch:2',
      epoch: 2,
      time: 1_749_998_500,
      decision: 'hold',
      reason: `feature drift against the training data: borrow_count (PSI 0.410) ${evil}`,
      threshold: 0.25,
      psi: { age_days: 0.09, borrow_count: 0.41, repay_ratio: 0.12, open_collateral_vol_7d: 4.9 },
      outOfSupport: { open_collateral_vol_7d: 0.025 },
    },
    alerts: [{ time: 1_749_999_000, severity: 'critical', kind: 'drift', message: `drift on WETH ${evil}` }],
    credit: {
      latestEpoch: 2,
      epochs: [
        {
          epoch: 2,
          status: 'invalidated',
          wallets: 30,
          root: ROOT,
          modelId: MODEL,
          publishedAt: 1_749_990_000,
          closesAt: 1_750_076_400,
          invalidated: true,
          tx: `0x${'34'.repeat(32)}`,
          gasUsed: 90_000,
          signers: [],
          verify: { state: 'mismatch', fields: ['1 score(s) differ from the model'] },
        },
        {
          epoch: 1,
          status: 'published',
          wallets: 30,
          root: ROOT,
          modelId: MODEL,
          publishedAt: 1_749_900_000,
          closesAt: 1_749_986_400,
          invalidated: false,
          tx: `0x${'56'.repeat(32)}`,
          gasUsed: 90_000,
          signers: ['0x1000000000000000000000000000000000000001'],
          verify: { state: 'verified' },
        },
      ],
      challenges: [
        {
          epoch: 2,
          challenger: '0x3000000000000000000000000000000000000003',
          wallet: '0x4000000000000000000000000000000000000004',
          publishedScore: 800,
          recomputedScore: 640,
          bondPaid: '100000000000000000',
          tx: `0x${'78'.repeat(32)}`,
          time: 1_749_995_000,
        },
      ],
      distribution: {
        epoch: 1,
        count: 30,
        mean: 612.4,
        min: 420,
        max: 801,
        p10: 480,
        median: 615,
        p90: 760,
        buckets: [
          { from: 400, count: 4 },
          { from: 600, count: 20 },
          { from: 800, count: 6 },
        ],
      },
    },
    models: {
      models: [
        { modelId: MODEL, kind: 'credit', status: 'Active', index: 1, inForce: ['credit epoch 1'], metrics: { auc: 0.8312, brier: 0.11 } },
        { modelId: CANDIDATE, kind: 'credit', status: 'Candidate', index: 2, inForce: [], metrics: { auc: 0.84 } },
        { modelId: REJECTED, kind: 'credit', status: 'Rejected', index: 3, inForce: [], metrics: {} },
      ],
      active: { credit: MODEL, collateral: null },
      submissions: [
        {
          modelId: CANDIDATE,
          kind: 'credit',
          status: 'Candidate',
          index: 2,
          submitter: '0x5000000000000000000000000000000000000005',
          bond: '100000000000000000',
          snapshotId: `0x${'51'.repeat(32)}`,
          claimHash: `0x${'c1'.repeat(32)}`,
          tx: `0x${'9a'.repeat(32)}`,
          time: 1_749_950_000,
          disputes: [
            {
              disputer: '0x6000000000000000000000000000000000000006',
              bond: '50000000000000000',
              evidenceHash: `0x${'e1'.repeat(32)}`,
              tx: `0x${'9b'.repeat(32)}`,
              time: 1_749_960_000,
              resolution: {
                upheld: false,
                winner: '0x5000000000000000000000000000000000000005',
                award: '150000000000000000',
                tx: `0x${'9c'.repeat(32)}`,
                time: 1_749_970_000,
              },
            },
          ],
        },
        {
          modelId: REJECTED,
          kind: 'credit',
          status: 'Rejected',
          index: 3,
          submitter: '0x5000000000000000000000000000000000000005',
          bond: '100000000000000000',
          snapshotId: `0x${'51'.repeat(32)}`,
          claimHash: `0x${'c2'.repeat(32)}`,
          tx: `0x${'9d'.repeat(32)}`,
          time: 1_749_980_000,
          disputes: [
            {
              disputer: '0x6000000000000000000000000000000000000006',
              bond: '50000000000000000',
              evidenceHash: `0x${'e2'.repeat(32)}`,
              tx: `0x${'9e'.repeat(32)}`,
              time: 1_749_985_000,
              resolution: null,
            },
          ],
        },
      ],
      shadow: [
        {
          modelId: CANDIDATE,
          status: 'Candidate',
          total: 2,
          points: [1_749_960_000, 1_749_990_000].map((at, i) => ({
            modelId: CANDIDATE,
            referenceModelId: MODEL,
            at,
            wallets: 120,
            rankCorrelation: 0.91 + i * 0.02,
            meanAbsScoreDiff: 14.25 - i,
            maxAbsScoreDiff: 61,
            meanPd: 0.052,
            referenceMeanPd: 0.049,
            cutoff: 650,
            decisionFlips: 9 - i * 2,
          })),
        },
      ],
      collateralShadow: [
        {
          modelId: COLLATERAL_CANDIDATE,
          status: 'Candidate',
          total: 3,
          points: [
            { at: 1_749_900_000, meanAbsLtDiff: 80, maxAbsLtDiff: 150 },
            {
              at: 1_749_950_000,
              meanAbsLtDiff: 65,
              maxAbsLtDiff: 120,
              badDebtPct: { candidate: 0.0141, reference: 0.0092 },
            },
            {
              at: 1_749_990_000,
              meanAbsLtDiff: 50,
              maxAbsLtDiff: 100,
              badDebtPct: { candidate: 0.0123, reference: 0.0088 },
            },
          ],
          newest: {
            modelId: COLLATERAL_CANDIDATE,
            referenceModelId: COLLATERAL_MODEL,
            at: 1_749_990_000,
            assets: [
              {
                symbol: 'WETH',
                proposed: { ltv: 7_350, liquidationThreshold: 7_900, liquidationBonus: 10_550 },
                reference: { ltv: 7_500, liquidationThreshold: 7_900, liquidationBonus: 10_500 },
                diff: { ltv: -150, liquidationThreshold: 0, liquidationBonus: 50 },
                predictedMove: 0.1234,
              },
              {
                symbol: evil,
                proposed: { ltv: 6_000, liquidationThreshold: 6_800, liquidationBonus: 10_800 },
                reference: { ltv: 5_900, liquidationThreshold: 6_700, liquidationBonus: 10_800 },
                diff: { ltv: 100, liquidationThreshold: 100, liquidationBonus: 0 },
                predictedMove: 0.3,
              },
            ],
            meanAbsLtDiff: 50,
            maxAbsLtDiff: 100,
            meanAbsLtvDiff: 125,
            skipped: [],
            backtest: {
              from: 1_747_000_000,
              to: 1_749_900_000,
              steps: 806,
              candidate: { badDebtPct: 0.0123, meanLtv: 0.7412, liquidations: 31 },
              reference: { badDebtPct: 0.0088, meanLtv: 0.7266, liquidations: 27 },
              referenceBasis: 'model in force',
            },
          },
        },
      ],
    },
    guardian: {
      paused: true,
      guardian: GUARDIAN,
      dao: DAO,
      steward: STEWARD,
      actions: [
        {
          contract: 'RiskSteward',
          event: 'ParametersRestored',
          time: 1_749_998_000,
          blockNumber: 117,
          tx: `0x${'a2'.repeat(32)}`,
          actor: GUARDIAN,
          role: 'guardian',
          asset: WETH,
          symbol: 'WETH',
          round: 2,
          values: { ltv: 7_200, liquidationThreshold: 7_700, liquidationBonus: 10_500 },
          details: [],
        },
        {
          contract: 'RiskOracle',
          event: 'Paused',
          time: 1_749_997_000,
          blockNumber: 116,
          tx: `0x${'a1'.repeat(32)}`,
          actor: GUARDIAN,
          role: 'guardian',
          asset: null,
          symbol: null,
          round: null,
          values: null,
          details: [],
        },
        {
          contract: 'RiskOracle',
          event: 'GuardianSet',
          time: 1_749_800_000,
          blockNumber: 20,
          tx: `0x${'a0'.repeat(32)}`,
          actor: 'the DAO (only it sets the guardian)',
          role: null,
          asset: null,
          symbol: null,
          round: null,
          values: null,
          details: [
            { name: 'oldGuardian', value: '0x0000000000000000000000000000000000000000' },
            { name: 'guardian', value: GUARDIAN },
            { name: 'note', value: evil },
          ],
        },
      ],
      fallBack: [
        { symbol: 'WETH', address: WETH, oracleRound: 3, appliedRound: 2, previous: null, next: 'skip' },
        {
          symbol: evil,
          address: GOV,
          oracleRound: 1,
          appliedRound: 1,
          previous: { round: 1, ltv: 6_500, liquidationThreshold: 7_000, liquidationBonus: 10_900 },
          next: 'restore',
        },
      ],
    },
  };
}
