/**
 * A minimal JSON-RPC client for the on-chain simulation: plain `fetch`, one HTTP request per batch. The agents send
 * hundreds of transactions and calls per block; ethers' provider would queue, batch and parse each on its own.
 */
export interface RpcRequest {
  method: string;
  params: unknown[];
}

export class RpcCallError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    readonly data: unknown,
    message: string,
  ) {
    super(`${method}: ${message}`);
    this.name = 'RpcCallError';
  }
}

export interface BatchRpc {
  readonly url: string;
  call<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** Every request in one HTTP round trip (chunks of `maxBatch`); results in order. Rejects on the first error. */
  batch<T = unknown>(requests: readonly RpcRequest[]): Promise<T[]>;
  /** As `batch`, but an error is returned in place of its result. */
  batchSettled<T = unknown>(requests: readonly RpcRequest[]): Promise<Array<T | RpcCallError>>;
}

interface Response {
  id: number;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export function createBatchRpc(url: string, options: { maxBatch?: number } = {}): BatchRpc {
  const maxBatch = options.maxBatch ?? 500;
  let nextId = 1;
  const post = async (requests: readonly RpcRequest[]): Promise<Array<unknown>> => {
    const out: unknown[] = [];
    for (let from = 0; from < requests.length; from += maxBatch) {
      const chunk = requests.slice(from, from + maxBatch);
      const first = nextId;
      nextId += chunk.length;
      const body = JSON.stringify(chunk.map((r, i) => ({ jsonrpc: '2.0', id: first + i, method: r.method, params: r.params })));
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (!res.ok) throw new Error(`JSON-RPC ${url}: HTTP ${res.status}`);
      const parsed = (await res.json()) as Response[] | Response;
      const list = Array.isArray(parsed) ? parsed : [parsed];
      const byId = new Map(list.map((r) => [r.id, r]));
      chunk.forEach((r, i) => {
        const reply = byId.get(first + i);
        if (!reply) out.push(new RpcCallError(r.method, -1, undefined, 'no reply in the batch'));
        else if (reply.error) out.push(new RpcCallError(r.method, reply.error.code, reply.error.data, reply.error.message));
        else out.push(reply.result);
      });
    }
    return out;
  };
  const batchSettled = async <T>(requests: readonly RpcRequest[]): Promise<Array<T | RpcCallError>> =>
    (await post(requests)) as Array<T | RpcCallError>;
  const batch = async <T>(requests: readonly RpcRequest[]): Promise<T[]> => {
    const results = await post(requests);
    const failed = results.find((r) => r instanceof RpcCallError);
    if (failed) throw failed;
    return results as T[];
  };
  return {
    url,
    batch,
    batchSettled,
    async call<T>(method: string, params: unknown[] = []): Promise<T> {
      return (await batch<T>([{ method, params }]))[0]!;
    },
  };
}
