import { JsonRpcProvider, Wallet, type JsonRpcSigner } from 'ethers';
import { startAnvil, type AnvilInstance } from '../core';
import type { RiskOracle, RiskSteward } from './build/types';
import { aaveCollateralConfig, deployAaveMarket, type AaveMarket } from './deploy/aave';
import { deployRiskSteward } from './deploy/credit';
import { deployDao, passProposal, type Dao } from './deploy/dao';
import { deployRiskOracle } from './deploy/oracle';
import { riskOracleDomain } from './typed-data';
import { signedBy } from './testing';

describe('DAO lifecycle: the timelock owns every setting, proposals change them', () => {
  let anvil: AnvilInstance;
  let provider: JsonRpcProvider;
  let deployer: JsonRpcSigner;
  let dao: Dao;
  let market: AaveMarket;
  let oracle: RiskOracle;
  let steward: RiskSteward;
  const signers = Array.from({ length: 5 }, () => Wallet.createRandom());

  beforeAll(async () => {
    anvil = await startAnvil({ gasLimit: 1_000_000_000n });
    provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 20 });
    deployer = await provider.getSigner(0);
    dao = await deployDao(deployer);
    const timelock = await dao.timelock.getAddress();
    market = await deployAaveMarket(deployer);
    ({ oracle } = await deployRiskOracle(deployer, {
      owner: timelock,
      guardian: await deployer.getAddress(),
      signers: signers.map((s) => s.address),
      threshold: 3,
    }));
    steward = await deployRiskSteward(deployer, {
      owner: timelock,
      riskOracle: await oracle.getAddress(),
      configurator: await market.configurator.getAddress(),
      maxAgeSeconds: 3_600,
    });
    // Aave's ACL admin hands its admin role to the DAO's timelock: from now on only a vote grants roles
    const acl = market.aclManager;
    await (await acl.getFunction('grantRole')(await acl.getFunction('DEFAULT_ADMIN_ROLE')(), timelock)).wait();
    await (await acl.getFunction('renounceRole')(await acl.getFunction('DEFAULT_ADMIN_ROLE')(), await deployer.getAddress())).wait();
  }, 120_000);
  afterAll(async () => {
    provider?.destroy();
    await anvil?.stop();
  });

  it('only the timelock can change settings; a passed proposal sets bounds and grants the steward RISK_ADMIN; the next round reaches Aave', async () => {
    const weth = market.reserves[0]!.address;
    const bounds = {
      minLtv: 0,
      maxLtv: 8_500,
      minLiquidationThreshold: 0,
      maxLiquidationThreshold: 8_800,
      minLiquidationBonus: 0,
      maxLiquidationBonus: 11_000,
      maxChangeBps: 500,
      minDelay: 0,
    };
    await expect(oracle.setBounds(weth, bounds)).rejects.toThrow();
    expect(await market.aclManager.getFunction('isRiskAdmin')(await steward.getAddress())).toBe(false);

    await passProposal(
      dao,
      provider,
      deployer,
      [
        { target: await oracle.getAddress(), data: oracle.interface.encodeFunctionData('setBounds', [weth, bounds]) },
        {
          target: await market.aclManager.getAddress(),
          data: market.aclManager.interface.encodeFunctionData('addRiskAdmin', [await steward.getAddress()]),
        },
      ],
      'Onboard WETH to the risk oracle and let the steward apply its parameters',
    );

    expect((await oracle.bounds(weth)).maxLiquidationThreshold).toBe(8_800n);
    expect(await market.aclManager.getFunction('isRiskAdmin')(await steward.getAddress())).toBe(true);

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
    const domain = riskOracleDomain(anvil.chainId, await oracle.getAddress());
    const sigs = await signedBy(signers.slice(0, 3), domain, update);
    await (await oracle.publish(update, sigs)).wait();
    await (await steward.applyParameters(weth)).wait();
    expect(await aaveCollateralConfig(market, weth)).toEqual({ ltv: 7_900, liquidationThreshold: 8_200, liquidationBonus: 10_600 });

    // a tighter DAO bound is respected by the next publication: a threshold above it is refused on-chain
    await passProposal(
      dao,
      provider,
      deployer,
      [
        {
          target: await oracle.getAddress(),
          data: oracle.interface.encodeFunctionData('setBounds', [weth, { ...bounds, maxLiquidationThreshold: 8_000, maxLtv: 7_800 }]),
        },
      ],
      'Tighten WETH',
    );
    const later = (await provider.getBlock('latest'))!.timestamp;
    const tooHigh = { ...update, round: 2n, ltv: 7_700, validUntil: BigInt(later + 600) };
    const sigs2 = await signedBy(signers.slice(0, 3), domain, tooHigh);
    const outcome = await oracle.publish.staticCall(tooHigh, sigs2).then(
      () => 'ok',
      (e: { revert?: { name?: string } }) => e.revert?.name,
    );
    expect(outcome).toBe('RiskOracleOutOfBounds');
  });
});
