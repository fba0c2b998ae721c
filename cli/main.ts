import { CommanderError } from 'commander';
import { errorMessage, scrubSecrets, UserError } from '../core';
import { buildProgram } from './program';

/** Exit codes: 0 ok, 1 failure, 2 usage error. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    process.stderr.write(`risk-oracle: ${scrubSecrets(errorMessage(err))}\n`);
    if (!(err instanceof UserError) && process.env.RISK_ORACLE_DEBUG && err instanceof Error && err.stack) {
      process.stderr.write(`${scrubSecrets(err.stack)}\n`);
    }
    return EXIT.failure;
  }
}

/** Entry point of the `risk-oracle` binary. */
export function runCli(): void {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) runCli();
