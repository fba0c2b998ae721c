import { keccak256, toBeHex, zeroPadValue } from 'ethers';
import { createTestDatabase } from '../core/test/db';
import {
  addSignature,
  beginPublication,
  epochLeaves,
  publicationsOf,
  raiseAlert,
  saveEpoch,
  saveRound,
  setRoundStatus,
  signaturesFor,
  updatePublication,
  type RoundRecord,
} from './store';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

describe(`oracle store (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  let h: TestDb;
  beforeAll(async () => {
    h = await createTestDatabase();
  });
  afterAll(async () => {
    await h.close();
  });

  const round: RoundRecord = {
    chainId: 31337,
    asset: '0xAbC0000000000000000000000000000000000001',
    round: 1,
    ltv: 7_500,
    liquidationThreshold: 8_000,
    liquidationBonus: 10_500,
    modelId: '0x01',
    inputsRoot: '0x02',
    validUntil: 2_000,
    atBlock: 10,
    status: 'proposed',
    explanation: { quantile: 0.99 },
  };

  it('saves a round with its guard decisions once, however often it is re-run', async () => {
    const decisions = [{ guard: 'step', decision: 'clip' as const, reason: 'ltv clipped', details: { from: 8_000, to: 7_500 } }];
    expect(await saveRound(h.db, round, decisions)).toBe(true);
    expect(await saveRound(h.db, round, decisions)).toBe(false);
    const rows = await h.db.selectFrom('risk_parameter_rounds').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ asset: round.asset.toLowerCase(), ltv: 7_500, status: 'proposed', explanation: { quantile: 0.99 } });
    const recorded = await h.db.selectFrom('guard_decisions').selectAll().execute();
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      subject: `round:${round.asset.toLowerCase()}:1`,
      decision: 'clip',
      details: { from: 8_000, to: 7_500 },
    });
    await setRoundStatus(h.db, round.chainId, round.asset, 1, 'signed', '0xdigest');
    expect(await h.db.selectFrom('risk_parameter_rounds').select(['status', 'batch_digest']).executeTakeFirstOrThrow()).toEqual({
      status: 'signed',
      batch_digest: '0xdigest',
    });
  });

  it('supersedes a held, changed or expired round that is not on its way to the chain, and never a signed one', async () => {
    const r = { ...round, asset: '0xAbC0000000000000000000000000000000000002' };
    const stored = () =>
      h.db.selectFrom('risk_parameter_rounds').selectAll().where('asset', '=', r.asset.toLowerCase()).executeTakeFirstOrThrow();
    expect(await saveRound(h.db, { ...r, status: 'held' }, [{ guard: 'drift', decision: 'hold', reason: 'drifted' }])).toBe(true);
    // the held round does not block its number: the next proposal takes its place
    expect(await saveRound(h.db, { ...r, validUntil: 2_500 }, [], { now: 1_000 })).toBe(true);
    expect(await stored()).toMatchObject({ status: 'proposed', valid_until: 2_500 });
    // the same proposal before it expires is kept (its collected signatures stay valid)
    expect(await saveRound(h.db, { ...r, validUntil: 3_000 }, [], { now: 1_000 })).toBe(false);
    expect((await stored()).valid_until).toBe(2_500);
    // once expired, or with other parameters, it is replaced
    expect(await saveRound(h.db, { ...r, validUntil: 3_000 }, [], { now: 2_500 })).toBe(true);
    expect(await saveRound(h.db, { ...r, ltv: 7_400, validUntil: 3_000 }, [], { now: 2_600 })).toBe(true);
    expect(await stored()).toMatchObject({ ltv: 7_400, valid_until: 3_000 });
    await setRoundStatus(h.db, r.chainId, r.asset, 1, 'signed', '0xd');
    expect(await saveRound(h.db, { ...r, ltv: 7_300, validUntil: 9_000 }, [], { now: 9_000 })).toBe(false);
    expect(await stored()).toMatchObject({ ltv: 7_400, status: 'signed' });
    const decisions = await h.db
      .selectFrom('guard_decisions')
      .select('guard')
      .where('subject', '=', `round:${r.asset.toLowerCase()}:1`)
      .execute();
    expect(decisions).toEqual([{ guard: 'drift' }]);
  });

  it('stores an epoch and all of its scores atomically, and returns them in wallet order', async () => {
    const leaves = Array.from({ length: 4_500 }, (_, i) => ({
      wallet: zeroPadValue(toBeHex(4_500 - i), 20),
      score: 300 + (i % 500),
      pd: BigInt(i) * 10n ** 14n,
      featuresHash: keccak256(toBeHex(i, 32)),
      features: toBeHex(i, 8),
    }));
    const epoch = { chainId: 31337, epoch: 1, root: '0xroot', modelId: '0xmodel', atBlock: 12, status: 'proposed' as const, leaves };
    expect(await saveEpoch(h.db, epoch)).toBe(true);
    expect(await saveEpoch(h.db, epoch)).toBe(false);
    const back = await epochLeaves(h.db, 31337, 1);
    expect(back).toHaveLength(4_500);
    expect(back[0]!.wallet).toBe(zeroPadValue(toBeHex(1), 20));
    expect(back[0]!.pd).toBe(4_499n * 10n ** 14n);
    // a held epoch is superseded by another proposal under its number, leaves included; a published one never
    expect(await saveEpoch(h.db, { ...epoch, epoch: 2, status: 'held', dataTime: 100 })).toBe(true);
    expect(await saveEpoch(h.db, { ...epoch, epoch: 2, root: '0xother', leaves: leaves.slice(0, 3), dataTime: 200 })).toBe(true);
    expect(await epochLeaves(h.db, 31337, 2)).toHaveLength(3);
    await h.db.updateTable('credit_epochs').set({ status: 'published' }).where('epoch', '=', 2).execute();
    expect(await saveEpoch(h.db, { ...epoch, epoch: 2, root: '0xthird', dataTime: 300 })).toBe(false);
    expect(await h.db.selectFrom('credit_epochs').select(['root', 'data_time']).where('epoch', '=', 2).executeTakeFirst()).toEqual({
      root: '0xother',
      data_time: 200,
    });
  });

  it('keeps one signature per signer and digest, ordered by signer', async () => {
    for (const signer of ['0xCC', '0xaa', '0xbb', '0xaa']) {
      await addSignature(h.db, { chainId: 1, digest: '0xd', signer, kind: 'parameters', signature: `sig-${signer.toLowerCase()}` });
    }
    expect(await signaturesFor(h.db, 1, '0xd')).toEqual([
      { signer: '0xaa', signature: 'sig-0xaa' },
      { signer: '0xbb', signature: 'sig-0xbb' },
      { signer: '0xcc', signature: 'sig-0xcc' },
    ]);
  });

  it('tracks publication attempts and alerts', async () => {
    const first = await beginPublication(h.db, 1, '0xd', 'parameters');
    await updatePublication(h.db, 1, '0xd', first, { status: 'replaced', txHash: '0xt1', nonce: 3 });
    const second = await beginPublication(h.db, 1, '0xd', 'parameters');
    await updatePublication(h.db, 1, '0xd', second, { status: 'confirmed', txHash: '0xt2', nonce: 3, gasUsed: 70_000, blockNumber: 9 });
    const attempts = await publicationsOf(h.db, 1, '0xd');
    expect(attempts.map((a) => [a.attempt, a.status, a.tx_hash])).toEqual([
      [1, 'replaced', '0xt1'],
      [2, 'confirmed', '0xt2'],
    ]);
    await raiseAlert(h.db, 'warning', 'drift', 'feature drift: utilisation');
    expect(await h.db.selectFrom('alerts').select(['kind', 'message']).execute()).toEqual([
      { kind: 'drift', message: 'feature drift: utilisation' },
    ]);
  });
});
