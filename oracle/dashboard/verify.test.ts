import { hexlify, keccak256, Wallet } from 'ethers';
import type { RiskOracle } from '../../contracts/build/types';
import { createRandom } from '../../core/random';
import { createTestDatabase } from '../../core/test/db';
import { canonicalJson } from '../../models/credit/canonical-json';
import type { CreditModelSource } from '../../models/credit/stored';
import { encodeWeights, inferQuantized, ONE, scorecard, weightsHash, type QuantizedModel } from '../../models/quantize/model';
import { proposeCreditEpoch, type EpochEntry } from '../credit-epoch';
import { DEFAULT_COLLATERAL_MODEL, modelIdOf } from '../propose';
import type { ChainEpoch, ChainParameterEvent } from './chain';
import { createDashboardVerifier } from './verify';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;
const CHAIN = 31337;

/** A small canonical credit model and the artifact bytes whose keccak256 is its id. */
function creditModel(seed: number): { model: QuantizedModel; json: string; modelId: string } {
  const random = createRandom(seed);
  const w = () => Math.round((random() - 0.5) * 2 * ONE);
  const model: QuantizedModel = {
    layers: [
      { weights: Array.from({ length: 3 }, () => Array.from({ length: 3 }, w)), biases: Array.from({ length: 3 }, w) },
      { weights: [Array.from({ length: 3 }, w)], biases: [-ONE] },
    ],
    ...scorecard(),
  };
  const json = canonicalJson({
    format: 'risk-oracle/credit-model@1',
    kind: 'credit',
    seed,
    quantized: { weights: hexlify(encodeWeights(model)), weightsHash: weightsHash(model), dims: [3, 3, 1] },
  });
  return { model, json, modelId: keccak256(Buffer.from(json)) };
}

describe(`dashboard verification of rounds and epochs (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  let h: TestDb;
  const stored = creditModel(1);
  const byHand = creditModel(2);
  const random = createRandom(5);
  const entries = (m: QuantizedModel): EpochEntry[] =>
    Array.from({ length: 6 }, () => {
      const features = Array.from({ length: 3 }, () => Math.round((random() - 0.5) * 4 * ONE));
      const r = inferQuantized(m, features);
      return { wallet: Wallet.createRandom().address, score: r.score, pd: r.pd, features };
    });
  const onChain: ChainEpoch[] = [];
  const oracle = {} as RiskOracle;

  beforeAll(async () => {
    h = await createTestDatabase();
    // epoch 1 scored by the stored model, epoch 2 by the one given by hand, epoch 3 by the stored one with a score inflated
    const tampered = entries(stored.model);
    tampered[2] = { ...tampered[2]!, score: tampered[2]!.score + 1 };
    const epochs: Array<[number, string, EpochEntry[]]> = [
      [1, stored.modelId, entries(stored.model)],
      [2, byHand.modelId, entries(byHand.model)],
      [3, stored.modelId, tampered],
    ];
    for (const [epoch, modelId, list] of epochs) {
      const e = await proposeCreditEpoch({ db: h.db, chainId: CHAIN, epoch, modelId, atBlock: 10 * epoch, entries: list });
      onChain.push({
        epoch,
        root: e.root,
        modelId,
        walletCount: list.length,
        publishedAt: 1_700_000_000,
        closesAt: 1_700_086_400,
        invalidated: false,
        tx: `0x${String(epoch).repeat(64)}`,
        blockNumber: 10 * epoch,
      });
    }
    await h.db
      .insertInto('model_artifacts')
      .values({
        model_id: stored.modelId,
        kind: 'credit',
        weights_hash: weightsHash(stored.model),
        feature_spec_hash: '0x01',
        seed: 1,
        backend: 'cpu',
        metrics: JSON.stringify({}),
        artifact: stored.json,
      })
      .execute();
  });
  afterAll(async () => {
    await h?.close();
  });

  const check = async (options: { creditModel?: CreditModelSource } = {}) => {
    const verifier = createDashboardVerifier({ db: h.db, oracle, chainId: CHAIN, ...options });
    // two epochs per refresh: ask until every one has an answer
    let out = await verifier.epochs(onChain);
    for (let i = 0; i < 3 && [...out.values()].some((v) => v.state === 'unknown' && v.reason === 'not checked yet'); i++)
      out = await verifier.epochs(onChain);
    return out;
  };

  it("recomputes every score with the artifact of the epoch's model that the database stores, and says so", async () => {
    const out = await check();
    expect(out.get(1)).toEqual({
      state: 'verified',
      basis: 'every score recomputed with the artifact of its model stored in the database',
    });
    const wrong = out.get(3)!;
    expect(wrong.state).toBe('mismatch');
    expect(wrong.state === 'mismatch' && wrong.fields[0]).toMatch(
      /^1 score\(s\) differ from the model \(the artifact of its model stored in the database\), e\.g\. 0x[0-9a-f]{40}: published \d+, recomputed \d+$/,
    );
    // no artifact of epoch 2's model anywhere: its root only
    expect(out.get(2)).toEqual({
      state: 'unknown',
      reason: `root matches the stored leaves; scores not recomputed: the database stores no artifact of credit model ${byHand.modelId} (risk-oracle model import --artifact FILE, or give the dashboard --artifact FILE)`,
    });
  });

  it('falls back to the artifact given by hand for a model the database does not store', async () => {
    const given = (m: typeof byHand): CreditModelSource => ({
      modelId: m.modelId,
      model: m.model,
      basis: 'the artifact given (--artifact)',
    });
    const out = await check({ creditModel: given(byHand) });
    expect(out.get(2)).toEqual({ state: 'verified', basis: 'every score recomputed with the artifact given (--artifact)' });
    expect(out.get(1)).toMatchObject({ state: 'verified', basis: expect.stringContaining('stored in the database') });
    const other = await check({ creditModel: given(stored) });
    expect(other.get(2)).toMatchObject({
      state: 'unknown',
      reason: expect.stringContaining(`and the artifact given is of another model (${stored.modelId})`),
    });
  });

  it('never trusts a stored artifact whose bytes no longer hash to its id', async () => {
    await h.db
      .updateTable('model_artifacts')
      .set({ artifact: `${stored.json} ` })
      .where('model_id', '=', stored.modelId)
      .execute();
    try {
      const out = await check();
      expect(out.get(1)).toMatchObject({ state: 'unknown', reason: expect.stringContaining('no longer hashes to its id') });
    } finally {
      await h.db.updateTable('model_artifacts').set({ artifact: stored.json }).where('model_id', '=', stored.modelId).execute();
    }
  });

  it("re-reads only the blocks of a round's own events, and asks again when they are gone (a reorg)", async () => {
    const asked: Array<[number, number]> = [];
    let present = true;
    const published: ChainParameterEvent[] = [
      '0x00000000000000000000000000000000000000e1',
      '0x00000000000000000000000000000000000000e2',
    ].map((asset) => ({
      asset,
      round: 4,
      ltv: 7_000,
      liquidationThreshold: 7_500,
      liquidationBonus: 10_500,
      modelId: modelIdOf(DEFAULT_COLLATERAL_MODEL),
      inputsRoot: `0x${'00'.repeat(32)}`,
      blockNumber: 5_000_000,
      t: 1_700_000_000,
      tx: `0x${'0a'.repeat(32)}`,
    }));
    const stub = {
      queryFilter: async (_f: unknown, from: number, to: number) => {
        asked.push([from, to]);
        return present
          ? published.map((e) => ({ blockNumber: e.blockNumber, eventName: 'ParametersUpdated', args: { ...e, round: BigInt(e.round) } }))
          : [];
      },
    } as unknown as RiskOracle;
    const out = await createDashboardVerifier({ db: h.db, oracle: stub, chainId: CHAIN }).rounds(published);
    expect(asked).toEqual([[5_000_000, 5_000_000]]);
    // this database holds no record of the round's inputs: said, not guessed
    expect(out.get(`${published[0]!.asset}:4`)).toMatchObject({ state: 'unknown', reason: expect.stringContaining('no local record') });
    present = false;
    const gone = await createDashboardVerifier({ db: h.db, oracle: stub, chainId: CHAIN }).rounds(published);
    expect(gone.get(`${published[1]!.asset}:4`)).toEqual({
      state: 'unknown',
      reason: 'not checked: 2 of its events are no longer at block(s) 5000000',
    });
  });
});
