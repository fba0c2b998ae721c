import type { Command } from 'commander';
import type { KeySource } from '../oracle/keys';

export interface KeyOptions {
  keystore?: string;
  passwordFile?: string;
  passwordEnv?: string;
  keyEnv?: string;
}

/** Where a development key is read from unless `--key-env` names another variable. */
export const DEFAULT_KEY_ENV = 'RISK_ORACLE_PRIVATE_KEY';

/** The key flags every sending or signing command takes; `defaultKeyEnv` is the variable read without `--key-env`. */
export function withKeyOptions(command: Command, who: string, defaultKeyEnv = DEFAULT_KEY_ENV): Command {
  return command
    .option('--keystore <file>', `encrypted JSON keystore of the ${who}`)
    .option('--password-file <file>', 'file holding the keystore password')
    .option('--password-env <name>', 'variable holding the keystore password (default RISK_ORACLE_KEYSTORE_PASSWORD)')
    .option('--key-env <name>', `development only: variable holding a private key (default ${defaultKeyEnv})`);
}

/** A keystore (password from a file or variable) or, for development, a variable holding the key. */
export function keySource(opts: KeyOptions, defaultKeyEnv = DEFAULT_KEY_ENV): KeySource {
  if (opts.keystore)
    return { keystore: opts.keystore, passwordFile: opts.passwordFile, passwordEnv: opts.passwordEnv ?? 'RISK_ORACLE_KEYSTORE_PASSWORD' };
  return { privateKeyEnv: opts.keyEnv ?? defaultKeyEnv };
}
