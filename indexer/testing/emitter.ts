import { concat, toBeHex, zeroPadValue, type JsonRpcProvider } from 'ethers';

/**
 * A tiny log-emitting contract, assembled by hand (no compiler): its calldata is a list of records
 * `[topicCount (word), dataLength (word), topics (words)..., data (bytes)]`, and it emits one LOGn per record.
 * Installed with `anvil_setCode` at any address, it makes a Pool, a PoolConfigurator or a price feed emit the
 * exact events those contracts emit, for indexer tests and the benchmark.
 */
type Op = number | { push: string } | { label: string };

const OP = {
  STOP: 0x00,
  ADD: 0x01,
  LT: 0x10,
  EQ: 0x14,
  ISZERO: 0x15,
  SHL: 0x1b,
  POP: 0x50,
  JUMP: 0x56,
  JUMPI: 0x57,
  JUMPDEST: 0x5b,
  CALLDATALOAD: 0x35,
  CALLDATASIZE: 0x36,
  CALLDATACOPY: 0x37,
  PUSH1: 0x60,
  PUSH2: 0x61,
  SWAP2: 0x91,
};
const dup = (n: number): number => 0x7f + n;
const log = (n: number): number => 0xa0 + n;
const push1 = (v: number): Op[] => [OP.PUSH1, v];
const jumpTo = (label: string): Op[] => [{ push: label }, OP.JUMP];

function assemble(program: Op[]): string {
  const labels = new Map<string, number>();
  let pc = 0;
  for (const op of program) {
    if (typeof op === 'number') pc += 1;
    else if ('push' in op) pc += 3;
    else labels.set(op.label, pc++); // a label is a JUMPDEST
  }
  const bytes: number[] = [];
  for (const op of program) {
    if (typeof op === 'number') bytes.push(op);
    else if ('push' in op) {
      const at = labels.get(op.push)!;
      bytes.push(OP.PUSH2, at >> 8, at & 0xff);
    } else bytes.push(OP.JUMPDEST);
  }
  return `0x${Buffer.from(bytes).toString('hex')}`;
}

function emitBranch(n: number): Op[] {
  // stack: [p, nt, dl, doff]; topic i sits at calldata p + 64 + 32 i; LOGn pops offset, size, topic0..topicN-1
  const ops: Op[] = [{ label: `log${n}` }];
  for (let i = n - 1; i >= 0; i--) ops.push(dup(4 + (n - 1 - i)), ...push1(64 + 32 * i), OP.ADD, OP.CALLDATALOAD);
  ops.push(dup(n + 2), ...push1(0), log(n), ...jumpTo('next'));
  return ops;
}

/** Runtime bytecode of the emitter. */
export const EMITTER_CODE = assemble([
  ...push1(0), // p
  { label: 'loop' },
  OP.CALLDATASIZE,
  dup(2),
  OP.LT,
  OP.ISZERO,
  { push: 'end' },
  OP.JUMPI,
  dup(1),
  OP.CALLDATALOAD, // nt
  dup(2),
  ...push1(32),
  OP.ADD,
  OP.CALLDATALOAD, // dl
  dup(2),
  ...push1(5),
  OP.SHL,
  dup(4),
  OP.ADD,
  ...push1(64),
  OP.ADD, // doff = p + 64 + 32 nt
  dup(2),
  dup(2),
  ...push1(0),
  OP.CALLDATACOPY, // memory[0..dl) = data
  ...[0, 1, 2, 3].flatMap((n) => [dup(3), ...push1(n), OP.EQ, { push: `log${n}` }, OP.JUMPI]),
  ...jumpTo('log4'),
  ...[0, 1, 2, 3, 4].flatMap(emitBranch),
  { label: 'next' },
  OP.ADD,
  OP.SWAP2,
  OP.POP,
  OP.POP,
  ...jumpTo('loop'), // p = doff + dl
  { label: 'end' },
  OP.STOP,
]);

export interface LogRecord {
  topics: string[];
  data: string;
}

/** Calldata that makes the emitter emit `records` in order. */
export function encodeRecords(records: LogRecord[]): string {
  return concat(
    records.flatMap((r) => [
      zeroPadValue(toBeHex(r.topics.length), 32),
      zeroPadValue(toBeHex((r.data.length - 2) / 2), 32),
      ...r.topics,
      r.data,
    ]),
  );
}

/** Puts the emitter's code at each address (anvil only). */
export async function installEmitter(provider: JsonRpcProvider, ...addresses: string[]): Promise<void> {
  for (const a of addresses) await provider.send('anvil_setCode', [a, EMITTER_CODE]);
}

/** Waits until a transaction is mined (anvil may answer eth_sendTransaction before it mines). */
export async function waitMined(provider: JsonRpcProvider, hash: string): Promise<void> {
  for (;;) {
    const receipt = (await provider.send('eth_getTransactionReceipt', [hash])) as { status?: string } | null;
    if (receipt) {
      if (receipt.status !== '0x1') throw new Error(`emitter transaction ${hash} failed`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * Sends one transaction from an unlocked anvil account that makes `emitter` emit `records`, and (unless `wait` is
 * false) waits for it to be mined; returns its hash.
 */
export async function emitLogs(
  provider: JsonRpcProvider,
  from: string,
  emitter: string,
  records: LogRecord[],
  wait = true,
): Promise<string> {
  const gas = toBeHex(60_000 + records.reduce((g, r) => g + 5_000 + r.topics.length * 1_000 + ((r.data.length - 2) / 2) * 30, 0));
  const hash = (await provider.send('eth_sendTransaction', [{ from, to: emitter, data: encodeRecords(records), gas }])) as string;
  if (wait) await waitMined(provider, hash);
  return hash;
}
