import { FetchRequest, JsonRpcProvider, Network, type JsonRpcPayload, type JsonRpcResult } from 'ethers';
import { RetryableError, UserError } from './errors';
import { retry, type RetryOptions } from './retry';

export interface ProviderOptions {
  /** Per-request time-out. Default: 30 000 ms. */
  timeoutMs?: number;
  /** Retries on 429, 5xx, time-outs, malformed answers and wrong response ids. Default: 6. */
  retries?: number;
  /** Known chain id: skips network detection (one request fewer per start). */
  chainId?: number;
  /** Polling interval for events/receipts. Default: 250 ms on 127.0.0.1, 4 000 ms elsewhere. */
  pollingIntervalMs?: number;
  onRetry?: RetryOptions['onRetry'];
  /** Jitter source (tests). */
  random?: () => number;
  /** Base of the exponential back-off. Default: 200 ms. */
  baseDelayMs?: number;
}

/**
 * A JsonRpcProvider whose every request is retried with exponential back-off and jitter on transient failures
 * (HTTP 429 and 5xx, time-outs, connection resets, truncated or malformed JSON, answers with the wrong id).
 * JSON-RPC errors from the node itself (reverts, bad params) are not retried.
 */
export class RetryingProvider extends JsonRpcProvider {
  readonly #retry: RetryOptions;
  readonly #url: string;

  constructor(url: string, options: ProviderOptions = {}) {
    const request = new FetchRequest(url);
    request.timeout = options.timeoutMs ?? 30_000;
    // our own retry loop handles 429; ethers' throttle would retry again underneath it
    request.setThrottleParams({ maxAttempts: 1 });
    const network = options.chainId ? Network.from(options.chainId) : undefined;
    super(request, network, {
      staticNetwork: network,
      batchMaxCount: 1,
      pollingInterval: options.pollingIntervalMs ?? (isLocal(url) ? 250 : 4_000),
    });
    this.#url = url;
    this.#retry = {
      retries: options.retries ?? 6,
      baseDelayMs: options.baseDelayMs ?? 200,
      maxDelayMs: 10_000,
      onRetry: options.onRetry,
      random: options.random,
      shouldRetry: isTransientRpcError,
    };
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const payloads = Array.isArray(payload) ? payload : [payload];
    return retry(async () => {
      let results: JsonRpcResult[];
      try {
        results = await super._send(payload);
      } catch (err) {
        throw classify(err, this.#url);
      }
      // a proxy or a broken node may answer another request's id: never take that as ours
      for (const p of payloads) {
        if (!results.some((r) => r.id === p.id))
          throw new RetryableError(`RPC ${redactUrl(this.#url)} answered ${p.method} with the wrong id`);
      }
      return results;
    }, this.#retry);
  }
}

function isLocal(url: string): boolean {
  return /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])/.test(url);
}

/** RPC URLs often carry an API key in the path or query: keep only scheme, host and port. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(invalid RPC URL)';
  }
}

function classify(err: unknown, url: string): unknown {
  const e = err as { code?: string; shortMessage?: string; message?: string; response?: { statusCode?: number } };
  const status = e.response?.statusCode;
  if (status === 429 || (status !== undefined && status >= 500))
    return new RetryableError(`RPC ${redactUrl(url)} answered HTTP ${status}`, { cause: err });
  if (e.code === 'TIMEOUT') return new RetryableError(`RPC ${redactUrl(url)} timed out`, { cause: err });
  // the node's own JSON-RPC error object (reverts, bad params, "range too large"): the caller decides, not a retry
  if (typeof (err as { error?: { code?: unknown } }).error?.code === 'number') return err;
  if (
    e.code === 'BAD_DATA' ||
    e.code === 'SERVER_ERROR' ||
    /JSON|Unexpected|invalid json|ECONN|socket|fetch failed/i.test(e.message ?? '')
  ) {
    return new RetryableError(`RPC ${redactUrl(url)} failed: ${e.shortMessage ?? e.message}`, { cause: err });
  }
  return err;
}

function isTransientRpcError(err: unknown): boolean {
  return err instanceof RetryableError;
}

/** A provider for `url` that has answered once, bound to its chain id (or a UserError naming the endpoint and what to check). */
export async function connectProvider(url: string | undefined, options: ProviderOptions = {}): Promise<RetryingProvider> {
  if (!url) throw new UserError('No RPC endpoint configured: set RPC_URL or pass --rpc <url>');
  // a raw eth_chainId first: ethers' own network detection would retry forever in the background
  const probe = new RetryingProvider(url, { ...options, chainId: options.chainId ?? 1 });
  let chainId: number;
  try {
    const [answer] = await probe._send({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] });
    if (!answer || 'error' in answer) throw new Error(JSON.stringify(answer));
    chainId = Number(answer.result);
  } catch (err) {
    throw new UserError(`RPC ${redactUrl(url)} is unreachable: ${(err as Error).message}`, { cause: err });
  } finally {
    probe.destroy();
  }
  if (options.chainId !== undefined && chainId !== options.chainId) {
    throw new UserError(`RPC ${redactUrl(url)} is chain ${chainId}, expected ${options.chainId}`);
  }
  return new RetryingProvider(url, { ...options, chainId });
}

/**
 * A plain provider for a local anvil (tests, benchmarks): no response cache, fast polling, and one request per
 * call, because ethers otherwise holds each call 10 ms to batch it and a test makes thousands in a row.
 */
export const localProvider = (rpcUrl: string): JsonRpcProvider =>
  new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, batchMaxCount: 1, pollingInterval: 20 });
