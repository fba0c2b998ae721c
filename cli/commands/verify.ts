import type { Command } from 'commander';
import type { JsonRpcProvider } from 'ethers';
import type { Kysely } from 'kysely';
import { connectProvider, UserError, type Database } from '../../core';
import { CreditScoreRegistry__factory, ModelRegistry__factory, RiskOracle__factory } from '../../contracts/build/types';
import { givenCreditModel, readCreditArtifact, type CreditModelSource } from '../../models';
import { DEFAULT_COLLATERAL_MODEL } from '../../oracle/propose';
import { verifyEpochs, type EpochVerifyReport } from '../../oracle/verify-epochs';
import { verifyRounds, type FallBack, type VerifyReport } from '../../oracle/verify';
import { commandContext, withDatabase } from '../context';
import { contractAddress, deploymentSeed, readDeployment, type DeploymentAddresses } from '../deployment';

interface VerifyOptions {
  oracle?: string;
  registry?: string;
  round?: string;
  epoch?: string;
  all?: boolean;
  artifact?: string;
}

const whole = (value: string, flag: string): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new UserError(`${flag} must be a positive whole number, got ${JSON.stringify(value)}`);
  return n;
};

/**
 * What `verify` runs: every published round of `oracle` (or only `round`) re-derived with the collateral model in
 * force at its block, and, with `registry`, every published epoch (or only `epoch`) recomputed leaf by leaf with the
 * stored artifact of its own model, or `model` for all. Either report is undefined when its contract is not given.
 */
export async function verifyPublished(options: {
  db: Kysely<Database>;
  provider: JsonRpcProvider;
  chainId: number;
  oracle?: string;
  registry?: string;
  /** Says where the collateral models in force and Aave's first configuration are read, and the first block. */
  deployment?: DeploymentAddresses;
  /** Overrides the stored credit artifacts (`--artifact FILE`). */
  model?: CreditModelSource;
  round?: number;
  epoch?: number;
  /** Blocks per event query (indexer.maxBlockRange). */
  logRangeChunk?: number;
}): Promise<{ rounds?: VerifyReport; epochs?: EpochVerifyReport }> {
  const { db, provider, chainId, deployment } = options;
  const rounds = options.oracle
    ? await verifyRounds({
        db,
        oracle: RiskOracle__factory.connect(options.oracle, provider),
        chainId,
        spec: DEFAULT_COLLATERAL_MODEL,
        // the collateral model in force at each round's block, from the deployment's registry
        models: deployment ? ModelRegistry__factory.connect(deployment.modelRegistry, provider) : undefined,
        round: options.round,
        // first rounds are step-limited from Aave's own configuration: the deployment says where to read it,
        // and from which block events can exist
        seed: deployment ? deploymentSeed(deployment, provider) : undefined,
        fromBlock: deployment?.block,
        logRange: options.logRangeChunk === undefined ? undefined : { chunk: options.logRangeChunk },
      })
    : undefined;
  const epochs = options.registry
    ? await verifyEpochs({
        db,
        registry: CreditScoreRegistry__factory.connect(options.registry, provider),
        chainId,
        model: options.model,
        epochs: options.epoch === undefined ? undefined : [options.epoch],
      })
    : undefined;
  return { rounds, epochs };
}

/** One fall-back as `verify` names it. */
export function fallBackLine(f: FallBack): string {
  const to = `ltv ${f.params.ltv}, threshold ${f.params.liquidationThreshold}, bonus ${f.params.liquidationBonus}`;
  const what =
    f.action === 'restored'
      ? `Aave given back ${to} (what it had before round ${f.ofRound}) by ${f.by}`
      : `round ${f.ofRound} skipped unapplied by ${f.by}; Aave kept ${to}`;
  return `${f.asset} round ${f.round} (block ${f.block}, ${f.txHash}): ${what}; a guardian's fall-back, not signed model output`;
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description(
      're-derive published rounds and credit epochs from public data and the models, and compare them bit for bit with the chain',
    )
    .option('--round <n>', 'only this parameter round')
    .option('--epoch <n>', 'only this credit epoch')
    .option(
      '--all',
      'every round and, where the credit registry is known (--registry or the deployment file), every credit epoch (the default without --round or --epoch)',
    )
    .option(
      '--artifact <file>',
      "recompute the epochs' scores with this credit model artifact instead of the stored artifact of each epoch's own model (model import)",
    )
    .option('--oracle <address>', 'RiskOracle (default: from the deployment file)')
    .option('--registry <address>', 'CreditScoreRegistry (default: from the deployment file)')
    .action(async (opts: VerifyOptions, command: Command) => {
      const ctx = commandContext(command);
      const round = opts.round === undefined ? undefined : whole(opts.round, '--round');
      const epoch = opts.epoch === undefined ? undefined : whole(opts.epoch, '--epoch');
      const doRounds = epoch === undefined;
      // every epoch is checked when there is a registry to check it against (`--epoch` and `--artifact` ask for one)
      const doEpochs =
        epoch !== undefined ||
        (round === undefined && (opts.artifact !== undefined || opts.registry !== undefined || Boolean(ctx.config.chain.deployment)));
      const oracleAddress = doRounds ? contractAddress(ctx, 'riskOracle', { name: '--oracle', value: opts.oracle }) : undefined;
      const registryAddress = doEpochs
        ? contractAddress(ctx, 'creditScoreRegistry', { name: '--registry', value: opts.registry })
        : undefined;
      // without --artifact, each epoch is recomputed with the stored artifact of its own model (see verifyEpochs)
      const override = doEpochs && opts.artifact ? givenCreditModel(readCreditArtifact(opts.artifact)) : undefined;
      const deployment = ctx.config.chain.deployment ? readDeployment(ctx.config.chain.deployment) : undefined;
      const provider = await connectProvider(ctx.config.chain.rpcUrl, {
        timeoutMs: ctx.config.chain.timeoutMs,
        retries: ctx.config.chain.retries,
      });
      try {
        const chainId = Number((await provider.getNetwork()).chainId);
        const { rounds, epochs } = await withDatabase(ctx, (h) =>
          verifyPublished({
            db: h.db,
            provider,
            chainId,
            oracle: oracleAddress,
            registry: registryAddress,
            deployment,
            model: override,
            round,
            epoch,
            logRangeChunk: ctx.config.indexer.maxBlockRange,
          }),
        );
        const list = [
          ...(rounds?.mismatches ?? []).map((m) => ({ kind: 'round' as const, ...m })),
          ...(epochs?.mismatches ?? []).map((m) => ({ kind: 'epoch' as const, ...m })),
        ];
        const lines = [
          ...(rounds?.mismatches ?? []).map(
            (m) => `MISMATCH ${m.asset} round ${m.round} ${m.field}: published ${m.published}, derived ${m.derived}`,
          ),
          ...(epochs?.mismatches ?? []).map(
            (m) => `MISMATCH epoch ${m.epoch} ${m.wallet} ${m.field}: published ${m.published}, derived ${m.derived}`,
          ),
          // a fall-back's round holds what Aave got back, not model output: named, never re-derived
          ...(rounds?.fallBacks ?? []).map((f) => `FALL-BACK ${fallBackLine(f)}`),
          ...(rounds ? [`${rounds.checked} round(s) checked, ${rounds.mismatches.length} mismatch(es)`] : []),
          ...(epochs
            ? [
                `${epochs.epochs} epoch(s) and ${epochs.scores} score(s) checked, ${epochs.mismatches.length} mismatch(es)${epochs.invalidated.length ? `; already invalidated on-chain: ${epochs.invalidated.join(', ')}` : ''}`,
                ...Object.entries(epochs.models).map(([id, basis]) => `scores recomputed with model ${id}: ${basis}`),
              ]
            : []),
        ];
        ctx.print(lines.join('\n'), {
          checked: (rounds?.checked ?? 0) + (epochs?.scores ?? 0),
          mismatches: list.length,
          rounds: rounds?.checked ?? 0,
          epochs: epochs?.epochs ?? 0,
          scores: epochs?.scores ?? 0,
          invalidatedEpochs: epochs?.invalidated ?? [],
          models: epochs?.models ?? {},
          fallBacks: rounds?.fallBacks ?? [],
          list,
        });
        if (list.length > 0) process.exitCode = 1;
      } finally {
        provider.destroy();
      }
    });
}
