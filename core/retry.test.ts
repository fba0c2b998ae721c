import { RetryableError, UserError } from './errors';
import { backoffDelay, isTransient, retry } from './retry';

describe('retry', () => {
  it('retries transient failures with growing, jittered, capped delays', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await retry(
      async () => {
        calls++;
        if (calls < 4) throw new RetryableError('flaky');
        return 'ok';
      },
      { baseDelayMs: 1, maxDelayMs: 4, random: () => 0.999, onRetry: (_e, _a, d) => delays.push(d) },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(4);
    expect(delays).toEqual([0, 1, 3]);
  });

  it('stops at once on a non-transient error, and after the last retry', async () => {
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new UserError('bad input');
        },
        { baseDelayMs: 1 },
      ),
    ).rejects.toThrow('bad input');
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new RetryableError('down');
        },
        { retries: 2, baseDelayMs: 1 },
      ),
    ).rejects.toThrow('down');
    expect(calls).toBe(3);
  });

  it('classifies 429, 5xx, resets and time-outs as transient, 4xx as not', () => {
    expect(isTransient({ status: 429 })).toBe(true);
    expect(isTransient({ statusCode: 503 })).toBe(true);
    expect(isTransient({ code: 'ECONNRESET' })).toBe(true);
    expect(isTransient(new Error('x', { cause: { code: 'ETIMEDOUT' } }))).toBe(true);
    expect(isTransient({ status: 400 })).toBe(false);
    expect(isTransient(new Error('revert'))).toBe(false);
    expect(backoffDelay(10, 100, 5000, () => 1)).toBe(5000);
  });
});
