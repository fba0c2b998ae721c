import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { ContractFactory, Interface, JsonRpcProvider, keccak256, parseEther, parseUnits, Wallet, type JsonRpcSigner } from 'ethers';
import { startAnvil, type AnvilInstance } from '../core';
import type { CreditLine, CreditScoreRegistry, TestToken } from './build/types';
import { artifact } from './compile';
import { deployCreditLine, deployCreditRegistry } from './deploy/credit';
import { deployRiskOracle } from './deploy/oracle';
import { creditRegistryDomain, signEpoch, sortBySigner } from './typed-data';

const WINDOW = 600;

describe('CreditLine: an under-collateralised pool whose limits follow scoreOf', () => {
  let anvil: AnvilInstance;
  let provider: JsonRpcProvider;
  let dao: JsonRpcSigner;
  let good: JsonRpcSigner;
  let poor: JsonRpcSigner;
  let registry: CreditScoreRegistry;
  let line: CreditLine;
  let token: TestToken;
  let errors: Interface;
  const signers = Array.from({ length: 3 }, () => Wallet.createRandom());
  const modelId = keccak256('0x01');
  const terms = { minScore: 600, minCollateralBps: 1_000, maxCollateralBps: 5_000, maxScoreAge: 86_400, maxCredit: parseUnits('10000', 6) };

  const revertName = (call: Promise<unknown>) =>
    call.then(
      () => 'ok',
      (e: { revert?: { name?: string }; data?: string }) => e.revert?.name ?? (e.data ? errors.parseError(e.data)?.name : 'unknown'),
    );

  async function publishAndProve(epoch: number, entries: Array<[string, number]>): Promise<StandardMerkleTree<unknown[]>> {
    const leaves = entries.map(([w, s]) => [w, s, parseEther('0.01'), keccak256('0x02')]);
    const tree = StandardMerkleTree.of(leaves, ['address', 'uint256', 'uint256', 'bytes32']) as StandardMerkleTree<unknown[]>;
    const e = { epoch: BigInt(epoch), root: tree.root, modelId, walletCount: BigInt(entries.length) };
    const domain = creditRegistryDomain(anvil.chainId, await registry.getAddress());
    const sigs = sortBySigner(await Promise.all(signers.slice(0, 2).map((s) => signEpoch(s, domain, e)))).map((s) => s.signature);
    await (await registry.publishEpoch(e.epoch, e.root, modelId, e.walletCount, sigs, { value: parseEther('1') })).wait();
    for (const [i, [w, s]] of entries.entries())
      await (await registry.prove(epoch, w, s, parseEther('0.01'), keccak256('0x02'), tree.getProof(i))).wait();
    return tree;
  }

  beforeAll(async () => {
    anvil = await startAnvil();
    provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 20 });
    [dao, good, poor] = await Promise.all([0, 1, 2].map((i) => provider.getSigner(i)));
    const owner = await dao.getAddress();
    const { oracle } = await deployRiskOracle(dao, { owner, guardian: owner, signers: signers.map((s) => s.address), threshold: 2 });
    let models;
    ({ models, registry } = await deployCreditRegistry(dao, {
      owner,
      riskOracle: await oracle.getAddress(),
      bondWei: parseEther('1'),
      challengeWindowSeconds: WINDOW,
    }));
    const t = await artifact('TestToken');
    token = (await new ContractFactory(t.abi as never[], t.bytecode, dao).deploy()) as unknown as TestToken;
    await (await models.register(modelId, keccak256('0x03'), keccak256('0x04'), 0, '')).wait();
    errors = new Interface((await artifact('CreditLine')).abi as never[]);
    // limits from 600 (none) to 850 (10 000); collateral from 50 % at 600 down to 10 % at 850
    line = await deployCreditLine(dao, { owner, token: await token.getAddress(), registry: await registry.getAddress(), terms });
    for (const who of [dao, good, poor]) {
      await (await token.mint(await who.getAddress(), parseUnits('1000000', 6))).wait();
      await (await token.connect(who).approve(await line.getAddress(), parseUnits('1000000', 6))).wait();
    }
    await (await line.supply(parseUnits('50000', 6))).wait();
  });
  afterAll(async () => {
    provider?.destroy();
    await anvil?.stop();
  });

  it('lends within the score-based limit once the score is final, refuses a low score, and takes repayment', async () => {
    await publishAndProve(1, [
      [await good.getAddress(), 800],
      [await poor.getAddress(), 550],
    ]);
    expect(await revertName(line.connect(good).borrow.staticCall(1))).toBe('CreditLineScoreNotFinal');
    await provider.send('evm_increaseTime', [WINDOW]);
    await provider.send('evm_mine', []);
    // limit = 10 000 × (800 − 600) / (850 − 600) = 8 000; collateral 50 % − 40 % × 200 / 250 = 18 %
    const [limit, collateralBps] = await line.limitOf(800);
    expect([limit, collateralBps]).toEqual([parseUnits('8000', 6), 1_800n]);
    const goodAddress = await good.getAddress();
    const before = await token.balanceOf(goodAddress);
    await (await line.connect(good).borrow(parseUnits('5000', 6))).wait();
    // receives 5 000, posts 18 % of it as collateral
    expect((await token.balanceOf(goodAddress)) - before).toBe(parseUnits('5000', 6) - parseUnits('900', 6));
    expect([...(await line.positionOf(goodAddress))]).toEqual([parseUnits('5000', 6), parseUnits('900', 6)]);
    expect(await revertName(line.connect(good).borrow.staticCall(parseUnits('3001', 6)))).toBe('CreditLineLimitExceeded');
    expect(await revertName(line.connect(poor).borrow.staticCall(1))).toBe('CreditLineScoreTooLow');
    expect(await revertName(line.connect(good).borrow.staticCall(parseUnits('60000', 6)))).toBe('CreditLineLimitExceeded');

    // half the debt back releases half the collateral; the rest releases all of it
    await (await line.connect(good).repay(parseUnits('2500', 6))).wait();
    expect([...(await line.positionOf(goodAddress))]).toEqual([parseUnits('2500', 6), parseUnits('450', 6)]);
    expect(await revertName(line.connect(good).repay.staticCall(parseUnits('2501', 6)))).toBe('CreditLineRepayTooMuch');
    await (await line.connect(good).repay(parseUnits('2500', 6))).wait();
    expect([...(await line.positionOf(goodAddress))]).toEqual([0n, 0n]);
    expect(await token.balanceOf(goodAddress)).toBe(before);
  });

  it('never lends collateral or more than the idle liquidity; only the DAO sets terms', async () => {
    const stranger = line.connect(poor);
    expect(await revertName(stranger.setTerms.staticCall(terms))).toBe('OwnableUnauthorizedAccount');
    expect(await revertName(line.setTerms.staticCall({ ...terms, minCollateralBps: 9_000 }))).toBe('CreditLineInvalidTerms');
    expect(await revertName(line.withdraw.staticCall(parseUnits('50001', 6)))).toBe('CreditLineWithdrawTooMuch');
    await (await line.connect(good).borrow(parseUnits('8000', 6))).wait();
    // idle = 50 000 − 8 000 lent; the borrower's collateral is not lendable
    expect(await revertName(line.withdraw.staticCall(parseUnits('42001', 6)))).toBe('CreditLineInsufficientLiquidity');
    await (await line.withdraw(parseUnits('42000', 6))).wait();
    expect(await revertName(line.connect(good).borrow.staticCall(1))).toBe('CreditLineLimitExceeded');
    await (await line.connect(good).repay(parseUnits('8000', 6))).wait();
  });

  it('refuses a stale score, and a wallet that never proved one', async () => {
    await provider.send('evm_increaseTime', [86_401]);
    await provider.send('evm_mine', []);
    expect(await revertName(line.connect(good).borrow.staticCall(1))).toBe('CreditLineScoreStale');
    expect(await revertName(line.connect(dao).borrow.staticCall(1))).toBe('CreditLineNoScore');
  });
});
