import { createMetricsRegistry, Gauge } from '../../core';
import { createTestDatabase } from '../../core/test/db';
import { recordCollateralShadow, recordShadow, type CollateralShadow, type CreditShadow } from '../shadow';
import { addSignature, raiseAlert, saveEpoch, saveRound, setRoundStatus, type RoundRecord } from '../store';
import type { ChainGuardianAction, ChainSubmission } from './chain';
import { gatherSnapshot, type GatherOptions } from './gather';
import { scoreDistribution, thin } from './queries';
import {
  COLLATERAL_MODEL,
  CONTRACTS,
  DAO,
  fakeChain,
  fakeChainState,
  GOV,
  GUARDIAN,
  MODEL,
  publishOnFake,
  ROOT,
  STEWARD,
  WETH,
  type FakeChainState,
} from './testing';
import type { DashboardVerifier } from './verify';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;
const CHAIN = 31337;

const round = (asset: string, n: number, ltv: number, status: RoundRecord['status']): RoundRecord => ({
  chainId: CHAIN,
  asset,
  round: n,
  ltv,
  liquidationThreshold: ltv + 500,
  liquidationBonus: 10_500,
  modelId: MODEL,
  inputsRoot: ROOT,
  validUntil: 2_000_000_000,
  atBlock: 100 + n,
  status,
  explanation: {
    at: 1_700_000_000,
    symbol: asset === WETH ? 'WETH' : 'GOV',
    proposed: { ltv: ltv - 400, liquidationThreshold: ltv + 100, liquidationBonus: 10_600 },
  },
});

describe(`dashboard data (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'}, a chain in memory)`, () => {
  let h: TestDb;
  let chain: FakeChainState;
  let options: GatherOptions;

  beforeAll(async () => {
    h = await createTestDatabase();
    chain = fakeChainState();
    options = { db: h.db, chainId: CHAIN, chain: fakeChain(chain), contracts: CONTRACTS, maxIndexerLagBlocks: 50 };

    // WETH: round 1 published; round 2 held by the drift guard after a clip
    await saveRound(h.db, round(WETH, 1, 7_200, 'published'), []);
    publishOnFake(chain, WETH, 1, 7_200, `0x${'01'.repeat(32)}`);
    await saveRound(h.db, round(WETH, 2, 7_500, 'held'), [
      { guard: 'step', decision: 'clip', reason: 'ltv clipped to the 300 bps step' },
      { guard: 'drift', decision: 'hold', reason: 'volatility PSI 0.41 > 0.25' },
      { guard: 'invariants', decision: 'pass', reason: 'ok' },
    ]);
    // GOV: round 1 proposed, two of the signers have signed so far
    await saveRound(h.db, round(GOV, 1, 5_000, 'proposed'), []);
    await setRoundStatus(h.db, CHAIN, GOV, 1, 'signed', '0xdigest');
    for (const signer of chain.signers)
      await addSignature(h.db, { chainId: CHAIN, digest: '0xdigest', signer, kind: 'parameters', signature: '{}' });
    await raiseAlert(h.db, 'warning', 'drift', 'WETH held: volatility drifted');

    await h.db
      .insertInto('indexer_checkpoints')
      .values({ chain_id: CHAIN, source: 'rpc:aave-pool', block_number: 100, block_hash: null, cursor: null })
      .execute();
    await h.db
      .insertInto('price_points')
      .values(
        Array.from({ length: 10 }, (_, i) => ({
          chain_id: 0,
          asset: 'WETH',
          source: 'csv',
          timestamp: 1_700_000_000 + i * 3_600,
          price_usd: String(2_000 + i),
          block_number: null,
        })),
      )
      .execute();
    await h.db
      .insertInto('price_points')
      .values({
        chain_id: CHAIN,
        asset: GOV,
        source: 'chainlink',
        timestamp: chain.head.timestamp - 60,
        price_usd: '12.5',
        block_number: 99,
      })
      .execute();

    // credit: epoch 1 published with 5 wallets, epoch 2 proposed only
    const leaves = [300, 455, 610, 640, 850].map((score, i) => ({
      wallet: `0x${String(i + 1).padStart(40, '0')}`,
      score,
      pd: 10n ** 16n * BigInt(i + 1),
      featuresHash: `0x${'00'.repeat(32)}`,
      features: '0x',
    }));
    await saveEpoch(h.db, { chainId: CHAIN, epoch: 1, root: ROOT, modelId: MODEL, atBlock: 90, status: 'published', leaves });
    await saveEpoch(h.db, {
      chainId: CHAIN,
      epoch: 2,
      root: `0x${'ee'.repeat(32)}`,
      modelId: MODEL,
      atBlock: 110,
      status: 'proposed',
      leaves: leaves.slice(0, 2),
      // the drift guard passed it: a pass is not among the clips and holds, but it is the epoch's drift view
      decisions: [
        {
          guard: 'drift',
          decision: 'pass',
          reason: "every feature's PSI ≤ 0.25",
          details: { psi: { age_days: 0.04, borrow_count: 0.11 }, threshold: 0.25 },
        },
      ],
    });
    chain.latestEpoch = 1;
    chain.epochs = [
      {
        epoch: 1,
        root: ROOT,
        modelId: MODEL,
        walletCount: 5,
        publishedAt: 1_700_000_500,
        closesAt: 1_700_086_900,
        invalidated: false,
        tx: `0x${'0e'.repeat(32)}`,
        blockNumber: 95,
      },
    ];
    chain.transactions[`0x${'0e'.repeat(32)}`] = { gasUsed: 91_000, signers: chain.signers, updates: 1 };
    chain.models = [{ modelId: MODEL, kind: 'credit', status: 'Active', index: 1 }];
    await h.db
      .insertInto('model_artifacts')
      .values({
        model_id: MODEL,
        kind: 'credit',
        weights_hash: null,
        feature_spec_hash: '0x01',
        seed: 42,
        backend: 'cpu',
        metrics: JSON.stringify({ auc: 0.83 }),
        artifact: '{}',
      })
      .execute();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('shows each asset in force on-chain beside its bounds, its newest proposal with the guards that held it, its history and prices', async () => {
    const s = await gatherSnapshot(options);
    const weth = s.assets.find((a) => a.symbol === 'WETH')!;
    expect(weth.onChain).toMatchObject({ ltv: 7_200, round: 1 });
    expect(weth.bounds.max.ltv).toBe(8_000);
    expect(weth.proposal).toMatchObject({ round: 2, status: 'held', ltv: 7_500, raw: { ltv: 7_100 }, atBlock: 102 });
    expect(weth.proposal!.decisions).toEqual([
      { guard: 'step', decision: 'clip', reason: 'ltv clipped to the 300 bps step' },
      { guard: 'drift', decision: 'hold', reason: 'volatility PSI 0.41 > 0.25' },
    ]);
    expect(weth.history).toEqual([{ round: 1, t: chain.events[0]!.t, ltv: 7_200, liquidationThreshold: 7_700, liquidationBonus: 10_500 }]);
    expect(weth.prices.source).toBe('csv');
    expect(weth.prices.points).toHaveLength(10);
    const gov = s.assets.find((a) => a.symbol === 'GOV')!;
    expect(gov.onChain.round).toBe(0);
    expect(gov.market).toEqual({ ltv: 7_000, liquidationThreshold: 7_500, liquidationBonus: 10_800 });
    // no CSV prices for GOV: the indexed feed's answers
    expect(gov.prices).toEqual({ source: 'chainlink', points: [{ t: chain.head.timestamp - 60, p: 12.5 }] });
  });

  it('lists rounds newest first: published ones from the chain with gas and recovered signers, others with their status and the signatures so far', async () => {
    const s = await gatherSnapshot(options);
    expect(s.rounds.map((r) => [r.symbol, r.round, r.status])).toEqual(
      expect.arrayContaining([
        ['WETH', 1, 'published'],
        ['WETH', 2, 'held'],
        ['GOV', 1, 'signed'],
      ]),
    );
    const published = s.rounds.find((r) => r.status === 'published')!;
    expect(published).toMatchObject({
      gasUsed: 123_456,
      batchAssets: 1,
      gasPerAsset: 123_456,
      signers: chain.signers,
      tx: `0x${'01'.repeat(32)}`,
      verify: { state: 'unknown', reason: 'verification is off' },
    });
    expect(s.rounds.find((r) => r.symbol === 'GOV')).toMatchObject({ signers: chain.signers.map((x) => x.toLowerCase()), tx: null });
    expect(s.rounds.find((r) => r.status === 'held')!.verify).toEqual({ state: 'unknown', reason: 'held by a guard: never sent' });
  });

  it("shares a batch's gas among the assets it updated", async () => {
    const batch = fakeChainState();
    const tx = `0x${'0b'.repeat(32)}`;
    publishOnFake(batch, WETH, 1, 7_200, tx);
    publishOnFake(batch, GOV, 1, 5_000, tx);
    const s = await gatherSnapshot({ ...options, chain: fakeChain(batch) });
    const onChain = s.rounds.filter((r) => r.status === 'published');
    expect(onChain).toHaveLength(2);
    for (const r of onChain) expect(r).toMatchObject({ gasUsed: 183_456, batchAssets: 2, gasPerAsset: 91_728 });
    expect(s.rounds.find((r) => r.status !== 'published' && r.symbol === 'WETH')).toMatchObject({ gasUsed: null, gasPerAsset: null });
  });

  it("takes each round's verification from the verifier", async () => {
    const verifier: DashboardVerifier = {
      rounds: async (events) => new Map(events.map((e) => [`${e.asset.toLowerCase()}:${e.round}`, { state: 'mismatch', fields: ['ltv'] }])),
      epochs: async (epochs) => new Map(epochs.map((e) => [e.epoch, { state: 'verified' }])),
    };
    const s = await gatherSnapshot({ ...options, verifier });
    expect(s.rounds.find((r) => r.status === 'published')!.verify).toEqual({ state: 'mismatch', fields: ['ltv'] });
    expect(s.credit.epochs.find((e) => e.epoch === 1)!.verify).toEqual({ state: 'verified' });
  });

  it('resolves guard subjects to symbols, lists open alerts, and says how far the indexer lags', async () => {
    const s = await gatherSnapshot(options);
    expect(s.guards.map((g) => [g.symbol, g.round, g.guard, g.decision])).toEqual([
      ['WETH', 2, 'drift', 'hold'],
      ['WETH', 2, 'step', 'clip'],
    ]);
    expect(s.alerts).toMatchObject([{ severity: 'warning', kind: 'drift', message: 'WETH held: volatility drifted' }]);
    expect(s.health).toMatchObject({
      indexedBlock: 100,
      lagBlocks: chain.head.number - 100,
      maxLagBlocks: 50,
      healthy: true,
      problems: [],
    });
    expect(s.health.prices.find((p) => p.symbol === 'GOV')).toEqual({
      symbol: 'GOV',
      source: 'chainlink',
      latest: chain.head.timestamp - 60,
      ageSeconds: 60,
    });
    chain.head = { ...chain.head, number: 200 };
    const late = await gatherSnapshot(options);
    expect(late.health).toMatchObject({ healthy: false, problems: ['indexer 100 blocks behind (limit 50)'], lagBlocks: 100 });
  });

  it("uses the daemon's health and figures when it serves the page", async () => {
    const registry = createMetricsRegistry({ defaults: false });
    new Gauge({ name: 'risk_oracle_round', help: 'latest published round per asset', labelNames: ['asset'], registers: [registry] }).set(
      { asset: 'WETH' },
      1,
    );
    new Gauge({ name: 'risk_oracle_other', help: 'not shown', registers: [registry] }).set(5);
    const s = await gatherSnapshot({
      ...options,
      metrics: registry,
      health: async () => ({
        healthy: false,
        problems: ['job round failed on its last run'],
        details: { nextRuns: { round: '2026-01-01T00:00:00.000Z' } },
      }),
    });
    expect(s.health).toMatchObject({
      healthy: false,
      problems: ['job round failed on its last run'],
      nextRuns: { round: '2026-01-01T00:00:00.000Z' },
    });
    expect(s.health.metrics).toEqual([{ name: 'risk_oracle_round', help: 'latest published round per asset', value: 'WETH: 1' }]);
  });

  it('merges epochs from the chain and the database, with the distribution of the newest published one', async () => {
    const s = await gatherSnapshot(options);
    expect(s.drift).toMatchObject({
      subject: 'epoch:2',
      epoch: 2,
      decision: 'pass',
      reason: "every feature's PSI ≤ 0.25",
      threshold: 0.25,
      psi: { age_days: 0.04, borrow_count: 0.11 },
      outOfSupport: {},
    });
    expect(s.credit.latestEpoch).toBe(1);
    expect(s.credit.epochs.map((e) => [e.epoch, e.status, e.wallets, e.tx !== null])).toEqual([
      [2, 'proposed', 2, false],
      [1, 'published', 5, true],
    ]);
    expect(s.credit.epochs[1]).toMatchObject({ gasUsed: 91_000, signers: chain.signers, closesAt: 1_700_086_900 });
    expect(s.credit.distribution).toMatchObject({ epoch: 1, count: 5, min: 300, max: 850, median: 610, mean: 571 });
    expect(s.credit.distribution!.buckets).toEqual([
      { from: 300, count: 1 },
      { from: 450, count: 1 },
      { from: 600, count: 1 },
      { from: 625, count: 1 },
      { from: 850, count: 1 },
    ]);
  });

  it('names the model in force per kind, with the metrics the database holds', async () => {
    const s = await gatherSnapshot(options);
    expect(s.models.models).toEqual([
      { modelId: COLLATERAL_MODEL, kind: 'collateral', status: 'unregistered', index: null, inForce: ['RiskOracle: WETH'], metrics: {} },
      { modelId: MODEL, kind: 'credit', status: 'Active', index: 1, inForce: ['credit epoch 1'], metrics: { auc: 0.83 } },
    ]);
  });

  it('shows the model in force by vote, bonded submissions with their disputes, and the candidates shadow results', async () => {
    const candidate = `0x${'ca'.repeat(32)}`;
    chain.active = { credit: MODEL, collateral: null };
    chain.models = [
      { modelId: MODEL, kind: 'credit', status: 'Active', index: 1 },
      { modelId: candidate, kind: 'credit', status: 'Rejected', index: 2 },
    ];
    const submission: ChainSubmission = {
      modelId: candidate,
      submitter: '0x5000000000000000000000000000000000000005',
      bond: '100000000000000000',
      snapshotId: `0x${'51'.repeat(32)}`,
      claimHash: `0x${'c1'.repeat(32)}`,
      tx: `0x${'9a'.repeat(32)}`,
      time: 1_700_000_100,
      disputes: [
        {
          disputer: '0x6000000000000000000000000000000000000006',
          bond: '50000000000000000',
          evidenceHash: `0x${'e1'.repeat(32)}`,
          tx: `0x${'9b'.repeat(32)}`,
          time: 1_700_000_200,
          resolution: {
            upheld: true,
            winner: '0x6000000000000000000000000000000000000006',
            award: '150000000000000000',
            tx: `0x${'9c'.repeat(32)}`,
            time: 1_700_000_300,
          },
        },
      ],
    };
    chain.submissions = [submission];
    const figures = (at: number, rank: number): CreditShadow => ({
      modelId: candidate,
      referenceModelId: MODEL,
      at,
      wallets: 40,
      rankCorrelation: rank,
      meanAbsScoreDiff: 12.5,
      maxAbsScoreDiff: 40,
      meanPd: 0.05,
      referenceMeanPd: 0.04,
      cutoff: 650,
      decisionFlips: 3,
    });
    await recordShadow(h.db, CHAIN, [figures(1_700_000_000, 0.9)]);
    await recordShadow(h.db, CHAIN, [figures(1_700_003_600, 0.93)]);
    await recordShadow(h.db, CHAIN + 1, [figures(1_700_000_000, 0.1)]);
    // a collateral candidate (another kind of row in the same table): its newest comparison in full, every one as
    // a point over time, with the backtest's bad debt where one was recorded
    const collateralCandidate = `0x${'c7'.repeat(32)}`;
    const collateral = (at: number, ltv: number, lt: number, badDebt?: [number, number]): CollateralShadow => ({
      modelId: collateralCandidate,
      referenceModelId: `0x${'c0'.repeat(32)}`,
      at,
      assets: [
        {
          symbol: 'WETH',
          proposed: { ltv, liquidationThreshold: 8_000 + lt, liquidationBonus: 10_500 },
          reference: { ltv: 7_500, liquidationThreshold: 8_000, liquidationBonus: 10_500 },
          diff: { ltv: ltv - 7_500, liquidationThreshold: lt, liquidationBonus: 0 },
          predictedMove: 0.125,
        },
      ],
      meanAbsLtDiff: Math.abs(lt),
      maxAbsLtDiff: Math.abs(lt),
      meanAbsLtvDiff: Math.abs(ltv - 7_500),
      skipped: [],
      ...(badDebt
        ? {
            backtest: {
              from: at - 86_400,
              to: at,
              steps: 24,
              candidate: { badDebtPct: badDebt[0], meanLtv: ltv / 10_000, liquidations: 3 },
              reference: { badDebtPct: badDebt[1], meanLtv: 0.75, liquidations: 2 },
              referenceBasis: 'empirical quantile' as const,
            },
          }
        : {}),
    });
    await recordCollateralShadow(h.db, CHAIN, [collateral(1_700_000_000, 7_400, -120)]);
    await recordCollateralShadow(h.db, CHAIN, [collateral(1_700_003_600, 7_350, 60, [0.0125, 0.0091])]);
    try {
      const s = await gatherSnapshot(options);
      expect(s.models.active).toEqual({ credit: MODEL, collateral: null });
      expect(s.models.submissions).toEqual([{ ...submission, kind: 'credit', status: 'Rejected', index: 2 }]);
      expect(s.models.shadow).toEqual([
        { modelId: candidate, status: 'Rejected', total: 2, points: [figures(1_700_000_000, 0.9), figures(1_700_003_600, 0.93)] },
      ]);
      expect(s.models.collateralShadow).toEqual([
        {
          modelId: collateralCandidate,
          status: 'unregistered',
          total: 2,
          newest: collateral(1_700_003_600, 7_350, 60, [0.0125, 0.0091]),
          points: [
            { at: 1_700_000_000, meanAbsLtDiff: 120, maxAbsLtDiff: 120 },
            { at: 1_700_003_600, meanAbsLtDiff: 60, maxAbsLtDiff: 60, badDebtPct: { candidate: 0.0125, reference: 0.0091 } },
          ],
        },
      ]);
    } finally {
      chain.models = [{ modelId: MODEL, kind: 'credit', status: 'Active', index: 1 }];
      chain.submissions = [];
      await h.db.deleteFrom('shadow_results').execute();
    }
  });

  it("lists the guardian's and the DAO's safety actions newest first, with the asset and the restored values, and what a fall-back would restore", async () => {
    const action = (event: string, block: number, args: Record<string, string>, extra: Partial<ChainGuardianAction> = {}) => ({
      contract: event === 'ParametersRestored' ? ('RiskSteward' as const) : ('RiskOracle' as const),
      event,
      args,
      blockNumber: block,
      logIndex: 0,
      tx: `0x${String(block).padStart(64, '0')}`,
      t: 1_700_000_000 + block,
      ...extra,
    });
    chain.guardianActions = [
      action(
        'GuardianSet',
        10,
        { oldGuardian: '0x0000000000000000000000000000000000000000', guardian: GUARDIAN },
        { actor: 'the DAO (only it sets the guardian)' },
      ),
      action('Paused', 11, { by: GUARDIAN }),
      action('ParametersRestored', 12, {
        asset: WETH,
        round: '1',
        ltv: '7000',
        liquidationThreshold: '7500',
        liquidationBonus: '10800',
        by: GUARDIAN,
      }),
      action('Unpaused', 13, { by: DAO }),
    ];
    chain.paused = true;
    chain.fallBack = {
      [WETH]: { appliedRound: 1, previous: null },
      [GOV]: { appliedRound: 1, previous: { round: 1, ltv: 6_000, liquidationThreshold: 6_500, liquidationBonus: 11_000 } },
    };
    try {
      const g = (await gatherSnapshot({ ...options, limits: { actions: 3 } })).guardian;
      expect(g.paused).toBe(true);
      expect([g.guardian, g.dao, g.steward]).toEqual([GUARDIAN, DAO, STEWARD]);
      // the newest three, newest first
      expect(g.actions.map((a) => a.event)).toEqual(['Unpaused', 'ParametersRestored', 'Paused']);
      expect(g.actions[0]).toMatchObject({
        actor: DAO,
        role: 'DAO',
        asset: null,
        values: null,
        details: [],
        blockNumber: 13,
        time: 1_700_000_013,
      });
      expect(g.actions[1]).toEqual({
        contract: 'RiskSteward',
        event: 'ParametersRestored',
        time: 1_700_000_012,
        blockNumber: 12,
        tx: `0x${'12'.padStart(64, '0')}`,
        actor: GUARDIAN,
        role: 'guardian',
        asset: WETH,
        symbol: 'WETH',
        round: 1,
        values: { ltv: 7_000, liquidationThreshold: 7_500, liquidationBonus: 10_800 },
        details: [],
      });
      const all = (await gatherSnapshot(options)).guardian.actions;
      // an event without `by`: who alone may emit it, and its other arguments by name
      expect(all.at(-1)).toMatchObject({
        event: 'GuardianSet',
        actor: 'the DAO (only it sets the guardian)',
        role: null,
        details: [
          { name: 'oldGuardian', value: '0x0000000000000000000000000000000000000000' },
          { name: 'guardian', value: GUARDIAN },
        ],
      });
      expect(g.fallBack).toEqual([
        { symbol: 'WETH', address: WETH, oracleRound: 1, appliedRound: 1, previous: null, next: null },
        {
          symbol: 'GOV',
          address: GOV,
          oracleRound: 0,
          appliedRound: 1,
          previous: { round: 1, ltv: 6_000, liquidationThreshold: 6_500, liquidationBonus: 11_000 },
          next: 'restore',
        },
      ]);
      // a deployment without a steward: no fall-back is read
      chain.steward = null;
      expect((await gatherSnapshot(options)).guardian).toMatchObject({ steward: null, fallBack: [] });
    } finally {
      chain.guardianActions = [];
      chain.paused = false;
      chain.fallBack = {};
      chain.steward = STEWARD;
    }
  });

  it('summarises a large epoch in SQL and thins long price series keeping the newest point', async () => {
    expect(await scoreDistribution(h.db, CHAIN, 99)).toBeNull();
    const points = Array.from({ length: 1_001 }, (_, i) => i);
    const thinned = thin(points, 100);
    expect(thinned.length).toBeLessThanOrEqual(100);
    expect(thinned.at(-1)).toBe(1_000);
    expect(thin([1, 2, 3], 10)).toEqual([1, 2, 3]);
  });
});
