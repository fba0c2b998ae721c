import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JsonRpcProvider, toBeHex, Wallet } from 'ethers';
import { startAnvil, type AnvilInstance } from '../core';
import { RiskOracle__factory } from '../contracts/build/types';
import { cli, lastJson } from './testing';

interface DeploymentFile {
  chainId: number;
  block: number;
  riskOracle: string;
  riskSteward: string;
  aave: { pool: string; reserves: Array<{ symbol: string; decimals: number; address: string }> };
}

describe('risk-oracle chain deploy', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ro-chain-cli-'));
  const deploymentFile = path.join(dir, 'deployment.json');
  let anvil: AnvilInstance;
  let provider: JsonRpcProvider;
  let env: Record<string, string>;

  beforeAll(async () => {
    anvil = await startAnvil();
    provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 20 });
    env = { RISK_ORACLE_LOG_LEVEL: 'silent' };
  });
  afterAll(async () => {
    provider?.destroy();
    await anvil?.stop();
  });

  it('chain deploy writes the deployment; RiskOracle has code and the signer set asked for', async () => {
    const r = await cli(
      ['chain', 'deploy', '--rpc', anvil.rpcUrl, '--out', deploymentFile, '--signers', '4', '--threshold', '3', '--json'],
      env,
    );
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const printed = lastJson(r.stdout);
    const d = JSON.parse(readFileSync(deploymentFile, 'utf8')) as DeploymentFile;
    expect(printed).toMatchObject({ ...d, threshold: 3, file: deploymentFile });
    expect(d.chainId).toBe(anvil.chainId);
    expect(await provider.getCode(d.riskOracle)).not.toBe('0x');
    const oracle = RiskOracle__factory.connect(d.riskOracle, provider);
    const accounts = (await provider.send('eth_accounts', [])) as string[];
    expect((await oracle.signers()).map((s) => s.toLowerCase())).toEqual(accounts.slice(1, 5).map((a) => a.toLowerCase()));
    expect(Number(await oracle.threshold())).toBe(3);
    // the guardian defaults to the deployer
    expect(String(printed.guardian).toLowerCase()).toBe(accounts[0]!.toLowerCase());
    expect(await oracle.guardian()).toBe(printed.guardian);
    // the deployment's steward is the one contract that may record a guardian's fall-back in RiskOracle
    expect((await oracle.steward()).toLowerCase()).toBe(d.riskSteward.toLowerCase());
    expect(d.aave.reserves.map((x) => x.symbol)).toEqual(['WETH', 'WBTC', 'USDC', 'GOV']);
  });

  it('chain deploy names an unreachable RPC; a deployer key variable that is unset or malformed is refused without echoing it', async () => {
    const bad = await cli(['chain', 'deploy', '--rpc', 'http://127.0.0.1:1', '--out', path.join(dir, 'x.json')], {
      ...env,
      RISK_ORACLE_CHAIN_RETRIES: '0',
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('http://127.0.0.1:1');
    expect(bad.stderr).toContain('unreachable');

    const unset = await cli(['chain', 'deploy', '--rpc', anvil.rpcUrl, '--deployer-key-env', 'RO_TEST_NO_SUCH_KEY'], env);
    expect(unset.code).not.toBe(0);
    expect(unset.stderr).toContain('RO_TEST_NO_SUCH_KEY');
    const secret = 'not-a-key-but-secret-0123456789';
    const malformed = await cli(['chain', 'deploy', '--rpc', anvil.rpcUrl, '--deployer-key-env', 'RO_TEST_KEY'], {
      ...env,
      RO_TEST_KEY: secret,
    });
    expect(malformed.code).not.toBe(0);
    expect(malformed.stderr).toContain('RO_TEST_KEY');
    expect(malformed.stderr + malformed.stdout).not.toContain(secret);
    const guardian = await cli(['chain', 'deploy', '--rpc', anvil.rpcUrl, '--guardian', '0x1234'], env);
    expect([guardian.code, guardian.stderr]).toEqual([1, expect.stringContaining('--guardian: not an address: 0x1234')]);
  });

  it('chain deploy --deployer-key-env deploys from that key and never prints it; --guardian names who may pause', async () => {
    const key = Wallet.createRandom();
    const guardian = Wallet.createRandom().address;
    await provider.send('anvil_setBalance', [key.address, toBeHex(10n ** 21n)]);
    const out = path.join(dir, 'keyed.json');
    const signers = [Wallet.createRandom().address, Wallet.createRandom().address];
    const r = await cli(
      [
        'chain',
        'deploy',
        '--rpc',
        anvil.rpcUrl,
        '--out',
        out,
        '--signer',
        ...signers,
        '--threshold',
        '2',
        '--deployer-key-env',
        'RO_TEST_KEY',
        '--guardian',
        guardian,
      ],
      { ...env, RO_TEST_KEY: key.privateKey, RISK_ORACLE_LOG_LEVEL: 'debug' },
    );
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    expect(r.stdout + r.stderr).not.toContain(key.privateKey.slice(2));
    const d = JSON.parse(readFileSync(out, 'utf8')) as DeploymentFile & { deployer: string };
    expect(d.deployer).toBe(key.address);
    const oracle = RiskOracle__factory.connect(d.riskOracle, provider);
    expect(await oracle.signers()).toEqual(signers);
    expect(Number(await oracle.threshold())).toBe(2);
    expect(await oracle.guardian()).toBe(guardian);
  });
});
