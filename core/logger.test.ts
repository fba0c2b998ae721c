import { Writable } from 'node:stream';
import { createLogger, redact, registerSecret, scrubSecrets } from './logger';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

const PRIVATE_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';

describe('logger redaction', () => {
  it('never writes values under secret-looking keys, at any depth', () => {
    const out = capture();
    const log = createLogger({ destination: out.stream as never, level: 'info' });
    log.info(
      {
        privateKey: PRIVATE_KEY,
        signer: { private_key: PRIVATE_KEY, password: 'hunter22', mnemonic: 'test test test' },
        apiKey: 'abc123456789',
      },
      'loaded signer',
    );
    const text = out.text();
    expect(text).toContain('loaded signer');
    expect(text).not.toContain(PRIVATE_KEY.slice(2));
    expect(text).not.toContain('hunter22');
    expect(text).not.toContain('abc123456789');
    expect(text).toContain('[redacted]');
  });

  it('scrubs registered secrets from messages, nested strings and errors', () => {
    const secret = '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba';
    registerSecret(secret);
    const out = capture();
    const log = createLogger({ destination: out.stream as never });
    log.error({ err: new Error(`bad key ${secret}`), note: `raw ${secret.slice(2)}` }, `signing with ${secret}`);
    expect(out.text()).not.toContain(secret.slice(2));
    expect(scrubSecrets(`x${secret}y`)).toBe('x[redacted]y');
  });

  it('keeps ordinary fields and turns bigints into strings', () => {
    expect(redact({ round: 3n, txHash: '0xabc', nested: [{ amount: 10n }] })).toEqual({
      round: '3',
      txHash: '0xabc',
      nested: [{ amount: '10' }],
    });
  });
});
