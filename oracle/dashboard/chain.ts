import { recoverAddress, Signature, type Log, type Provider } from 'ethers';
import { batchDigest, creditRegistryDomain, epochDigest, riskOracleDomain, updateDigest, type ParameterUpdate } from '../../contracts';
import {
  CreditScoreRegistry__factory,
  ModelRegistry__factory,
  RiskOracle__factory,
  RiskSteward__factory,
} from '../../contracts/build/types';
import { aaveSeed, assetBounds, type SeedSource } from '../chain-state';
import { decodeGuardianLog, fallBackState, guardianTopics, type FallBackState, type GuardianLog } from '../guardian';
import type { AssetBounds, CollateralParams } from '../guards';
import { queryLogsInRanges, type LogRangeOptions } from '../logs';
import type { ChallengeView, ParameterState } from './types';

/** The contracts a dashboard reads: from a deployment JSON (`chain deploy`) or the daemon's own. */
export interface DashboardContracts {
  riskOracle: string;
  creditScoreRegistry: string;
  modelRegistry: string;
  /** The RiskSteward that applies rounds to Aave (its fall-backs are the guardian's); absent in older deployments. */
  riskSteward?: string;
  /** Aave's AaveProtocolDataProvider: the market's own parameters before the oracle's first round. */
  dataProvider?: string;
  reserves: Array<{ symbol: string; address: string }>;
  /** Where to start reading events (the deployment's block). */
  fromBlock: number;
}

export interface ChainParameterEvent extends CollateralParams {
  asset: string;
  round: number;
  modelId: string;
  inputsRoot: string;
  blockNumber: number;
  t: number;
  tx: string;
}

export interface ChainEpoch {
  epoch: number;
  root: string;
  modelId: string;
  walletCount: number;
  publishedAt: number;
  closesAt: number;
  invalidated: boolean;
  tx: string;
  blockNumber: number;
}

export interface RegistryModel {
  modelId: string;
  kind: 'credit' | 'collateral';
  status: string;
  index: number;
}

export interface ChainTransaction {
  gasUsed: number | null;
  signers: string[];
  updates: number | null;
}

/** A dispute against a submitted model (ModelDisputed) and, once the DAO decided, its outcome (DisputeResolved). */
export interface ChainDispute {
  disputer: string;
  /** Wei, as a decimal string. */
  bond: string;
  evidenceHash: string;
  tx: string;
  time: number;
  resolution: { upheld: boolean; winner: string; award: string; tx: string; time: number } | null;
}

/** A model submitted with a bond and a claim (ModelSubmitted), with every dispute against it, oldest first. */
export interface ChainSubmission {
  modelId: string;
  submitter: string;
  /** Wei, as a decimal string. */
  bond: string;
  /** keccak256 of the evaluation snapshot the claim is on. */
  snapshotId: string;
  /** keccak256 of the canonical evaluation JSON the submitter claims `evaluate` gives. */
  claimHash: string;
  tx: string;
  time: number;
  disputes: ChainDispute[];
}

/** A logged safety action (see `GUARDIAN_EVENTS`) with its block's time. */
export interface ChainGuardianAction extends GuardianLog {
  t: number;
}

/** RiskOracle's guardian and owner (the DAO's timelock), and the safety actions logged since the deployment. */
export interface ChainGuardian {
  guardian: string;
  dao: string;
  steward: string | null;
  /** Oldest first (the newest 2,000). */
  actions: ChainGuardianAction[];
}

/** What the dashboard reads from the chain; `createDashboardChain` reads it over JSON-RPC, tests may fake it. */
export interface DashboardChain {
  head(): Promise<{ number: number; timestamp: number }>;
  oracle(): Promise<{ threshold: number; signers: string[]; paused: boolean }>;
  asset(address: string): Promise<{
    state: ParameterState;
    bounds: AssetBounds;
    provenance: { modelId: string; inputsRoot: string };
    market?: CollateralParams;
  }>;
  /** ParametersUpdated events since the deployment (the newest 2,000), oldest first. */
  parameterEvents(): Promise<ChainParameterEvent[]>;
  /**
   * A publication's gas, the signers its signatures recover to (empty when it is not a direct call), and how many
   * parameter updates its calldata carries (a batch's assets; 1 for a single update or an epoch; null when unknown).
   */
  transaction(hash: string): Promise<ChainTransaction>;
  /** The registry's latest epoch number and its newest published epochs (32), oldest first. */
  epochs(): Promise<{ latest: number; epochs: ChainEpoch[] }>;
  challenges(): Promise<ChallengeView[]>;
  models(): Promise<RegistryModel[]>;
  /** ModelRegistry.activeModel per kind: the model the DAO put in force (null when none). */
  activeModels(): Promise<{ credit: string | null; collateral: string | null }>;
  /** Models submitted by anyone with a bond (not the DAO's own registrations), with their disputes, oldest first. */
  submissions(): Promise<ChainSubmission[]>;
  guardian(): Promise<ChainGuardian>;
  /** What a guardian fall-back would restore for the asset now; null when the deployment names no steward. */
  fallBack(asset: string): Promise<FallBackState | null>;
}

/** A ParameterUpdate as ethers decodes it from calldata (integers as bigint). */
interface DecodedUpdate {
  asset: string;
  ltv: bigint;
  liquidationThreshold: bigint;
  liquidationBonus: bigint;
  round: bigint;
  validUntil: bigint;
  modelId: string;
  inputsRoot: string;
}

const STATUS = ['Unknown', 'Candidate', 'Active', 'Retired', 'Disputed', 'Rejected'];
/** Blocks after which an event is taken as final and never read again. */
const FINALITY = 12;
const MAX_MODELS = 256;
/** Publications read with their block times (the history chart and the rounds table): the newest this many. */
const MAX_EVENTS = 2_000;
/** Epochs whose on-chain state (window, invalidation) is read on each refresh: the newest this many. */
const MAX_EPOCHS = 32;

/**
 * Reads logs incrementally: final ones (older than FINALITY blocks) are kept, the newer tail is read again on
 * every call, so a short reorg never leaves a removed event on the page. Ranges are bounded (`queryLogsInRanges`),
 * smaller where the RPC refuses.
 */
function logScanner(fromBlock: number, query: (from: number, to: number) => Promise<Log[]>, range?: LogRangeOptions) {
  let final: Log[] = [];
  let finalTo = fromBlock - 1;
  return async (head: number): Promise<Log[]> => {
    const fresh = await queryLogsInRanges(query, finalTo + 1, head, range);
    // kept only once every range was read: a failed read leaves nothing half-stored
    final = [...final, ...fresh.filter((l) => l.blockNumber <= head - FINALITY)];
    finalTo = Math.max(finalTo, head - FINALITY);
    return [...final, ...fresh.filter((l) => l.blockNumber > head - FINALITY)];
  };
}

/** Reads the deployment's RiskOracle, CreditScoreRegistry and ModelRegistry; block times and transactions are cached. */
export function createDashboardChain(
  provider: Provider,
  chainId: number,
  contracts: DashboardContracts,
  options: { logRange?: LogRangeOptions } = {},
): DashboardChain {
  const oracle = RiskOracle__factory.connect(contracts.riskOracle, provider);
  const registry = CreditScoreRegistry__factory.connect(contracts.creditScoreRegistry, provider);
  const models = ModelRegistry__factory.connect(contracts.modelRegistry, provider);
  const seed: SeedSource | undefined = contracts.dataProvider ? aaveSeed(contracts.dataProvider, provider) : undefined;
  const blockTimes = new Map<number, number>();
  const transactions = new Map<string, ChainTransaction>();
  const oracleDomain = riskOracleDomain(chainId, contracts.riskOracle);
  const registryDomain = creditRegistryDomain(chainId, contracts.creditScoreRegistry);
  const scan = (query: (from: number, to: number) => Promise<Log[]>) => logScanner(contracts.fromBlock, query, options.logRange);
  const updates = scan((from, to) => oracle.queryFilter(oracle.filters.ParametersUpdated(), from, to));
  const published = scan((from, to) => registry.queryFilter(registry.filters.EpochPublished(), from, to));
  const invalidated = scan((from, to) => registry.queryFilter(registry.filters.EpochInvalidated(), from, to));
  // submissions, disputes and their outcomes: three events of one contract, read in one call per range
  const submissionTopics = (['ModelSubmitted', 'ModelDisputed', 'DisputeResolved'] as const).map(
    (e) => models.interface.getEvent(e)!.topicHash,
  );
  const modelEvents = scan((from, to) =>
    provider.getLogs({ address: contracts.modelRegistry, topics: [submissionTopics], fromBlock: from, toBlock: to }),
  );
  // the guardian's and the DAO's safety actions on RiskOracle and the steward, read in one call per range
  const steward = contracts.riskSteward ? RiskSteward__factory.connect(contracts.riskSteward, provider) : undefined;
  const safetyTopics = guardianTopics();
  const safetyEvents = scan((from, to) =>
    provider.getLogs({
      address: [contracts.riskOracle, ...(contracts.riskSteward ? [contracts.riskSteward] : [])],
      topics: [[...safetyTopics.RiskOracle, ...safetyTopics.RiskSteward]],
      fromBlock: from,
      toBlock: to,
    }),
  );

  const blockTime = async (n: number): Promise<number> => {
    const cached = blockTimes.get(n);
    if (cached !== undefined) return cached;
    const block = await provider.getBlock(n);
    if (!block) throw new Error(`block ${n} is not on this chain`);
    blockTimes.set(n, block.timestamp);
    return block.timestamp;
  };
  const headNumber = () => provider.getBlockNumber();

  /** The signers whose signatures a publication carried, recovered from its calldata and the EIP-712 digest. */
  const decodeCall = (data: string): { signers: string[]; updates: number | null } => {
    const signatures = (sigs: Array<{ v: bigint; r: string; s: string }>, digest: string) =>
      sigs.map((s) => recoverAddress(digest, Signature.from({ v: Number(s.v), r: s.r, s: s.s })));
    const asUpdate = (u: DecodedUpdate): ParameterUpdate => ({
      asset: u.asset,
      ltv: Number(u.ltv),
      liquidationThreshold: Number(u.liquidationThreshold),
      liquidationBonus: Number(u.liquidationBonus),
      round: BigInt(u.round),
      validUntil: BigInt(u.validUntil),
      modelId: u.modelId,
      inputsRoot: u.inputsRoot,
    });
    const call = oracle.interface.parseTransaction({ data });
    if (call?.name === 'publishBatch') {
      const batch = call.args[0] as DecodedUpdate[];
      return { signers: signatures(call.args[1], batchDigest(oracleDomain, batch.map(asUpdate))), updates: batch.length };
    }
    if (call?.name === 'publish')
      return { signers: signatures(call.args[1], updateDigest(oracleDomain, asUpdate(call.args[0]))), updates: 1 };
    const epoch = registry.interface.parseTransaction({ data });
    if (epoch?.name === 'publishEpoch') {
      const [n, root, modelId, walletCount, sigs] = epoch.args as unknown as [
        bigint,
        string,
        string,
        bigint,
        Array<{ v: bigint; r: string; s: string }>,
      ];
      return { signers: signatures(sigs, epochDigest(registryDomain, { epoch: n, root, modelId, walletCount })), updates: 1 };
    }
    return { signers: [], updates: null };
  };

  return {
    async head() {
      const block = await provider.getBlock('latest');
      if (!block) throw new Error('the RPC returned no latest block');
      blockTimes.set(block.number, block.timestamp);
      return { number: block.number, timestamp: block.timestamp };
    },
    async oracle() {
      const [threshold, signers, paused] = await Promise.all([oracle.threshold(), oracle.signers(), oracle.paused()]);
      return { threshold: Number(threshold), signers: [...signers], paused };
    },
    async asset(address) {
      const [s, b, p] = await Promise.all([oracle.latest(address), oracle.bounds(address), oracle.provenance(address)]);
      const state = {
        ltv: Number(s.ltv),
        liquidationThreshold: Number(s.liquidationThreshold),
        liquidationBonus: Number(s.liquidationBonus),
        round: Number(s.round),
        updatedAt: Number(s.updatedAt),
      };
      return {
        state,
        bounds: assetBounds(b),
        provenance: { modelId: p.modelId, inputsRoot: p.inputsRoot },
        ...(state.round === 0 && seed ? { market: await seed(address) } : {}),
      };
    },
    async parameterEvents() {
      const logs = (await updates(await headNumber())).slice(-MAX_EVENTS);
      const out: ChainParameterEvent[] = [];
      for (const log of logs) {
        const e = oracle.interface.parseLog(log)!.args;
        out.push({
          asset: String(e.asset),
          round: Number(e.round),
          ltv: Number(e.ltv),
          liquidationThreshold: Number(e.liquidationThreshold),
          liquidationBonus: Number(e.liquidationBonus),
          modelId: String(e.modelId),
          inputsRoot: String(e.inputsRoot),
          blockNumber: log.blockNumber,
          t: await blockTime(log.blockNumber),
          tx: log.transactionHash,
        });
      }
      return out;
    },
    async transaction(hash) {
      const cached = transactions.get(hash);
      if (cached) return cached;
      const [tx, receipt] = await Promise.all([provider.getTransaction(hash), provider.getTransactionReceipt(hash)]);
      const found = { gasUsed: receipt ? Number(receipt.gasUsed) : null, ...(tx ? decodeCall(tx.data) : { signers: [], updates: null }) };
      if (receipt) transactions.set(hash, found);
      return found;
    },
    async epochs() {
      const head = await headNumber();
      const [latest, logs] = await Promise.all([registry.latestEpoch(), published(head)]);
      const epochs: ChainEpoch[] = [];
      for (const log of logs.slice(-MAX_EPOCHS)) {
        const e = registry.interface.parseLog(log)!.args;
        const { stored } = await registry.epochOf(e.epoch);
        epochs.push({
          epoch: Number(e.epoch),
          root: String(e.root),
          modelId: String(e.modelId),
          walletCount: Number(e.walletCount),
          publishedAt: Number(stored.publishedAt),
          closesAt: Number(stored.closesAt),
          invalidated: stored.invalidated,
          tx: log.transactionHash,
          blockNumber: log.blockNumber,
        });
      }
      return { latest: Number(latest), epochs };
    },
    async challenges() {
      const out: ChallengeView[] = [];
      for (const log of await invalidated(await headNumber())) {
        const e = registry.interface.parseLog(log)!.args;
        out.push({
          epoch: Number(e.epoch),
          challenger: String(e.challenger),
          wallet: String(e.wallet),
          publishedScore: Number(e.publishedScore),
          recomputedScore: Number(e.recomputedScore),
          bondPaid: String(e.bondPaid),
          tx: log.transactionHash,
          time: await blockTime(log.blockNumber),
        });
      }
      return out;
    },
    async activeModels() {
      const [credit, collateral] = await Promise.all([models.activeModel(0), models.activeModel(1)]);
      const id = (m: string) => (/^0x0+$/.test(m) ? null : m);
      return { credit: id(credit), collateral: id(collateral) };
    },
    async submissions() {
      const out = new Map<string, ChainSubmission>();
      for (const log of await modelEvents(await headNumber())) {
        const parsed = models.interface.parseLog(log);
        if (!parsed) continue;
        const e = parsed.args;
        const key = String(e.modelId).toLowerCase();
        const time = await blockTime(log.blockNumber);
        const tx = log.transactionHash;
        if (parsed.name === 'ModelSubmitted') {
          out.set(key, {
            modelId: String(e.modelId),
            submitter: String(e.submitter),
            bond: String(e.bond),
            snapshotId: String(e.snapshotId),
            claimHash: String(e.claimHash),
            tx,
            time,
            disputes: [],
          });
          continue;
        }
        const s = out.get(key);
        if (!s) continue;
        if (parsed.name === 'ModelDisputed')
          s.disputes.push({
            disputer: String(e.disputer),
            bond: String(e.bond),
            evidenceHash: String(e.evidenceHash),
            tx,
            time,
            resolution: null,
          });
        else {
          // the registry holds one open dispute at a time: an outcome resolves the newest dispute
          const open = s.disputes.at(-1);
          if (open && !open.resolution)
            open.resolution = { upheld: Boolean(e.upheld), winner: String(e.winner), award: String(e.award), tx, time };
        }
      }
      return [...out.values()];
    },
    async guardian() {
      const [guardian, dao, logs] = await Promise.all([oracle.guardian(), oracle.owner(), safetyEvents(await headNumber())]);
      const actions: ChainGuardianAction[] = [];
      for (const log of logs.slice(-MAX_EVENTS)) {
        const from = log.address.toLowerCase() === contracts.riskOracle.toLowerCase() ? 'RiskOracle' : 'RiskSteward';
        const action = decodeGuardianLog(from, log);
        if (action) actions.push({ ...action, t: await blockTime(log.blockNumber) });
      }
      return { guardian, dao, steward: contracts.riskSteward ?? null, actions };
    },
    async fallBack(asset) {
      return steward ? fallBackState(steward, asset) : null;
    },
    async models() {
      const out: RegistryModel[] = [];
      for (let index = 1; index <= MAX_MODELS; index++) {
        const modelId = await models.modelIdAt(index);
        if (/^0x0+$/.test(modelId)) break;
        const m = await models.model(modelId);
        out.push({ modelId, kind: m.kind === 0n ? 'credit' : 'collateral', status: STATUS[Number(m.status)] ?? String(m.status), index });
      }
      return out;
    },
  };
}
