import { createTestDatabase } from '../../core/test/db';
import { createRandom } from '../../core/random';
import { driftDecision, referenceDistributions } from '../drift';
import { recordDecisions, saveEpoch } from '../store';
import { latestEpochDrift } from './queries';
import { MODEL, ROOT, WETH } from './testing';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;
const CHAIN = 31337;
const FEATURES = ['age_days', 'borrow_count', 'open_collateral_vol_7d'];

/** Training rows (row-major) and a scored population `shift` away from them on `borrow_count`. */
function population(seed: number, n: number, shift = 0): number[][] {
  const random = createRandom(seed);
  return Array.from({ length: n }, () => [random() * 365, random() * 10 + shift, 0.01 + random() * 0.04]);
}

describe(`the drift guard's newest epoch decision (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  let h: TestDb;
  const training = population(1, 2_000);
  const references = referenceDistributions(
    FEATURES,
    training.flat(),
    training.map((_, i) => i),
    { marketLevel: ['open_collateral_vol_7d'] },
  );
  /** The guard on a scored population, as `scoreEpoch` runs it. */
  const guard = (rows: number[][], threshold = 0.25) =>
    driftDecision(references, Object.fromEntries(FEATURES.map((f, j) => [f, rows.map((r) => r[j]!)])), threshold);

  beforeAll(async () => {
    h = await createTestDatabase();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is null before any epoch was proposed, and picks the newest epoch decision, passed or held, with its figures', async () => {
    expect(await latestEpochDrift(h.db, CHAIN)).toBeNull();

    // epoch 1 passed, stored with its decisions as a proposal is
    const calm = guard(population(2, 300));
    expect(calm.decision).toBe('pass');
    await saveEpoch(h.db, {
      chainId: CHAIN,
      epoch: 1,
      root: ROOT,
      modelId: MODEL,
      atBlock: 10,
      status: 'published',
      decisions: [calm],
      leaves: [],
    });
    const first = await latestEpochDrift(h.db, CHAIN);
    expect(first).toMatchObject({ subject: 'epoch:1', epoch: 1, decision: 'pass', reason: calm.reason, threshold: 0.25 });
    expect(first!.psi).toEqual((calm.details as { psi: Record<string, number> }).psi);
    expect(Object.keys(first!.psi)).toEqual(FEATURES);
    expect(first!.outOfSupport).toEqual({ open_collateral_vol_7d: 0 });
    expect(first!.time).toBeGreaterThan(1_700_000_000);

    // epoch 2 held (borrow counts moved, a tenth of the volatility beyond the training range), then other guards and a
    // round's drift decision recorded after it: neither is an epoch's drift decision
    const moved = population(3, 300, 8).map((r, i) => (i % 4 === 0 ? [r[0]!, r[1]!, 0.5] : r));
    const held = guard(moved);
    expect(held.decision).toBe('hold');
    await recordDecisions(h.db, CHAIN, 'epoch:2', [held, { guard: 'range', decision: 'pass', reason: '300 scores within 300–850' }]);
    await recordDecisions(h.db, CHAIN, `round:${WETH}:7`, [{ guard: 'drift', decision: 'hold', reason: 'volatility PSI 0.41 > 0.25' }]);
    await recordDecisions(h.db, CHAIN + 1, 'epoch:9', [guard(population(4, 300))]);
    const second = await latestEpochDrift(h.db, CHAIN);
    expect(second).toMatchObject({ subject: 'epoch:2', epoch: 2, decision: 'hold', reason: held.reason, threshold: 0.25 });
    expect(second!.psi.borrow_count).toBeGreaterThan(0.25);
    expect(second!.outOfSupport.open_collateral_vol_7d).toBeCloseTo(0.25, 2);
    expect(second!.reason).toMatch(/borrow_count \(PSI [\d.]+\).*open_collateral_vol_7d \(25\.0 % of wallets outside the training range/);

    // epoch 2 proposed again under the same number at a higher threshold: the newer decision is what stands
    const again = guard(
      moved.map((r) => [r[0]!, r[1]!, 0.03]),
      10,
    );
    expect(again.decision).toBe('pass');
    await recordDecisions(h.db, CHAIN, 'epoch:2', [again]);
    expect(await latestEpochDrift(h.db, CHAIN)).toMatchObject({
      epoch: 2,
      decision: 'pass',
      threshold: 10,
      outOfSupport: { open_collateral_vol_7d: 0 },
    });
    expect((await latestEpochDrift(h.db, CHAIN + 1))!.epoch).toBe(9);
  });

  it('reads a drift decision that recorded no figures as such', async () => {
    await recordDecisions(h.db, CHAIN, 'epoch:3', [
      { guard: 'drift', decision: 'pass', reason: 'not checked: the artifact carries no training distribution' },
    ]);
    expect(await latestEpochDrift(h.db, CHAIN)).toMatchObject({
      subject: 'epoch:3',
      epoch: 3,
      decision: 'pass',
      threshold: null,
      psi: {},
      outOfSupport: {},
    });
  });
});
