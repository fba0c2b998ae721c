import type { Command } from 'commander';
import { NonceManager, type BaseWallet, type ContractRunner, type JsonRpcProvider, type Signer } from 'ethers';
import type { Kysely } from 'kysely';
import { connectProvider, UserError, type Config, type Database, type Logger } from '../../core';
import {
  CreditScoreRegistry__factory,
  ModelRegistry__factory,
  RiskOracle__factory,
  RiskSteward__factory,
} from '../../contracts/build/types';
import { collateralModelInForce } from '../../oracle/collateral-model';
import { runParameterCycle, type CycleResult } from '../../oracle/cycle';
import { loadSigner } from '../../oracle/keys';
import { proposeNextEpoch, publishPendingEpoch, signPendingEpoch, type EpochProposal } from '../../oracle/credit-round';
import type { FreshnessLimits } from '../../oracle/freshness';
import { indexedProposalBlock, roundInputs, type PriceBasis } from '../../oracle/prices';
import { pendingRounds, publishPendingRounds, signPendingRounds } from '../../oracle/rounds';
import { sendConfigFrom } from '../../oracle/send';
import { commandContext, withDatabase, type CommandContext } from '../context';
import { deploymentSeed, readDeployment, type DeploymentAddresses } from '../deployment';
import { keySource, withKeyOptions, type KeyOptions } from '../keys';

/** The deployment file, a provider on the configured RPC, and a check that the two are the same chain. */
export async function connectDeployment(
  ctx: CommandContext,
  command = 'this command',
): Promise<{ deployment: DeploymentAddresses; provider: JsonRpcProvider; chainId: number }> {
  const file = ctx.config.chain.deployment;
  if (!file) throw new UserError(`${command} needs a deployment file: --deployment FILE (written by chain deploy) or chain.deployment`);
  const deployment = readDeployment(file);
  const provider = await connectProvider(ctx.config.chain.rpcUrl, {
    timeoutMs: ctx.config.chain.timeoutMs,
    retries: ctx.config.chain.retries,
  });
  const chainId = Number((await provider.getNetwork()).chainId);
  if (chainId !== deployment.chainId) {
    provider.destroy();
    throw new UserError(`deployment ${file} is for chain ${deployment.chainId}; the RPC is chain ${chainId}`);
  }
  return { deployment, provider, chainId };
}

const timeOf = (value: string, flag = '--at'): number => {
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value) / 1000;
  if (!Number.isFinite(n)) throw new UserError(`${flag}: not unix seconds or an ISO date: ${value}`);
  return Math.floor(n);
};

const freshnessLimits = (oracle: Config['oracle']): FreshnessLimits => ({
  maxLagBlocks: oracle.maxIndexerLagBlocks,
  maxPriceAgeSeconds: oracle.maxPriceAgeSeconds,
});

/** What proposing a round or an epoch needs: the database, the chain, the deployment and the oracle's settings. */
export interface ProposeContext {
  db: Kysely<Database>;
  provider: JsonRpcProvider;
  deployment: DeploymentAddresses;
  chainId: number;
  oracle: Config['oracle'];
  log: Logger;
}

/**
 * Proposes the next credit epoch with the model in force, at the block the indexer has reached (as rounds are):
 * refuses, storing nothing, when the index lags the head by more than `oracle.maxIndexerLagBlocks` or is below
 * this oracle's last published epoch.
 */
export async function proposeEpoch(options: ProposeContext & { dataTime?: number }): Promise<EpochProposal | undefined> {
  const { db, provider, chainId } = options;
  const { block } = await indexedProposalBlock({ db, provider, chainId, limits: freshnessLimits(options.oracle), kind: 'epoch' });
  return proposeNextEpoch({
    db,
    chainId,
    ...creditContracts(options.deployment, provider),
    atBlock: block.number,
    dataTime: options.dataTime,
    driftThreshold: options.oracle.driftThreshold,
    log: options.log,
  });
}

/**
 * Proposes and records the next round for every reserve of the deployment, at the block the indexer has reached,
 * from `oracle.priceSource`'s prices up to it (nothing is sent). Refuses, storing nothing, when the index lags the
 * head by more than `oracle.maxIndexerLagBlocks` or a reserve's price is older than `oracle.maxPriceAgeSeconds`
 * at the data time (`at`: the block's time unless an earlier one is given, a back-fill).
 */
export async function proposeRound(options: ProposeContext & { at?: number }): Promise<CycleResult & PriceBasis> {
  const { db, provider, deployment, chainId, oracle } = options;
  const inputs = await roundInputs({
    db,
    provider,
    chainId,
    reserves: deployment.aave.reserves,
    priceSource: oracle.priceSource,
    limits: freshnessLimits(oracle),
    at: options.at,
  });
  const cycle = await runParameterCycle({
    db,
    oracle: RiskOracle__factory.connect(deployment.riskOracle, provider),
    chainId,
    assets: inputs.assets,
    signers: [],
    at: inputs.at,
    now: inputs.blockTime,
    validForSeconds: oracle.validForSeconds,
    atBlock: inputs.block,
    priceSource: inputs.priceSource,
    // the collateral model in force at the round's block (the empirical-quantile spec while the DAO has put none)
    model: await collateralModelInForce(db, creditContracts(deployment, provider).models, inputs.block),
    log: options.log,
    publish: false,
    seed: deploymentSeed(deployment, provider),
  });
  return { ...cycle, priceSource: inputs.priceSource, block: inputs.block, at: inputs.at };
}

/** The credit side of a deployment: the registry that holds epochs and the one that says which model is in force. */
export const creditContracts = (deployment: DeploymentAddresses, runner: ContractRunner) => ({
  registry: CreditScoreRegistry__factory.connect(deployment.creditScoreRegistry, runner),
  models: ModelRegistry__factory.connect(deployment.modelRegistry, runner),
});

/**
 * What `sign` does with one key: recompute the pending round (when there is one) and the pending credit epoch from
 * this database, the chain at the proposal's block and the models in force, and sign each only if identical.
 * Either part is undefined when nothing of that kind is pending.
 */
export async function signPending(options: ProposeContext & { signer: BaseWallet }): Promise<{
  rounds?: Awaited<ReturnType<typeof signPendingRounds>>;
  epoch?: Awaited<ReturnType<typeof signPendingEpoch>>;
}> {
  const { db, provider, deployment, chainId, signer, log } = options;
  const oracle = RiskOracle__factory.connect(deployment.riskOracle, provider);
  const credit = creditContracts(deployment, provider);
  const rounds = (await pendingRounds(db, chainId)).length
    ? await signPendingRounds({
        db,
        oracle,
        chainId,
        signer,
        now: (await provider.getBlock('latest'))!.timestamp,
        models: credit.models,
        seed: deploymentSeed(deployment, provider),
        maxPriceAgeSeconds: options.oracle.maxPriceAgeSeconds,
        log,
      })
    : undefined;
  const epoch = await signPendingEpoch({
    db,
    chainId,
    ...credit,
    signerSet: oracle,
    signers: [signer],
    driftThreshold: options.oracle.driftThreshold,
    log,
  });
  return { rounds, epoch };
}

/** The parts of a publication, for callers that time them (`step`). */
export type PublishStep = 'rounds' | 'apply' | 'epoch';

/**
 * What `publish` does: send the pending batch once its signatures meet the threshold, with `apply` have the steward
 * push every published round to Aave, then send the pending credit epoch. `sender` sends several transactions in a
 * row: give it a NonceManager. `step` wraps each part (a timer); by default it just runs it.
 */
export async function publishPending(options: {
  db: Kysely<Database>;
  deployment: DeploymentAddresses;
  chainId: number;
  sender: Signer;
  config: Config;
  apply: boolean;
  log: Logger;
  step?: <T>(name: PublishStep, run: () => Promise<T>) => Promise<T>;
}) {
  const { db, deployment, chainId, sender, log } = options;
  const step = options.step ?? ((_name, run) => run());
  const send = sendConfigFrom(options.config);
  const oracle = RiskOracle__factory.connect(deployment.riskOracle, sender);
  const published = await step('rounds', async () =>
    (await pendingRounds(db, chainId)).length ? publishPendingRounds({ db, oracle, chainId, send, log }) : undefined,
  );
  const applied = await step('apply', async () =>
    options.apply && published?.submitted ? applyRounds(deployment, sender, published.rounds) : [],
  );
  const epoch = await step('epoch', async () =>
    publishPendingEpoch({
      db,
      chainId,
      registry: creditContracts(deployment, sender).registry,
      threshold: Number(await oracle.threshold()),
      send,
      log,
    }),
  );
  return { published, applied, epoch };
}

const roundLine = (a: CycleResult['assets'][number]): string =>
  `${a.symbol.padEnd(5)} round ${a.round}: ltv ${a.guarded.ltv}, threshold ${a.guarded.liquidationThreshold}, bonus ${a.guarded.liquidationBonus}${a.publishable ? '' : ' HELD'}${a.decisions
    .filter((d) => d.decision !== 'pass')
    .map((d) => `; ${d.guard} ${d.decision}: ${d.reason}`)
    .join('')}`;

const epochLine = (e: EpochProposal | undefined): string =>
  e === undefined
    ? 'credit: no model in force (the DAO promotes one: model propose-promotion), no epoch'
    : e.status === 'waiting'
      ? `credit epoch ${e.epoch} is signed and waiting for publication: publish it first`
      : e.status === 'unchanged'
        ? `credit epoch ${e.epoch} is current: no indexed history since it, nothing to propose`
        : `credit epoch ${e.epoch}: ${e.wallets} wallets scored with ${e.modelId} before ${e.dataTime}, root ${e.root}${
            e.status === 'held'
              ? ` HELD: ${e.decisions
                  .filter((d) => d.decision === 'hold')
                  .map((d) => d.reason)
                  .join('; ')}`
              : ''
          }`;

export function registerOracle(program: Command): void {
  program
    .command('propose')
    .description(
      'propose the next round for every reserve at the block the indexer has reached, from its prices (oracle.priceSource: indexed feed answers, or imported CSV), with the model, the guards, bounds and step limits read from the chain, and the next credit epoch with the model in force; recorded for the signers. Refuses when the index lags (oracle.maxIndexerLagBlocks) or a price is stale (oracle.maxPriceAgeSeconds)',
    )
    .option(
      '--at <time>',
      "data time of the parameters, unix seconds or ISO, no later than the indexed block's time: a back-fill, its prices' age is judged at it (default: the indexed block's time)",
    )
    .option('--no-parameters', 'skip the parameter round')
    .option('--no-credit', 'skip the credit epoch')
    .option('--credit-at <time>', 'score wallet history before this time, unix seconds or ISO (default: just after the last indexed event)')
    .action(async (opts: { at?: string; parameters: boolean; credit: boolean; creditAt?: string }, command: Command) => {
      const ctx = commandContext(command);
      const { deployment, provider, chainId } = await connectDeployment(ctx, 'propose, sign and publish');
      try {
        const result = await withDatabase(ctx, async (h) => {
          const parameters = opts.parameters
            ? await proposeRound({
                db: h.db,
                provider,
                deployment,
                chainId,
                oracle: ctx.config.oracle,
                log: ctx.log,
                at: opts.at ? timeOf(opts.at) : undefined,
              })
            : undefined;
          const credit = opts.credit
            ? await proposeEpoch({
                db: h.db,
                provider,
                deployment,
                chainId,
                oracle: ctx.config.oracle,
                log: ctx.log,
                dataTime: opts.creditAt === undefined ? undefined : timeOf(opts.creditAt, '--credit-at'),
              })
            : undefined;
          return { parameters, credit };
        });
        const lines = [
          ...(result.parameters ? result.parameters.assets.map(roundLine) : []),
          ...(result.parameters
            ? [
                `parameters model ${result.parameters.modelId}, ${result.parameters.priceSource} prices up to block ${result.parameters.block} (data time ${new Date(result.parameters.at * 1000).toISOString()})`,
              ]
            : []),
          ...(opts.credit ? [epochLine(result.credit)] : []),
          `now sign with ${deployment.riskOracle}'s signers (risk-oracle sign)`,
        ];
        ctx.print(lines.join('\n'), { ...result.parameters, credit: result.credit });
      } finally {
        provider.destroy();
      }
    });

  withKeyOptions(program.command('sign'), 'signer')
    .description(
      'recompute the pending parameter round and credit epoch independently and sign each EIP-712 digest only if the result is identical',
    )
    .action(async (opts: KeyOptions, command: Command) => {
      const ctx = commandContext(command);
      const { deployment, provider, chainId } = await connectDeployment(ctx, 'propose, sign and publish');
      try {
        const signer = await loadSigner(keySource(opts));
        const signed = await withDatabase(ctx, (h) =>
          signPending({ db: h.db, provider, deployment, chainId, oracle: ctx.config.oracle, log: ctx.log, signer }),
        );
        if (!signed.rounds && !signed.epoch) throw new UserError(`nothing to sign on chain ${chainId}: run propose first`);
        ctx.print(
          [
            ...(signed.rounds ? [`${signer.address} signed ${signed.rounds.rounds.length} round(s): digest ${signed.rounds.digest}`] : []),
            ...(signed.epoch ? [`${signer.address} signed credit epoch ${signed.epoch.epoch}: digest ${signed.epoch.digest}`] : []),
          ].join('\n'),
          {
            signer: signer.address,
            digest: signed.rounds?.digest,
            rounds: signed.rounds?.rounds.length ?? 0,
            epoch: signed.epoch,
          },
        );
      } finally {
        provider.destroy();
      }
    });

  withKeyOptions(program.command('publish'), 'publisher (it pays the gas and the epoch bond; it need not be a signer)')
    .description(
      'submit the pending batch and credit epoch once the threshold of signatures is collected; --apply then has the steward push the batch to Aave',
    )
    .option('--apply', 'call RiskSteward.applyParameters for every published asset')
    .action(async (opts: KeyOptions & { apply?: boolean }, command: Command) => {
      const ctx = commandContext(command);
      const { deployment, provider, chainId } = await connectDeployment(ctx, 'propose, sign and publish');
      try {
        // several transactions in a row: count nonces locally rather than trust the provider's cached count
        const sender = new NonceManager(await loadSigner(keySource(opts), provider));
        const out = await withDatabase(ctx, (h) =>
          publishPending({ db: h.db, deployment, chainId, sender, config: ctx.config, apply: opts.apply === true, log: ctx.log }),
        );
        if (!out.published && !out.epoch) throw new UserError(`nothing to publish on chain ${chainId}: run propose and sign first`);
        const { published, applied, epoch } = out;
        ctx.print(
          [
            ...(published
              ? [
                  published.submitted
                    ? `published ${published.rounds.length} round(s) in ${published.txHash} (${published.gasUsed} gas)`
                    : `every pending round is already on-chain: nothing sent`,
                ]
              : []),
            ...applied.map((a) => `applied to Aave: ${a.asset} (${a.gasUsed} gas)`),
            ...(epoch
              ? [
                  epoch.submitted
                    ? `published credit epoch ${epoch.epoch} in ${epoch.txHash} (${epoch.gasUsed} gas)`
                    : `credit epoch ${epoch.epoch} is already on-chain: nothing sent`,
                ]
              : []),
          ].join('\n'),
          { ...published, applied, epoch },
        );
      } finally {
        provider.destroy();
      }
    });
}

/** RiskSteward.applyParameters for each published round, one after the other (the sender counts nonces). */
export async function applyRounds(
  deployment: DeploymentAddresses,
  sender: Signer,
  rounds: ReadonlyArray<{ asset: string }>,
): Promise<Array<{ asset: string; tx: string; gasUsed: number }>> {
  const steward = RiskSteward__factory.connect(deployment.riskSteward, sender);
  const applied: Array<{ asset: string; tx: string; gasUsed: number }> = [];
  for (const r of rounds) {
    const receipt = await (await steward.applyParameters(r.asset)).wait();
    applied.push({ asset: r.asset, tx: receipt!.hash, gasUsed: Number(receipt!.gasUsed) });
  }
  return applied;
}
