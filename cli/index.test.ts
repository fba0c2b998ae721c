import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Contract, JsonRpcProvider, parseUnits, type Signer } from 'ethers';
import { migrate, openDatabase, startAnvil, type AnvilInstance, type DatabaseHandle } from '../core';
import { createTestDatabase } from '../core/test/db';
import { cli, lastJson } from './testing';

/** A PGlite data directory, or, with DATABASE_URL, a fresh schema on that Postgres reached through search_path. */
async function cliDatabase(dir: string): Promise<{ env: Record<string, string>; open(): Promise<DatabaseHandle>; close(): Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const dataDir = path.join(dir, 'db');
    // created and migrated up front (the slow part of a first PGlite open), so the test can overlap it with the chain work
    const created = await openDatabase({ dataDir });
    await migrate(created.db);
    await created.close();
    return {
      env: { DATABASE_URL: '', RISK_ORACLE_DATABASE_DATA_DIR: dataDir },
      open: () => openDatabase({ dataDir }),
      close: async () => undefined,
    };
  }
  const test = await createTestDatabase();
  const scoped = `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${test.schema}`)}`;
  return { env: { DATABASE_URL: scoped }, open: async () => ({ ...test, close: async () => undefined }), close: () => test.close() };
}

const ERC20 = ['function mint(uint256 value) returns (bool)', 'function approve(address spender, uint256 value) returns (bool)'];
const POOL = [
  'function supply(address asset, uint256 amount, address onBehalfOf, uint16 referralCode)',
  'function borrow(address asset, uint256 amount, uint256 interestRateMode, uint16 referralCode, address onBehalfOf)',
];

interface DeploymentFile {
  chainId: number;
  block: number;
  riskOracle: string;
  aave: { pool: string; reserves: Array<{ symbol: string; decimals: number; address: string }> };
}

/**
 * Set-up transactions carry their own gas limit. Estimated by anvil, an Aave borrow gets the exact minimum at the
 * pending block's time; mined a second after its reserve's last update (a loaded machine), it accrues interest
 * first, needs a few hundred more gas and runs out: the borrow that "reverted in 2 of ~15 CI runs".
 */
const GAS = { gasLimit: 2_000_000 };

/** `who` mints `units` of a reserve and supplies it to the pool. */
async function supply(who: Signer, d: DeploymentFile, symbol: string, units: string): Promise<void> {
  const r = d.aave.reserves.find((x) => x.symbol === symbol)!;
  const amount = parseUnits(units, r.decimals);
  const token = new Contract(r.address, ERC20, who);
  await (await token.getFunction('mint')(amount, GAS)).wait();
  await (await token.getFunction('approve')(d.aave.pool, amount, GAS)).wait();
  await (await new Contract(d.aave.pool, POOL, who).getFunction('supply')(r.address, amount, await who.getAddress(), 0, GAS)).wait();
}

describe(`risk-oracle index (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ro-index-cli-'));
  const deploymentFile = path.join(dir, 'deployment.json');
  let anvil: AnvilInstance;
  let provider: JsonRpcProvider;
  let database: Awaited<ReturnType<typeof cliDatabase>>;
  let env: Record<string, string>;

  let d: DeploymentFile;
  let head: number;

  /** chain deploy, then a lender and a borrower supply and borrow on the deployed Aave market. */
  async function deployAndTrade(): Promise<void> {
    const deployed = await cli(['chain', 'deploy', '--rpc', anvil.rpcUrl, '--out', deploymentFile], { RISK_ORACLE_LOG_LEVEL: 'silent' });
    expect({ code: deployed.code, stderr: deployed.stderr }).toMatchObject({ code: 0 });
    d = JSON.parse(readFileSync(deploymentFile, 'utf8')) as DeploymentFile;
    const [lender, borrower] = await Promise.all([provider.getSigner(6), provider.getSigner(7)]);
    await supply(lender, d, 'USDC', '100000');
    await supply(borrower, d, 'WETH', '10');
    const usdc = d.aave.reserves.find((x) => x.symbol === 'USDC')!;
    const pool = new Contract(d.aave.pool, POOL, borrower);
    await (await pool.getFunction('borrow')(usdc.address, parseUnits('1000', 6), 2, 0, await borrower.getAddress(), GAS)).wait();
    head = await provider.getBlockNumber();
  }

  beforeAll(async () => {
    anvil = await startAnvil();
    provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 20 });
    // the database is prepared while the chain works; afterAll closes it even when the chain part fails
    const prepared = cliDatabase(dir);
    try {
      await deployAndTrade();
    } finally {
      database = await prepared;
    }
    env = { ...database.env, RISK_ORACLE_LOG_LEVEL: 'silent' };
    // a whole deployment and a market with positions: past 60 s on a loaded CI
  }, 180_000);
  afterAll(async () => {
    provider?.destroy();
    await anvil?.stop();
    await database?.close();
  });

  it('index writes Aave events, configurations, blocks and a checkpoint; a second run adds nothing', async () => {
    const args = ['index', '--rpc', anvil.rpcUrl, '--deployment', deploymentFile, '--json'];
    const first = await cli(args, env);
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
    const result = lastJson(first.stdout);
    expect(result).toMatchObject({ chainId: anvil.chainId, fromBlock: d.block, lastBlock: head, reorgs: [] });
    expect(result.logs).toBeGreaterThan(0);

    const snapshot = async () => {
      const h = await database.open();
      try {
        const count = async (table: 'lending_events' | 'collateral_configs' | 'blocks' | 'assets' | 'price_points') =>
          Number(
            (
              await h.db
                .selectFrom(table)
                .select((eb) => eb.fn.countAll<number>().as('n'))
                .executeTakeFirstOrThrow()
            ).n,
          );
        const kinds = await h.db.selectFrom('lending_events').select('kind').orderBy('kind').execute();
        const checkpoints = await h.db.selectFrom('indexer_checkpoints').select(['source', 'block_number']).execute();
        return {
          kinds: kinds.map((k) => k.kind),
          collateralConfigs: await count('collateral_configs'),
          blocks: await count('blocks'),
          assets: await count('assets'),
          checkpoints: checkpoints.map((c) => ({ source: c.source, block: Number(c.block_number) })),
        };
      } finally {
        await h.close();
      }
    };
    const rows = await snapshot();
    expect(rows.kinds.filter((k) => k === 'supply')).toHaveLength(2);
    expect(rows.kinds).toContain('borrow');
    expect(rows.collateralConfigs).toBeGreaterThan(0);
    expect(rows.blocks).toBeGreaterThan(0);
    expect(rows.assets).toBe(4);
    expect(rows.checkpoints).toContainEqual({ source: 'rpc:aave', block: head });

    // again with range workers: nothing new (on PGlite, one worker: range workers need Postgres)
    const again = await cli([...args, '--workers', '2'], env);
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: '' });
    expect(lastJson(again.stdout)).toMatchObject({ logs: 0, batches: 0, workers: process.env.DATABASE_URL ? 2 : 0 });
    expect(await snapshot()).toEqual(rows);
    const badWorkers = await cli([...args, '--workers', 'two'], env);
    expect(badWorkers.code).not.toBe(0);
    expect(badWorkers.stderr).toContain('--workers must be a whole number ≥ 1, got "two"');

    const human = await cli(['index', '--rpc', anvil.rpcUrl, '--deployment', path.join(dir, 'missing.json')], env);
    expect(human.code).not.toBe(0);
    expect(human.stderr).toContain('missing.json');
  });
});
