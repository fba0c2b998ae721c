import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { isAddress } from 'ethers';
import { UserError } from '../../core';
import { afterLastEvent, creditScorer, readCreditArtifact, scoreWalletsFromDb, type CreditArtifact, type WalletScore } from '../../models';
import { commandContext, withDatabase } from '../context';
import { dataChainId, wholeFlag } from './chain-id';

interface ScoreFlags {
  artifact: string;
  modelId?: string;
  at?: string;
  wallet?: string[];
  out?: string;
  chainId?: string;
}

/** Reads and checks a credit artifact; every failure is a UserError naming the file. */
export function loadArtifact(file: string, expectedModelId?: string): { artifact: CreditArtifact; modelId: string } {
  let loaded: ReturnType<typeof readCreditArtifact>;
  try {
    loaded = readCreditArtifact(file);
    creditScorer(loaded.artifact); // checks the feature spec and decodes the weights
  } catch (err) {
    const message = (err as Error).message;
    throw new UserError(message.includes(file) ? message : `credit artifact ${file}: ${message}`, { cause: err });
  }
  if (expectedModelId !== undefined && expectedModelId.toLowerCase() !== loaded.modelId)
    throw new UserError(`credit artifact ${file} is model ${loaded.modelId}, not the expected ${expectedModelId}`);
  return { artifact: loaded.artifact, modelId: loaded.modelId };
}

/** Unix seconds or an ISO-8601 date. */
export function parseTime(value: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new UserError(`--at: not a unix time or ISO-8601 date: ${JSON.stringify(value)}`);
  return Math.floor(ms / 1000);
}

/** Nearest-rank quantile of sorted values. */
const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;

export function scoreDistribution(scores: readonly WalletScore[]): Record<'min' | 'p10' | 'median' | 'p90' | 'max', number> | null {
  if (scores.length === 0) return null;
  const s = scores.map((x) => x.score).sort((a, b) => a - b);
  return { min: s[0]!, p10: quantile(s, 0.1), median: quantile(s, 0.5), p90: quantile(s, 0.9), max: s[s.length - 1]! };
}

export function registerScore(program: Command): void {
  program
    .command('score')
    .description('score wallets with a credit artifact from their indexed history (canonical quantised model)')
    .requiredOption('--artifact <file>', 'credit model artifact (written by train credit)')
    .option('--model-id <id>', 'refuse the artifact unless its modelId is this')
    .option('--at <time>', 'score on history before this time (unix s or ISO-8601; default: just after the last event)')
    .option('--wallet <addresses...>', 'only these wallets')
    .option('--out <file>', 'write wallet,score,pd,featuresHash as CSV')
    .option('--chain-id <n>', 'the chain whose indexed data to score (default: the only one in the database)')
    .action(async (opts: ScoreFlags, command: Command) => {
      const ctx = commandContext(command);
      const { artifact, modelId } = loadArtifact(opts.artifact, opts.modelId);
      const bad = opts.wallet?.find((w) => !isAddress(w));
      if (bad) throw new UserError(`--wallet: not an address: ${bad}`);
      const { chainId, at, scores } = await withDatabase(ctx, async (h) => {
        const chain = await dataChainId(h.db, wholeFlag(opts.chainId, '--chain-id') ?? ctx.config.chain.chainId);
        const t =
          opts.at !== undefined
            ? parseTime(opts.at)
            : await afterLastEvent(h.db, chain).catch((err: unknown) => {
                throw new UserError((err as Error).message, { cause: err });
              });
        return { chainId: chain, at: t, scores: await scoreWalletsFromDb(h.db, chain, artifact, t) };
      });
      const wanted = opts.wallet ? new Set(opts.wallet.map((w) => w.toLowerCase())) : undefined;
      const picked = wanted ? scores.filter((s) => wanted.has(s.wallet.toLowerCase())) : scores;
      const missing = wanted ? [...wanted].filter((w) => !picked.some((s) => s.wallet.toLowerCase() === w)) : [];
      const distribution = scoreDistribution(picked);
      let file: string | undefined;
      if (opts.out) {
        file = path.resolve(opts.out);
        const lines = picked.map((s) => `${s.wallet},${s.score},${s.pd.toString()},${s.featuresHash}`);
        writeFileSync(file, `${['wallet,score,pd,featuresHash', ...lines].join('\n')}\n`);
      }
      const when = new Date(at * 1000).toISOString();
      ctx.print(
        [
          `model ${modelId}, chain ${chainId}, history before ${when}: ${picked.length} wallet(s) scored`,
          distribution
            ? `score min ${distribution.min}, p10 ${distribution.p10}, median ${distribution.median}, p90 ${distribution.p90}, max ${distribution.max}`
            : 'no wallets to score',
          ...(missing.length ? [`no history before ${when} for: ${missing.join(', ')}`] : []),
          ...(file ? [`wrote ${file}`] : []),
        ].join('\n'),
        { modelId, chainId, at, count: picked.length, distribution, missing, ...(file ? { file } : {}) },
      );
    });
}
