import { Contract, MaxUint256, parseUnits, ZeroAddress, type JsonRpcProvider, type Signer } from 'ethers';
import { deployAaveMarket, type AaveMarket } from '../../contracts/deploy/aave';
import type { NewRow } from '../../core';
import { aTokensOf, type IndexerAddresses } from '../rpc/fetch';
import type { ChainMarket } from '../../sim/chain';

/**
 * Drives a real local Aave V3 market (contracts/deploy/aave.ts) through every event the RPC indexer decodes, with
 * interest accruing between steps: supplies, borrows, a partial and a full repayment, a repayment with aTokens, a
 * withdrawal and a withdrawal of everything, collateral switched off and on, a collateral configuration changed
 * through the PoolConfigurator, a price pushed down on the settable aggregator, and two liquidations (one paid
 * out in the underlying, one in aTokens); then aTokens moved between wallets (`transfer`, `transferFrom`), a
 * liquidation protocol fee set on WETH and two liquidations on it (part of the seized aTokens goes to the treasury),
 * the reserve factor's income minted to the treasury (`Pool.mintToTreasury`: a 10 % reserve factor on every reserve
 * from the start), and a wallet entering an e-mode category configured through the PoolConfigurator, borrowing above the normal
 * LTV, repaying part and leaving e-mode.
 */
export interface AaveScenario {
  market: AaveMarket;
  /** The block before the market's deployment (index from here). */
  fromBlock: number;
  addresses: Required<Omit<IndexerAddresses, 'oracle'>>;
  assets: Array<NewRow<'assets'>>;
  /** Every wallet that acted or holds aTokens (lenders, borrowers, the liquidator, the treasury). */
  wallets: string[];
  /** Pool actions that ran, by name (the test checks each kind of event came out). */
  actions: string[];
}

const DAY = 86_400;
/**
 * An explicit gas limit on every transaction: anvil's estimate is the exact minimum at the pending block's time,
 * and an Aave action mined a second after its reserve's last update accrues interest first and needs more gas than
 * one estimated within that second (it runs out of gas: the cause of cli/index.test.ts's borrow reverting under load).
 */
const GAS = { gasLimit: 2_000_000 };

export async function runAaveScenario(provider: JsonRpcProvider, chainId: number): Promise<AaveScenario> {
  const admin = await provider.getSigner(0);
  const fromBlock = await provider.getBlockNumber();
  const market = await deployAaveMarket(admin);
  const [lender, alice, bob, carol, liquidator, dave, erin, frank, grace] = await Promise.all(
    [1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => provider.getSigner(i)),
  );
  const reserve = (symbol: string) => market.reserves.find((r) => r.symbol === symbol)!;
  const units = (symbol: string, value: string): bigint => parseUnits(value, reserve(symbol).decimals);
  const actions: string[] = [];
  /** Sends `fn(...args)` from `who` with an explicit gas limit (see `GAS`), waits for it, and records `what`. */
  const send = async (what: string | undefined, contract: Contract, who: Signer, fn: string, ...args: unknown[]): Promise<void> => {
    await (await (contract.connect(who) as Contract).getFunction(fn)(...args, GAS)).wait();
    if (what) actions.push(what);
  };
  const pool = market.pool;
  const at = (symbol: string): string => reserve(symbol).address;
  const later = async (seconds: number): Promise<void> => {
    await provider.send('evm_increaseTime', [seconds]);
  };
  const fund = async (who: Signer, symbol: string, value: string): Promise<void> => {
    await send(undefined, reserve(symbol).token, who, 'mint(uint256)', units(symbol, value));
    await send(undefined, reserve(symbol).token, who, 'approve', await pool.getAddress(), MaxUint256);
  };
  const supply = async (who: Signer, symbol: string, value: string): Promise<void> => {
    await fund(who, symbol, value);
    await send('supply', pool, who, 'supply', at(symbol), units(symbol, value), await who.getAddress(), 0);
  };
  const borrow = async (who: Signer, symbol: string, value: string): Promise<void> =>
    send('borrow', pool, who, 'borrow', at(symbol), units(symbol, value), 2, 0, await who.getAddress());
  const liquidate = async (user: Signer, receiveAToken: boolean, value: string, what = ''): Promise<void> =>
    send(
      `${receiveAToken ? 'liquidation for aTokens' : 'liquidation'}${what}`,
      pool,
      liquidator,
      'liquidationCall',
      at('WETH'),
      at('USDC'),
      await user.getAddress(),
      units('USDC', value),
      receiveAToken,
    );

  // a reserve factor: part of the borrowers' interest accrues to the treasury, minted to it by mintToTreasury below
  for (const r of market.reserves) await send(undefined, market.configurator, admin, 'setReserveFactor', r.address, 1_000);
  await supply(lender, 'USDC', '200000');
  await supply(lender, 'WETH', '50');
  await supply(alice, 'WETH', '10');
  await borrow(alice, 'USDC', '15000');
  await supply(bob, 'WBTC', '1');
  await supply(bob, 'WETH', '1');
  await supply(bob, 'GOV', '1000');
  await borrow(bob, 'WETH', '3');
  await send('collateral off', pool, bob, 'setUserUseReserveAsCollateral', at('GOV'), false);
  await supply(carol, 'GOV', '500');
  await later(30 * DAY);
  await fund(alice, 'USDC', '0'); // approves the Pool: she repays from what she borrowed
  await send('repay', pool, alice, 'repay', at('USDC'), units('USDC', '1000'), 2, await alice.getAddress());
  await send('collateral on', pool, bob, 'setUserUseReserveAsCollateral', at('GOV'), true);
  await send('repay with aTokens', pool, bob, 'repayWithATokens', at('WETH'), units('WETH', '0.5'), 2);
  await later(7 * DAY);
  await send('withdraw', pool, alice, 'withdraw', at('WETH'), units('WETH', '1'), await alice.getAddress());
  await send('withdraw all', pool, carol, 'withdraw', at('GOV'), MaxUint256, await carol.getAddress());
  await send('collateral configuration', market.configurator, admin, 'configureReserveAsCollateral', at('WETH'), 7_500, 8_000, 10_500);
  await later(DAY);
  // WETH falls: alice (9 WETH against ~14 000 USDC) drops below a health factor of 1
  await send('price', reserve('WETH').aggregator, admin, 'setAnswer', 1_500n * 10n ** 8n);
  await fund(liquidator, 'USDC', '20000');
  await liquidate(alice, false, '3000');
  await later(3_600);
  await liquidate(alice, true, '2000');
  await later(DAY);
  await fund(bob, 'WETH', '10');
  await send('repay all', pool, bob, 'repay', at('WETH'), MaxUint256, 2, await bob.getAddress());
  await borrow(bob, 'USDC', '100');

  // aTokens change hands: the lender sends aUSDC to dave, erin takes part of it with dave's allowance, dave
  // borrows against what he received
  const aTokens = await aTokensOf(
    provider,
    await pool.getAddress(),
    market.reserves.map((r) => r.address),
  );
  const aToken = (symbol: string): Contract =>
    new Contract(
      Object.keys(aTokens).find((a) => aTokens[a] === at(symbol).toLowerCase())!,
      [
        'function transfer(address, uint256) returns (bool)',
        'function approve(address, uint256) returns (bool)',
        'function transferFrom(address, address, uint256) returns (bool)',
      ],
      provider,
    );
  await later(DAY);
  await send('aToken transfer', aToken('USDC'), lender, 'transfer', await dave.getAddress(), units('USDC', '1000'));
  await send(undefined, aToken('USDC'), dave, 'approve', await erin.getAddress(), MaxUint256);
  await later(3_600);
  await send(
    'aToken transferFrom',
    aToken('USDC'),
    erin,
    'transferFrom',
    await dave.getAddress(),
    await erin.getAddress(),
    units('USDC', '400'),
  );
  await borrow(dave, 'WETH', '0.1');

  // a liquidation protocol fee on WETH: part of the collateral seized from frank goes to the treasury as aWETH
  await send('liquidation protocol fee', market.configurator, admin, 'setLiquidationProtocolFee', at('WETH'), 1_000);
  await supply(frank, 'WETH', '2'); // $3,000 at $1,500
  await borrow(frank, 'USDC', '2200');
  await later(DAY);
  await send('price', reserve('WETH').aggregator, admin, 'setAnswer', 1_300n * 10n ** 8n); // frank's health factor < 1
  await liquidate(frank, false, '500', ' with a protocol fee');
  await later(600);
  await liquidate(frank, true, '500', ' with a protocol fee');
  // a day after the reserves' last update (the Pool mints at their normalized income then, without updating them),
  // to a treasury already holding aWETH from the fees (its Mint carries the interest those earned)
  await later(DAY);
  await send(
    'mint to treasury',
    pool,
    liquidator,
    'mintToTreasury',
    market.reserves.map((r) => r.address),
  );

  // e-mode: WETH and WBTC in category 1 (threshold 93 %, ltv 90 %); grace borrows WBTC worth 81 % of her WETH, above
  // its normal 75 % LTV, then repays part and leaves e-mode (allowed once her normal health factor is above 1)
  await send('e-mode category', market.configurator, admin, 'setEModeCategory', 1, 9_000, 9_300, 10_200, ZeroAddress, 'majors');
  await send('e-mode asset', market.configurator, admin, 'setAssetEModeCategory', at('WETH'), 1);
  await send('e-mode asset', market.configurator, admin, 'setAssetEModeCategory', at('WBTC'), 1);
  await supply(grace, 'WETH', '1'); // $1,300
  await send('e-mode entered', pool, grace, 'setUserEMode', 1);
  await borrow(grace, 'WBTC', '0.025'); // $1,050
  await later(DAY);
  await fund(grace, 'WBTC', '0');
  await send('repay', pool, grace, 'repay', at('WBTC'), units('WBTC', '0.01'), 2, await grace.getAddress());
  await send('e-mode left', pool, grace, 'setUserEMode', 0);
  await later(3_600);
  await supply(grace, 'WETH', '0.1');

  const addresses: Required<Omit<IndexerAddresses, 'oracle'>> = {
    pool: (await market.pool.getAddress()).toLowerCase(),
    configurator: (await market.configurator.getAddress()).toLowerCase(),
    feeds: Object.fromEntries(
      await Promise.all(market.reserves.map(async (r) => [(await r.aggregator.getAddress()).toLowerCase(), r.address.toLowerCase()])),
    ),
    aTokens,
  };
  const assets = market.reserves.map((r) => ({
    chain_id: chainId,
    address: r.address.toLowerCase(),
    symbol: r.symbol,
    decimals: r.decimals,
    kind: 'volatile' as const,
    price_feed: null,
  }));
  const wallets = await Promise.all(
    [admin, lender, alice, bob, carol, liquidator, dave, erin, frank, grace].map(async (s) => (await s.getAddress()).toLowerCase()),
  );
  return { market, fromBlock, addresses, assets, wallets, actions };
}

/** What the RPC indexer needs to read a simulated market (sim/chain.ts): its contracts and its reserves as assets. */
export function chainMarketIndexing(
  chainMarket: ChainMarket,
  market: AaveMarket,
  chainId: number,
): { addresses: IndexerAddresses; assets: Array<NewRow<'assets'>> } {
  return {
    addresses: {
      pool: chainMarket.pool,
      configurator: String(market.configurator.target),
      feeds: Object.fromEntries(chainMarket.reserves.map((r) => [r.aggregator, r.address])),
    },
    assets: chainMarket.reserves.map((r) => ({
      chain_id: chainId,
      address: r.address,
      symbol: r.symbol,
      decimals: r.decimals,
      kind: r.stable ? 'stable' : 'volatile',
      price_feed: r.aggregator.toLowerCase(),
    })),
  };
}
