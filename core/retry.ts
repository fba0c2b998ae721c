import { RetryableError } from './errors';

export interface RetryOptions {
  /** Attempts after the first. Default: 5. */
  retries?: number;
  /** First back-off in ms; doubles each attempt. Default: 200. */
  baseDelayMs?: number;
  /** Ceiling of one back-off. Default: 10 000. */
  maxDelayMs?: number;
  /** Which errors are worth another try. Default: {@link isTransient}. */
  shouldRetry?: (err: unknown) => boolean;
  /** Called before each wait (for logs and metrics). */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Random source for jitter (tests pass a fixed one). */
  random?: () => number;
}

const TRANSIENT_CODES = new Set([
  'ETIMEDOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'TIMEOUT',
  'SERVER_ERROR',
  'NETWORK_ERROR',
  'BAD_DATA',
]);

/** True for failures that a later attempt may not see: 429, 5xx, time-outs, resets, malformed answers. */
export function isTransient(err: unknown): boolean {
  if (err instanceof RetryableError) return true;
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; status?: unknown; statusCode?: unknown; name?: unknown; cause?: unknown };
  const status = Number(e.status ?? e.statusCode);
  if (status === 429 || (status >= 500 && status < 600)) return true;
  if (typeof e.code === 'string' && TRANSIENT_CODES.has(e.code)) return true;
  if (e.name === 'AbortError' || e.name === 'TimeoutError' || e.name === 'SyntaxError') return true;
  return e.cause !== undefined && e.cause !== err && isTransient(e.cause);
}

/** Exponential back-off with full jitter: a random wait in [0, min(max, base·2^attempt)]. */
export function backoffDelay(attempt: number, base: number, max: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(max, base * 2 ** attempt));
}

/** Runs `fn` until it succeeds, a non-transient error occurs, or the retries are spent (the last error is thrown). */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const retries = options.retries ?? 5;
  const shouldRetry = options.shouldRetry ?? isTransient;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= retries || !shouldRetry(err)) throw err;
      const delay = backoffDelay(attempt, options.baseDelayMs ?? 200, options.maxDelayMs ?? 10_000, options.random);
      options.onRetry?.(err, attempt + 1, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
