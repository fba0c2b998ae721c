import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { HDNodeWallet, JsonRpcProvider } from 'ethers';
import { openDatabase } from '../core';
import type { Deployment } from '../contracts';
import { cli, lastJson, startOracleChain, type OracleChain } from './testing';
import { EXAMPLE_PRICES_END } from './testing-prices';

const BIN = path.join(__dirname, '..', 'bin', 'risk-oracle.js');

describe('risk-oracle propose, sign (independent signers), publish --apply, verify', () => {
  let chain: OracleChain;
  let d: Deployment;
  let provider: JsonRpcProvider;
  let env: Record<string, string>;
  let signers: HDNodeWallet[];
  let publisher: HDNodeWallet;

  beforeAll(async () => {
    chain = await startOracleChain();
    ({ deployment: d, provider, signers, publisher } = chain);
    // rounds from the imported CSV prices (a back-fill at their last time); rounds from indexed feed answers are
    // cli/propose-indexed.slow.test.ts's subject
    env = { ...chain.env, RISK_ORACLE_ORACLE_PRICE_SOURCE: 'csv' };
  });
  const propose = async (...args: string[]) => {
    const indexed = await cli(['index'], env);
    expect({ code: indexed.code, stderr: indexed.stderr }).toMatchObject({ code: 0 });
    return cli(['propose', '--at', String(EXAMPLE_PRICES_END), ...args], env);
  };
  afterAll(async () => {
    await chain?.stop();
  });

  it('three signers recompute and sign, one of them in its own process; the batch is published, applied to Aave and verifies', async () => {
    // CSV prices are judged at the chain's time unless --at says otherwise: these are years old
    expect((await cli(['index'], env)).code).toBe(0);
    const stale = await cli(['propose', '--no-credit'], env);
    expect([stale.code, stale.stderr]).toEqual([
      1,
      expect.stringMatching(/Refusing to propose: the price of WETH is \d+ s \(\d+\.\d h\) old at/),
    ]);
    const proposed = await propose('--json');
    expect([proposed.code, proposed.stderr]).toEqual([0, '']);
    const proposal = lastJson(proposed.stdout);
    expect(proposal.assets.map((a: { symbol: string; round: number }) => [a.symbol, a.round])).toEqual([
      ['WETH', 1],
      ['WBTC', 1],
      ['USDC', 1],
      ['GOV', 1],
    ]);

    // publishing before the threshold sends nothing
    const early = await cli(['publish', '--key-env', 'PUBLISHER_KEY'], env);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/only 0 signature\(s\) for batch 0x[0-9a-f]{64}; the oracle needs 3/);

    const first = await cli(['sign', '--key-env', 'SIGNER_0', '--json'], env);
    expect([first.code, first.stderr]).toEqual([0, '']);
    const { digest } = lastJson(first.stdout);
    // a signer in a process of its own (another machine would have its own database; here it shares this one)
    const other = spawnSync(process.execPath, [BIN, 'sign', '--key-env', 'SIGNER_3', '--json'], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 120_000,
    });
    expect(other.status).toBe(0);
    expect(lastJson(other.stdout)).toMatchObject({ signer: signers[3]!.address, digest });
    expect((await cli(['sign', '--key-env', 'SIGNER_1'], env)).code).toBe(0);
    // not in the signer set
    const outsider = await cli(['sign', '--key-env', 'PUBLISHER_KEY'], env);
    expect(outsider.stderr).toContain(`${publisher.address} is not in RiskOracle's signer set`);

    const published = await cli(['publish', '--key-env', 'PUBLISHER_KEY', '--apply', '--json'], env);
    expect([published.code, published.stderr]).toEqual([0, '']);
    const result = lastJson(published.stdout);
    expect(result).toMatchObject({ submitted: true, digest });
    expect(result.applied).toHaveLength(4);
    for (const a of proposal.assets as Array<{ address: string; guarded: { ltv: number; liquidationThreshold: number } }>) {
      const onChain = await d.oracle.latest(a.address);
      expect([Number(onChain.round), Number(onChain.ltv), Number(onChain.liquidationThreshold)]).toEqual([
        1,
        a.guarded.ltv,
        a.guarded.liquidationThreshold,
      ]);
      const aave = await d.market.dataProvider.getFunction('getReserveConfigurationData')(a.address);
      expect(Number(aave.ltv)).toBe(a.guarded.ltv);
    }
    const verified = await cli(['verify', '--json'], env);
    expect([verified.code, lastJson(verified.stdout).rounds, lastJson(verified.stdout).mismatches]).toEqual([0, 4, 0]);
    // nothing is pending any more
    expect((await cli(['publish', '--key-env', 'PUBLISHER_KEY'], env)).stderr).toMatch(/nothing to publish on chain/);
    for (const out of [proposed, first, published])
      for (const s of [...signers, publisher]) expect(out.stdout + out.stderr).not.toContain(s.privateKey.slice(2));
  }, 180_000);

  it('a signer refuses a proposal that its own recomputation does not give, naming asset, field and both values', async () => {
    // the next round: minDelay (1 h) must pass before RiskOracle accepts it
    await provider.send('evm_increaseTime', [3_700]);
    await provider.send('evm_mine', []);
    expect((await propose()).code).toBe(0);
    const handle = await openDatabase({ dataDir: path.join(chain.dir, 'db') });
    try {
      const weth = d.market.reserves.find((r) => r.symbol === 'WETH')!.address.toLowerCase();
      const row = await handle.db
        .selectFrom('risk_parameter_rounds')
        .select('ltv')
        .where('asset', '=', weth)
        .where('round', '=', 2)
        .executeTakeFirstOrThrow();
      await handle.db
        .updateTable('risk_parameter_rounds')
        .set({ ltv: row.ltv + 100 })
        .where('asset', '=', weth)
        .where('round', '=', 2)
        .execute();
      const refused = await cli(['sign', '--key-env', 'SIGNER_2'], { ...env });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`refusing to sign: this signer's recomputation differs from the proposal`);
      expect(refused.stderr).toContain(`WETH round 2 ltv: proposed ${row.ltv + 100}, recomputed ${row.ltv}`);
    } finally {
      await handle.close();
    }
  }, 180_000);
});
