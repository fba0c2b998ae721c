import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { Database } from '../../core';
import { indexedBlock } from '../freshness';
import { nextFallBack } from '../guardian';
import type { HealthReport } from '../server';
import { collateralShadowHistory, shadowHistory } from '../shadow';
import type { ChainParameterEvent, DashboardChain, DashboardContracts, RegistryModel } from './chain';
import {
  artifactMetrics,
  guardDecisions,
  latestEpochDrift,
  latestProposal,
  openAlerts,
  priceSeries,
  recentEpochs,
  recentRounds,
  scoreDistribution,
  shadowedModels,
  storedSigners,
} from './queries';
import type {
  AssetView,
  CollateralShadowPoint,
  CollateralShadowView,
  CreditView,
  DashboardSnapshot,
  EpochView,
  FallBackView,
  GuardianActionView,
  GuardianView,
  HealthView,
  ModelsView,
  ModelView,
  RoundView,
  ShadowView,
} from './types';
import { roundKey, type DashboardVerifier } from './verify';

export interface GatherOptions {
  db: Kysely<Database>;
  chainId: number;
  chain: DashboardChain;
  contracts: DashboardContracts;
  verifier?: DashboardVerifier;
  /** Most blocks the indexer may lag before the page says so (config `oracle.maxIndexerLagBlocks`). */
  maxIndexerLagBlocks: number;
  /** The daemon's own health (failed jobs, schedules); without it the page checks the indexer lag itself. */
  health?: () => Promise<HealthReport>;
  /** The daemon's metrics registry: its oracle figures are shown. */
  metrics?: Registry;
  /** How many rounds, guard decisions, epochs and safety actions to list. Defaults: 24, 30, 12, 30. */
  limits?: { rounds?: number; guards?: number; epochs?: number; actions?: number };
  now?: () => number;
}

/** The daemon's figures worth a line on the page (the rest of /metrics is Node's own). */
const DAEMON_METRICS = [
  'risk_oracle_round',
  'risk_oracle_last_publish_timestamp_seconds',
  'risk_oracle_guard_holds_total',
  'risk_oracle_gas_used_total',
  'risk_oracle_job_runs_total',
];
const ZERO = /^0x0*$/;
const PRICE_POINTS = 5_000;
const CHART_POINTS = 400;
/** Shadow comparisons shown per candidate: the newest this many. */
const SHADOW_POINTS = 60;

/** One consistent look at the oracle: the chain (what is in force) beside the database (what was proposed, why). */
export async function gatherSnapshot(o: GatherOptions): Promise<DashboardSnapshot> {
  const { db, chainId, chain, contracts } = o;
  const limits = { rounds: 24, guards: 30, epochs: 12, actions: 30, ...o.limits };
  const [head, oracle, events] = await Promise.all([chain.head(), chain.oracle(), chain.parameterEvents()]);
  const symbols = new Map(contracts.reserves.map((r) => [r.address.toLowerCase(), r.symbol]));

  const assets: AssetView[] = [];
  for (const r of contracts.reserves) {
    const [state, proposal, prices] = await Promise.all([
      chain.asset(r.address),
      latestProposal(db, chainId, r.address),
      priceSeries(db, chainId, r, { limit: PRICE_POINTS, maxPoints: CHART_POINTS }),
    ]);
    assets.push({
      symbol: r.symbol,
      address: r.address,
      onChain: state.state,
      ...(state.market ? { market: state.market } : {}),
      bounds: state.bounds,
      provenance: state.provenance,
      proposal,
      history: events
        .filter((e) => e.asset.toLowerCase() === r.address.toLowerCase())
        .map((e) => ({
          round: e.round,
          t: e.t,
          ltv: e.ltv,
          liquidationThreshold: e.liquidationThreshold,
          liquidationBonus: e.liquidationBonus,
        })),
      prices,
    });
  }

  const [rounds, guards, drift, alerts, health, credit, guardian] = await Promise.all([
    gatherRounds(o, events, symbols, limits.rounds),
    guardDecisions(db, chainId, symbols, limits.guards),
    latestEpochDrift(db, chainId),
    openAlerts(db, 20),
    gatherHealth(o, head, assets),
    gatherCredit(o, limits.epochs),
    gatherGuardian(o, oracle.paused, assets, symbols, limits.actions),
  ]);
  return {
    generatedAt: Math.floor((o.now?.() ?? Date.now()) / 1000),
    chain: {
      chainId,
      head,
      riskOracle: contracts.riskOracle,
      creditScoreRegistry: contracts.creditScoreRegistry,
      modelRegistry: contracts.modelRegistry,
      ...oracle,
    },
    health,
    assets,
    rounds,
    guards,
    drift,
    alerts,
    credit,
    models: await gatherModels(o, assets, credit),
    guardian,
  };
}

/** Event arguments shown in their own columns (the rest are listed by name). */
const ACTION_FIELDS = new Set(['by', 'asset', 'round', 'ltv', 'liquidationThreshold', 'liquidationBonus']);

/**
 * Whether RiskOracle is paused and who may act, the safety actions logged (newest first), and per asset what a
 * fall-back would restore now (the same reads as `guardian status`).
 */
async function gatherGuardian(
  o: GatherOptions,
  paused: boolean,
  assets: AssetView[],
  symbols: Map<string, string>,
  limit: number,
): Promise<GuardianView> {
  const { guardian, dao, steward, actions } = await o.chain.guardian();
  const role = (actor: string | null) =>
    actor === null
      ? null
      : actor.toLowerCase() === guardian.toLowerCase()
        ? 'guardian'
        : actor.toLowerCase() === dao.toLowerCase()
          ? 'DAO'
          : null;
  const num = (v: string | undefined) => (v === undefined ? null : Number(v));
  const views = actions
    .slice(-limit)
    .reverse()
    .map((a): GuardianActionView => {
      const { by, asset, round, ltv, liquidationThreshold, liquidationBonus } = a.args;
      const actor = by ?? a.actor ?? null;
      return {
        contract: a.contract,
        event: a.event,
        time: a.t,
        blockNumber: a.blockNumber,
        tx: a.tx,
        actor,
        role: by === undefined ? null : role(actor),
        asset: asset ?? null,
        symbol: asset === undefined ? null : (symbols.get(asset.toLowerCase()) ?? null),
        round: num(round),
        values:
          ltv === undefined || liquidationThreshold === undefined || liquidationBonus === undefined
            ? null
            : { ltv: Number(ltv), liquidationThreshold: Number(liquidationThreshold), liquidationBonus: Number(liquidationBonus) },
        details: Object.entries(a.args)
          .filter(([name]) => !ACTION_FIELDS.has(name))
          .map(([name, value]) => ({ name, value })),
      };
    });
  const fallBack: FallBackView[] = [];
  for (const a of assets) {
    const state = await o.chain.fallBack(a.address);
    if (state)
      fallBack.push({
        symbol: a.symbol,
        address: a.address,
        oracleRound: a.onChain.round,
        ...state,
        next: nextFallBack(a.onChain.round, state),
      });
  }
  return { paused, guardian, dao, steward, actions: views, fallBack };
}

/** Published rounds (from their events: tx, gas, recovered signers, verification) and proposals not on-chain. */
async function gatherRounds(
  o: GatherOptions,
  events: ChainParameterEvent[],
  symbols: Map<string, string>,
  limit: number,
): Promise<RoundView[]> {
  const verified = o.verifier ? await o.verifier.rounds(events) : new Map();
  const published: RoundView[] = [];
  for (const e of events.slice(-limit).reverse()) {
    const tx = await o.chain.transaction(e.tx);
    published.push({
      asset: e.asset,
      symbol: symbols.get(e.asset.toLowerCase()) ?? e.asset,
      round: e.round,
      ltv: e.ltv,
      liquidationThreshold: e.liquidationThreshold,
      liquidationBonus: e.liquidationBonus,
      status: 'published',
      time: e.t,
      blockNumber: e.blockNumber,
      tx: e.tx,
      gasUsed: tx.gasUsed,
      batchAssets: tx.updates,
      gasPerAsset: tx.gasUsed === null || !tx.updates ? null : Math.round(tx.gasUsed / tx.updates),
      signers: tx.signers,
      verify: verified.get(roundKey(e.asset, e.round)) ?? { state: 'unknown', reason: 'verification is off' },
    });
  }
  const onChain = new Set(events.map((e) => roundKey(e.asset, e.round)));
  const pending: RoundView[] = [];
  for (const r of await recentRounds(o.db, o.chainId, limit)) {
    if (onChain.has(roundKey(r.asset, r.round))) continue;
    pending.push({
      asset: r.asset,
      symbol: symbols.get(r.asset) ?? r.asset,
      round: r.round,
      ltv: r.ltv,
      liquidationThreshold: r.liquidationThreshold,
      liquidationBonus: r.liquidationBonus,
      status: r.status,
      time: r.createdAt,
      blockNumber: null,
      tx: null,
      gasUsed: null,
      batchAssets: null,
      gasPerAsset: null,
      signers: r.digest ? await storedSigners(o.db, o.chainId, r.digest) : [],
      verify: {
        state: 'unknown',
        reason:
          r.status === 'held'
            ? 'held by a guard: never sent'
            : r.status === 'published' || r.status === 'applied'
              ? `the database says ${r.status}, but this chain has no such publication`
              : 'not on-chain yet',
      },
    });
  }
  return [...pending, ...published].sort((a, b) => b.time - a.time || b.round - a.round).slice(0, limit);
}

async function gatherHealth(o: GatherOptions, head: { number: number; timestamp: number }, assets: AssetView[]): Promise<HealthView> {
  const at = (await indexedBlock(o.db, o.chainId)) ?? null;
  const lag = at === null ? null : head.number - at;
  const daemon = o.health ? await o.health() : undefined;
  const problems = daemon
    ? daemon.problems
    : at === null
      ? ['nothing indexed yet']
      : lag! > o.maxIndexerLagBlocks
        ? [`indexer ${lag} blocks behind (limit ${o.maxIndexerLagBlocks})`]
        : [];
  const nextRuns = daemon?.details?.nextRuns as Record<string, string> | undefined;
  const metrics = o.metrics
    ? (await o.metrics.getMetricsAsJSON())
        .filter((m) => DAEMON_METRICS.includes(m.name))
        .map((m) => ({
          name: m.name,
          help: m.help,
          value:
            m.values
              .map((v) => {
                const labels = Object.values(v.labels ?? {}).join(' ');
                return labels ? `${labels}: ${v.value}` : String(v.value);
              })
              .join(', ') || '0',
        }))
    : undefined;
  return {
    healthy: problems.length === 0,
    problems,
    indexedBlock: at,
    lagBlocks: lag,
    maxLagBlocks: o.maxIndexerLagBlocks,
    prices: assets.map((a) => {
      const latest = a.prices.points.at(-1)?.t ?? null;
      return { symbol: a.symbol, source: a.prices.source, latest, ageSeconds: latest === null ? null : head.timestamp - latest };
    }),
    ...(nextRuns ? { nextRuns } : {}),
    ...(metrics ? { metrics } : {}),
  };
}

/** Epochs (chain and database merged), challenges, and the score distribution of the newest valid epoch. */
async function gatherCredit(o: GatherOptions, limit: number): Promise<CreditView> {
  const [{ latest, epochs: chainEpochs }, stored, challenges] = await Promise.all([
    o.chain.epochs(),
    recentEpochs(o.db, o.chainId, limit),
    o.chain.challenges(),
  ]);
  const verified = o.verifier ? await o.verifier.epochs(chainEpochs.slice(-limit)) : new Map();
  const numbers = [...new Set([...chainEpochs.map((e) => e.epoch), ...stored.map((e) => e.epoch)])].sort((a, b) => b - a).slice(0, limit);
  const epochs: EpochView[] = [];
  for (const n of numbers) {
    const c = chainEpochs.find((e) => e.epoch === n);
    const s = stored.find((e) => e.epoch === n);
    const tx = c ? await o.chain.transaction(c.tx) : undefined;
    epochs.push({
      epoch: n,
      status: c ? (c.invalidated ? 'invalidated' : 'published') : s!.status,
      wallets: c?.walletCount ?? s!.wallets,
      root: c?.root ?? s!.root,
      modelId: c?.modelId ?? s!.modelId,
      publishedAt: c?.publishedAt ?? null,
      closesAt: c?.closesAt ?? null,
      invalidated: c?.invalidated ?? false,
      tx: c?.tx ?? null,
      gasUsed: tx?.gasUsed ?? null,
      signers: tx ? tx.signers : s?.digest ? await storedSigners(o.db, o.chainId, s.digest) : [],
      verify: verified.get(n) ?? { state: 'unknown', reason: c ? 'verification is off' : 'not on-chain yet' },
    });
  }
  const current = epochs.find((e) => e.status === 'published' && stored.some((s) => s.epoch === e.epoch));
  return {
    latestEpoch: latest,
    epochs,
    challenges: challenges.reverse(),
    distribution: current ? await scoreDistribution(o.db, o.chainId, current.epoch) : null,
  };
}

/**
 * The registry's models and the ones actually in use (RiskOracle's provenance per asset, the newest valid epoch's),
 * the model in force per kind, bonded submissions with their disputes, and the candidates' shadow results.
 */
async function gatherModels(o: GatherOptions, assets: AssetView[], credit: CreditView): Promise<ModelsView> {
  const [registered, metrics, active, submitted, shadowed, collateralShadowed] = await Promise.all([
    o.chain.models(),
    artifactMetrics(o.db),
    o.chain.activeModels(),
    o.chain.submissions(),
    shadowedModels(o.db, o.chainId, 'credit'),
    shadowedModels(o.db, o.chainId, 'collateral'),
  ]);
  const byId = new Map(registered.map((m) => [m.modelId.toLowerCase(), m]));
  const status = (modelId: string) => byId.get(modelId.toLowerCase())?.status ?? 'unregistered';
  const submissions = submitted.map((s) => {
    const m = byId.get(s.modelId.toLowerCase());
    return { ...s, kind: m?.kind ?? null, status: m?.status ?? 'unregistered', index: m?.index ?? null };
  });
  const shadow: ShadowView[] = [];
  for (const { modelId, total } of shadowed) {
    const points = (await shadowHistory(o.db, o.chainId, modelId)).slice(-SHADOW_POINTS);
    shadow.push({ modelId, status: status(modelId), points, total });
  }
  const collateralShadow: CollateralShadowView[] = [];
  for (const { modelId, total } of collateralShadowed) {
    const history = (await collateralShadowHistory(o.db, o.chainId, modelId)).slice(-SHADOW_POINTS);
    const points = history.map((r): CollateralShadowPoint => ({
      at: r.at,
      meanAbsLtDiff: r.meanAbsLtDiff,
      maxAbsLtDiff: r.maxAbsLtDiff,
      ...(r.backtest && !('unavailable' in r.backtest)
        ? { badDebtPct: { candidate: r.backtest.candidate.badDebtPct, reference: r.backtest.reference.badDebtPct } }
        : {}),
    }));
    collateralShadow.push({ modelId, status: status(modelId), newest: history.at(-1)!, points, total });
  }
  return { models: modelViews(registered, metrics, assets, credit), active, submissions, shadow, collateralShadow };
}

function modelViews(
  registered: RegistryModel[],
  metrics: Awaited<ReturnType<typeof artifactMetrics>>,
  assets: AssetView[],
  credit: CreditView,
): ModelView[] {
  const views = new Map<string, ModelView>();
  const view = (modelId: string, kind: ModelView['kind']): ModelView => {
    const key = modelId.toLowerCase();
    if (!views.has(key))
      views.set(key, { modelId, kind, status: 'unregistered', index: null, inForce: [], metrics: metrics.get(key)?.metrics ?? {} });
    return views.get(key)!;
  };
  for (const m of registered) Object.assign(view(m.modelId, m.kind), { status: m.status, index: m.index });
  const collateral = new Map<string, string[]>();
  for (const a of assets)
    if (!ZERO.test(a.provenance.modelId)) collateral.set(a.provenance.modelId, [...(collateral.get(a.provenance.modelId) ?? []), a.symbol]);
  for (const [id, symbols] of collateral) view(id, 'collateral').inForce.push(`RiskOracle: ${symbols.join(', ')}`);
  const epoch = credit.epochs.find((e) => e.status === 'published');
  if (epoch) view(epoch.modelId, 'credit').inForce.push(`credit epoch ${epoch.epoch}`);
  for (const [id, m] of metrics) if (!views.has(id)) view(id, m.kind);
  const order = (m: ModelView) => (m.inForce.length ? 0 : m.status === 'Active' ? 1 : m.status === 'Candidate' ? 2 : 3);
  return [...views.values()].sort((a, b) => a.kind.localeCompare(b.kind) || order(a) - order(b) || (a.index ?? 1e9) - (b.index ?? 1e9));
}
