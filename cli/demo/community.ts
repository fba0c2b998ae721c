import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatEther, keccak256, type ContractRunner, type JsonRpcProvider } from 'ethers';
import type { Kysely } from 'kysely';
import type { Database } from '../../core';
import { UserError } from '../../core/errors';
import type { ModelRegistry } from '../../contracts/build/types';
import {
  canonicalJson,
  claimDifferences,
  createCreditSnapshot,
  evaluateCredit,
  snapshotId,
  snapshotJson,
  storeCreditArtifact,
  storeSnapshot,
  type CreditEvaluation,
  type EvaluationSnapshot,
} from '../../models';
import type { Deployment } from '../../contracts';
import type { StepReporter } from '../progress';
import type { DemoCreditModel } from './credit';
import type { DemoSummary } from './run';

/**
 * The community path of issue #9, as `snapshot create`, `evaluate`, `model submit` and `model check` run it, on
 * the demo's own chain and database: a public snapshot of indexed data, claims (keccak256 of the canonical
 * evaluation) submitted with bonds, and a second party reproducing each claim from the files alone.
 */

const DAY = 86_400;

export interface DemoSnapshot {
  snapshot: EvaluationSnapshot;
  id: string;
  file: string;
}

/**
 * A public evaluation snapshot of the demo chain's indexed history up to `block`: observations every 3 days from
 * two weeks into the history, labels over the models' horizon (so every window closes by the block). Stored in the
 * database and written to `dir` (what a submitter would publish beside the artifact).
 */
export async function demoSnapshot(
  db: Kysely<Database>,
  chainId: number,
  options: { block: number; horizonSeconds: number; dir: string },
): Promise<DemoSnapshot> {
  const snapshot = await createCreditSnapshot(db, chainId, {
    block: options.block,
    horizonSeconds: options.horizonSeconds,
    everyDays: 3,
    minHistoryDays: 14,
    name: `demo-${chainId}-${options.block}-h${Math.round(options.horizonSeconds / DAY)}d`,
  });
  const id = await storeSnapshot(db, snapshot);
  if (id !== snapshotId(snapshot)) throw new Error(`snapshot stored under ${id}, its bytes hash to ${snapshotId(snapshot)}`);
  const file = path.join(options.dir, 'snapshot.json');
  writeFileSync(file, `${snapshotJson(snapshot)}\n`);
  return { snapshot, id, file };
}

export interface Claim {
  evaluation: CreditEvaluation;
  /** keccak256 of the evaluation's canonical JSON: what ModelRegistry stores. */
  hash: string;
}

/** The canonical evaluation of a model on the snapshot and its hash (what `evaluate` writes and `model check` recomputes). */
export function claimOf(model: Pick<DemoCreditModel, 'artifact' | 'modelId'>, snap: DemoSnapshot): Claim {
  const evaluation = evaluateCredit(model.artifact, { modelId: model.modelId, snapshotId: snap.id }, snap.snapshot);
  return { evaluation, hash: keccak256(Buffer.from(canonicalJson(evaluation))) };
}

/** A claim whose ROC-AUC was raised by `by`: what a submitter overselling a model would send. */
export function inflatedClaim(claim: Claim, by: number): Claim {
  const evaluation = { ...claim.evaluation, model: { ...claim.evaluation.model, rocAuc: claim.evaluation.model.rocAuc + by } };
  return { evaluation, hash: keccak256(Buffer.from(canonicalJson(evaluation))) };
}

export interface Submission {
  name: string;
  modelId: string;
  submitter: string;
  /** The claimed evaluation's hash, and the model's own figures the claim states. */
  claimHash: string;
  claimedAuc: number;
  bond: string;
  gas: number;
  file: string;
}

/**
 * `model submit`: registers the artifact as a candidate with the submission bond and the claim, and keeps its bytes
 * in the database (where the shadow step and the oracle find it). The artifact is written to `dir` as published.
 */
export async function submitModel(options: {
  db: Kysely<Database>;
  registry: ModelRegistry;
  submitter: ContractRunner & { getAddress(): Promise<string> };
  name: string;
  model: DemoCreditModel;
  snapshot: DemoSnapshot;
  claim: Claim;
  dir: string;
}): Promise<Submission> {
  const { model, claim } = options;
  const file = path.join(options.dir, `${options.name}.json`);
  writeFileSync(file, `${model.json}\n`);
  const registry = options.registry.connect(options.submitter);
  const bond = await registry.submissionBond();
  const receipt = await (
    await registry.submit(
      model.modelId,
      model.artifact.quantized.weightsHash,
      model.artifact.featureSpec.hash,
      0,
      `file://${file}`,
      options.snapshot.id,
      claim.hash,
      { value: bond },
    )
  ).wait();
  await storeCreditArtifact(options.db, { artifact: model.artifact, json: model.json, modelId: model.modelId });
  return {
    name: options.name,
    modelId: model.modelId,
    submitter: await options.submitter.getAddress(),
    claimHash: claim.hash,
    claimedAuc: claim.evaluation.model.rocAuc,
    bond: bond.toString(),
    gas: Number(receipt!.gasUsed),
    file,
  };
}

export interface CheckOutcome {
  modelId: string;
  reproduced: boolean;
  /** The ROC-AUC reproduced from the artifact and the snapshot. */
  auc: number;
  problems: string[];
  /** Set when the checker disputed the claim (with the dispute bond). */
  dispute?: { disputer: string; gas: number };
}

/**
 * `model check [--dispute]`: anyone recomputes the evaluation from the published artifact and snapshot and compares
 * it, with the weights and feature-spec hashes, to the registry's record; a claim that does not reproduce is
 * disputed with the dispute bond when `disputer` is given.
 */
export async function checkClaim(options: {
  registry: ModelRegistry;
  model: DemoCreditModel;
  snapshot: DemoSnapshot;
  disputer?: ContractRunner & { getAddress(): Promise<string> };
}): Promise<CheckOutcome> {
  const { registry, model } = options;
  const own = claimOf(model, options.snapshot);
  const [record, submission] = await Promise.all([registry.model(model.modelId), registry.submission(model.modelId)]);
  // field by field: an ethers Result spreads to its indices only
  const registered = {
    weightsHash: record.weightsHash,
    featureSpecHash: record.featureSpecHash,
    snapshotId: submission.snapshotId,
    claimHash: submission.claimHash,
  };
  const { problems, otherSnapshot } = claimDifferences(registered, {
    weightsHash: model.artifact.quantized.weightsHash,
    featureSpecHash: model.artifact.featureSpec.hash,
    snapshotId: options.snapshot.id,
    claimHash: own.hash,
  });
  if (otherSnapshot) problems.push(`the claim is on snapshot ${otherSnapshot}, not ${options.snapshot.id}`);
  const outcome: CheckOutcome = { modelId: model.modelId, reproduced: problems.length === 0, auc: own.evaluation.model.rocAuc, problems };
  if (problems.length && options.disputer) {
    const asDisputer = registry.connect(options.disputer);
    const receipt = await (await asDisputer.dispute(model.modelId, own.hash, { value: await registry.disputeBond() })).wait();
    outcome.dispute = { disputer: await options.disputer.getAddress(), gas: Number(receipt!.gasUsed) };
  }
  return outcome;
}

/** The DAO's decisions about a model, each one ModelRegistry call (as `model propose-promotion|uphold-dispute` build them). */
export const registryCalls = {
  promote: (registry: ModelRegistry, modelId: string) => ({
    target: String(registry.target),
    data: registry.interface.encodeFunctionData('setStatus', [modelId, 2]),
  }),
  upholdDispute: (registry: ModelRegistry, modelId: string) => ({
    target: String(registry.target),
    data: registry.interface.encodeFunctionData('resolveDispute', [modelId, true]),
  }),
};

/** ModelRegistry's Status enum, by value (as `model status` prints it). */
const STATUS = ['unknown', 'candidate', 'active', 'retired', 'disputed', 'rejected'] as const;

/**
 * The whole community story: a snapshot of the chain's indexed history; three submissions (the model to promote, a
 * candidate to shadow, and one whose claim is oversold); a watcher reproduces every claim and disputes the one that
 * does not reproduce; the DAO promotes the first and upholds the dispute by vote.
 */
export async function runCommunity(options: {
  steps: StepReporter;
  db: Kysely<Database>;
  chainId: number;
  d: Deployment;
  rpc: JsonRpcProvider;
  propose: (description: string, calls: Array<{ target: string; data: string }>) => Promise<void>;
  /** The block the indexer has reached: the snapshot is cut there. */
  lastBlock: number;
  dir: string;
  models: { credit: DemoCreditModel; shadow: DemoCreditModel; oversold: DemoCreditModel };
}): Promise<Omit<DemoSummary['community'], 'shadow'>> {
  const { steps, db, d, rpc } = options;
  const { credit, shadow, oversold } = options.models;
  mkdirSync(options.dir, { recursive: true });
  const snap = await steps.step('community: a public evaluation snapshot of the indexed chain (rows, labels, keccak256 id)', () =>
    demoSnapshot(db, options.chainId, { block: options.lastBlock, horizonSeconds: credit.artifact.horizonSeconds, dir: options.dir }),
  );
  steps.note(
    `snapshot ${snap.id.slice(0, 10)}…: ${snap.snapshot.count} rows, ${snap.snapshot.positives} defaults, up to block ${snap.snapshot.block}`,
  );
  // every claim is a ranking metric: a snapshot of one class measures nothing (a small or calm market)
  if (snap.snapshot.positives === 0 || snap.snapshot.positives === snap.snapshot.count)
    throw new UserError(
      `the demo's chain gave its evaluation snapshot ${snap.snapshot.positives} defaults in ${snap.snapshot.count} rows, one class only, so no claim can be measured on it: run with more --wallets (100 or more) or --days`,
    );
  const [alice, bob, mallory, watcher] = await Promise.all([5, 6, 7, 8].map((i) => rpc.getSigner(i)));
  const entries = [
    { name: 'alice-mlp', model: credit, submitter: alice!, description: `MLP, seed 1, ${credit.trainingWallets} histories` },
    { name: 'bob-mlp', model: shadow, submitter: bob!, description: `MLP, seed 2, ${shadow.trainingWallets} histories` },
    {
      name: 'mallory-mlp',
      model: oversold,
      submitter: mallory!,
      description: `MLP, seed 3, ${oversold.trainingWallets} histories; claims +0.05 AUC`,
    },
  ];
  const submitted = await steps.step(
    'community: three models submitted to ModelRegistry with bonds and claims (one oversold)',
    async () => {
      const out: Submission[] = [];
      for (const e of entries) {
        const honest = claimOf(e.model, snap);
        const claim = e.model === oversold ? inflatedClaim(honest, 0.05) : honest;
        writeFileSync(path.join(options.dir, `${e.name}-claim.json`), `${canonicalJson(claim.evaluation)}\n`);
        out.push(
          await submitModel({
            db,
            registry: d.models,
            submitter: e.submitter,
            name: e.name,
            model: e.model,
            snapshot: snap,
            claim,
            dir: options.dir,
          }),
        );
      }
      return out;
    },
  );
  for (const s of submitted)
    steps.note(`${s.name} ${s.modelId.slice(0, 10)}…: claims ROC-AUC ${s.claimedAuc.toFixed(4)}, bond ${formatEther(s.bond)} ETH`);
  const checks = await steps.step(
    'community: a watcher reproduces every claim from the published files; the oversold one is disputed',
    async () => {
      const out: CheckOutcome[] = [];
      for (const e of entries) out.push(await checkClaim({ registry: d.models, model: e.model, snapshot: snap, disputer: watcher }));
      return out;
    },
  );
  for (const [i, c] of checks.entries())
    steps.note(
      `${entries[i]!.name}: ${c.reproduced ? 'reproduces' : `does NOT reproduce (${c.problems.join('; ')}), disputed`} (ROC-AUC ${c.auc.toFixed(4)})`,
    );
  await steps.step(`DAO: promote ${entries[0]!.name} to the credit model in force (propose, vote, queue, execute)`, () =>
    options.propose(`Promote credit model ${credit.modelId}`, [registryCalls.promote(d.models, credit.modelId)]),
  );
  await steps.step(`DAO: uphold the dispute against ${entries[2]!.name} (both bonds to the watcher)`, () =>
    options.propose(`Uphold the dispute against credit model ${oversold.modelId}`, [
      registryCalls.upholdDispute(d.models, oversold.modelId),
    ]),
  );
  const statuses = await Promise.all(entries.map(async (e) => STATUS[Number((await d.models.model(e.model.modelId)).status)] ?? 'unknown'));
  const active = await d.models.activeModel(0);
  if (active !== credit.modelId) throw new Error(`the promotion did not take: the model in force is ${active}, not ${credit.modelId}`);
  return {
    snapshot: {
      id: snap.id,
      name: snap.snapshot.name,
      block: snap.snapshot.block,
      rows: snap.snapshot.count,
      positives: snap.snapshot.positives,
      file: snap.file,
    },
    submissions: submitted.map((s, i) => ({ ...s, description: entries[i]!.description, check: checks[i]!, status: statuses[i]! })),
    promoted: credit.modelId,
    rejected: oversold.modelId,
    disputerOwed: (await d.models.owed(await watcher!.getAddress())).toString(),
  };
}
