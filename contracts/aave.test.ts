import { Interface, JsonRpcProvider, Wallet, type JsonRpcSigner } from 'ethers';
import { startAnvil, type AnvilInstance } from '../core';
import type { RiskOracle, RiskSteward } from './build/types';
import { artifact } from './compile';
import { aaveCollateralConfig, deployAaveMarket, type AaveMarket } from './deploy/aave';
import { deployRiskSteward } from './deploy/credit';
import { deployRiskOracle } from './deploy/oracle';
import { riskOracleDomain, type ParameterUpdate } from './typed-data';
import { WIDE_BOUNDS, signedBy } from './testing';

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
      configurator: await market.configurator.getAddress(),
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
});
