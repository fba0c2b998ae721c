import { ClientError, GraphQLClient } from 'graphql-request';
import { RetryableError, UserError } from '../../core/errors';
import { registerSecret, scrubSecrets, type Logger } from '../../core/logger';
import { retry, type RetryOptions } from '../../core/retry';

/**
 * One subgraph endpoint: rate-limited (requests started per second), retried with back-off on 429, 5xx and
 * network failures, and with errors that name the endpoint and never contain the API key.
 */
export interface SubgraphClientOptions {
  endpoint: string;
  /** Sent as `Authorization: Bearer <key>` (The Graph's gateway); registered as a secret, never logged. */
  apiKey?: string | undefined;
  /** Default: 5 (The Graph's free tier allows more; a shared key is better kept low). */
  requestsPerSecond?: number | undefined;
  /** Default: 5 retries from 500 ms. */
  retry?: Pick<RetryOptions, 'retries' | 'baseDelayMs' | 'maxDelayMs'> | undefined;
  /** One request's time limit. Default: 30 000 ms. */
  timeoutMs?: number | undefined;
  logger?: Logger | undefined;
}

export interface SubgraphClient {
  /** The endpoint as it may be shown (the API key scrubbed). */
  readonly where: string;
  query<T>(document: string): Promise<T>;
  readonly stats: { requests: number; retries: number };
}

/** Spaces request starts at least 1/rps seconds apart, across concurrent callers. */
function rateLimiter(requestsPerSecond: number): () => Promise<void> {
  const gap = 1000 / requestsPerSecond;
  let next = 0;
  return async () => {
    const now = Date.now();
    const at = Math.max(now, next);
    next = at + gap;
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  };
}

function messages(err: ClientError): string {
  const list = err.response.errors?.map((e) => e.message) ?? [];
  const body = err.response.error; // graphql-request puts a non-JSON body here
  return list.length ? list.join('; ') : typeof body === 'string' ? body.slice(0, 200) : 'no error message';
}

/** Maps a failed request to what the caller should do: retry (429, 5xx), fix the key, or fix the query. */
function classify(err: unknown, where: string): unknown {
  if (!(err instanceof ClientError)) return err; // network failures: isTransient decides
  const status = err.response.status;
  const detail = scrubSecrets(messages(err));
  if (status === 429 || status >= 500) return new RetryableError(`subgraph ${where} answered HTTP ${status}: ${detail}`);
  if (status === 401 || status === 403) {
    return new UserError(`subgraph ${where} refused the API key (HTTP ${status}: ${detail}); check the subgraph API key in the config`);
  }
  return new UserError(`subgraph ${where} rejected the query (HTTP ${status}): ${detail}`);
}

export function createSubgraphClient(options: SubgraphClientOptions): SubgraphClient {
  registerSecret(options.apiKey);
  const where = scrubSecrets(options.endpoint);
  const client = new GraphQLClient(options.endpoint, {
    headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
  });
  const limit = rateLimiter(options.requestsPerSecond ?? 5);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const stats = { requests: 0, retries: 0 };
  return {
    where,
    stats,
    async query<T>(document: string): Promise<T> {
      try {
        return await retry(
          async () => {
            await limit();
            stats.requests++;
            try {
              return await client.request<T>({ document, signal: AbortSignal.timeout(timeoutMs) });
            } catch (err) {
              throw classify(err, where);
            }
          },
          {
            retries: 5,
            baseDelayMs: 500,
            ...options.retry,
            onRetry: (err, attempt, delayMs) => {
              stats.retries++;
              options.logger?.warn(
                { endpoint: where, attempt, delayMs, err: scrubSecrets(String(err)) },
                'subgraph request failed; retrying',
              );
            },
          },
        );
      } catch (err) {
        if (err instanceof UserError || err instanceof RetryableError) throw err;
        // network errors and time-outs after the last retry: say where
        const text = scrubSecrets(err instanceof Error ? `${err.message}${err.cause ? ` (${String(err.cause)})` : ''}` : String(err));
        throw new RetryableError(`subgraph ${where} failed: ${text}`, { cause: err });
      }
    },
  };
}
