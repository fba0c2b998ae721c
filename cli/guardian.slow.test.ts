import { toBeHex, Wallet, type JsonRpcProvider } from 'ethers';
import { aaveCollateralConfig, DEFAULT_BOUNDS, type Deployment } from '../contracts';
import { passProposal } from '../contracts/deploy/dao';
import { cli, cliDatabase, cliJson, cliRefused, lastJson, startOracleChain, type OracleChain } from './testing';
import { EXAMPLE_PRICES_END } from './testing-prices';

interface ProposedAsset {
  symbol: string;
  address: string;
  round: number;
  guarded: { ltv: number; liquidationThreshold: number; liquidationBonus: number };
}

/**
 * Issue #9, lifecycle item 6: two rounds are published and applied to Aave through the CLI, the guardian pauses
 * RiskOracle and falls WETH back to round 1's parameters (RiskOracle records them as round 3), `guardian status`
 * shows it, and after the DAO unpauses the undone round stays undone while the next one applies. Then a round is
 * published but not applied, and the fall-back skips it; `verify` names both fall-backs and finds no mismatch.
 */
describe(`risk-oracle guardian pause, fall-back and status (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  let chain: OracleChain;
  let database: Awaited<ReturnType<typeof cliDatabase>>;
  let d: Deployment;
  let provider: JsonRpcProvider;
  let env: Record<string, string>;
  const guardian = Wallet.createRandom();

  beforeAll(async () => {
    // a 1-point step limit: each round moves the parameters towards the model's, so rounds 1 and 2 differ
    chain = await startOracleChain({ bounds: { ...DEFAULT_BOUNDS, minDelay: 0, maxChangeBps: 100 }, guardian: guardian.address });
    ({ deployment: d, provider } = chain);
    await provider.send('anvil_setBalance', [guardian.address, toBeHex(10n ** 19n)]);
    database = await cliDatabase(chain.dir);
    env = { ...chain.env, ...database.env, RISK_ORACLE_ORACLE_PRICE_SOURCE: 'csv', GUARDIAN_KEY: guardian.privateKey };
    await cliJson(['import-prices', chain.dir], env);
  }, 180_000);
  afterAll(async () => {
    await database?.close();
    await chain?.stop();
  });

  /** One round through the CLI: index, propose (a CSV back-fill), three signers, publish and (by default) --apply. */
  async function round(apply = true): Promise<Record<string, ProposedAsset>> {
    await cliJson(['index'], env);
    const proposed = await cliJson(['propose', '--no-credit', '--at', String(EXAMPLE_PRICES_END)], env);
    for (const key of ['SIGNER_0', 'SIGNER_2', 'SIGNER_4']) await cliJson(['sign', '--key-env', key], env);
    const published = await cliJson(['publish', '--key-env', 'PUBLISHER_KEY', ...(apply ? ['--apply'] : [])], env);
    if (apply) expect(published.applied).toHaveLength(4);
    return Object.fromEntries((proposed.assets as ProposedAsset[]).map((a) => [a.symbol, a]));
  }
  /** RiskOracle's latest parameters for `asset`, as Aave's are compared. */
  const oracleParams = async (asset: string) => {
    const s = await d.oracle.latest(asset);
    return { ltv: Number(s.ltv), liquidationThreshold: Number(s.liquidationThreshold), liquidationBonus: Number(s.liquidationBonus) };
  };
  const aave = (asset: string) => aaveCollateralConfig(d.market, asset);

  it('falls WETH back to round 1 while paused, reports it, after the DAO unpauses applies the next round only, then skips an unapplied round', async () => {
    const first = await round();
    const second = await round();
    const weth = first.WETH!.address;
    expect(second.WETH!.round).toBe(2);
    // the test means something only if the bad round changed WETH
    expect(second.WETH!.guarded).not.toEqual(first.WETH!.guarded);
    expect(await aave(weth)).toEqual(second.WETH!.guarded);

    const guardianArgs = ['--key-env', 'GUARDIAN_KEY'];
    expect(await cliRefused(['guardian', 'fall-back', 'WETH', ...guardianArgs], env)).toContain(
      `RiskOracle ${d.oracle.target} is not paused: run risk-oracle guardian pause first`,
    );
    expect(await cliRefused(['guardian', 'pause', '--key-env', 'PUBLISHER_KEY'], env)).toContain(
      `${chain.publisher.address} is neither RiskOracle's guardian (${guardian.address})`,
    );
    // without --key-env the guardian's own variable is read, never a signer's
    expect(await cliRefused(['guardian', 'pause'], env)).toContain('Signer key variable RISK_ORACLE_GUARDIAN_KEY is not set');
    const paused = await cliJson(['guardian', 'pause', ...guardianArgs], env);
    expect(paused).toMatchObject({ paused: true, submitted: true, by: guardian.address });
    expect(await cliJson(['guardian', 'pause', ...guardianArgs], env)).toEqual({ paused: true, submitted: false });
    expect(await cliRefused(['guardian', 'fall-back', 'DOGE', ...guardianArgs], env)).toContain(
      'DOGE is neither an address nor a reserve of the deployment (WETH, WBTC, USDC, GOV)',
    );

    // named twice (symbol and address): one fall-back
    const fell = await cli(['guardian', 'fall-back', 'weth', weth, ...guardianArgs, '--json'], env);
    expect([fell.code, fell.stderr]).toEqual([0, '']);
    expect(JSON.parse(fell.stdout.trim())).toMatchObject({
      by: guardian.address,
      restored: [{ symbol: 'WETH', address: weth, round: 2, recordedRound: 3, ...first.WETH!.guarded }],
      skipped: [],
    });
    expect(await aave(weth)).toEqual(first.WETH!.guarded);
    // RiskOracle holds what Aave got back (feeds and the next round's step limit start there)
    expect(await oracleParams(weth)).toEqual(first.WETH!.guarded);
    expect(await cliRefused(['guardian', 'fall-back', weth, ...guardianArgs], env)).toContain(
      'nothing to fall back for WETH (oracle round 3 is applied): no unapplied round to skip and no applied round left to undo',
    );

    const status = await cliJson(['guardian', 'status'], env);
    expect(status).toMatchObject({ paused: true, guardian: guardian.address });
    const bySymbol = Object.fromEntries((status.assets as Array<{ symbol: string }>).map((a) => [a.symbol, a]));
    expect(bySymbol.WETH).toEqual({
      symbol: 'WETH',
      address: weth,
      oracleRound: 3,
      appliedRound: 3,
      oracleRoundIsFallBack: true,
      aave: first.WETH!.guarded,
      previous: null,
      fallBack: null,
    });
    // the other reserves were not touched: Aave has round 2, and a fall-back would give back round 1
    expect(bySymbol.WBTC).toMatchObject({
      oracleRound: 2,
      appliedRound: 2,
      oracleRoundIsFallBack: false,
      aave: second.WBTC!.guarded,
      previous: { round: 2, ...first.WBTC!.guarded },
      fallBack: 'restore',
    });
    const human = await cli(['guardian', 'status'], env);
    expect(human.stdout).toContain(`RiskOracle ${d.oracle.target}: PAUSED; guardian ${guardian.address}`);
    expect(human.stdout).toContain('WETH  oracle round 3 (recorded by a fall-back), applied 3;');

    // only the DAO resumes; the undone round is never applied again, the next one applies from what was restored
    await passProposal(
      d.dao,
      provider,
      await provider.getSigner(0),
      [{ target: String(d.oracle.target), data: d.oracle.interface.encodeFunctionData('unpause') }],
      'resume publishing',
    );
    await expect(d.steward.applyParameters.staticCall(weth)).rejects.toMatchObject({ revert: { name: 'RiskStewardNothingToApply' } });
    // WETH's next round is 4 (3 holds the fall-back), the others' 3
    const third = await round();
    expect([third.WETH!.round, third.WBTC!.round]).toEqual([4, 3]);
    expect(await aave(weth)).toEqual(third.WETH!.guarded);
    const previous = await d.steward.previous(weth);
    expect([previous.round, previous.ltv, previous.liquidationThreshold, previous.liquidationBonus].map(Number)).toEqual([
      4,
      first.WETH!.guarded.ltv,
      first.WETH!.guarded.liquidationThreshold,
      first.WETH!.guarded.liquidationBonus,
    ]);

    // a round published but not applied: the fall-back skips it and leaves Aave as it is
    const fourth = await round(false);
    expect(fourth.WETH!.round).toBe(5);
    expect(fourth.WETH!.guarded).not.toEqual(third.WETH!.guarded);
    await cliJson(['guardian', 'pause', ...guardianArgs], env);
    expect((await cliJson(['guardian', 'status'], env)).assets[0]).toMatchObject({
      symbol: 'WETH',
      oracleRound: 5,
      appliedRound: 4,
      fallBack: 'skip',
    });
    const skipped = await cli(['guardian', 'fall-back', 'WETH', ...guardianArgs], env);
    expect([skipped.code, skipped.stderr]).toEqual([0, '']);
    expect(skipped.stdout).toContain(
      `WETH: skipped round 5 (published, never applied), Aave kept ltv ${third.WETH!.guarded.ltv}, threshold ${third.WETH!.guarded.liquidationThreshold}, bonus ${third.WETH!.guarded.liquidationBonus}; RiskOracle round 6 holds it`,
    );
    expect(await aave(weth)).toEqual(third.WETH!.guarded);
    expect(await oracleParams(weth)).toEqual(third.WETH!.guarded);
    expect(Number(await d.steward.appliedRound(weth))).toBe(6);

    // verify re-derives every signed round without a mismatch and names both fall-backs with who made them
    const verified = await cli(['verify', '--json'], env);
    const report = lastJson(verified.stdout);
    expect([verified.code, report.rounds, report.mismatches]).toEqual([0, 4 * 4, 0]);
    expect(report.fallBacks).toMatchObject([
      {
        asset: weth.toLowerCase(),
        round: 3,
        action: 'restored',
        ofRound: 2,
        by: guardian.address.toLowerCase(),
        params: first.WETH!.guarded,
      },
      {
        asset: weth.toLowerCase(),
        round: 6,
        action: 'skipped',
        ofRound: 5,
        by: guardian.address.toLowerCase(),
        params: third.WETH!.guarded,
      },
    ]);
    const verifiedHuman = await cli(['verify'], env);
    expect(verifiedHuman.stdout).toContain(`FALL-BACK ${weth.toLowerCase()} round 3 `);
    expect(verifiedHuman.stdout).toContain(`Aave given back ltv ${first.WETH!.guarded.ltv}`);
    expect(verifiedHuman.stdout).toContain(`round 5 skipped unapplied by ${guardian.address.toLowerCase()}`);

    for (const out of [fell, human]) expect(out.stdout + out.stderr).not.toContain(guardian.privateKey.slice(2));
  }, 300_000);
});
