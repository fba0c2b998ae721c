import { Contract, JsonRpcProvider, type Interface, type Log } from 'ethers';
import { startAnvil, type AnvilInstance } from '../../core';
import { createTestDatabase } from '../../core/test/db';
import { rayDiv } from '../derive/aave-math';
import { balancesAt } from '../derive/positions';
import { runAaveScenario, type AaveScenario } from '../testing/aave-scenario';
import { indexedRows } from '../testing/snapshot';
import { aaveInterface, MINTED } from './events';
import { runIndexer, type RunIndexerOptions } from './runner';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;
const url = process.env.DATABASE_URL;

/** A decimal string (a numeric column) as an integer with `decimals` places. */
const fixed = (value: string, decimals: number): bigint => {
  const [int, frac = ''] = value.split('.');
  return BigInt(int!) * 10n ** BigInt(decimals) + BigInt((frac + '0'.repeat(decimals)).slice(0, decimals) || '0');
};
const lower = (a: unknown): string => String(a).toLowerCase();
const MAX_UINT = 2n ** 256n - 1n;
const aToken = aaveInterface('../tokenization/AToken.sol/AToken.json');

/**
 * End to end on a real local Aave V3 market: every kind of event the RPC indexer decodes, emitted by Aave's own
 * contracts (not the emitter stand-ins), indexed, and compared with the chain: the rows with the receipts' logs
 * decoded by Aave's ABIs, the derived positions with the aToken and debt-token balances, and the derived health
 * factors with `Pool.getUserAccountData`, at every block the indexer wrote one (wei-exact: the derivation follows
 * Aave's scaled balances and rounding).
 */
describe(`RPC indexer on a real Aave V3 market (${url ? 'Postgres' : 'PGlite'})`, () => {
  let anvil: AnvilInstance;
  let provider: JsonRpcProvider;
  let scenario: AaveScenario;
  let db: TestDb;
  const extra: TestDb[] = [];

  beforeAll(async () => {
    anvil = await startAnvil({ gasLimit: 1_000_000_000n });
    provider = new JsonRpcProvider(anvil.rpcUrl, anvil.chainId, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 20 });
    [scenario, db] = await Promise.all([runAaveScenario(provider, anvil.chainId), createTestDatabase()]);
  }, 180_000);
  afterAll(async () => {
    provider?.destroy();
    await anvil?.stop();
    for (const d of [db, ...extra]) await d?.close();
  });

  const index = (store: RunIndexerOptions['db'], options: Partial<RunIndexerOptions> = {}) =>
    runIndexer({
      db: store,
      provider,
      addresses: scenario.addresses,
      assets: scenario.assets,
      fromBlock: scenario.fromBlock,
      finalityDepth: 8,
      blockRange: 7,
      ...options,
    });

  /** Every log of the watched contracts in the chain's receipts, decoded with Aave's and the aggregator's ABIs. */
  async function chainLogs(): Promise<Array<{ log: Log; name: string; args: Record<string, unknown> }>> {
    const { market, addresses } = scenario;
    const byAddress = new Map<string, Interface>([
      [addresses.pool, market.pool.interface],
      [addresses.configurator, market.configurator.interface],
      ...Object.keys(addresses.feeds).map((f): [string, Interface] => [f, market.reserves[0]!.aggregator.interface]),
      ...Object.keys(addresses.aTokens).map((a): [string, Interface] => [a, aToken]),
    ]);
    const head = await provider.getBlockNumber();
    const out: Array<{ log: Log; name: string; args: Record<string, unknown> }> = [];
    for (let n = scenario.fromBlock; n <= head; n++) {
      const block = (await provider.getBlock(n))!;
      for (const hash of block.transactions) {
        const receipt = (await provider.getTransactionReceipt(hash))!;
        for (const log of receipt.logs) {
          const parsed = byAddress.get(log.address.toLowerCase())?.parseLog(log);
          if (parsed) out.push({ log, name: parsed.name, args: parsed.args.toObject() });
        }
      }
    }
    return out;
  }

  it('indexes every event kind exactly as the receipts hold them, and derives balances and health factors equal to the Pool', async () => {
    const result = await index(db);
    const head = await provider.getBlockNumber();
    expect(result).toMatchObject({ lastBlock: head, reorgs: [] });
    expect(scenario.actions).toEqual(
      expect.arrayContaining([
        'repay with aTokens',
        'liquidation',
        'liquidation for aTokens',
        'withdraw all',
        'collateral off',
        'aToken transfer',
        'aToken transferFrom',
        'liquidation protocol fee',
        'liquidation with a protocol fee',
        'liquidation for aTokens with a protocol fee',
        'e-mode category',
        'e-mode entered',
        'e-mode left',
        'mint to treasury',
      ]),
    );

    const logs = await chainLogs();
    // Pool.mintToTreasury's aToken Mint: the Pool as caller, adding principal (value − balanceIncrease)
    const treasuryMint = (l: (typeof logs)[number]): boolean =>
      l.name === 'Mint' &&
      lower(l.args.caller) === scenario.addresses.pool &&
      (l.args.value as bigint) > (l.args.balanceIncrease as bigint);
    const where = (l: Log) => ({ block_number: l.blockNumber, tx_hash: l.transactionHash.toLowerCase(), log_index: l.index });
    const lending: Record<string, (a: Record<string, unknown>) => Record<string, unknown>> = {
      Supply: (a) => ({ kind: 'supply', reserve: a.reserve, user_address: a.user, on_behalf_of: a.onBehalfOf, amount: a.amount }),
      Withdraw: (a) => ({ kind: 'withdraw', reserve: a.reserve, user_address: a.user, on_behalf_of: a.user, amount: a.amount }),
      Borrow: (a) => ({ kind: 'borrow', reserve: a.reserve, user_address: a.user, on_behalf_of: a.onBehalfOf, amount: a.amount }),
      Repay: (a) => ({
        kind: 'repay',
        reserve: a.reserve,
        user_address: a.repayer,
        on_behalf_of: a.user,
        amount: a.amount,
        use_a_tokens: a.useATokens,
      }),
      LiquidationCall: (a) => ({
        kind: 'liquidation',
        reserve: a.collateralAsset,
        debt_asset: a.debtAsset,
        user_address: a.user,
        on_behalf_of: a.user,
        amount: a.debtToCover,
        liquidated_collateral_amount: a.liquidatedCollateralAmount,
        liquidator: a.liquidator,
        use_a_tokens: a.receiveAToken,
      }),
      ReserveUsedAsCollateralEnabled: (a) => ({ kind: 'collateral_enabled', reserve: a.reserve, user_address: a.user, amount: 0n }),
      ReserveUsedAsCollateralDisabled: (a) => ({ kind: 'collateral_disabled', reserve: a.reserve, user_address: a.user, amount: 0n }),
    };
    const normal = (row: Record<string, unknown>): Record<string, unknown> =>
      Object.fromEntries(
        Object.entries(row)
          .filter(([, v]) => v !== null && v !== undefined)
          .map(([k, v]) => [
            k,
            typeof v === 'string' && v.startsWith('0x') && k !== 'tx_hash' ? lower(v) : typeof v === 'bigint' ? String(v) : v,
          ]),
      );
    const expected = {
      lending_events: logs.filter((l) => lending[l.name]).map((l) => normal({ ...where(l.log), ...lending[l.name]!(l.args) })),
      reserve_updates: logs
        .filter((l) => l.name === 'ReserveDataUpdated')
        .map((l) =>
          normal({
            ...where(l.log),
            reserve: l.args.reserve,
            liquidity_rate: l.args.liquidityRate,
            stable_borrow_rate: l.args.stableBorrowRate,
            variable_borrow_rate: l.args.variableBorrowRate,
            liquidity_index: l.args.liquidityIndex,
            variable_borrow_index: l.args.variableBorrowIndex,
          }),
        ),
      collateral_configs: logs
        .filter((l) => l.name === 'CollateralConfigurationChanged')
        .map((l) =>
          normal({
            ...where(l.log),
            asset: l.args.asset,
            ltv: Number(l.args.ltv),
            liquidation_threshold: Number(l.args.liquidationThreshold),
            liquidation_bonus: Number(l.args.liquidationBonus),
          }),
        ),
      a_token_transfers: logs
        .filter((l) => l.name === 'BalanceTransfer' || treasuryMint(l))
        .map((l) =>
          normal({
            ...where(l.log),
            reserve: scenario.addresses.aTokens[l.log.address.toLowerCase()],
            a_token: l.log.address,
            ...(l.name === 'Mint'
              ? {
                  from_address: MINTED,
                  to_address: l.args.onBehalfOf,
                  // what _mintScaled adds to the treasury's scaled balance
                  scaled_amount: rayDiv((l.args.value as bigint) - (l.args.balanceIncrease as bigint), l.args.index as bigint),
                }
              : { from_address: l.args.from, to_address: l.args.to, scaled_amount: l.args.value }),
            liquidity_index: l.args.index,
          }),
        ),
      emode_events: logs
        .filter((l) => ['UserEModeSet', 'EModeCategoryAdded', 'EModeAssetCategoryChanged'].includes(l.name))
        .map((l) =>
          normal(
            l.name === 'UserEModeSet'
              ? { ...where(l.log), kind: 'user', wallet: l.args.user, category_id: Number(l.args.categoryId) }
              : l.name === 'EModeAssetCategoryChanged'
                ? { ...where(l.log), kind: 'asset', asset: l.args.asset, category_id: Number(l.args.newCategoryId) }
                : {
                    ...where(l.log),
                    kind: 'category',
                    category_id: Number(l.args.categoryId),
                    ltv: Number(l.args.ltv),
                    liquidation_threshold: Number(l.args.liquidationThreshold),
                    liquidation_bonus: Number(l.args.liquidationBonus),
                    price_source: l.args.oracle,
                    label: l.args.label,
                  },
          ),
        ),
      price_points: logs
        .filter((l) => l.name === 'AnswerUpdated')
        .map((l) => ({
          asset: scenario.addresses.feeds[l.log.address.toLowerCase()],
          block_number: l.log.blockNumber,
          price_usd: fixed(String(l.args.current), 0),
        })),
    };
    const rows = await indexedRows(db.db, anvil.chainId);
    const pick = (row: object, keys: string[]): Record<string, unknown> =>
      normal(Object.fromEntries(keys.map((k) => [k, (row as Record<string, unknown>)[k]])));
    type Table = 'lending_events' | 'reserve_updates' | 'collateral_configs' | 'a_token_transfers' | 'emode_events';
    const stored = (table: Table) =>
      rows[table]!.map((r) => {
        const keys = new Set(expected[table].flatMap((e) => Object.keys(e)));
        const out = pick(r as object, [...keys]);
        if (table === 'lending_events' && out.kind !== 'repay' && out.kind !== 'liquidation') delete out.use_a_tokens;
        if (out.kind?.toString().startsWith('collateral_')) delete out.on_behalf_of; // stored as the user (the wallet whose position changes)
        return { ...out, block_number: Number(out.block_number), log_index: Number(out.log_index) };
      });
    for (const table of ['lending_events', 'reserve_updates', 'collateral_configs', 'a_token_transfers', 'emode_events'] as const) {
      expect(stored(table)).toEqual(
        expected[table].map((e) => ({ ...e, block_number: Number(e.block_number), log_index: Number(e.log_index) })),
      );
    }
    const prices = rows.price_points!.map((p) => {
      const r = p as { asset: string; block_number: number; price_usd: string };
      return { asset: r.asset, block_number: Number(r.block_number), price_usd: fixed(r.price_usd, 8) };
    });
    const byKey = (a: { asset: string; block_number: number }, b: { asset: string; block_number: number }) =>
      a.asset.localeCompare(b.asset) || a.block_number - b.block_number;
    expect(prices.sort(byKey)).toEqual(expected.price_points.sort(byKey));

    // counts per kind equal, and every kind the indexer decodes is there
    const count = (xs: Array<Record<string, unknown>>) =>
      xs.reduce<Record<string, number>>((m, x) => ({ ...m, [String(x.kind)]: (m[String(x.kind)] ?? 0) + 1 }), {});
    const kinds = count(rows.lending_events as Array<Record<string, unknown>>);
    expect(kinds).toEqual(count(expected.lending_events));
    expect(Object.keys(kinds).sort()).toEqual([
      'borrow',
      'collateral_disabled',
      'collateral_enabled',
      'liquidation',
      'repay',
      'supply',
      'withdraw',
    ]);
    const events = rows.lending_events as Array<{ kind: string; use_a_tokens: boolean | null }>;
    expect(events.filter((e) => e.kind === 'repay').map((e) => e.use_a_tokens)).toContain(true);
    expect(
      events
        .filter((e) => e.kind === 'liquidation')
        .map((e) => e.use_a_tokens)
        .sort(),
    ).toEqual(
      scenario.actions
        .filter((a) => a.startsWith('liquidation') && a !== 'liquidation protocol fee')
        .map((a) => a.startsWith('liquidation for aTokens'))
        .sort(),
    );
    expect(rows.reserve_updates!.length).toBeGreaterThan(10);
    expect(rows.collateral_configs!.length).toBe(5); // four at deployment, one changed later
    // the reserves' initial answers and the prices pushed down
    expect(rows.price_points!.length).toBe(scenario.market.reserves.length + scenario.actions.filter((a) => a === 'price').length);
    // aToken transfers: one per transfer between wallets, per liquidation paid in aTokens (to the liquidator), per
    // liquidation with a protocol fee (to the treasury) and per reserve mintToTreasury minted (the Pool's
    // MintedToTreasury: the reserves that had accrued income, each amount the Mint's principal)
    const actions = (f: (a: string) => boolean): number => scenario.actions.filter(f).length;
    const transfers = rows.a_token_transfers as Array<{ from_address: string; to_address: string }>;
    const treasury = scenario.wallets[0]!;
    for (const a of Object.keys(scenario.addresses.aTokens))
      expect(lower(await new Contract(a, aToken, provider).getFunction('RESERVE_TREASURY_ADDRESS')())).toBe(treasury);
    const fees = actions((a) => a.endsWith('with a protocol fee'));
    expect(fees).toBe(2);
    const minted = logs.filter((l) => l.name === 'MintedToTreasury');
    expect(minted.length).toBe(2); // USDC and WETH were borrowed; nothing accrued on the others
    expect(
      logs.filter(treasuryMint).map((l) => [lower(l.args.onBehalfOf), (l.args.value as bigint) - (l.args.balanceIncrease as bigint)]),
    ).toEqual(minted.map((l) => [treasury, l.args.amountMinted]));
    expect(transfers.filter((t) => t.to_address === treasury).length).toBe(fees + minted.length);
    expect(transfers.length).toBe(
      actions((a) => a.startsWith('aToken transfer')) + actions((a) => a.startsWith('liquidation for aTokens')) + fees + minted.length,
    );
    const emodeKinds = count(rows.emode_events as Array<Record<string, unknown>>);
    expect(emodeKinds).toEqual({
      category: actions((a) => a === 'e-mode category'),
      asset: actions((a) => a === 'e-mode asset'),
      user: actions((a) => a.startsWith('e-mode entered') || a.startsWith('e-mode left')),
    });

    // stable-rate borrowing is off on the local market (the derivation refuses stable debt, derive/positions.ts)
    const borrower = await provider.getSigner(1);
    await expect(
      (scenario.market.pool.connect(borrower) as Contract)
        .getFunction('borrow')
        .staticCall(scenario.market.reserves[0]!.address, 1n, 1, 0, await borrower.getAddress()),
    ).rejects.toThrow(/"31"/); // Errors.STABLE_BORROWING_NOT_ENABLED

    // derived positions: each row equals the aToken and variable-debt balances at its block
    const tokens = new Map<string, { aToken: Contract; debt: Contract }>();
    for (const r of scenario.market.reserves) {
      const data = await scenario.market.pool.getFunction('getReserveData')(r.address);
      const erc20 = (address: string) => new Contract(address, ['function balanceOf(address) view returns (uint256)'], provider);
      tokens.set(r.address.toLowerCase(), {
        aToken: erc20(data.aTokenAddress as string),
        debt: erc20(data.variableDebtTokenAddress as string),
      });
    }
    const balances = async (wallet: string, reserve: string, blockTag: number) => {
      const t = tokens.get(reserve)!;
      const [collateral, debt] = await Promise.all([
        t.aToken.getFunction('balanceOf')(wallet, { blockTag }) as Promise<bigint>,
        t.debt.getFunction('balanceOf')(wallet, { blockTag }) as Promise<bigint>,
      ]);
      return { collateral, debt };
    };
    const positions = rows.wallet_positions as Array<{
      wallet: string;
      reserve: string;
      block_number: number;
      collateral: string;
      debt: string;
    }>;
    expect(positions.length).toBeGreaterThan(20);
    // the treasury has a row at the mint's block for each reserve minted (checked against balanceOf below)
    expect(
      positions
        .filter((p) => p.wallet === treasury && Number(p.block_number) === minted[0]!.log.blockNumber)
        .map((p) => p.reserve)
        .sort(),
    ).toEqual(minted.map((m) => lower(m.args.reserve)).sort());
    expect(positions.filter((p) => p.wallet === MINTED)).toEqual([]); // a mint debits nobody
    for (const p of positions) {
      const derived = { collateral: BigInt(p.collateral), debt: BigInt(p.debt) };
      expect({ at: `${p.wallet} ${p.reserve} @${p.block_number}`, ...derived }).toEqual({
        at: `${p.wallet} ${p.reserve} @${p.block_number}`,
        ...(await balances(p.wallet, p.reserve, Number(p.block_number))),
      });
    }
    // interest really accrued: a principal-only derivation would not match
    expect(positions.some((p) => p.debt !== '0' && BigInt(p.debt) % 10n ** 6n !== 0n)).toBe(true);

    // and at the head, with interest accrued since each position's last row, for every wallet and reserve
    const headBlock = (await provider.getBlock(head))!;
    const atHead = await balancesAt(db, anvil.chainId, head, headBlock.timestamp);
    for (const wallet of scenario.wallets) {
      for (const reserve of tokens.keys()) {
        const derived = atHead.find((b) => b.wallet === wallet && b.reserve === reserve);
        expect({ wallet, reserve, collateral: derived?.collateral ?? 0n, debt: derived?.debt ?? 0n }).toEqual({
          wallet,
          reserve,
          ...(await balances(wallet, reserve, head)),
        });
      }
    }

    // derived health factors equal Pool.getUserAccountData at their block
    const health = rows.health_factors as Array<{
      wallet: string;
      block_number: number;
      collateral_usd: string;
      debt_usd: string;
      health_factor: string | null;
    }>;
    expect(health.length).toBeGreaterThan(10);
    expect(health.some((h) => h.health_factor !== null && fixed(h.health_factor, 18) < 10n ** 18n)).toBe(true); // the liquidated borrowers
    // the e-mode borrower's health factor rests on the category's threshold: the reserves' own would put it below 1
    const grace = scenario.wallets.at(-1)!;
    // (her collateral is WETH alone: its own threshold, last configured, against her debt would give less than 1)
    const weth = scenario.market.reserves.find((r) => r.symbol === 'WETH')!.address.toLowerCase();
    const configs = rows.collateral_configs as Array<{ asset: string; liquidation_threshold: number }>;
    const wethThreshold = BigInt(configs.filter((c) => c.asset === weth).at(-1)!.liquidation_threshold);
    expect(
      health.some(
        (h) =>
          h.wallet === grace &&
          h.health_factor !== null &&
          fixed(h.health_factor, 18) > 10n ** 18n &&
          fixed(h.debt_usd, 8) * 10_000n > fixed(h.collateral_usd, 8) * wethThreshold,
      ),
    ).toBe(true);
    for (const h of health) {
      const data = (await scenario.market.pool.getFunction('getUserAccountData')(h.wallet, {
        blockTag: Number(h.block_number),
      })) as bigint[];
      expect({
        at: `${h.wallet} @${h.block_number}`,
        collateral: fixed(h.collateral_usd, 8),
        debt: fixed(h.debt_usd, 8),
        hf: h.health_factor === null ? MAX_UINT : fixed(h.health_factor, 18),
      }).toEqual({ at: `${h.wallet} @${h.block_number}`, collateral: data[0], debt: data[1], hf: data[5] });
    }
  }, 180_000);

  (url ? it : it.skip)(
    `3 range workers give the same rows as one sequential run${url ? '' : ' (skipped: set DATABASE_URL to run)'}`,
    async () => {
      const expected = await indexedRows(db.db, anvil.chainId);
      const workers = await createTestDatabase();
      extra.push(workers);
      const by = new Set<number>();
      const result = await index(workers, { workers: 3, onBatch: (b) => void (b.worker !== undefined && by.add(b.worker)) });
      expect(result.workers).toBe(3);
      expect(by.size).toBeGreaterThan(1);
      expect(await indexedRows(workers.db, anvil.chainId)).toEqual(expected);
    },
    120_000,
  );

  it('drops aToken transfers, treasury mints, e-mode switches and the positions and health factors derived from them when a reorg replaces their blocks', async () => {
    const without = (rows: Record<string, unknown[]>): Record<string, unknown[]> => ({ ...rows, blocks: [] }); // headers: another fork
    const before = without(await indexedRows(db.db, anvil.chainId));
    const snapshot = (await provider.send('evm_snapshot', [])) as string;
    const [lender, erin, grace] = await Promise.all([1, 7, 9].map((i) => provider.getSigner(i)));
    const usdc = scenario.market.reserves.find((r) => r.symbol === 'USDC')!.address.toLowerCase();
    const aUsdc = Object.keys(scenario.addresses.aTokens).find((a) => scenario.addresses.aTokens[a] === usdc)!;
    const transfer = new Contract(aUsdc, ['function transfer(address, uint256) returns (bool)'], lender);
    await (await transfer.getFunction('transfer')(await erin.getAddress(), 5_000_000n, { gasLimit: 2_000_000 })).wait();
    const pool = scenario.market.pool.connect(grace) as Contract;
    await (await pool.getFunction('setUserEMode')(1, { gasLimit: 2_000_000 })).wait();
    // income accrued since the scenario's mint (WETH and WBTC were updated with debt after it)
    const reserves = scenario.market.reserves.map((r) => r.address);
    await (await pool.getFunction('mintToTreasury')(reserves, { gasLimit: 2_000_000 })).wait();
    await index(db);
    const forked = await indexedRows(db.db, anvil.chainId);
    const mints = (rows: Record<string, unknown[]>): number =>
      (rows.a_token_transfers as Array<{ from_address: string }>).filter((t) => t.from_address === MINTED).length;
    expect(mints(forked)).toBeGreaterThan(mints(before));
    expect(forked.a_token_transfers!.length - mints(forked)).toBe(before.a_token_transfers!.length - mints(before) + 1);
    expect(forked.emode_events!.length).toBe(before.emode_events!.length + 1);
    expect(forked.health_factors!.length).toBeGreaterThan(before.health_factors!.length);

    await provider.send('evm_revert', [snapshot]);
    for (let i = 0; i < 4; i++) await provider.send('evm_mine', []); // another, longer history without them
    const result = await index(db);
    expect(result.reorgs.length).toBeGreaterThan(0);
    expect(without(await indexedRows(db.db, anvil.chainId))).toEqual(before);
  }, 120_000);
});
