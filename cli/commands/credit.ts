import type { Command } from 'commander';
import { isAddress } from 'ethers';
import { connectProvider, UserError } from '../../core';
import { CreditScoreRegistry__factory } from '../../contracts/build/types';
import { decodeWeights, readCreditArtifact } from '../../models';
import { auditCreditEpoch, challengeCreditEpoch, loadEpoch } from '../../oracle/credit-epoch';
import { loadSigner } from '../../oracle/keys';
import { scoreProof } from '../../oracle/scores';
import { commandContext, withDatabase, type CommandContext } from '../context';
import { contractAddress } from '../deployment';
import { keySource, withKeyOptions } from '../keys';

const positive = (value: string, flag: string): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new UserError(`${flag} must be a positive whole number, got ${JSON.stringify(value)}`);
  return n;
};

/** The chain id: from the config, else from the RPC. */
async function chainIdOf(ctx: CommandContext): Promise<number> {
  if (ctx.config.chain.chainId) return ctx.config.chain.chainId;
  if (!ctx.config.chain.rpcUrl) throw new UserError('a chain id is needed: --rpc URL, RPC_URL or chain.chainId in the config');
  const provider = await connectProvider(ctx.config.chain.rpcUrl, {
    timeoutMs: ctx.config.chain.timeoutMs,
    retries: ctx.config.chain.retries,
  });
  try {
    return Number((await provider.getNetwork()).chainId);
  } finally {
    provider.destroy();
  }
}

export function registerCredit(program: Command): void {
  program
    .command('proof <wallet>')
    .description("a wallet's published score, PD, epoch, model and Merkle proof (what CreditScoreRegistry.prove takes)")
    .option('--epoch <n>', 'this epoch (default: the latest published one holding the wallet)')
    .action(async (wallet: string, opts: { epoch?: string }, command: Command) => {
      const ctx = commandContext(command);
      if (!isAddress(wallet)) throw new UserError(`not an address: ${wallet}`);
      const epoch = opts.epoch === undefined ? undefined : positive(opts.epoch, '--epoch');
      const chainId = await chainIdOf(ctx);
      const answer = await withDatabase(ctx, (h) => scoreProof(h.db, chainId, wallet, { epoch }));
      if (!answer) throw new UserError(`no ${epoch ? `epoch ${epoch} ` : 'published '}score for ${wallet} on chain ${chainId}`);
      ctx.print(
        [
          `${answer.wallet}: score ${answer.score}, PD ${(Number(answer.pd) / 1e16).toFixed(2)} % (epoch ${answer.epoch}, model ${answer.modelId})`,
          `root ${answer.root}`,
          `proof [${answer.proof.join(', ')}]`,
        ].join('\n'),
        answer,
      );
    });

  withKeyOptions(program.command('challenge'), 'challenger')
    .description('recompute a published score with the registered model and, if it is wrong, challenge the epoch on-chain')
    .requiredOption('--epoch <n>', 'the epoch')
    .requiredOption('--wallet <address>', 'the wallet whose score is wrong')
    .requiredOption('--artifact <file>', 'the credit model artifact named by the epoch’s modelId')
    .option('--registry <address>', 'CreditScoreRegistry (default: from the deployment file)')
    .action(async (opts: Record<string, string | undefined>, command: Command) => {
      const ctx = commandContext(command);
      const epoch = positive(opts.epoch!, '--epoch');
      if (!isAddress(opts.wallet)) throw new UserError(`--wallet: not an address: ${opts.wallet}`);
      const registryAddress = contractAddress(ctx, 'creditScoreRegistry', { name: '--registry', value: opts.registry });
      const { artifact, modelId } = readCreditArtifact(opts.artifact!);
      const provider = await connectProvider(ctx.config.chain.rpcUrl, {
        timeoutMs: ctx.config.chain.timeoutMs,
        retries: ctx.config.chain.retries,
      });
      try {
        const chainId = Number((await provider.getNetwork()).chainId);
        const signer = await loadSigner(keySource(opts), provider);
        const registry = CreditScoreRegistry__factory.connect(registryAddress, signer);
        const outcome = await withDatabase(ctx, async (h) => {
          const stored = await loadEpoch(h.db, chainId, epoch);
          if (stored.modelId !== modelId)
            throw new UserError(`epoch ${epoch} was scored with model ${stored.modelId}; ${opts.artifact} is ${modelId}`);
          const onChain = (await registry.epochOf(epoch)).stored;
          if (onChain.root !== stored.root)
            throw new UserError(`epoch ${epoch} on-chain has root ${onChain.root}; the stored leaves give ${stored.root}`);
          const weights = Buffer.from(artifact.quantized.weights.slice(2), 'hex');
          const wrong = (await auditCreditEpoch(h.db, chainId, epoch, decodeWeights(weights))).find(
            (w) => w.wallet === opts.wallet!.toLowerCase(),
          );
          if (!wrong) throw new UserError(`${opts.wallet}'s score in epoch ${epoch} is what the model gives: a challenge would fail`);
          const receipt = await challengeCreditEpoch({ db: h.db, registry, chainId, epoch, wallet: wrong.wallet, weights, log: ctx.log });
          return {
            ...wrong,
            tx: receipt.hash,
            gasUsed: Number(receipt.gasUsed),
            invalidated: (await registry.epochOf(epoch)).stored.invalidated,
          };
        });
        ctx.print(
          `epoch ${epoch}: ${outcome.wallet} published ${outcome.published.score}, the model gives ${outcome.recomputed.score}; challenge ${outcome.tx} (${outcome.gasUsed} gas): ${outcome.invalidated ? 'epoch invalidated, bond paid to the challenger' : 'NOT invalidated'}`,
          { epoch, ...outcome },
        );
        if (!outcome.invalidated) process.exitCode = 1;
      } finally {
        provider.destroy();
      }
    });
}
