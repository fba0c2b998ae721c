import { ContractFactory, Interface, JsonRpcProvider, keccak256, parseEther, toBeHex, Wallet, type BaseWallet, type Signer } from 'ethers';
import { startAnvil, type AnvilInstance } from '../core';
import type { ModelRegistry } from './build/types';
import { artifact } from './compile';

const enum Status {
  Unknown,
  Candidate,
  Active,
  Retired,
  Disputed,
  Rejected,
}
const CREDIT = 0;
const COLLATERAL = 1;
const BOND = parseEther('0.1');
const DISPUTE = parseEther('0.05');
const h = (s: string) => keccak256(Buffer.from(s));

describe('ModelRegistry: DAO registration, bonded submissions, disputes, the model in force per kind', () => {
  let anvil: AnvilInstance;
  let provider: JsonRpcProvider;
  let dao: Signer;
  let registry: ModelRegistry;
  let errors: Interface;
  const submitter = Wallet.createRandom();
  const disputer = Wallet.createRandom();
  const as = (w: BaseWallet) => registry.connect(w.connect(provider));
  const revertName = (call: Promise<unknown>) =>
    call.then(
      () => 'ok',
      (e: { revert?: { name?: string }; data?: string }) => e.revert?.name ?? (e.data ? errors.parseError(e.data)?.name : 'unknown'),
    );
  const submit = (w: BaseWallet, id: string, kind = CREDIT, value = BOND) =>
    as(w).submit(id, h(`w${id}`), h('spec'), kind, `ipfs://${id}`, h('snapshot'), h(`claim${id}`), { value });

  beforeAll(async () => {
    anvil = await startAnvil();
    provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 20 });
    dao = await provider.getSigner(0);
    const { abi, bytecode } = await artifact('ModelRegistry');
    errors = new Interface(abi as never[]);
    registry = (await new ContractFactory(abi as never[], bytecode, dao).deploy(
      await dao.getAddress(),
      BOND,
      DISPUTE,
    )) as unknown as ModelRegistry;
    await registry.waitForDeployment();
    for (const w of [submitter, disputer]) await provider.send('anvil_setBalance', [w.address, toBeHex(parseEther('10'))]);
  });
  afterAll(async () => {
    provider?.destroy();
    await anvil?.stop();
  });

  it('anyone submits with exactly the bond and a claim; the DAO registers without one; ids are unique', async () => {
    expect(await revertName(submit(submitter, h('a'), CREDIT, BOND - 1n))).toBe('ModelRegistryWrongBond');
    expect(
      await revertName(as(submitter).submit(h('a'), h('w'), h('spec'), CREDIT, '', h('snapshot'), '0x' + '00'.repeat(32), { value: BOND })),
    ).toBe('ModelRegistryEmptyClaim');
    await (await submit(submitter, h('a'))).wait();
    expect(await revertName(submit(disputer, h('a')))).toBe('ModelRegistryAlreadyRegistered');
    const m = await registry.model(h('a'));
    expect([m.status, m.index, m.kind, m.metricsURI]).toEqual([BigInt(Status.Candidate), 1n, BigInt(CREDIT), `ipfs://${h('a')}`]);
    const s = await registry.submission(h('a'));
    expect([s.submitter, s.bond, s.snapshotId, s.claimHash]).toEqual([submitter.address, BOND, h('snapshot'), h(`claim${h('a')}`)]);
    expect(await provider.getBalance(await registry.getAddress())).toBe(BOND);

    expect(await revertName(as(submitter).register(h('b'), h('w'), h('spec'), CREDIT, ''))).toBe('OwnableUnauthorizedAccount');
    await (await registry.register(h('b'), h('wb'), h('spec'), CREDIT, '')).wait();
    expect((await registry.submission(h('b'))).submitter).toBe('0x0000000000000000000000000000000000000000');
    expect(await revertName(as(disputer).dispute(h('b'), h('evidence'), { value: DISPUTE }))).toBe('ModelRegistryNotDisputable');
  });

  it('an upheld dispute rejects the model and pays both bonds to the disputer, who withdraws them', async () => {
    const id = h('c');
    await (await submit(submitter, id)).wait();
    expect(await revertName(as(disputer).dispute(id, h('evidence'), { value: 1n }))).toBe('ModelRegistryWrongBond');
    expect(await revertName(registry.resolveDispute(id, true))).toBe('ModelRegistryNotDisputed');
    await (await as(disputer).dispute(id, h('evidence'), { value: DISPUTE })).wait();
    expect((await registry.model(id)).status).toBe(BigInt(Status.Disputed));
    expect(await revertName(as(disputer).dispute(id, h('evidence'), { value: DISPUTE }))).toBe('ModelRegistryNotDisputable');
    // a disputed model may not score epochs nor be activated until decided
    expect(await revertName(registry.creditModelIndex(id))).toBe('ModelRegistryNotUsableForCredit');
    expect(await revertName(registry.setStatus(id, Status.Active))).toBe('ModelRegistryBadTransition');
    expect(await revertName(as(disputer).resolveDispute(id, true))).toBe('OwnableUnauthorizedAccount');
    await (await registry.resolveDispute(id, true)).wait();
    expect((await registry.model(id)).status).toBe(BigInt(Status.Rejected));
    expect(await registry.owed(disputer.address)).toBe(BOND + DISPUTE);
    expect(await registry.owed(submitter.address)).toBe(0n);
    const before = await provider.getBalance(disputer.address);
    const receipt = await (await as(disputer).withdraw()).wait();
    const gas = receipt!.gasUsed * receipt!.gasPrice;
    expect(await provider.getBalance(disputer.address)).toBe(before + BOND + DISPUTE - gas);
    expect(await revertName(as(disputer).withdraw())).toBe('ModelRegistryNothingOwed');
    expect(await revertName(registry.setStatus(id, Status.Active))).toBe('ModelRegistryBadTransition');
  });

  it('a dispute not upheld restores the candidacy and pays the dispute bond to the submitter', async () => {
    const id = h('d');
    await (await submit(submitter, id)).wait();
    await (await as(disputer).dispute(id, h('evidence'), { value: DISPUTE })).wait();
    await (await registry.resolveDispute(id, false)).wait();
    expect((await registry.model(id)).status).toBe(BigInt(Status.Candidate));
    expect(await registry.owed(submitter.address)).toBe(BOND + DISPUTE);
    // the bond was paid out with the award: activation later releases nothing more
    await (await registry.setStatus(id, Status.Active)).wait();
    expect(await registry.owed(submitter.address)).toBe(BOND + DISPUTE);
    await (await as(submitter).withdraw()).wait();
  });

  it('activating a model puts it in force for its kind, retires the previous one and releases its bond', async () => {
    const first = h('d'); // active from the previous test
    expect(await registry.activeModel(CREDIT)).toBe(first);
    const next = h('e');
    await (await submit(submitter, next)).wait();
    await (await registry.setStatus(next, Status.Active)).wait();
    expect(await registry.activeModel(CREDIT)).toBe(next);
    expect((await registry.model(first)).status).toBe(BigInt(Status.Retired));
    expect(await registry.owed(submitter.address)).toBe(BOND);
    // kinds are independent
    const collateral = h('f');
    await (await submit(submitter, collateral, COLLATERAL)).wait();
    await (await registry.setStatus(collateral, Status.Active)).wait();
    expect(await registry.activeModel(COLLATERAL)).toBe(collateral);
    expect(await registry.activeModel(CREDIT)).toBe(next);
    // retiring the model in force leaves its kind with none
    await (await registry.setStatus(next, Status.Retired)).wait();
    expect(await registry.activeModel(CREDIT)).toBe('0x' + '00'.repeat(32));
    expect(await revertName(registry.setStatus(next, Status.Active))).toBe('ModelRegistryBadTransition');
    expect(await revertName(registry.setStatus(h('nope'), Status.Active))).toBe('ModelRegistryUnknownModel');
    expect(await revertName(registry.setStatus(collateral, Status.Disputed))).toBe('ModelRegistryBadTransition');
  });

  it('the DAO sets the bonds; new submissions stake the new amount', async () => {
    expect(await revertName(as(submitter).setBonds(1n, 1n))).toBe('OwnableUnauthorizedAccount');
    await (await registry.setBonds(BOND * 2n, DISPUTE * 2n)).wait();
    expect(await revertName(submit(submitter, h('g')))).toBe('ModelRegistryWrongBond');
    await (await submit(submitter, h('g'), CREDIT, BOND * 2n)).wait();
    expect((await registry.submission(h('g'))).bond).toBe(BOND * 2n);
  });
});
