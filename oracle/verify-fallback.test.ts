import { RiskSteward__factory, type RiskOracle } from '../contracts/build/types';
import { createTestDatabase } from '../core/test/db';
import { DEFAULT_COLLATERAL_MODEL } from './propose';
import { verifyRounds } from './verify';

const ASSET = `0x${'a1'.repeat(20)}`;
const STEWARD = `0x${'5e'.repeat(20)}`;
const IMPOSTOR = `0x${'66'.repeat(20)}`;
const GUARDIAN = `0x${'9a'.repeat(20)}`;

/**
 * A RiskOracle whose one log is a `FallBackRecorded` (round 3, by the steward STEWARD), in a transaction whose receipt
 * holds `stewardLogs`. The story of a fall-back comes from the steward's event beside it; without one from that
 * very steward it is a mismatch, not a fall-back.
 */
function oracleWithFallBack(stewardLogs: Array<{ address: string; topics: readonly string[]; data: string }>): RiskOracle {
  const recorded = {
    blockNumber: 50,
    eventName: 'FallBackRecorded',
    transactionHash: `0x${'ab'.repeat(32)}`,
    args: {
      asset: ASSET,
      round: 3n,
      oldLtv: 6_800n,
      oldLiquidationThreshold: 7_300n,
      oldLiquidationBonus: 11_000n,
      ltv: 7_200n,
      liquidationThreshold: 7_700n,
      liquidationBonus: 10_600n,
      steward: STEWARD,
    },
    getTransactionReceipt: async () => ({ logs: stewardLogs }),
  };
  return {
    queryFilter: async () => [recorded],
    runner: { provider: { getBlockNumber: async () => 60 } },
  } as unknown as RiskOracle;
}

describe(`verifyRounds and a guardian's fall-back (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  let h: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    h = await createTestDatabase();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("reports a fall-back round without the steward's own event beside it as a mismatch, even when another contract emits one", async () => {
    const steward = RiskSteward__factory.createInterface();
    const forged = steward.encodeEventLog('ParametersRestored', [ASSET, 2n, 7_200n, 7_700n, 10_600n, GUARDIAN]);
    for (const logs of [[], [{ address: IMPOSTOR, ...forged }]]) {
      const report = await verifyRounds({ db: h.db, oracle: oracleWithFallBack(logs), chainId: 1, spec: DEFAULT_COLLATERAL_MODEL });
      expect(report).toEqual({
        checked: 0,
        fallBacks: [],
        mismatches: [
          {
            asset: ASSET,
            round: 3,
            field: 'fallBack',
            published: `recorded by ${STEWARD}`,
            derived: 'no ParametersRestored or RoundSkipped of that steward in the transaction',
          },
        ],
      });
    }
  });
});
