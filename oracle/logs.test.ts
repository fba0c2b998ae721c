import type { RiskOracle } from '../contracts/build/types';
import { createTestDatabase } from '../core/test/db';
import { queryLogsInRanges } from './logs';
import { DEFAULT_COLLATERAL_MODEL, modelIdOf } from './propose';
import { verifyRounds } from './verify';

/** What ethers throws for a JSON-RPC error answer: the provider's words are in `error.message`. */
const refusal = (limit: number) =>
  Object.assign(new Error('could not coalesce error'), { error: { code: -32005, message: `query exceeds max block range ${limit}` } });

/** An RPC that answers eth_getLogs for at most `limit` blocks at a time, over logs at `blocks`; it records each ask. */
function rangeLimitedRpc(limit: number, blocks: number[]) {
  const asked: Array<[number, number, 'ok' | 'refused']> = [];
  const query = async (from: number, to: number) => {
    if (to - from + 1 > limit) {
      asked.push([from, to, 'refused']);
      throw refusal(limit);
    }
    asked.push([from, to, 'ok']);
    return blocks.filter((b) => b >= from && b <= to).map((blockNumber) => ({ blockNumber }));
  };
  return { asked, query };
}

describe('queryLogsInRanges', () => {
  const blocks = [0, 3, 999, 1_000, 4_321, 9_999, 10_000, 25_000, 29_999];

  it('reads every log once, in order, in ranges no larger than the chunk', async () => {
    const rpc = rangeLimitedRpc(100_000, blocks);
    const logs = await queryLogsInRanges(rpc.query, 0, 30_000, { chunk: 7_000 });
    expect(logs.map((l) => l.blockNumber)).toEqual(blocks);
    expect(rpc.asked.every(([from, to]) => to - from + 1 <= 7_000)).toBe(true);
    expect(rpc.asked.map(([from]) => from)).toEqual([0, 7_000, 14_000, 21_000, 28_000]);
  });

  it('halves a range the RPC refuses as too large, keeps the size that worked, and still reads every log', async () => {
    const rpc = rangeLimitedRpc(1_000, blocks);
    const shrunk: number[] = [];
    const logs = await queryLogsInRanges(rpc.query, 0, 30_000, { chunk: 10_000, onShrink: (n) => shrunk.push(n) });
    expect(logs.map((l) => l.blockNumber)).toEqual(blocks);
    // every range answered was within the RPC's limit, and together they cover [0, 30000] exactly once
    const answered = rpc.asked.filter(([, , r]) => r === 'ok');
    expect(answered.every(([from, to]) => to - from + 1 <= 1_000)).toBe(true);
    expect(answered.reduce((n, [from, to]) => n + to - from + 1, 0)).toBe(30_001);
    expect(answered.map(([from]) => from)).toEqual([...answered.map(([from]) => from)].sort((a, b) => a - b));
    expect(shrunk.slice(0, 4)).toEqual([5_000, 2_500, 1_250, 625]);
    // after the first shrink the size stays near the limit: far fewer asks than halving from 10 000 every time
    expect(rpc.asked.length).toBeLessThan(120);
  });

  it('throws what is not a range refusal, and a refusal of a single block', async () => {
    await expect(
      queryLogsInRanges(
        async () => {
          throw new Error('connection refused');
        },
        0,
        10,
      ),
    ).rejects.toThrow('connection refused');
    await expect(queryLogsInRanges(rangeLimitedRpc(0, []).query, 5, 9, { chunk: 4 })).rejects.toThrow('could not coalesce error');
    await expect(queryLogsInRanges(rangeLimitedRpc(10, []).query, 0, 9, { chunk: 0 })).rejects.toThrow('expected a whole number of blocks');
    expect(await queryLogsInRanges(rangeLimitedRpc(10, [3]).query, 5, 4)).toEqual([]);
  });
});

describe(`verifyRounds on a range-limited RPC (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  let h: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    h = await createTestDatabase();
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A RiskOracle whose ParametersUpdated events (round 7, three assets) lie far apart, behind an RPC that refuses > 2 000 blocks. */
  function stubOracle(head: number) {
    const events = [120, 15_000, 39_999].map((blockNumber, i) => ({
      blockNumber,
      eventName: 'ParametersUpdated',
      args: { asset: `0x${String(i + 1).repeat(40)}`, round: 7n, modelId: modelIdOf(DEFAULT_COLLATERAL_MODEL) },
    }));
    const rpc = rangeLimitedRpc(
      2_000,
      events.map((e) => e.blockNumber),
    );
    const oracle = {
      queryFilter: async (_filter: unknown, from: number, to: number) => {
        await rpc.query(from, to);
        return events.filter((e) => e.blockNumber >= from && e.blockNumber <= to);
      },
      runner: { provider: { getBlockNumber: async () => head } },
    };
    return { oracle: oracle as unknown as RiskOracle, asked: rpc.asked };
  }

  it('finds every event of the chain where one call over all blocks would be refused', async () => {
    const { oracle, asked } = stubOracle(40_000);
    const report = await verifyRounds({ db: h.db, oracle, chainId: 1, spec: DEFAULT_COLLATERAL_MODEL, logRange: { chunk: 10_000 } });
    // all three found (this database holds none of their inputs, so each is reported as not re-derivable)
    expect(report.checked).toBe(3);
    expect(report.mismatches.map((m) => [m.asset, m.field])).toEqual([
      [`0x${'1'.repeat(40)}`, 'inputs'],
      [`0x${'2'.repeat(40)}`, 'inputs'],
      [`0x${'3'.repeat(40)}`, 'inputs'],
    ]);
    expect(asked.filter(([, , r]) => r === 'ok').every(([from, to]) => to - from + 1 <= 2_000)).toBe(true);
    expect(asked[0]).toEqual([0, 9_999, 'refused']);
  });

  it('reads only the blocks asked for', async () => {
    const { oracle, asked } = stubOracle(40_000);
    const report = await verifyRounds({ db: h.db, oracle, chainId: 1, spec: DEFAULT_COLLATERAL_MODEL, fromBlock: 15_000, toBlock: 15_000 });
    expect(report.checked).toBe(1);
    expect(asked).toEqual([[15_000, 15_000, 'ok']]);
  });
});
