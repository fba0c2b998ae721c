import { JsonRpcProvider, Wallet, type JsonRpcSigner } from 'ethers';
import { startAnvil, type AnvilInstance } from '../core';
import { aaveCollateralConfig } from './deploy/aave';
import { deployAll, deploymentJson, grantRiskAdminCall, type Deployment } from './deploy/all';
import { passProposal } from './deploy/dao';
import { signedBy, WIDE_BOUNDS } from './testing';
import { riskOracleDomain } from './typed-data';

describe('deployAll and the DAO lifecycle: the timelock owns every setting, proposals change them', () => {
  let anvil: AnvilInstance;
  let provider: JsonRpcProvider;
  let deployer: JsonRpcSigner;
  let d: Deployment;
  const signers = Array.from({ length: 5 }, () => Wallet.createRandom());

  beforeAll(async () => {
    anvil = await startAnvil({ gasLimit: 1_000_000_000n });
    provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 20 });
    deployer = await provider.getSigner(0);
    d = await deployAll(deployer, { signers: signers.map((s) => s.address), threshold: 3, grantStewardRiskAdmin: false });
  }, 120_000);
  afterAll(async () => {
    provider?.destroy();
    await anvil?.stop();
  });

  it('deploys a wired system and writes every address into the deployment JSON', async () => {
    const json = deploymentJson(d) as { chainId: number; aave: { reserves: unknown[] }; feeds: Record<string, unknown> };
    expect(json.chainId).toBe(anvil.chainId);
    expect(json.aave.reserves).toHaveLength(4);
    expect(Object.keys(json.feeds)).toEqual(['WETH', 'WBTC', 'USDC', 'GOV']);
    const timelock = await d.dao.timelock.getAddress();
    for (const owned of [d.oracle, d.steward, d.models, d.registry, d.creditLine]) expect(await owned.owner()).toBe(timelock);
    const acl = d.market.aclManager;
    expect(await acl.getFunction('hasRole')(await acl.getFunction('DEFAULT_ADMIN_ROLE')(), deployer.address)).toBe(false);
    expect(await acl.getFunction('isPoolAdmin')(timelock)).toBe(true);
    expect(await d.registry.signerSource()).toBe(await d.oracle.getAddress());
    expect(await d.creditLine.token()).toBe(d.market.reserves[2]!.address);
  });

  it('only the timelock changes settings; a passed proposal sets bounds and grants the steward RISK_ADMIN; the next round reaches Aave', async () => {
    const weth = d.market.reserves[0]!.address;
    const bounds = { ...WIDE_BOUNDS, maxLtv: 8_500, maxLiquidationThreshold: 8_800, maxLiquidationBonus: 11_000 };
    await expect(d.oracle.setBounds(weth, bounds)).rejects.toThrow();
    expect(await d.market.aclManager.getFunction('isRiskAdmin')(await d.steward.getAddress())).toBe(false);

    await passProposal(
      d.dao,
      provider,
      deployer,
      [
        { target: await d.oracle.getAddress(), data: d.oracle.interface.encodeFunctionData('setBounds', [weth, bounds]) },
        grantRiskAdminCall(d),
      ],
      'Onboard WETH to the risk oracle and let the steward apply its parameters',
    );
    expect((await d.oracle.bounds(weth)).maxLiquidationThreshold).toBe(8_800n);
    expect(await d.market.aclManager.getFunction('isRiskAdmin')(await d.steward.getAddress())).toBe(true);

    const now = (await provider.getBlock('latest'))!.timestamp;
    const update = {
      asset: weth,
      ltv: 7_900,
      liquidationThreshold: 8_200,
      liquidationBonus: 10_600,
      round: 1n,
      validUntil: BigInt(now + 600),
      modelId: `0x${'11'.repeat(32)}`,
      inputsRoot: `0x${'22'.repeat(32)}`,
    };
    const domain = riskOracleDomain(anvil.chainId, await d.oracle.getAddress());
    await (await d.oracle.publish(update, await signedBy(signers.slice(0, 3), domain, update))).wait();
    await (await d.steward.applyParameters(weth)).wait();
    expect(await aaveCollateralConfig(d.market, weth)).toEqual({ ltv: 7_900, liquidationThreshold: 8_200, liquidationBonus: 10_600 });

    // a tighter DAO bound is respected by the next publication: a threshold above it is refused on-chain
    await passProposal(
      d.dao,
      provider,
      deployer,
      [
        {
          target: await d.oracle.getAddress(),
          data: d.oracle.interface.encodeFunctionData('setBounds', [weth, { ...bounds, maxLiquidationThreshold: 8_000, maxLtv: 7_800 }]),
        },
      ],
      'Tighten WETH',
    );
    const later = (await provider.getBlock('latest'))!.timestamp;
    const tooHigh = { ...update, round: 2n, ltv: 7_700, validUntil: BigInt(later + 600) };
    const outcome = await d.oracle.publish.staticCall(tooHigh, await signedBy(signers.slice(0, 3), domain, tooHigh)).then(
      () => 'ok',
      (e: { revert?: { name?: string } }) => e.revert?.name,
    );
    expect(outcome).toBe('RiskOracleOutOfBounds');

    // the guardian (the deployer here) pauses; only a proposal unpauses
    await (await d.oracle.pause()).wait();
    await expect(d.oracle.unpause()).rejects.toThrow();
    await passProposal(
      d.dao,
      provider,
      deployer,
      [{ target: await d.oracle.getAddress(), data: d.oracle.interface.encodeFunctionData('unpause') }],
      'Resume',
    );
    expect(await d.oracle.paused()).toBe(false);
  });
});
