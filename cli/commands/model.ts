import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { AbiCoder, id as idOf, keccak256, type JsonRpcProvider } from 'ethers';
import { connectProvider, UserError } from '../../core';
import { ModelRegistry__factory, RiskGovernor__factory, type ModelRegistry } from '../../contracts/build/types';
import { canonicalJson, claimDifferences, evaluateArtifact, readSnapshot, type AnyEvaluation } from '../../models';
import { loadSigner } from '../../oracle/keys';
import { commandContext, withDatabase, type CommandContext } from '../context';
import { readDeployment } from '../deployment';
import { keySource, withKeyOptions, type KeyOptions } from '../keys';
import { checkedModel, evaluationHeadline, storeCheckedModel, type CheckedModel } from './model-artifact';
import { parseTime } from './score';
import { dataChainId, wholeFlag } from './chain-id';
import { runCollateralShadow, runCreditShadow, type CollateralShadow } from '../../oracle/shadow';

/** A collateral shadow's backtest in one line: both policies over the same window, or why there is none. */
function backtestLine(b: CollateralShadow['backtest']): string {
  if (!b) return 'backtest: not run';
  if ('unavailable' in b) return `backtest: none (${b.unavailable})`;
  const side = (f: { badDebtPct: number; meanLtv: number }) =>
    `bad debt ${f.badDebtPct.toFixed(3)} %, mean LTV ${(f.meanLtv * 100).toFixed(1)} %`;
  return `backtest over ${b.steps} steps: candidate ${side(b.candidate)}; ${b.referenceBasis} ${side(b.reference)}`;
}

/** ModelRegistry's Status enum, by value. */
export const MODEL_STATUS = ['unknown', 'candidate', 'active', 'retired', 'disputed', 'rejected'] as const;
const KIND = ['credit', 'collateral'] as const;

const fail = (message: string): never => {
  throw new UserError(message);
};

/** The canonical evaluation of an artifact on a snapshot file, and its keccak256 (the claim). */
function evaluationOf(
  model: CheckedModel,
  artifactFile: string,
  snapshotFile: string,
): { evaluation: AnyEvaluation; json: string; hash: string; snapshotId: string } {
  let snap: ReturnType<typeof readSnapshot>;
  try {
    snap = readSnapshot(snapshotFile);
  } catch (err) {
    throw new UserError((err as Error).message, { cause: err });
  }
  let evaluation: AnyEvaluation;
  try {
    evaluation = evaluateArtifact(model.artifact, { modelId: model.modelId, snapshotId: snap.id }, snap.snapshot);
  } catch (err) {
    throw new UserError(`evaluate ${artifactFile} on ${snapshotFile}: ${(err as Error).message}`, { cause: err });
  }
  const json = canonicalJson(evaluation);
  return { evaluation, json, hash: keccak256(Buffer.from(json)), snapshotId: snap.id };
}

async function withRegistry<T>(
  ctx: CommandContext,
  keys: KeyOptions | undefined,
  fn: (registry: ModelRegistry, provider: JsonRpcProvider) => Promise<T>,
): Promise<T> {
  const file = ctx.config.chain.deployment ?? fail('model commands need a deployment file: --deployment FILE (written by chain deploy)');
  const deployment = readDeployment(file);
  const provider = await connectProvider(ctx.config.chain.rpcUrl, {
    timeoutMs: ctx.config.chain.timeoutMs,
    retries: ctx.config.chain.retries,
  });
  try {
    const runner = keys ? await loadSigner(keySource(keys), provider) : provider;
    return await fn(ModelRegistry__factory.connect(deployment.modelRegistry, runner), provider);
  } finally {
    provider.destroy();
  }
}

/** A model's on-chain record in plain JSON. */
async function modelRecord(registry: ModelRegistry, modelId: string) {
  const [m, s] = await Promise.all([registry.model(modelId), registry.submission(modelId)]);
  return {
    modelId,
    status: MODEL_STATUS[Number(m.status)] ?? `status ${m.status}`,
    kind: KIND[Number(m.kind)] ?? `kind ${m.kind}`,
    index: Number(m.index),
    weightsHash: m.weightsHash,
    featureSpecHash: m.featureSpecHash,
    metricsURI: m.metricsURI,
    submitter: s.submitter,
    bond: s.bond.toString(),
    disputer: s.disputer,
    snapshotId: s.snapshotId,
    claimHash: s.claimHash,
  };
}

/** Keeps the artifact's bytes in the database, where the daemon finds candidates to run in shadow. */
const storeArtifact = (ctx: CommandContext, model: CheckedModel): Promise<void> => withDatabase(ctx, (h) => storeCheckedModel(h.db, model));

/** The registry's ModelKind: 0 credit, 1 collateral. */
const kindIndex = (kind: CheckedModel['kind']): number => KIND.indexOf(kind);

const registryInterface = ModelRegistry__factory.createInterface();

/** The DAO's decisions about a model, each one ModelRegistry call. */
const PROPOSALS: Record<string, { what: string; call: (id: string) => string }> = {
  promotion: { what: 'make it the model in force for its kind', call: (id) => registryInterface.encodeFunctionData('setStatus', [id, 2]) },
  retirement: { what: 'retire it', call: (id) => registryInterface.encodeFunctionData('setStatus', [id, 3]) },
  'uphold-dispute': {
    what: 'uphold the dispute: reject the model, both bonds to the disputer',
    call: (id) => registryInterface.encodeFunctionData('resolveDispute', [id, true]),
  },
  'dismiss-dispute': {
    what: 'dismiss the dispute: the model stays a candidate, both bonds to the submitter',
    call: (id) => registryInterface.encodeFunctionData('resolveDispute', [id, false]),
  },
};

export function registerModel(program: Command): void {
  const model = program.command('model').description('community models: submit with a bond, check a claim, dispute it, propose promotion');

  withKeyOptions(model.command('submit'), 'submitter')
    .description(
      'register a credit or collateral artifact as a candidate with a bond and the claim that evaluate gives a stated result on a snapshot',
    )
    .requiredOption('--artifact <file>', 'credit or collateral model artifact')
    .requiredOption('--snapshot <file>', 'the public snapshot the claim is on')
    .option('--claim <file>', 'the evaluation JSON claimed (default: computed here from the artifact and snapshot)')
    .option('--uri <uri>', 'where the artifact, snapshot and evaluation are published', '')
    .action(async (opts: KeyOptions & { artifact: string; snapshot: string; claim?: string; uri: string }, command: Command) => {
      const ctx = commandContext(command);
      const checked = checkedModel(opts.artifact);
      const { modelId } = checked;
      const own = evaluationOf(checked, opts.artifact, opts.snapshot);
      let claimHash = own.hash;
      if (opts.claim) {
        const text = readFileSync(opts.claim, 'utf8').trimEnd();
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch (err) {
          throw new UserError(`claim ${opts.claim}: not JSON (${(err as Error).message})`, { cause: err });
        }
        if (canonicalJson(parsed) !== text) fail(`claim ${opts.claim}: not in canonical form (write it with evaluate --out)`);
        const c = parsed as Partial<AnyEvaluation>;
        if (c.modelId !== modelId || c.snapshotId !== own.snapshotId)
          fail(`claim ${opts.claim} is about model ${c.modelId} on snapshot ${c.snapshotId}, not ${modelId} on ${own.snapshotId}`);
        claimHash = keccak256(Buffer.from(text));
      }
      const result = await withRegistry(ctx, opts, async (registry) => {
        const existing = await registry.model(modelId);
        if (existing.status !== 0n) fail(`model ${modelId} is already registered (${MODEL_STATUS[Number(existing.status)]})`);
        const bond = await registry.submissionBond();
        const tx = await registry.submit(
          modelId,
          checked.weightsHash,
          checked.featureSpecHash,
          kindIndex(checked.kind),
          opts.uri,
          own.snapshotId,
          claimHash,
          { value: bond },
        );
        const receipt = await tx.wait();
        await storeArtifact(ctx, checked);
        return { ...(await modelRecord(registry, modelId)), tx: receipt!.hash, bond: bond.toString() };
      });
      ctx.print(
        [
          `submitted model ${modelId} as a candidate with a bond of ${result.bond} wei (tx ${result.tx})`,
          `claim ${claimHash} on snapshot ${own.snapshotId}${claimHash === own.hash ? ' (reproduced here before submitting)' : ' (as given by --claim; it does NOT reproduce here)'}`,
        ].join('\n'),
        { ...result, reproducedLocally: claimHash === own.hash },
      );
    });

  withKeyOptions(model.command('check <modelId>'), 'disputer')
    .description(
      "reproduce a submitted model's claim from its artifact and snapshot; with --dispute, dispute it on-chain when it does not reproduce",
    )
    .requiredOption('--artifact <file>', 'the artifact whose keccak256 is modelId')
    .requiredOption('--snapshot <file>', 'the snapshot the claim names')
    .option('--dispute', 'dispute the claim (with the dispute bond) if it does not reproduce')
    .action(async (modelId: string, opts: KeyOptions & { artifact: string; snapshot: string; dispute?: boolean }, command: Command) => {
      const ctx = commandContext(command);
      if (!/^0x[0-9a-fA-F]{64}$/.test(modelId)) fail(`not a model id (32-byte hex): ${modelId}`);
      const checked = checkedModel(opts.artifact);
      const { modelId: fileId, weightsHash: weights } = checked;
      if (fileId !== modelId.toLowerCase()) fail(`${opts.artifact} is model ${fileId}, not ${modelId}`);
      const own = evaluationOf(checked, opts.artifact, opts.snapshot);
      const outcome = await withRegistry(ctx, opts.dispute ? opts : undefined, async (registry) => {
        const record = await modelRecord(registry, fileId);
        if (record.status === 'unknown') fail(`model ${fileId} is not registered`);
        const { problems, otherSnapshot } = claimDifferences(record, {
          weightsHash: weights,
          featureSpecHash: checked.featureSpecHash,
          kind: checked.kind,
          snapshotId: own.snapshotId,
          claimHash: own.hash,
        });
        if (otherSnapshot) fail(`the claim is on snapshot ${otherSnapshot}; ${opts.snapshot} is ${own.snapshotId}`);
        let dispute: string | undefined;
        if (problems.length && opts.dispute) {
          if (record.status !== 'candidate') fail(`model ${fileId} is ${record.status}: only a candidate can be disputed`);
          const receipt = await (await registry.dispute(fileId, own.hash, { value: await registry.disputeBond() })).wait();
          dispute = receipt!.hash;
        }
        return {
          ...record,
          reproduced: problems.length === 0,
          problems,
          evaluation: own.evaluation,
          ...(dispute ? { disputeTx: dispute } : {}),
        };
      });
      ctx.print(
        [
          `model ${fileId} (${outcome.status}): ${outcome.reproduced ? 'the claim reproduces' : 'the claim does NOT reproduce'}`,
          `reproduced here: ${evaluationHeadline(own.evaluation)}`,
          ...outcome.problems,
          ...(outcome.disputeTx ? [`disputed (tx ${outcome.disputeTx}); the DAO decides`] : []),
        ].join('\n'),
        outcome,
      );
      if (!outcome.reproduced) process.exitCode = 1;
    });

  model
    .command('status <modelId>')
    .description("a model's on-chain record, its submission, and the models in force")
    .action(async (modelId: string, _opts: object, command: Command) => {
      const ctx = commandContext(command);
      if (!/^0x[0-9a-fA-F]{64}$/.test(modelId)) fail(`not a model id (32-byte hex): ${modelId}`);
      const result = await withRegistry(ctx, undefined, async (registry) => ({
        ...(await modelRecord(registry, modelId.toLowerCase())),
        active: { credit: await registry.activeModel(0), collateral: await registry.activeModel(1) },
      }));
      ctx.print(
        [
          `model ${result.modelId}: ${result.status} ${result.kind} model #${result.index}`,
          `in force: credit ${result.active.credit}, collateral ${result.active.collateral}`,
        ].join('\n'),
        result,
      );
    });

  model
    .command('import')
    .description('keep a credit or collateral artifact in the database (checked first), so that the daemon and model shadow can run it')
    .requiredOption('--artifact <file>', 'credit or collateral model artifact')
    .action(async (opts: { artifact: string }, command: Command) => {
      const ctx = commandContext(command);
      const checked = checkedModel(opts.artifact);
      await storeArtifact(ctx, checked);
      ctx.print(`stored ${checked.kind} model ${checked.modelId}`, { modelId: checked.modelId, kind: checked.kind });
    });

  model
    .command('shadow')
    .description(
      'run every candidate model of a kind beside the model in force (collateral: beside the empirical-quantile spec while none is in force) on the same indexed data; record and print the comparison (nothing is published)',
    )
    .option('--kind <kind>', 'credit or collateral', 'credit')
    .option('--at <time>', 'use data before this time (unix s or ISO-8601; default: just after the last event, or the newest price)')
    .option('--chain-id <n>', 'the chain whose indexed data to use (default: the only one in the database)')
    .action(async (opts: { kind: string; at?: string; chainId?: string }, command: Command) => {
      const ctx = commandContext(command);
      if (opts.kind !== 'credit' && opts.kind !== 'collateral')
        fail(`--kind must be credit or collateral, got ${JSON.stringify(opts.kind)}`);
      const at = opts.at === undefined ? undefined : parseTime(opts.at);
      const missingLines = (missing: string[]) => missing.map((m) => `${m}: artifact not stored, not run (model import --artifact FILE)`);
      if (opts.kind === 'collateral') {
        const outcome = await withRegistry(ctx, undefined, (registry) =>
          withDatabase(ctx, async (h) => {
            const chainId = await dataChainId(h.db, wholeFlag(opts.chainId, '--chain-id') ?? ctx.config.chain.chainId);
            const run = await runCollateralShadow(h.db, registry, chainId, at).catch((err: unknown) =>
              fail(`model shadow: ${(err as Error).message}`),
            );
            return { chainId, ...run };
          }),
        );
        ctx.print(
          [
            `collateral ${outcome.empirical ? 'empirical-quantile spec' : 'model in force'} ${outcome.inForce}; ${outcome.results.length} candidate(s) in shadow at ${new Date(outcome.at * 1000).toISOString()}`,
            ...outcome.results.flatMap((r) => [
              `${r.modelId}: mean |Δlt| ${r.meanAbsLtDiff.toFixed(1)} bps (max ${r.maxAbsLtDiff}), mean |Δltv| ${r.meanAbsLtvDiff.toFixed(1)} bps over ${r.assets.length} asset(s)`,
              ...r.assets.map(
                (a) =>
                  `  ${a.symbol}: lt ${a.proposed.liquidationThreshold} vs ${a.reference.liquidationThreshold}, ltv ${a.proposed.ltv} vs ${a.reference.ltv}, bonus ${a.proposed.liquidationBonus} vs ${a.reference.liquidationBonus}`,
              ),
              ...r.skipped.map((x) => `  ${x.symbol}: skipped (${x.reason})`),
              `  ${backtestLine(r.backtest)}`,
            ]),
            ...missingLines(outcome.missing),
          ].join('\n'),
          outcome,
        );
        return;
      }
      const outcome = await withRegistry(ctx, undefined, (registry) =>
        withDatabase(ctx, async (h) => {
          const chainId = await dataChainId(h.db, wholeFlag(opts.chainId, '--chain-id') ?? ctx.config.chain.chainId);
          const run = await runCreditShadow(h.db, registry, chainId, at).catch((err: unknown) =>
            fail(`model shadow: ${(err as Error).message}`),
          );
          return { chainId, ...run };
        }),
      );
      ctx.print(
        [
          `model in force ${outcome.inForce}; ${outcome.results.length} candidate(s) in shadow at ${new Date(outcome.at * 1000).toISOString()}`,
          ...outcome.results.map(
            (r) =>
              `${r.modelId}: rank correlation ${r.rankCorrelation.toFixed(4)}, mean |Δscore| ${r.meanAbsScoreDiff.toFixed(1)} (max ${r.maxAbsScoreDiff}), ${r.decisionFlips} of ${r.wallets} wallets cross ${r.cutoff}, mean PD ${r.meanPd.toFixed(4)} vs ${r.referenceMeanPd.toFixed(4)}`,
          ),
          ...missingLines(outcome.missing),
        ].join('\n'),
        outcome,
      );
    });

  for (const [action, spec] of Object.entries(PROPOSALS)) {
    model
      .command(`propose-${action} <modelId>`)
      .description(`build the DAO proposal (for the Governor, executed by the timelock) to ${spec.what}`)
      .option('--description <text>', 'the proposal description (its hash is part of the proposal id)')
      .action(async (modelId: string, opts: { description?: string }, command: Command) => {
        const ctx = commandContext(command);
        if (!/^0x[0-9a-fA-F]{64}$/.test(modelId)) fail(`not a model id (32-byte hex): ${modelId}`);
        const file = ctx.config.chain.deployment ?? fail('propose needs a deployment file: --deployment FILE');
        const deployment = readDeployment(file);
        const governor = deployment.dao?.governor ?? fail(`deployment ${file} names no DAO governor`);
        const calldata = spec.call(modelId.toLowerCase());
        const description = opts.description ?? `ModelRegistry: ${spec.what} (model ${modelId.toLowerCase()})`;
        const proposal = { governor, targets: [deployment.modelRegistry], values: ['0'], calldatas: [calldata], description };
        const args: [string[], bigint[], string[], string] = [proposal.targets, [0n], proposal.calldatas, description];
        const proposeCalldata = RiskGovernor__factory.createInterface().encodeFunctionData('propose', args);
        // OpenZeppelin Governor's hashProposal, computed here so that voters can look the proposal up before it exists
        const proposalId = BigInt(
          keccak256(
            AbiCoder.defaultAbiCoder().encode(
              ['address[]', 'uint256[]', 'bytes[]', 'bytes32'],
              [proposal.targets, [0n], proposal.calldatas, idOf(description)],
            ),
          ),
        ).toString();
        ctx.print(
          [
            `proposal to ${spec.what}:`,
            `Governor ${governor}.propose([${deployment.modelRegistry}], [0], [${calldata}], ${JSON.stringify(description)})`,
            `proposal id ${proposalId}`,
          ].join('\n'),
          { ...proposal, descriptionHash: idOf(description), proposalId, proposeCalldata },
        );
      });
  }
}
