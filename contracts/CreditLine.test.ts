import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { ContractFactory, Interface, JsonRpcProvider, keccak256, parseEther, parseUnits, Wallet, type JsonRpcSigner } from 'ethers';
import { startAnvil, type AnvilInstance } from '../core';
import type { CreditLine, CreditScoreRegistry, TestToken } from './build/types';
import { artifact } from './compile';
import { deployCreditRegistry } from './deploy/credit';
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
    ({ registry } = await deployCreditRegistry(dao, {
      owner,
      riskOracle: await oracle.getAddress(),
      bondWei: parseEther('1'),
      challengeWindowSeconds: WINDOW,
    }));
    const t = await artifact('TestToken');
    token = (await new ContractFactory(t.abi as never[], t.bytecode, dao).deploy()) as unknown as TestToken;
    const c = await artifact('CreditLine');
    errors = new Interface(c.abi as never[]);
    line = (await new ContractFactory(c.abi as never[], c.bytecode, dao).deploy(
      owner,
      await registry.getAddress(),
      await token.getAddress(),
      600,
      parseUnits('10000', 6),
      86_400,
    )) as unknown as CreditLine;
    await (await token.mint(owner, parseUnits('1000000', 6))).wait();
    await (await token.approve(await line.getAddress(), parseUnits('1000000', 6))).wait();
    await (await line.deposit(parseUnits('50000', 6))).wait();
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
    // limit = 10 000 × (800 − 600) / (850 − 600) = 8 000
    const [limit] = await line.limitOf(await good.getAddress());
    expect(limit).toBe(parseUnits('8000', 6));
    await (await line.connect(good).borrow(parseUnits('5000', 6))).wait();
    expect(await token.balanceOf(await good.getAddress())).toBe(parseUnits('5000', 6));
    expect(await revertName(line.connect(good).borrow.staticCall(parseUnits('3001', 6)))).toBe('CreditLineLimitExceeded');
    expect(await revertName(line.connect(poor).borrow.staticCall(1))).toBe('CreditLineScoreTooLow');

    await (await token.connect(good).approve(await line.getAddress(), parseUnits('5000', 6))).wait();
    await (await line.connect(good).repay(parseUnits('5000', 6))).wait();
    expect(await line.debtOf(await good.getAddress())).toBe(0n);
    expect(await revertName(line.connect(good).repay.staticCall(1))).toBe('CreditLineNothingToRepay');
  });

  it('refuses a stale score, and a wallet that never proved one', async () => {
    await provider.send('evm_increaseTime', [86_401]);
    await provider.send('evm_mine', []);
    expect(await revertName(line.connect(good).borrow.staticCall(1))).toBe('CreditLineScoreStale');
    expect(await revertName(line.connect(dao).borrow.staticCall(1))).toBe('CreditLineScoreInvalid');
  });
});
