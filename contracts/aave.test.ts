import { Interface, JsonRpcProvider, Wallet, type JsonRpcSigner } from 'ethers';
import { startAnvil, type AnvilInstance } from '../core';
import type { RiskOracle, RiskSteward } from './build/types';
import { artifact } from './compile';
import { aaveCollateralConfig, deployAaveMarket, type AaveMarket } from './deploy/aave';
import { deployRiskSteward } from './deploy/credit';
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

  it('the guardian pauses and falls back one step to the parameters Aave had before the bad round; the DAO unpauses', async () => {
    const wbtc = market.reserves[1]!.address;
    const dao = admin;
    const [guardian, stranger] = await Promise.all([provider.getSigner(1), provider.getSigner(2)]);
    await (await oracle.setGuardian(await guardian.getAddress())).wait();
    await (await oracle.setBounds(wbtc, WIDE_BOUNDS)).wait();
    const domain = riskOracleDomain(anvil.chainId, await oracle.getAddress());
    const publishAndApply = async (round: bigint, p: Params) => {
      const now = (await provider.getBlock('latest'))!.timestamp;
      const u: ParameterUpdate = {
        asset: wbtc,
        ...p,
        round,
        validUntil: BigInt(now + 600),
        modelId: `0x${'11'.repeat(32)}`,
        inputsRoot: ZERO32,
      };
      await (await oracle.publish(u, await signedBy(signers.slice(0, 3), domain, u))).wait();
      await (await steward.applyParameters(wbtc)).wait();
    };
    const previousOf = async (asset: string) => {
      const p = await steward.previous(asset);
      return { round: p.round, ltv: p.ltv, liquidationThreshold: p.liquidationThreshold, liquidationBonus: p.liquidationBonus };
    };
    const initial = await aaveCollateralConfig(market, wbtc);
    expect(await previousOf(wbtc)).toEqual(NOTHING);
    const good = { ltv: 7_200, liquidationThreshold: 7_700, liquidationBonus: 10_600 };
    const bad = { ltv: 6_800, liquidationThreshold: 7_300, liquidationBonus: 11_000 };
    await publishAndApply(1n, good);
    // what Aave had before round 1 is kept, then replaced by round 1's when round 2 applies
    expect(await previousOf(wbtc)).toEqual({ round: 1n, ...big(initial) });
    await publishAndApply(2n, bad);
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
    const restored = receipt.logs.map((l) => steward.interface.parseLog(l)).find((e) => e?.name === 'ParametersRestored');
    expect(restored?.args.toObject()).toEqual({ asset: wbtc, round: 2n, ...big(good), by: await guardian.getAddress() });
    expect(await aaveCollateralConfig(market, wbtc)).toEqual(good);
    expect(await steward.appliedRound(wbtc)).toBe(2n);
    expect(await previousOf(wbtc)).toEqual(NOTHING);
    // one step back only; the DAO (the steward's owner) passes the guardian check and meets the same refusal
    expect(await revertOf(asGuardian.fallBack.staticCall(wbtc))).toBe(`RiskStewardNothingToRestore(${wbtc})`);
    expect(await revertOf(steward.connect(dao).fallBack.staticCall(wbtc))).toBe(`RiskStewardNothingToRestore(${wbtc})`);
    // an asset the steward never applied has nothing to restore
    const usdc = market.reserves[2]!.address;
    expect(await revertOf(asGuardian.fallBack.staticCall(usdc))).toBe(`RiskStewardNothingToRestore(${usdc})`);

    // while paused nothing is published or applied
    const now = (await provider.getBlock('latest'))!.timestamp;
    const third: ParameterUpdate = {
      asset: wbtc,
      ltv: 7_100,
      liquidationThreshold: 7_600,
      liquidationBonus: 10_600,
      round: 3n,
      validUntil: BigInt(now + 600),
      modelId: `0x${'11'.repeat(32)}`,
      inputsRoot: ZERO32,
    };
    const thirdSigs = await signedBy(signers.slice(0, 3), domain, third);
    expect(await revertOf(oracle.publish.staticCall(third, thirdSigs))).toBe('RiskOraclePaused()');
    expect(await revertOf(steward.applyParameters.staticCall(wbtc))).toBe('RiskStewardPaused()');
    // the guardian cannot resume; the DAO can, and the undone round 2 is never applied again
    expect(await revertOf(oracle.connect(guardian).unpause.staticCall())).toBe(
      `OwnableUnauthorizedAccount(${await guardian.getAddress()})`,
    );
    await (await oracle.connect(dao).unpause()).wait();
    expect(await revertOf(steward.applyParameters.staticCall(wbtc))).toBe(`RiskStewardNothingToApply(${wbtc},2,2)`);
    await (await oracle.publish(third, thirdSigs)).wait();
    await (await steward.applyParameters(wbtc)).wait();
    expect(await aaveCollateralConfig(market, wbtc)).toEqual({ ltv: 7_100, liquidationThreshold: 7_600, liquidationBonus: 10_600 });
    expect(await previousOf(wbtc)).toEqual({ round: 3n, ...big(good) });
  });
});

const ZERO32 = `0x${'00'.repeat(32)}`;
type Params = { ltv: number; liquidationThreshold: number; liquidationBonus: number };
/** What `previous` returns when there is nothing to restore. */
const NOTHING = { round: 0n, ltv: 0n, liquidationThreshold: 0n, liquidationBonus: 0n };
/** Collateral parameters as the bigints a contract view returns. */
const big = (p: Params) => ({
  ltv: BigInt(p.ltv),
  liquidationThreshold: BigInt(p.liquidationThreshold),
  liquidationBonus: BigInt(p.liquidationBonus),
});
