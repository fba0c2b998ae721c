import path from 'node:path';
import type { Command } from 'commander';
import { isAddress, NonceManager, Wallet, type Signer } from 'ethers';
import { connectProvider, registerSecret, UserError, type RetryingProvider } from '../../core';
import { deployAll, deploymentJson, writeDeployment } from '../../contracts';
import { commandContext } from '../context';
import { createStepReporter } from '../progress';

interface DeployFlags {
  out: string;
  signers?: string;
  threshold?: string;
  signer?: string[];
  deployerKeyEnv?: string;
  guardian?: string;
}

const wholeNumber = (value: string, flag: string, min: number): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new UserError(`${flag} must be a whole number ≥ ${min}, got ${JSON.stringify(value)}`);
  return n;
};

/** The deployer: a private key from an environment variable (never printed), else the RPC's unlocked account 0. */
async function deployerSigner(provider: RetryingProvider, keyEnv: string | undefined): Promise<Signer> {
  if (keyEnv) {
    const key = process.env[keyEnv];
    if (!key) throw new UserError(`--deployer-key-env ${keyEnv}: the variable is not set`);
    registerSecret(key);
    let wallet: Wallet;
    try {
      wallet = new Wallet(key, provider);
    } catch {
      throw new UserError(`--deployer-key-env ${keyEnv}: the variable does not hold a 32-byte hex private key`);
    }
    return new NonceManager(wallet);
  }
  const accounts = (await provider.send('eth_accounts', [])) as string[];
  if (accounts.length === 0)
    throw new UserError('the RPC has no unlocked accounts: pass --deployer-key-env NAME with a private key in that variable');
  return provider.getSigner(0);
}

/** The RiskOracle signer set: --signer addresses, or the RPC's unlocked accounts 1..N (development chains). */
async function signerSet(provider: RetryingProvider, opts: DeployFlags): Promise<{ signers: string[]; threshold: number }> {
  let signers: string[];
  if (opts.signer?.length) {
    if (opts.signers !== undefined) throw new UserError('pass either --signers N or --signer ADDR..., not both');
    const bad = opts.signer.find((a) => !isAddress(a));
    if (bad) throw new UserError(`--signer: not an address: ${bad}`);
    signers = opts.signer;
  } else {
    const n = wholeNumber(opts.signers ?? '3', '--signers', 1);
    const accounts = (await provider.send('eth_accounts', [])) as string[];
    if (accounts.length < n + 1)
      throw new UserError(
        `--signers ${n}: the RPC has ${accounts.length} unlocked account(s), ${n + 1} are needed (the deployer and ${n} signers); pass --signer ADDR... instead`,
      );
    signers = accounts.slice(1, n + 1);
  }
  if (new Set(signers.map((s) => s.toLowerCase())).size !== signers.length) throw new UserError('the signer addresses must differ');
  const threshold = opts.threshold === undefined ? Math.floor(signers.length / 2) + 1 : wholeNumber(opts.threshold, '--threshold', 1);
  if (threshold > signers.length) throw new UserError(`--threshold ${threshold} is more than the ${signers.length} signer(s)`);
  return { signers, threshold };
}

export function registerChain(program: Command): void {
  const chain = program.command('chain').description('on-chain set-up');
  chain
    .command('deploy')
    .description('deploy Aave V3, the DAO, RiskOracle, feeds, steward, model and credit registries and CreditLine; write the addresses')
    .option('--out <file>', 'where to write the deployment JSON', 'deployment.json')
    .option('--signers <n>', "RiskOracle signers: the RPC's unlocked accounts 1..n (development chains; default 3)")
    .option('--threshold <k>', 'signatures a round needs (default: a majority)')
    .option('--signer <addresses...>', 'RiskOracle signer addresses (instead of --signers)')
    .option('--deployer-key-env <name>', "variable holding the deployer's private key (default: the RPC's unlocked account 0)")
    .option('--guardian <address>', 'who may pause RiskOracle and fall back to the last good parameters (default: the deployer)')
    .action(async (opts: DeployFlags, command: Command) => {
      const ctx = commandContext(command);
      const progress = createStepReporter({ quiet: ctx.json });
      const provider = await connectProvider(ctx.config.chain.rpcUrl, {
        timeoutMs: ctx.config.chain.timeoutMs,
        retries: ctx.config.chain.retries,
        chainId: ctx.config.chain.chainId,
      });
      try {
        if (opts.guardian !== undefined && !isAddress(opts.guardian)) throw new UserError(`--guardian: not an address: ${opts.guardian}`);
        const deployer = await deployerSigner(provider, opts.deployerKeyEnv);
        const set = await signerSet(provider, opts);
        const d = await progress.step(`deploying (RiskOracle ${set.threshold}-of-${set.signers.length})`, () =>
          deployAll(deployer, { ...set, ...(opts.guardian ? { guardian: opts.guardian } : {}) }),
        );
        const out = path.resolve(opts.out);
        writeDeployment(out, d);
        const json = deploymentJson(d);
        const guardian = await d.oracle.guardian();
        const rows: Array<[string, unknown]> = [
          ['Aave Pool', d.market.pool.target],
          ['RiskOracle', d.oracle.target],
          ['RiskSteward', d.steward.target],
          ['ModelRegistry', d.models.target],
          ['CreditScoreRegistry', d.registry.target],
          ['CreditLine', d.creditLine.target],
          ['Timelock', d.dao.timelock.target],
          ...d.market.reserves.map((r): [string, unknown] => [`reserve ${r.symbol}`, r.address]),
        ];
        ctx.print(
          [
            `deployed on chain ${d.chainId} from block ${d.block} by ${d.deployer}`,
            ...rows.map(([k, v]) => `  ${k.padEnd(20)} ${String(v)}`),
            `signers (${set.threshold} of ${set.signers.length}): ${set.signers.join(', ')}; guardian ${String(guardian)}`,
            `wrote ${out}`,
          ].join('\n'),
          { ...json, signers: set.signers, threshold: set.threshold, guardian, file: out },
        );
      } finally {
        provider.destroy();
      }
    });
}
