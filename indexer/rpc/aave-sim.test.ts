import { Contract, type JsonRpcProvider } from 'ethers';
import { localProvider, startAnvil, type AnvilInstance } from '../../core';
import { createTestDatabase } from '../../core/test/db';
import { deployAaveMarket, ensureCompiled, type AaveMarket } from '../../contracts';
import { planAgents, replaySteps } from '../../sim/agents';
import { chainMarketOf } from '../../sim/chain';
import { runChainSimulation } from '../../sim/market-chain';
import { crashPath } from '../../sim/testing';
import { runIndexer } from './runner';
import { chainMarketIndexing } from '../testing/aave-scenario';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

const fixed = (value: string, decimals: number): bigint => {
  const [int, frac = ''] = value.split('.');
  return BigInt(int!) * 10n ** BigInt(decimals) + BigInt((frac + '0'.repeat(decimals)).slice(0, decimals) || '0');
};

/**
 * The derivation at scale on a real Aave V3 market: 40 simulated borrowers, a liquidity provider and a liquidation
 * bot over 30 days of prices with a crash (sim/market-chain.ts: many transactions per block, price moves first in
 * the block). Every derived position equals the aToken and variable-debt balances at its block, and every derived
 * health factor `Pool.getUserAccountData` there.
 */
describe(`derived positions on a simulated Aave market (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  let anvil: AnvilInstance;
  let provider: JsonRpcProvider;
  let market: AaveMarket;
  let db: TestDb;
  let liquidated: string[];

  beforeAll(async () => {
    anvil = await startAnvil({ gasLimit: 1_000_000_000n });
    await ensureCompiled({ quiet: true });
    provider = localProvider(anvil.rpcUrl);
    const deployer = await provider.getSigner(0);
    [market, db] = await Promise.all([deployAaveMarket(deployer), createTestDatabase()]);
    const chainMarket = await chainMarketOf(market);
    const path = crashPath(30, 18);
    const steps = replaySteps(path);
    const agents = planAgents(path, steps, { seed: 7, count: 40, reserves: chainMarket.reserves });
    const result = await runChainSimulation({
      rpcUrl: anvil.rpcUrl,
      market: chainMarket,
      path,
      steps,
      agents,
      priceAdmin: await deployer.getAddress(),
      seed: 7,
    });
    liquidated = [...new Set(result.liquidations.list.map((l) => l.user.toLowerCase()))];
    await runIndexer({
      db,
      provider,
      ...chainMarketIndexing(chainMarket, market, anvil.chainId),
      chainId: anvil.chainId,
      fromBlock: 0,
      finalityDepth: 0,
      blockRange: 50,
    });
  }, 240_000);
  afterAll(async () => {
    provider?.destroy();
    await anvil?.stop();
    await db?.close();
  });

  it('every position equals the token balances and every health factor the Pool’s, at its block', async () => {
    expect(liquidated.length).toBeGreaterThan(0);
    const latest = await db.db
      .selectFrom('wallet_positions')
      .select(['wallet', 'reserve', 'block_number', 'collateral', 'debt'])
      .orderBy('wallet')
      .orderBy('reserve')
      .orderBy('block_number')
      .execute();
    expect(latest.length).toBeGreaterThan(100);
    const tokens = new Map<string, { aToken: Contract; debt: Contract }>();
    const erc20 = (address: string) => new Contract(address, ['function balanceOf(address) view returns (uint256)'], provider);
    for (const r of market.reserves) {
      const data = await market.pool.getFunction('getReserveData')(r.address);
      tokens.set(r.address.toLowerCase(), {
        aToken: erc20(data.aTokenAddress as string),
        debt: erc20(data.variableDebtTokenAddress as string),
      });
    }
    const mismatches: string[] = [];
    for (const p of latest) {
      const t = tokens.get(p.reserve)!;
      const blockTag = Number(p.block_number);
      const [collateral, debt] = (await Promise.all([
        t.aToken.getFunction('balanceOf')(p.wallet, { blockTag }),
        t.debt.getFunction('balanceOf')(p.wallet, { blockTag }),
      ])) as bigint[];
      if (collateral !== BigInt(p.collateral) || debt !== BigInt(p.debt))
        mismatches.push(`${p.wallet} ${p.reserve} @${blockTag}: ${p.collateral}/${p.debt} vs ${collateral}/${debt}`);
    }
    expect(mismatches).toEqual([]);

    const health = await db.db.selectFrom('health_factors').selectAll().orderBy('block_number').execute();
    expect(health.filter((h) => liquidated.includes(h.wallet)).length).toBeGreaterThan(liquidated.length);
    for (const h of health) {
      const data = (await market.pool.getFunction('getUserAccountData')(h.wallet, { blockTag: Number(h.block_number) })) as bigint[];
      const derived = {
        collateral: fixed(h.collateral_usd, 8),
        debt: fixed(h.debt_usd, 8),
        hf: h.health_factor === null ? 2n ** 256n - 1n : fixed(h.health_factor, 18),
      };
      if (derived.collateral !== data[0] || derived.debt !== data[1] || derived.hf !== data[5])
        mismatches.push(
          `${h.wallet} @${h.block_number}: ${JSON.stringify(derived, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`,
        );
    }
    expect(mismatches).toEqual([]);
  }, 240_000);
});
