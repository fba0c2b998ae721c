import { Interface, JsonRpcProvider, JsonRpcSigner, Wallet } from 'ethers';
import { startAnvil, type AnvilInstance } from '../core';
import { RiskParameterFeed__factory, type RiskOracle, type RiskSteward } from './build/types';
import { artifact } from './compile';
import { aaveCollateralConfig, deployAaveMarket, type AaveMarket } from './deploy/aave';
import { deployFeeds, deployRiskSteward } from './deploy/credit';
import { deployRiskOracle } from './deploy/oracle';
import { riskOracleDomain, type ParameterUpdate } from './typed-data';
import { WIDE_BOUNDS, revertOf, signedBy } from './testing';

let ERRORS: Interface;
async function revertName(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => 'ok',
    (e: { revert?: { name?: string }; data?: string; shortMessage?: string }) =>
      e.revert?.name ?? (e.data ? ERRORS.parseError(e.data)?.name : undefined) ?? `unknown: ${e.shortMessage}`,
  );
}

describe('a real Aave V3 market, steered by the oracle', () => {
  let anvil: AnvilInstance;
  let provider: JsonRpcProvider;
  let admin: JsonRpcSigner;
  let market: AaveMarket;
  let oracle: RiskOracle;
  let steward: RiskSteward;
  const signers = Array.from({ length: 5 }, () => Wallet.createRandom());

  beforeAll(async () => {
    anvil = await startAnvil({ gasLimit: 1_000_000_000n, args: ['--code-size-limit', '100000'] });
    provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
    admin = await provider.getSigner(0);
    const owner = await admin.getAddress();
    market = await deployAaveMarket(admin);
    ({ oracle } = await deployRiskOracle(admin, { owner, guardian: owner, signers: signers.map((s) => s.address), threshold: 3 }));
    steward = await deployRiskSteward(admin, {
      owner,
      riskOracle: await oracle.getAddress(),
      addressesProvider: await market.addressesProvider.getAddress(),
      maxAgeSeconds: 3_600,
    });
    ERRORS = new Interface((await artifact('RiskSteward')).abi as never[]);
    await (await market.aclManager.getFunction('addRiskAdmin')(await steward.getAddress())).wait();
    await (await oracle.setSteward(await steward.getAddress())).wait();
  }, 120_000);
  afterAll(async () => {
    provider?.destroy();
    await anvil?.stop();
  });

  it('deploys four reserves with their initial parameters', async () => {
    expect(market.reserves.map((r) => r.symbol)).toEqual(['WETH', 'WBTC', 'USDC', 'GOV']);
    expect(await aaveCollateralConfig(market, market.reserves[0]!.address)).toEqual({
      ltv: 8_000,
      liquidationThreshold: 8_250,
      liquidationBonus: 10_500,
    });
    expect(await market.oracle.getFunction('getAssetPrice')(market.reserves[1]!.address)).toBe(42_000n * 10n ** 8n);
  });

  it("applies a signed round to Aave's PoolConfigurator, and refuses re-application, stale rounds and a paused oracle", async () => {
    const weth = market.reserves[0]!.address;
    await (await oracle.setBounds(weth, WIDE_BOUNDS)).wait();
    const now = (await provider.getBlock('latest'))!.timestamp;
    const update: ParameterUpdate = {
      asset: weth,
      ltv: 7_600,
      liquidationThreshold: 7_900,
      liquidationBonus: 10_600,
      round: 1n,
      validUntil: BigInt(now + 600),
      modelId: `0x${'11'.repeat(32)}`,
      inputsRoot: `0x${'22'.repeat(32)}`,
    };
    const domain = riskOracleDomain(anvil.chainId, await oracle.getAddress());
    const sigs = await signedBy(signers.slice(0, 3), domain, update);
    await (await oracle.publish(update, sigs)).wait();

    const before = await aaveCollateralConfig(market, weth);
    const receipt = await (await steward.applyParameters(weth)).wait();
    expect(Number(receipt!.gasUsed)).toBeGreaterThan(0);
    const after = await aaveCollateralConfig(market, weth);
    expect(before).toEqual({ ltv: 8_000, liquidationThreshold: 8_250, liquidationBonus: 10_500 });
    expect(after).toEqual({ ltv: 7_600, liquidationThreshold: 7_900, liquidationBonus: 10_600 });
    expect(await steward.appliedRound(weth)).toBe(1n);

    expect(await revertName(steward.applyParameters.staticCall(weth))).toBe('RiskStewardNothingToApply');
    const next = { ...update, round: 2n, ltv: 7_500 };
    const nextSigs = await signedBy(signers.slice(1, 4), domain, next);
    await (await oracle.publish(next, nextSigs)).wait();
    await provider.send('evm_increaseTime', [3_601]);
    await provider.send('evm_mine', []);
    expect(await revertName(steward.applyParameters.staticCall(weth))).toBe('RiskStewardStale');
    await (await steward.setMaxAge(7_200)).wait();
    await (await oracle.pause()).wait();
    expect(await revertName(steward.applyParameters.staticCall(weth))).toBe('RiskStewardPaused');
    await (await oracle.unpause()).wait();
    await (await steward.applyParameters(weth)).wait();
    expect((await aaveCollateralConfig(market, weth)).ltv).toBe(7_500);
  });

  /** A signed round for `asset` (valid for ten minutes), its signatures, and a publication of it. */
  async function signedRound(asset: string, round: bigint, p: Params) {
    const now = (await provider.getBlock('latest'))!.timestamp;
    const u: ParameterUpdate = { asset, ...p, round, validUntil: BigInt(now + 600), modelId: `0x${'11'.repeat(32)}`, inputsRoot: ZERO32 };
    const sigs = await signedBy(signers.slice(0, 3), riskOracleDomain(anvil.chainId, await oracle.getAddress()), u);
    return { update: u, sigs, publish: async () => void (await (await oracle.publish(u, sigs)).wait()) };
  }
  const publishAndApply = async (asset: string, round: bigint, p: Params) => {
    await (await signedRound(asset, round, p)).publish();
    await (await steward.applyParameters(asset)).wait();
  };
  const previousOf = async (asset: string) => {
    const p = await steward.previous(asset);
    return { round: p.round, ltv: p.ltv, liquidationThreshold: p.liquidationThreshold, liquidationBonus: p.liquidationBonus };
  };
  /** RiskOracle's state for `asset`, its provenance, and what its three feeds answer. */
  async function oracleView(asset: string) {
    const [s, [modelId, inputsRoot]] = await Promise.all([oracle.latest(asset), oracle.provenance(asset)]);
    const { feeds } = await deployFeeds(admin, await oracle.getAddress(), [{ symbol: 'X', address: asset }]);
    const answers = await Promise.all(
      [feeds.X!.ltv, feeds.X!.liquidationThreshold, feeds.X!.liquidationBonus].map(async (f) => {
        const [roundId, answer] = await RiskParameterFeed__factory.connect(f, provider).latestRoundData();
        return [roundId, answer];
      }),
    );
    return {
      round: s.round,
      params: { ltv: Number(s.ltv), liquidationThreshold: Number(s.liquidationThreshold), liquidationBonus: Number(s.liquidationBonus) },
      provenance: [modelId, inputsRoot],
      feeds: answers,
    };
  }
  /** What `oracleView` shows after a fall-back recorded `p` as `round`. */
  const recorded = (round: bigint, p: Params) => ({
    round,
    params: p,
    provenance: [ZERO32, ZERO32],
    feeds: [p.ltv, p.liquidationThreshold, p.liquidationBonus].map((v) => [round, BigInt(v)]),
  });
  const eventsOf = (receipt: { logs: readonly { topics: readonly string[]; data: string }[] }) =>
    receipt.logs.flatMap((l) => [steward.interface.parseLog(l), oracle.interface.parseLog(l)]).filter((e) => e !== null);

  it('the guardian pauses and falls back one step to the parameters Aave had before the bad round; the DAO unpauses', async () => {
    const wbtc = market.reserves[1]!.address;
    const dao = admin;
    const [guardian, stranger] = await Promise.all([provider.getSigner(1), provider.getSigner(2)]);
    await (await oracle.setGuardian(await guardian.getAddress())).wait();
    await (await oracle.setBounds(wbtc, WIDE_BOUNDS)).wait();
    const initial = await aaveCollateralConfig(market, wbtc);
    expect(await previousOf(wbtc)).toEqual(NOTHING);
    const good = { ltv: 7_200, liquidationThreshold: 7_700, liquidationBonus: 10_600 };
    const bad = { ltv: 6_800, liquidationThreshold: 7_300, liquidationBonus: 11_000 };
    await publishAndApply(wbtc, 1n, good);
    // what Aave had before round 1 is kept, then replaced by round 1's when round 2 applies
    expect(await previousOf(wbtc)).toEqual({ round: 1n, ...big(initial) });
    await publishAndApply(wbtc, 2n, bad);
    expect(await aaveCollateralConfig(market, wbtc)).toEqual(bad);
    expect(await previousOf(wbtc)).toEqual({ round: 2n, ...big(good) });

    const asStranger = steward.connect(stranger);
    expect(await revertOf(asStranger.fallBack.staticCall(wbtc))).toBe(`RiskStewardNotGuardian(${await stranger.getAddress()})`);
    const asGuardian = steward.connect(guardian);
    expect(await revertOf(asGuardian.fallBack.staticCall(wbtc))).toBe('RiskStewardNotPaused()');
    await (await oracle.connect(guardian).pause()).wait();
    // a stranger still may not, paused or not
    expect(await revertOf(asStranger.fallBack.staticCall(wbtc))).toBe(`RiskStewardNotGuardian(${await stranger.getAddress()})`);

    const receipt = (await (await asGuardian.fallBack(wbtc)).wait())!;
    const events = eventsOf(receipt);
    expect(events.map((e) => e.name)).toEqual(['ParametersRestored', 'FallBackRecorded']);
    expect(events[0]!.args.toObject()).toEqual({ asset: wbtc, round: 2n, ...big(good), by: await guardian.getAddress() });
    // RiskOracle now holds what Aave got back, in round 3: feeds answer it, and the step limit runs from it
    expect(events[1]!.args.toObject()).toEqual({
      asset: wbtc,
      round: 3n,
      ...old(bad),
      ...big(good),
      steward: await steward.getAddress(),
    });
    expect(await aaveCollateralConfig(market, wbtc)).toEqual(good);
    expect(await oracleView(wbtc)).toEqual(recorded(3n, good));
    expect(Number((await oracle.latest(wbtc)).updatedAt)).toBe((await receipt.getBlock()).timestamp);
    expect(await steward.appliedRound(wbtc)).toBe(3n);
    expect(await previousOf(wbtc)).toEqual(NOTHING);
    // one step back only; the DAO (the steward's owner) passes the guardian check and meets the same refusal
    expect(await revertOf(asGuardian.fallBack.staticCall(wbtc))).toBe(`RiskStewardNothingToRestore(${wbtc})`);
    expect(await revertOf(steward.connect(dao).fallBack.staticCall(wbtc))).toBe(`RiskStewardNothingToRestore(${wbtc})`);
    // an asset the steward never applied, and the oracle never published, has nothing to restore
    const usdc = market.reserves[2]!.address;
    expect(await revertOf(asGuardian.fallBack.staticCall(usdc))).toBe(`RiskStewardNothingToRestore(${usdc})`);

    // while paused nothing is published or applied
    const third = await signedRound(wbtc, 4n, { ltv: 7_100, liquidationThreshold: 7_600, liquidationBonus: 10_600 });
    expect(await revertOf(oracle.publish.staticCall(third.update, third.sigs))).toBe('RiskOraclePaused()');
    expect(await revertOf(steward.applyParameters.staticCall(wbtc))).toBe('RiskStewardPaused()');
    // the guardian cannot resume; the DAO can, and neither the undone round 2 nor the recorded round 3 is applied
    expect(await revertOf(oracle.connect(guardian).unpause.staticCall())).toBe(
      `OwnableUnauthorizedAccount(${await guardian.getAddress()})`,
    );
    await (await oracle.connect(dao).unpause()).wait();
    expect(await revertOf(steward.applyParameters.staticCall(wbtc))).toBe(`RiskStewardNothingToApply(${wbtc},3,3)`);
    // 6 points below the restored LTV is refused, though only 2 below the bad round's
    const beyond = await signedRound(wbtc, 4n, { ltv: 6_600, liquidationThreshold: 7_600, liquidationBonus: 10_600 });
    expect(await revertOf(oracle.publish.staticCall(beyond.update, beyond.sigs))).toBe(
      `RiskOracleStepTooLarge(${wbtc},0,${good.ltv},6600,${WIDE_BOUNDS.maxChangeBps})`,
    );
    await third.publish();
    await (await steward.applyParameters(wbtc)).wait();
    expect(await aaveCollateralConfig(market, wbtc)).toEqual({ ltv: 7_100, liquidationThreshold: 7_600, liquidationBonus: 10_600 });
    expect(await previousOf(wbtc)).toEqual({ round: 4n, ...big(good) });
  });

  it('a fall-back after a bad round is published but before it is applied skips it: Aave untouched, the round never applied', async () => {
    const usdc = market.reserves[2]!.address;
    const guardian = await provider.getSigner(1);
    await (await oracle.setBounds(usdc, WIDE_BOUNDS)).wait();
    const initial = await aaveCollateralConfig(market, usdc);
    const good = { ltv: 7_600, liquidationThreshold: 7_900, liquidationBonus: 10_500 };
    const bad = { ltv: 7_200, liquidationThreshold: 7_500, liquidationBonus: 10_900 };
    await publishAndApply(usdc, 1n, good);
    const badRound = await signedRound(usdc, 2n, bad);
    await badRound.publish();
    await (await oracle.connect(guardian).pause()).wait();

    const receipt = (await (await steward.connect(guardian).fallBack(usdc)).wait())!;
    const events = eventsOf(receipt);
    expect(events.map((e) => e.name)).toEqual(['RoundSkipped', 'FallBackRecorded']);
    expect(events[0]!.args.toObject()).toEqual({ asset: usdc, round: 2n, ...big(good), by: await guardian.getAddress() });
    expect(events[1]!.args.toObject()).toEqual({ asset: usdc, round: 3n, ...old(bad), ...big(good), steward: await steward.getAddress() });
    expect(await aaveCollateralConfig(market, usdc)).toEqual(good);
    expect(await oracleView(usdc)).toEqual(recorded(3n, good));
    expect(await steward.appliedRound(usdc)).toBe(3n);
    // round 1 stays restorable: a second fall-back would undo it (see the next test)
    expect(await previousOf(usdc)).toEqual({ round: 1n, ...big(initial) });

    await (await oracle.unpause()).wait();
    // the bad round can be neither applied nor published again
    expect(await revertOf(steward.applyParameters.staticCall(usdc))).toBe(`RiskStewardNothingToApply(${usdc},3,3)`);
    expect(await revertOf(oracle.publish.staticCall(badRound.update, badRound.sigs))).toBe(`RiskOracleStaleRound(${usdc},2,3)`);
    // the step limit runs from what Aave kept: 6 points below is refused though 2 below the bad round
    const beyond = await signedRound(usdc, 4n, { ltv: 7_000, liquidationThreshold: 7_900, liquidationBonus: 10_500 });
    expect(await revertOf(oracle.publish.staticCall(beyond.update, beyond.sigs))).toBe(
      `RiskOracleStepTooLarge(${usdc},0,${good.ltv},7000,${WIDE_BOUNDS.maxChangeBps})`,
    );
    const next = { ltv: 7_300, liquidationThreshold: 7_700, liquidationBonus: 10_600 };
    await publishAndApply(usdc, 4n, next);
    expect(await aaveCollateralConfig(market, usdc)).toEqual(next);
    expect(await previousOf(usdc)).toEqual({ round: 4n, ...big(good) });
  });

  it('with a bad round applied and a worse one published, a first fall-back skips the latter and a second undoes the former', async () => {
    const gov = market.reserves[3]!.address;
    const guardian = steward.connect(await provider.getSigner(1));
    await (await oracle.setBounds(gov, WIDE_BOUNDS)).wait();
    const initial = await aaveCollateralConfig(market, gov);
    const applied = { ltv: 5_400, liquidationThreshold: 6_800, liquidationBonus: 10_800 };
    await publishAndApply(gov, 1n, applied);
    await (await signedRound(gov, 2n, { ltv: 5_800, liquidationThreshold: 7_200, liquidationBonus: 10_600 })).publish();
    await (await oracle.pause()).wait();

    expect(eventsOf((await (await guardian.fallBack(gov)).wait())!).map((e) => [e.name, e.args.round])).toEqual([
      ['RoundSkipped', 2n],
      ['FallBackRecorded', 3n],
    ]);
    expect(await aaveCollateralConfig(market, gov)).toEqual(applied);
    expect(eventsOf((await (await guardian.fallBack(gov)).wait())!).map((e) => [e.name, e.args.round])).toEqual([
      ['ParametersRestored', 1n],
      ['FallBackRecorded', 4n],
    ]);
    expect(await aaveCollateralConfig(market, gov)).toEqual(initial);
    expect(await oracleView(gov)).toEqual(recorded(4n, initial));
    expect(await steward.appliedRound(gov)).toBe(4n);
    expect(await revertOf(guardian.fallBack.staticCall(gov))).toBe(`RiskStewardNothingToRestore(${gov})`);
    await (await oracle.unpause()).wait();
    const beyond = await signedRound(gov, 5n, { ...initial, ltv: initial.ltv + 600 });
    expect(await revertOf(oracle.publish.staticCall(beyond.update, beyond.sigs))).toBe(
      `RiskOracleStepTooLarge(${gov},0,${initial.ltv},${initial.ltv + 600},${WIDE_BOUNDS.maxChangeBps})`,
    );
    await publishAndApply(gov, 5n, { ...initial, ltv: initial.ltv + 300 });
    expect((await aaveCollateralConfig(market, gov)).ltv).toBe(initial.ltv + 300);
  });

  it("only RiskOracle's steward records a fall-back, only while paused; only the DAO names the steward", async () => {
    const weth = market.reserves[0]!.address;
    const stranger = await provider.getSigner(2);
    const strangerAddress = await stranger.getAddress();
    const stewardAddress = await steward.getAddress();
    expect(await oracle.steward()).toBe(stewardAddress);
    await (await oracle.pause()).wait();
    for (const caller of [stranger, admin])
      expect(await revertOf(oracle.connect(caller).recordFallBack.staticCall(weth, 1, 1, 1))).toBe(
        `RiskOracleNotSteward(${await caller.getAddress()})`,
      );
    await (await oracle.unpause()).wait();
    // the steward itself checks the pause first; called directly while publishing, RiskOracle refuses too
    await provider.send('anvil_impersonateAccount', [stewardAddress]);
    await provider.send('anvil_setBalance', [stewardAddress, '0xde0b6b3a7640000']);
    try {
      const asSteward = oracle.connect(new JsonRpcSigner(provider, stewardAddress));
      expect(await revertOf(asSteward.recordFallBack.staticCall(weth, 1, 1, 1))).toBe('RiskOracleNotPaused()');
    } finally {
      await provider.send('anvil_stopImpersonatingAccount', [stewardAddress]);
    }
    expect(await revertOf(oracle.connect(stranger).setSteward.staticCall(strangerAddress))).toBe(
      `OwnableUnauthorizedAccount(${strangerAddress})`,
    );
  });
});

const ZERO32 = `0x${'00'.repeat(32)}`;
type Params = { ltv: number; liquidationThreshold: number; liquidationBonus: number };
/** What `previous` returns when there is nothing to restore. */
const NOTHING = { round: 0n, ltv: 0n, liquidationThreshold: 0n, liquidationBonus: 0n };
/** The parameters a fall-back replaced in RiskOracle, as its event names them. */
const old = (p: Params) => ({
  oldLtv: BigInt(p.ltv),
  oldLiquidationThreshold: BigInt(p.liquidationThreshold),
  oldLiquidationBonus: BigInt(p.liquidationBonus),
});
/** Collateral parameters as the bigints a contract view returns. */
const big = (p: Params) => ({
  ltv: BigInt(p.ltv),
  liquidationThreshold: BigInt(p.liquidationThreshold),
  liquidationBonus: BigInt(p.liquidationBonus),
});
