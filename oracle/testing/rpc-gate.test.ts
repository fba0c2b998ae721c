import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transaction, Wallet } from 'ethers';
import { RpcGate } from './rpc-gate';

/** A node that answers every call with its method's name, and remembers what reached it. */
async function echoNode(): Promise<{ url: string; seen: string[]; server: Server }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const call = JSON.parse(body) as { id: number; method: string };
      seen.push(call.method);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: call.id, result: call.method }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

describe('RpcGate', () => {
  it('holds the matching request unforwarded until released, runs `after` rules, and records raw transaction hashes', async () => {
    const node = await echoNode();
    const gate = await RpcGate.start(node.url);
    const post = (method: string, params: unknown[] = []) =>
      fetch(gate.url, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 7, method, params }) }).then(
        (r) => r.json() as Promise<{ result: string }>,
      );
    try {
      const raw = await Wallet.createRandom().signTransaction({
        to: Wallet.createRandom().address,
        chainId: 1,
        gasLimit: 21_000n,
        gasPrice: 1n,
      });
      const held = gate.hold((c) => c.method === 'eth_sendRawTransaction');
      const answer = post('eth_sendRawTransaction', [raw]);
      const { call, release } = await held;
      expect(call.method).toBe('eth_sendRawTransaction');
      expect(gate.sent).toEqual([Transaction.from(raw).hash]);
      // other calls pass meanwhile; the held one has not reached the node
      expect((await post('eth_chainId')).result).toBe('eth_chainId');
      expect(node.seen).toEqual(['eth_chainId']);
      release();
      expect((await answer).result).toBe('eth_sendRawTransaction');

      gate.after(
        (c) => c.method === 'eth_blockNumber',
        async () => void (await gate.call('evm_mine')),
      );
      await post('eth_blockNumber');
      gate.clearAfter();
      await post('eth_blockNumber');
      expect(node.seen).toEqual(['eth_chainId', 'eth_sendRawTransaction', 'eth_blockNumber', 'evm_mine', 'eth_blockNumber']);
    } finally {
      await gate.close();
      node.server.close();
    }
  });
});
