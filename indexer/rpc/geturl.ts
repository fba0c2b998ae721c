import http from 'node:http';
import https from 'node:https';
import { gunzipSync } from 'node:zlib';
import { FetchRequest, makeError, type FetchGetUrlFunc } from 'ethers';

/**
 * The HTTP transport under ethers' `FetchRequest` (which keeps its retries, throttling and JSON handling), for Node,
 * with a response body gathered as a list of chunks and joined once at the end. ethers' own Node transport grows the
 * body by copying everything received so far at every chunk: quadratic in the answer's size, and an `eth_getLogs`
 * answer of 10,000+ logs is several MB (the indexer spent more CPU there than in decoding the logs). A cancelled
 * request is aborted on the socket too.
 */
const linearGetUrl: FetchGetUrlFunc = (req, signal) =>
  new Promise((resolve, reject) => {
    const url = new URL(req.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return reject(makeError(`unsupported protocol ${url.protocol}`, 'UNSUPPORTED_OPERATION', { operation: 'request' }));
    if (url.protocol === 'http:' && req.credentials && !req.allowInsecureAuthentication)
      return reject(makeError('insecure authorized connections unsupported', 'UNSUPPORTED_OPERATION', { operation: 'request' }));
    if (signal?.cancelled) return reject(makeError('request cancelled before sending', 'CANCELLED'));

    const controller = new AbortController();
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method: req.method,
      headers: { ...req.headers },
      signal: controller.signal,
      timeout: req.timeout,
    });
    signal?.addListener(() => {
      controller.abort();
      reject(makeError('request cancelled', 'CANCELLED'));
    });
    request.on('timeout', () => {
      request.destroy();
      reject(makeError('request timeout', 'TIMEOUT'));
    });
    request.on('error', reject);
    request.on('response', (response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('error', reject);
      response.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(response.headers))
          headers[name] = Array.isArray(value) ? value.join(', ') : (value ?? '');
        let body: Uint8Array | null = parts.length > 0 ? Buffer.concat(parts) : null;
        try {
          if (body && headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        } catch (error) {
          return reject(makeError('bad response data', 'SERVER_ERROR', { request: req, info: { error } }));
        }
        resolve({ statusCode: response.statusCode ?? 0, statusMessage: response.statusMessage ?? '', headers, body });
      });
    });
    request.end(req.body ? Buffer.from(req.body) : undefined);
  });

let registered = false;

/** Makes every ethers request of this process use `linearGetUrl` (ethers keeps one transport per process). */
export function useLinearGetUrl(): void {
  if (registered) return;
  FetchRequest.registerGetUrl(linearGetUrl);
  registered = true;
}
