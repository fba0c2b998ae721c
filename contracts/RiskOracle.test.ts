import { BaseWallet, hexlify, JsonRpcProvider, randomBytes, Wallet, type JsonRpcSigner, type TypedDataDomain } from 'ethers';
import fc from 'fast-check';
import { localProvider, startAnvil, type AnvilInstance } from '../core';
import type { RiskOracle } from './build/types';
import { deployRiskOracle } from './deploy/oracle';
import { WIDE_BOUNDS } from './testing';
import {
  batchDigest,
  riskOracleDomain,
  signBatch,
  signUpdate,
  sortBySigner,
  updateDigest,
  type ParameterUpdate,
  type SignatureStruct,
} from './typed-data';

const BOUNDS = { ...WIDE_BOUNDS, minDelay: 3_600 };
const ZERO32 = `0x${'00'.repeat(32)}`;

/** The revert's custom error name, or 'ok' when the call would succeed. */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (err) {
    const e = err as { revert?: { name?: string }; shortMessage?: string };
    return e.revert?.name ?? `unknown: ${e.shortMessage ?? String(err)}`;
  }
}

const percentMul = (v: number, p: number): number => Math.floor((v * p + 5_000) / 10_000);

/** Valid parameters within BOUNDS that satisfy Aave's invariants. */
const validParams = fc
  .integer({ min: 1, max: BOUNDS.maxLiquidationThreshold })
  .chain((lt) => {
    let maxBonus = BOUNDS.maxLiquidationBonus;
    while (percentMul(lt, maxBonus) > 10_000) maxBonus--;
    return fc.record({
      liquidationThreshold: fc.constant(lt),
      liquidationBonus: fc.integer({ min: 10_001, max: Math.max(10_001, maxBonus) }),
      ltv: fc.integer({ min: 0, max: Math.min(lt, BOUNDS.maxLtv) }),
    });
  })
  .filter((p) => percentMul(p.liquidationThreshold, p.liquidationBonus) <= 10_000);

describe('RiskOracle', () => {
  let anvil: AnvilInstance;
  let provider: JsonRpcProvider;
  let dao: JsonRpcSigner;
  let guardian: JsonRpcSigner;
  let oracle: RiskOracle;
  let domain: TypedDataDomain;
  let now: number;
  const signers = Array.from({ length: 5 }, () => Wallet.createRandom());
  const outsider = Wallet.createRandom();
  const asset = Wallet.createRandom().address;
  const FIRST_ROUND = 1n;

  const update = (
    p: { ltv: number; liquidationThreshold: number; liquidationBonus: number },
    over: Partial<ParameterUpdate> = {},
  ): ParameterUpdate => ({
    asset,
    ...p,
    round: FIRST_ROUND,
    validUntil: BigInt(now + 3_600),
    modelId: hexlify(randomBytes(32)),
    inputsRoot: ZERO32,
    ...over,
  });

  async function sign(
    u: ParameterUpdate,
    who: BaseWallet[] = signers.slice(0, 3),
    d: TypedDataDomain = domain,
  ): Promise<SignatureStruct[]> {
    return sortBySigner(await Promise.all(who.map((w) => signUpdate(w, d, u)))).map((s) => s.signature);
  }

  beforeAll(async () => {
    anvil = await startAnvil();
    provider = localProvider(anvil.rpcUrl);
    dao = await provider.getSigner(0);
    guardian = await provider.getSigner(1);
    ({ oracle } = await deployRiskOracle(dao, {
      owner: await dao.getAddress(),
      guardian: await guardian.getAddress(),
      signers: signers.map((s) => s.address),
      threshold: 3,
    }));
    await (await oracle.setBounds(asset, BOUNDS)).wait();
    domain = riskOracleDomain(anvil.chainId, await oracle.getAddress());
    now = (await provider.getBlock('latest'))!.timestamp;
  });
  afterAll(async () => {
    provider?.destroy();
    await anvil?.stop();
  });

  it('hashes updates and batches exactly as the TypeScript signers do (differential)', async () => {
    await fc.assert(
      fc.asyncProperty(
        validParams,
        fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }),
        fc.array(validParams, { minLength: 1, maxLength: 5 }),
        async (p, round, batch) => {
          const u = update(p, { round });
          expect(await oracle.updateDigest(u)).toBe(updateDigest(domain, u));
          const us = batch.map((b) => update(b));
          expect(await oracle.batchDigest(us)).toBe(batchDigest(domain, us));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('property: every valid first update signed by 3 of 5 lands', async () => {
    await fc.assert(
      fc.asyncProperty(validParams, fc.shuffledSubarray(signers, { minLength: 3, maxLength: 5 }), async (p, who) => {
        const u = update(p);
        expect(await outcome(oracle.publish.staticCall(u, await sign(u, who)))).toBe('ok');
      }),
      { numRuns: 150 },
    );
  });

  it('property: each way a publication can be wrong reverts with its own error', async () => {
    const mutations = {
      notAuthorized: async (u: ParameterUpdate) => sign(u, [...signers.slice(0, 2), outsider]),
      duplicate: async (u: ParameterUpdate) => {
        const s = await sign(u, signers.slice(0, 2));
        return [s[0]!, s[0]!, s[1]!];
      },
      unsorted: async (u: ParameterUpdate) => (await sign(u, signers.slice(0, 3))).reverse(),
      belowThreshold: async (u: ParameterUpdate) => sign(u, signers.slice(0, 2)),
      otherChain: async (u: ParameterUpdate) => sign(u, signers.slice(0, 3), { ...domain, chainId: 1 }),
      otherContract: async (u: ParameterUpdate) => sign(u, signers.slice(0, 3), { ...domain, verifyingContract: outsider.address }),
      badSignature: async (u: ParameterUpdate) => {
        const s = await sign(u);
        return [{ ...s[0]!, s: `0x${'ff'.repeat(32)}` }, s[1]!, s[2]!];
      },
    };
    const expected: Record<keyof typeof mutations, string[]> = {
      notAuthorized: ['RiskOracleSignerNotAuthorized'],
      duplicate: ['RiskOracleSignersNotSorted'],
      unsorted: ['RiskOracleSignersNotSorted'],
      belowThreshold: ['RiskOracleThresholdNotMet'],
      // a signature over another domain recovers to some unrelated address
      otherChain: ['RiskOracleSignerNotAuthorized', 'RiskOracleSignersNotSorted'],
      otherContract: ['RiskOracleSignerNotAuthorized', 'RiskOracleSignersNotSorted'],
      badSignature: ['RiskOracleInvalidSignature'],
    };
    await fc.assert(
      fc.asyncProperty(validParams, fc.constantFrom(...(Object.keys(mutations) as Array<keyof typeof mutations>)), async (p, mutation) => {
        const u = update(p);
        const result = await outcome(oracle.publish.staticCall(u, await mutations[mutation](u)));
        expect(expected[mutation]).toContain(result);
      }),
      { numRuns: 350 },
    );
  });

  it('property: parameters outside the bounds or breaking Aave invariants revert with the matching error', async () => {
    const anyBps = fc.integer({ min: 0, max: 20_000 });
    await fc.assert(
      fc.asyncProperty(anyBps, anyBps, anyBps, async (ltv, liquidationThreshold, liquidationBonus) => {
        const u = update({ ltv, liquidationThreshold, liquidationBonus });
        const result = await outcome(oracle.publish.staticCall(u, await sign(u)));
        let want = 'ok';
        if (ltv > BOUNDS.maxLtv) want = 'RiskOracleOutOfBounds';
        else if (liquidationThreshold > BOUNDS.maxLiquidationThreshold) want = 'RiskOracleOutOfBounds';
        else if (liquidationBonus > BOUNDS.maxLiquidationBonus) want = 'RiskOracleOutOfBounds';
        else if (ltv > liquidationThreshold) want = 'RiskOracleLtvAboveThreshold';
        else if (liquidationThreshold > 0 && liquidationBonus <= 10_000) want = 'RiskOracleBonusTooLow';
        else if (liquidationThreshold > 0 && percentMul(liquidationThreshold, liquidationBonus) > 10_000)
          want = 'RiskOracleThresholdTimesBonusAbove100';
        else if (liquidationThreshold === 0 && liquidationBonus !== 0) want = 'RiskOracleBonusWithoutThreshold';
        expect(result).toBe(want);
      }),
      { numRuns: 300 },
    );
  });

  it('after a round lands: replays, old rounds, expiry, step limits, the delay and a pause are each refused', async () => {
    const first = update({ ltv: 7_500, liquidationThreshold: 8_000, liquidationBonus: 10_500 }, { round: 10n });
    await (await oracle.publish(first, await sign(first))).wait();
    const state = await oracle.latest(asset);
    expect([state.ltv, state.liquidationThreshold, state.liquidationBonus, state.round]).toEqual([7_500n, 8_000n, 10_500n, 10n]);
    expect((await oracle.provenance(asset)).modelId).toBe(first.modelId);

    expect(await outcome(oracle.publish.staticCall(first, await sign(first)))).toBe('RiskOracleStaleRound');
    const older = { ...first, round: 9n };
    expect(await outcome(oracle.publish.staticCall(older, await sign(older)))).toBe('RiskOracleStaleRound');
    const soon = { ...first, round: 11n, ltv: 7_400 };
    expect(await outcome(oracle.publish.staticCall(soon, await sign(soon)))).toBe('RiskOracleTooSoon');

    await provider.send('evm_increaseTime', [3_601]);
    await provider.send('evm_mine', []);
    now = (await provider.getBlock('latest'))!.timestamp;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: -1_500, max: 1_500 }), async (delta) => {
        const u = update({ ltv: Math.min(8_000, 7_500 + delta), liquidationThreshold: 8_000, liquidationBonus: 10_500 }, { round: 11n });
        const result = await outcome(oracle.publish.staticCall(u, await sign(u)));
        const step = Math.abs(u.ltv - 7_500);
        expect(result).toBe(step > BOUNDS.maxChangeBps ? 'RiskOracleStepTooLarge' : u.ltv < 0 ? 'RiskOracleOutOfBounds' : 'ok');
      }),
      { numRuns: 150 },
    );
    const expired = update(
      { ltv: 7_400, liquidationThreshold: 8_000, liquidationBonus: 10_500 },
      { round: 12n, validUntil: BigInt(now - 1) },
    );
    expect(await outcome(oracle.publish.staticCall(expired, await sign(expired)))).toBe('RiskOracleExpired');

    expect(await outcome(oracle.connect(await provider.getSigner(2)).pause.staticCall())).toBe('RiskOracleNotGuardian');
    await (await oracle.connect(guardian).pause()).wait();
    const next = update({ ltv: 7_400, liquidationThreshold: 8_000, liquidationBonus: 10_500 }, { round: 12n });
    expect(await outcome(oracle.publish.staticCall(next, await sign(next)))).toBe('RiskOraclePaused');
    expect(await outcome(oracle.connect(guardian).unpause.staticCall())).toBe('OwnableUnauthorizedAccount');
    await (await oracle.unpause()).wait();
    expect(await outcome(oracle.publish.staticCall(next, await sign(next)))).toBe('ok');
  });

  it('a batch lands under one signature set, and is refused whole if one update is wrong', async () => {
    const other = Wallet.createRandom().address;
    await (await oracle.setBounds(other, BOUNDS)).wait();
    const a = update({ ltv: 6_000, liquidationThreshold: 7_000, liquidationBonus: 10_800 }, { asset: other, round: 1n });
    const b = update(
      { ltv: 5_000, liquidationThreshold: 6_000, liquidationBonus: 10_800 },
      { asset: Wallet.createRandom().address, round: 1n },
    );
    const sigsFor = async (us: ParameterUpdate[]) =>
      sortBySigner(await Promise.all(signers.slice(1, 4).map((w) => signBatch(w, domain, us)))).map((s) => s.signature);
    expect(await outcome(oracle.publishBatch.staticCall([a, b], await sigsFor([a, b])))).toBe('RiskOracleAssetNotConfigured');
    await (await oracle.publishBatch([a], await sigsFor([a]))).wait();
    expect((await oracle.latest(other)).liquidationThreshold).toBe(7_000n);
    expect(await outcome(oracle.publishBatch.staticCall([], []))).toBe('RiskOracleEmptyBatch');
  });

  it('only the DAO changes settings; bad bounds and signer sets are refused', async () => {
    const stranger = oracle.connect(await provider.getSigner(3));
    expect(await outcome(stranger.setBounds.staticCall(asset, BOUNDS))).toBe('OwnableUnauthorizedAccount');
    expect(await outcome(stranger.setSigners.staticCall([outsider.address], 1))).toBe('OwnableUnauthorizedAccount');
    expect(await outcome(oracle.setBounds.staticCall(asset, { ...BOUNDS, minLtv: 9_500 }))).toBe('RiskOracleInvalidBounds');
    expect(await outcome(oracle.setSigners.staticCall([outsider.address], 2))).toBe('RiskOracleInvalidSignerSet');
    expect(await outcome(oracle.setSigners.staticCall([outsider.address, outsider.address], 1))).toBe('RiskOracleInvalidSignerSet');
  });
});
