import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { FetchRequest } from 'ethers';
import { useLinearGetUrl } from './geturl';

describe('the linear HTTP transport under ethers', () => {
  let server: http.Server;
  let base: string;
  const big = Buffer.alloc(3_000_000, 'a'); // sent in 64 KiB pieces: the case ethers copied quadratically

  beforeAll(async () => {
    useLinearGetUrl();
    server = http.createServer((req, res) => {
      if (req.url === '/big') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        for (let i = 0; i < big.length; i += 65_536) res.write(big.subarray(i, i + 65_536));
        res.end();
      } else if (req.url === '/gzip') {
        res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' });
        res.end(gzipSync(Buffer.from('{"ok":true}')));
      } else if (req.url === '/echo') {
        const parts: Buffer[] = [];
        req.on('data', (p: Buffer) => parts.push(p));
        req.on('end', () => res.end(JSON.stringify({ method: req.method, body: Buffer.concat(parts).toString() })));
      } else if (req.url === '/hang') {
        // never answers
      } else {
        res.writeHead(503, 'Busy');
        res.end('busy');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('returns a large body whole, a gzip body decoded, a request body sent, and status codes as they are', async () => {
    const large = await new FetchRequest(`${base}/big`).send();
    expect(Buffer.from(large.body!).equals(big)).toBe(true);
    expect((await new FetchRequest(`${base}/gzip`).send()).bodyJson).toEqual({ ok: true });
    const post = new FetchRequest(`${base}/echo`);
    post.body = Buffer.from('{"id":1}');
    expect((await post.send()).bodyJson).toEqual({ method: 'POST', body: '{"id":1}' });
    const busy = new FetchRequest(`${base}/other`);
    busy.retryFunc = async () => false;
    const response = await busy.send();
    expect([response.statusCode, response.statusMessage]).toEqual([503, 'Busy']);
  });

  it('times out a server that never answers, and refuses a protocol it does not speak', async () => {
    const hang = new FetchRequest(`${base}/hang`);
    hang.timeout = 300;
    await expect(hang.send()).rejects.toMatchObject({ code: 'TIMEOUT' });
    // ours is the transport registered: its message names the URL's protocol with the colon
    await expect(new FetchRequest('ftp://127.0.0.1/x').send()).rejects.toThrow(/unsupported protocol ftp:/);
  });
});
