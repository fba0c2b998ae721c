import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transaction } from 'ethers';

/** One JSON-RPC call as a client sent it. */
export interface RpcCall {
  method: string;
  params: unknown[];
}

/** A request the gate holds: neither forwarded nor answered until `release` (or never, if its client dies first). */
export interface HeldCall {
  call: RpcCall;
  /** Forwards the request and answers the client. */
  release(): void;
}

interface Hold {
  match: (call: RpcCall) => boolean;
  resolve: (held: HeldCall) => void;
}

interface After {
  match: (call: RpcCall) => boolean;
  then: (call: RpcCall) => Promise<void>;
}

/**
 * A JSON-RPC proxy in front of a node, for tests that stop a publisher at a precise point with no hook in the code
 * under test: `hold` keeps the first matching request (the process is then waiting right there, e.g. with its
 * attempt recorded and the transaction not yet broadcast), `after` runs something once a matching request has been
 * forwarded and answered (e.g. mine the block that includes it). Records the hash of every raw transaction sent.
 */
export class RpcGate {
  readonly url: string;
  /** Hashes of the raw transactions clients sent through the gate (held ones included), in order. */
  readonly sent: string[] = [];
  readonly #server: Server;
  readonly #target: string;
  #holds: Hold[] = [];
  #afters: After[] = [];
  readonly #held: Array<() => void> = [];

  private constructor(server: Server, target: string) {
    this.#server = server;
    this.#target = target;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** A gate on 127.0.0.1 (a free port) in front of the node at `target`. */
  static async start(target: string): Promise<RpcGate> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const gate = new RpcGate(server, target);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void gate.#handle(req, res));
    return gate;
  }

  /** The first request from now on with a call matching `match` (its whole batch is held). */
  hold(match: (call: RpcCall) => boolean): Promise<HeldCall> {
    return new Promise((resolve) => this.#holds.push({ match, resolve }));
  }

  /** From now on, after forwarding a request with a call matching `match`, runs `then` before answering it. */
  after(match: (call: RpcCall) => boolean, then: (call: RpcCall) => Promise<void>): void {
    this.#afters.push({ match, then });
  }

  /** Forgets every `after` rule (holds already taken stay held). */
  clearAfter(): void {
    this.#afters = [];
  }

  /** One call straight to the node. */
  async call<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    const answer = (await this.#forward(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }))) as {
      result?: T;
      error?: { message: string };
    };
    if (answer.error) throw new Error(`${method} via the RPC gate: ${answer.error.message}`);
    return answer.result as T;
  }

  async close(): Promise<void> {
    for (const drop of this.#held.splice(0)) drop();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    try {
      const parsed = JSON.parse(body) as RpcCall | RpcCall[];
      const calls = (Array.isArray(parsed) ? parsed : [parsed]).map((c) => ({ method: c.method, params: c.params ?? [] }));
      for (const c of calls) if (c.method === 'eth_sendRawTransaction') this.sent.push(Transaction.from(c.params[0] as string).hash!);
      for (const hold of this.#holds) {
        const call = calls.find(hold.match);
        if (!call) continue;
        this.#holds = this.#holds.filter((h) => h !== hold);
        const released = await new Promise<boolean>((resolve) => {
          this.#held.push(() => resolve(false));
          hold.resolve({ call, release: () => resolve(true) });
        });
        if (!released) return void res.destroy();
      }
      const answer = await this.#forward(body);
      for (const a of this.#afters) for (const c of calls.filter(a.match)) await a.then(c);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    } catch (err) {
      res.writeHead(502, { 'content-type': 'text/plain' }).end(`RPC gate: ${(err as Error).message}`);
    }
  }

  async #forward(body: string): Promise<unknown> {
    const response = await fetch(this.#target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return response.json();
  }
}
