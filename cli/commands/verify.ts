import type { Command } from 'commander';
import { getAddress } from 'ethers';
import { connectProvider, UserError } from '../../core';
import { RiskOracle__factory } from '../../contracts/build/types';
import { DEFAULT_COLLATERAL_MODEL } from '../../oracle/propose';
import { verifyRounds } from '../../oracle/verify';
import { commandContext, withDatabase } from '../context';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('re-derive published rounds from public data and the model, and compare them bit for bit with the chain')
    .requiredOption('--oracle <address>', 'the RiskOracle contract')
    .option('--round <n>', 'only this round (default: all)')
    .action(async (opts: { oracle: string; round?: string }, command: Command) => {
      const ctx = commandContext(command);
      let address: string;
      try {
        address = getAddress(opts.oracle);
      } catch {
        throw new UserError(`--oracle: not an address: ${opts.oracle}`);
      }
      const provider = await connectProvider(ctx.config.chain.rpcUrl, {
        timeoutMs: ctx.config.chain.timeoutMs,
        retries: ctx.config.chain.retries,
      });
      try {
        const chainId = Number((await provider.getNetwork()).chainId);
        const oracle = RiskOracle__factory.connect(address, provider);
        const report = await withDatabase(ctx, (h) =>
          verifyRounds({
            db: h.db,
            oracle,
            chainId,
            spec: DEFAULT_COLLATERAL_MODEL,
            round: opts.round === undefined ? undefined : Number(opts.round),
          }),
        );
        const lines = report.mismatches.map(
          (m) => `MISMATCH ${m.asset} round ${m.round} ${m.field}: published ${m.published}, derived ${m.derived}`,
        );
        ctx.print([...lines, `${report.checked} round(s) checked, ${report.mismatches.length} mismatch(es)`].join('\n'), {
          checked: report.checked,
          mismatches: report.mismatches.length,
          list: report.mismatches,
        });
        if (report.mismatches.length > 0) process.exitCode = 1;
      } finally {
        provider.destroy();
      }
    });
}
