import { ContractFactory, Interface, JsonRpcProvider, Wallet } from 'ethers';
import { startAnvil, type AnvilInstance } from '../core';
import type { RiskOracle, RiskParameterFeedFactory } from './build/types';
import { RiskParameterFeed__factory } from './build/types';
import { artifact } from './compile';
import { deployRiskOracle } from './deploy/oracle';
import { riskOracleDomain } from './typed-data';
import { WIDE_BOUNDS, signedBy } from './testing';

describe('RiskParameterFeed (AggregatorV3Interface over RiskOracle)', () => {
  let anvil: AnvilInstance;
  let provider: JsonRpcProvider;
  let oracle: RiskOracle;
  let factory: RiskParameterFeedFactory;
  const signers = Array.from({ length: 3 }, () => Wallet.createRandom());
  const asset = Wallet.createRandom().address;

  beforeAll(async () => {
    anvil = await startAnvil();
    provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
    const dao = await provider.getSigner(0);
    ({ oracle } = await deployRiskOracle(dao, {
      owner: await dao.getAddress(),
      guardian: await dao.getAddress(),
      signers: signers.map((s) => s.address),
      threshold: 2,
    }));
    const { abi, bytecode } = await artifact('RiskParameterFeedFactory');
    factory = (await new ContractFactory(abi as never[], bytecode, dao).deploy(
      await oracle.getAddress(),
    )) as unknown as RiskParameterFeedFactory;
    await (await oracle.setBounds(asset, WIDE_BOUNDS)).wait();
  });
  afterAll(async () => {
    provider?.destroy();
    await anvil?.stop();
  });

  it("serves each parameter's latest round as a Chainlink feed, and refuses other rounds and empty feeds clearly", async () => {
    await (await factory.createFeeds(asset, 'WETH')).wait();
    await (await factory.createFeeds(asset, 'WETH')).wait(); // idempotent: the same three feeds
    const addresses = await Promise.all([0, 1, 2].map((p) => factory.feedOf(asset, p)));
    const [ltv, threshold, bonus] = addresses.map((a) => RiskParameterFeed__factory.connect(a, provider));
    const errors = new Interface((await artifact('RiskParameterFeed')).abi as never[]);
    const revertName = (call: Promise<unknown>) =>
      call.then(
        () => 'ok',
        (e: { revert?: { name?: string }; data?: string }) => e.revert?.name ?? (e.data ? errors.parseError(e.data)?.name : 'unknown'),
      );

    expect(await revertName(ltv!.latestRoundData())).toBe('RiskParameterFeedNoData');
    expect(await ltv!.decimals()).toBe(4n);
    expect(await threshold!.description()).toBe('WETH liquidation threshold (bps)');

    const now = (await provider.getBlock('latest'))!.timestamp;
    const update = {
      asset,
      ltv: 7_600,
      liquidationThreshold: 7_900,
      liquidationBonus: 10_600,
      round: 5n,
      validUntil: BigInt(now + 600),
      modelId: `0x${'11'.repeat(32)}`,
      inputsRoot: `0x${'22'.repeat(32)}`,
    };
    const domain = riskOracleDomain(anvil.chainId, await oracle.getAddress());
    const sigs = await signedBy(signers.slice(0, 2), domain, update);
    const receipt = await (await oracle.publish(update, sigs)).wait();
    const block = await provider.getBlock(receipt!.blockNumber);

    for (const [feed, value] of [
      [ltv, 7_600n],
      [threshold, 7_900n],
      [bonus, 10_600n],
    ] as const) {
      const [roundId, answer, startedAt, updatedAt, answeredInRound] = await feed!.latestRoundData();
      expect([roundId, answer, startedAt, updatedAt, answeredInRound]).toEqual([
        5n,
        value,
        BigInt(block!.timestamp),
        BigInt(block!.timestamp),
        5n,
      ]);
      expect((await feed!.getRoundData(5))[1]).toBe(value);
    }
    expect(await revertName(ltv!.getRoundData(4))).toBe('RiskParameterFeedUnknownRound');
  });
});
