import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encryptKeystoreJson, Wallet } from 'ethers';
import { scrubSecrets } from '../core';
import { loadSigner } from './keys';

describe('signer keys', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ro-keys-'));
  const wallet = Wallet.createRandom();

  it('loads an encrypted keystore with a password file, and registers the key as a secret', async () => {
    const keystore = path.join(dir, 'signer.json');
    writeFileSync(
      keystore,
      await encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, 'correct horse', { scrypt: { N: 1 << 10 } }),
    );
    writeFileSync(path.join(dir, 'pw'), 'correct horse\n');
    const loaded = await loadSigner({ keystore, passwordFile: path.join(dir, 'pw') });
    expect(loaded.address).toBe(wallet.address);
    expect(scrubSecrets(`key=${wallet.privateKey}`)).toBe('key=[redacted]');
    await expect(loadSigner({ keystore, password: 'wrong' })).rejects.toThrow(`Cannot decrypt keystore ${keystore}: wrong password`);
  });

  it('loads a development key from an env variable; errors name the variable, never the value', async () => {
    const dev = Wallet.createRandom();
    const loaded = await loadSigner({ privateKeyEnv: 'SIGNER_1_KEY' }, undefined, { SIGNER_1_KEY: dev.privateKey });
    expect(loaded.address).toBe(dev.address);
    await expect(loadSigner({ privateKeyEnv: 'SIGNER_2_KEY' }, undefined, {})).rejects.toThrow(
      'Signer key variable SIGNER_2_KEY is not set',
    );
    const bad = '0x1234deadbeef5678';
    const error = await loadSigner({ privateKeyEnv: 'SIGNER_3_KEY' }, undefined, { SIGNER_3_KEY: bad }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/SIGNER_3_KEY does not hold a valid private key/);
    expect((error as Error).message).not.toContain('deadbeef');
    await expect(loadSigner({ keystore: path.join(dir, 'missing.json'), password: 'x' })).rejects.toThrow(
      /Cannot read keystore .*missing\.json: ENOENT/,
    );
  });
});
