import { readFileSync } from 'node:fs';
import { Wallet, type Provider } from 'ethers';
import { registerSecret, UserError } from '../core';

/** Where a signer's key comes from. A keystore is the production path; an env variable is for development. */
export type KeySource = { keystore: string; password?: string; passwordFile?: string; passwordEnv?: string } | { privateKeyEnv: string };

/**
 * Loads a signing key. The key (and the keystore password) are registered as secrets, so no log line, error or
 * report written through `core` can contain them; errors name the file or variable, never the value.
 */
export async function loadSigner(source: KeySource, provider?: Provider, env: NodeJS.ProcessEnv = process.env): Promise<Wallet> {
  if ('privateKeyEnv' in source) {
    const key = env[source.privateKeyEnv];
    if (!key) throw new UserError(`Signer key variable ${source.privateKeyEnv} is not set`);
    registerSecret(key);
    try {
      return new Wallet(key, provider);
    } catch {
      throw new UserError(`Signer key variable ${source.privateKeyEnv} does not hold a valid private key (expected 32 bytes of hex)`);
    }
  }
  const password =
    source.password ??
    (source.passwordFile ? readFileSync(source.passwordFile, 'utf8').trim() : source.passwordEnv ? env[source.passwordEnv] : undefined);
  if (password === undefined)
    throw new UserError(`No password for keystore ${source.keystore}: set ${source.passwordEnv ?? 'a password file or variable'}`);
  registerSecret(password);
  let json: string;
  try {
    json = readFileSync(source.keystore, 'utf8');
  } catch (err) {
    throw new UserError(`Cannot read keystore ${source.keystore}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  try {
    const decrypted = await Wallet.fromEncryptedJson(json, password);
    registerSecret(decrypted.privateKey);
    return new Wallet(decrypted.privateKey, provider);
  } catch {
    throw new UserError(`Cannot decrypt keystore ${source.keystore}: wrong password or not an encrypted JSON keystore`);
  }
}
