import type { Command } from 'commander';
import { NonceManager, type JsonRpcProvider } from 'ethers';
import type { Kysely } from 'kysely';
import { connectProvider, UserError, type Database, type Logger } from '../../core';
import { RiskOracle__factory, RiskSteward__factory } from '../../contracts/build/types';
import { loadPriceSeries } from '../../indexer';
import { runParameterCycle, type CycleAsset, type CycleResult } from '../../oracle/cycle';
import { loadSigner } from '../../oracle/keys';
import { publishPendingRounds, signPendingRounds } from '../../oracle/rounds';
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

const timeOf = (value: string): number => {
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value) / 1000;
  if (!Number.isFinite(n)) throw new UserError(`--at: not unix seconds or an ISO date: ${value}`);
  return Math.floor(n);
};

/** Proposes and records the next round for every reserve of the deployment that has prices (nothing is sent). */
export async function proposeRound(
  db: Kysely<Database>,
  provider: JsonRpcProvider,
  deployment: DeploymentAddresses,
  chainId: number,
  validForSeconds: number,
  log: Logger,
  at?: number,
): Promise<CycleResult> {
  const assets: CycleAsset[] = [];
  for (const r of deployment.aave.reserves) {
    const prices = await loadPriceSeries(db, r.symbol);
    if (prices.length) assets.push({ symbol: r.symbol, address: r.address, prices, decimals: r.decimals });
  }
  if (assets.length === 0) throw new UserError('no prices for any reserve of the deployment: import-prices first');
  const head = (await provider.getBlock('latest'))!;
  return runParameterCycle({
    db,
    oracle: RiskOracle__factory.connect(deployment.riskOracle, provider),
    chainId,
    assets,
    signers: [],
    at: at ?? Math.min(...assets.map((a) => a.prices[a.prices.length - 1]!.t)),
    now: head.timestamp,
    validForSeconds,
    atBlock: head.number,
    log,
    publish: false,
    seed: deploymentSeed(deployment, provider),
  });
}

export function registerOracle(program: Command): void {
  program
    .command('propose')
    .description(
      'propose the next round for every reserve with prices: the model, the guards (bounds and step limits read from the chain), recorded for the signers',
    )
    .option('--at <time>', 'data time, unix seconds or ISO (default: the latest time every asset has a price)')
    .action(async (opts: { at?: string }, command: Command) => {
      const ctx = commandContext(command);
      const { deployment, provider, chainId } = await connectDeployment(ctx, 'propose, sign and publish');
      try {
        const result = await withDatabase(ctx, (h) =>
          proposeRound(
            h.db,
            provider,
            deployment,
            chainId,
            ctx.config.oracle.validForSeconds,
            ctx.log,
            opts.at ? timeOf(opts.at) : undefined,
          ),
        );
        const lines = result.assets.map(
          (a) =>
            `${a.symbol.padEnd(5)} round ${a.round}: ltv ${a.guarded.ltv}, threshold ${a.guarded.liquidationThreshold}, bonus ${a.guarded.liquidationBonus}${a.publishable ? '' : ' HELD'}${a.decisions
              .filter((d) => d.decision !== 'pass')
              .map((d) => `; ${d.guard} ${d.decision}: ${d.reason}`)
              .join('')}`,
        );
        ctx.print(
          [...lines, `model ${result.modelId}; now sign with ${deployment.riskOracle}'s signers (risk-oracle sign)`].join('\n'),
          result,
        );
      } finally {
        provider.destroy();
      }
    });

  withKeyOptions(program.command('sign'), 'signer')
    .description('recompute the pending proposal independently and sign its EIP-712 digest only if the result is identical')
    .action(async (opts: KeyOptions, command: Command) => {
      const ctx = commandContext(command);
      const { deployment, provider, chainId } = await connectDeployment(ctx, 'propose, sign and publish');
      try {
        const signer = await loadSigner(keySource(opts));
        const now = (await provider.getBlock('latest'))!.timestamp;
        const signed = await withDatabase(ctx, (h) =>
          signPendingRounds({
            db: h.db,
            oracle: RiskOracle__factory.connect(deployment.riskOracle, provider),
            chainId,
            signer,
            now,
            seed: deploymentSeed(deployment, provider),
            log: ctx.log,
          }),
        );
        ctx.print(`${signer.address} signed ${signed.rounds.length} round(s): digest ${signed.digest}`, {
          signer: signer.address,
          digest: signed.digest,
          rounds: signed.rounds.length,
        });
      } finally {
        provider.destroy();
      }
    });

  withKeyOptions(program.command('publish'), 'publisher (it pays the gas; it need not be a signer)')
    .description('submit the pending batch once the threshold of signatures is collected; --apply then has the steward push it to Aave')
    .option('--apply', 'call RiskSteward.applyParameters for every published asset')
    .action(async (opts: KeyOptions & { apply?: boolean }, command: Command) => {
      const ctx = commandContext(command);
      const { deployment, provider, chainId } = await connectDeployment(ctx, 'propose, sign and publish');
      try {
        // several transactions in a row: count nonces locally rather than trust the provider's cached count
        const sender = new NonceManager(await loadSigner(keySource(opts), provider));
        const oracle = RiskOracle__factory.connect(deployment.riskOracle, sender);
        const published = await withDatabase(ctx, (h) => publishPendingRounds({ db: h.db, oracle, chainId, log: ctx.log }));
        const applied: Array<{ asset: string; tx: string; gasUsed: number }> = [];
        if (opts.apply && published.submitted) {
          const steward = RiskSteward__factory.connect(deployment.riskSteward, sender);
          for (const r of published.rounds) {
            const receipt = await (await steward.applyParameters(r.asset)).wait();
            applied.push({ asset: r.asset, tx: receipt!.hash, gasUsed: Number(receipt!.gasUsed) });
          }
        }
        ctx.print(
          [
            published.submitted
              ? `published ${published.rounds.length} round(s) in ${published.txHash} (${published.gasUsed} gas)`
              : `every pending round is already on-chain: nothing sent`,
            ...applied.map((a) => `applied to Aave: ${a.asset} (${a.gasUsed} gas)`),
          ].join('\n'),
          { ...published, applied },
        );
      } finally {
        provider.destroy();
      }
    });
}
