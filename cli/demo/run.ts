import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JsonRpcProvider, Wallet } from 'ethers';
import { createLogger, migrate, openDatabase, startAnvil, type AnvilInstance, type DatabaseHandle } from '../../core';
import { aaveCollateralConfig, deployAaveMarket, deployRiskOracle, deployRiskSteward, ensureCompiled } from '../../contracts';
import { importPrices, loadPriceSeries } from '../../indexer';
import { compareBaselineWithModel, type Comparison } from '../../models';
import { runParameterCycle, type CycleResult } from '../../oracle/cycle';
import { DEFAULT_COLLATERAL_MODEL } from '../../oracle/propose';
import { verifyRounds, type VerifyReport } from '../../oracle/verify';
import { writeExamplePrices } from '../../sim';
import { createStepReporter } from '../progress';
import { writeDemoReport } from './report';

export interface DemoOptions {
  outDir: string;
  /** Postgres URL; unset: an embedded PGlite database in a temporary directory. */
  databaseUrl?: string;
  /** Days of simulated hourly prices. */
  days?: number;
  /** The user's own price CSVs instead of the simulated ones (symbols WETH, WBTC, USDC, GOV are expected). */
  prices?: string[];
  quiet?: boolean;
}

type Params = { ltv: number; liquidationThreshold: number; liquidationBonus: number };

export interface DemoSummary {
  chain: { chainId: number; rpc: string };
  database: { kind: string };
  contracts: { riskOracle: string; riskSteward: string; aavePool: string; poolConfigurator: string; signers: string[]; threshold: number };
  /** Aave's configuration of each asset before and after the steward applied the oracle's round. */
  aave: Array<{ symbol: string; before: Params; after: Params; gas: number }>;
  backtest: Pick<Comparison, 'baseline' | 'model' | 'assets' | 'steps'>;
  rounds: Array<{
    asset: string;
    symbol: string;
    round: number;
    ltv: number;
    liquidationThreshold: number;
    liquidationBonus: number;
    publishable: boolean;
  }>;
  modelId: string;
  /** Every published round re-derived from public data and the model spec. */
  verify: { checked: number; mismatches: number; differences: VerifyReport['mismatches'] };
  gas: Record<string, number>;
  timings: Array<{ step: string; seconds: number }>;
  totalSeconds: number;
  report: string;
}

/**
 * The DAO's bounds per demo asset (fractions): volatile assets may go up to 90 % / 93 %; the stablecoin's
 * threshold is capped at 85 %, because a depeg is a jump no trailing volatility predicts. A 5-point step limit.
 */
const DAO_MAX = {
  WETH: { ltv: 0.9, liquidationThreshold: 0.93, liquidationBonus: 0.15 },
  WBTC: { ltv: 0.9, liquidationThreshold: 0.93, liquidationBonus: 0.15 },
  USDC: { ltv: 0.8, liquidationThreshold: 0.85, liquidationBonus: 0.15 },
  GOV: { ltv: 0.7, liquidationThreshold: 0.75, liquidationBonus: 0.15 },
};
const toBounds = (max: { ltv: number; liquidationThreshold: number; liquidationBonus: number }) => ({
  minLtv: 0,
  maxLtv: Math.round(max.ltv * 10_000),
  minLiquidationThreshold: 0,
  maxLiquidationThreshold: Math.round(max.liquidationThreshold * 10_000),
  minLiquidationBonus: 0,
  maxLiquidationBonus: 10_000 + Math.round(max.liquidationBonus * 10_000),
  maxChangeBps: 500,
  minDelay: 0,
});
/** What a cautious DAO might set before any model: the static baseline the backtest compares against. */
const BASELINE = {
  WETH: { ltv: 0.8, liquidationThreshold: 0.83, liquidationBonus: 0.05 },
  WBTC: { ltv: 0.73, liquidationThreshold: 0.78, liquidationBonus: 0.065 },
  USDC: { ltv: 0.77, liquidationThreshold: 0.8, liquidationBonus: 0.045 },
  GOV: { ltv: 0.5, liquidationThreshold: 0.65, liquidationBonus: 0.1 },
};

/**
 * The newcomer's end-to-end run: a local chain and an embedded database, no server to install. Every resource is
 * released on success, failure or Ctrl-C (anvil is killed with this process).
 */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const started = Date.now();
  const steps = createStepReporter({ quiet: options.quiet });
  const log = createLogger({ level: 'warn' });
  const scratch = mkdtempSync(path.join(tmpdir(), 'risk-oracle-demo-'));
  let anvil: AnvilInstance | undefined;
  let database: DatabaseHandle | undefined;
  let provider: JsonRpcProvider | undefined;
  try {
    anvil = await steps.step('start a local anvil chain', () => startAnvil({ gasLimit: 1_000_000_000n }));
    const chain = anvil;
    steps.note(`RPC ${chain.rpcUrl}`);
    const db = await steps.step(
      options.databaseUrl ? 'connect to Postgres and migrate' : 'open an embedded PGlite database and migrate',
      async () => {
        const handle = await openDatabase({ url: options.databaseUrl, dataDir: path.join(scratch, 'db') });
        await migrate(handle.db);
        return handle;
      },
    );
    database = db;

    await steps.step('compile the contracts (solc-js, cached)', () => ensureCompiled({ quiet: true }));
    provider = new JsonRpcProvider(chain.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 20 });
    const rpc = provider;
    const dao = await rpc.getSigner(0);
    const signers = Array.from({ length: 5 }, () => Wallet.createRandom());
    const symbols = ['WETH', 'WBTC', 'USDC', 'GOV'] as const;
    const market = await steps.step('deploy a real Aave V3 market (Pool, PoolConfigurator, AaveOracle, four reserves)', () =>
      deployAaveMarket(dao),
    );
    const assetAddresses = Object.fromEntries(market.reserves.map((r) => [r.symbol, r.address]));
    const { oracle, address: riskOracle } = await steps.step('deploy RiskOracle (3-of-5 signers) and set the DAO bounds', async () => {
      const deployed = await deployRiskOracle(dao, {
        owner: await dao.getAddress(),
        guardian: await (await rpc.getSigner(1)).getAddress(),
        signers: signers.map((s) => s.address),
        threshold: 3,
      });
      for (const s of symbols) await (await deployed.oracle.setBounds(assetAddresses[s]!, toBounds(DAO_MAX[s]))).wait();
      return deployed;
    });
    const steward = await steps.step("deploy RiskSteward and grant it Aave's RISK_ADMIN role", async () => {
      const deployed = await deployRiskSteward(dao, {
        owner: await dao.getAddress(),
        riskOracle,
        configurator: await market.configurator.getAddress(),
        maxAgeSeconds: 3_600,
      });
      await (await market.aclManager.getFunction('addRiskAdmin')(await deployed.getAddress())).wait();
      return deployed;
    });

    const series = await steps.step(
      options.prices ? 'import your price files' : 'simulate 90 days of hourly prices (calm, volatile, a crash, a depeg) and import them',
      async () => {
        const files = options.prices ?? writeExamplePrices(path.join(scratch), { days: options.days ?? 90, assets: [...symbols] });
        await importPrices(db.db, files);
        return Object.fromEntries(await Promise.all(symbols.map(async (s) => [s, await loadPriceSeries(db.db, s)] as const)));
      },
    );

    const comparison = await steps.step('backtest: static baseline vs the model, walk-forward, same borrowers', async () =>
      compareBaselineWithModel(series, BASELINE, { cadenceSeconds: 3_600, maxParams: DAO_MAX }),
    );
    steps.note(
      `bad debt: baseline ${comparison.baseline.badDebtPct.toFixed(3)} %, model ${comparison.model.badDebtPct.toFixed(3)} %; mean LTV ${comparison.baseline.meanLtv.toFixed(3)} vs ${comparison.model.meanLtv.toFixed(3)}`,
    );

    const cycle: CycleResult = await steps.step('oracle cycle: propose, guard, 3 signers sign, publish the batch', async () => {
      const at = Math.min(...symbols.map((s) => Math.max(...series[s]!.map((p) => p.t))));
      const head = (await rpc.getBlock('latest'))!;
      return runParameterCycle({
        db: db.db,
        oracle,
        chainId: chain.chainId,
        assets: symbols.map((s) => ({ symbol: s, address: assetAddresses[s]!, prices: series[s]! })),
        signers: signers.slice(0, 3),
        at,
        now: head.timestamp,
        validForSeconds: 3_600,
        atBlock: head.number,
        log,
      });
    });
    for (const a of cycle.assets) {
      steps.note(
        `${a.symbol.padEnd(5)} ltv ${a.guarded.ltv} lt ${a.guarded.liquidationThreshold} bonus ${a.guarded.liquidationBonus}${a.publishable ? '' : ' (held)'}`,
      );
    }
    const aave = await steps.step('apply the published rounds to Aave V3 through the steward', async () => {
      const out: DemoSummary['aave'] = [];
      for (const a of cycle.assets.filter((x) => x.publishable)) {
        const before = await aaveCollateralConfig(market, a.address);
        const receipt = await (await steward.applyParameters(a.address)).wait();
        out.push({ symbol: a.symbol, before, after: await aaveCollateralConfig(market, a.address), gas: Number(receipt!.gasUsed) });
      }
      return out;
    });
    for (const a of aave) {
      steps.note(
        `${a.symbol.padEnd(5)} Aave ltv ${a.before.ltv} → ${a.after.ltv}, threshold ${a.before.liquidationThreshold} → ${a.after.liquidationThreshold}, bonus ${a.before.liquidationBonus} → ${a.after.liquidationBonus}`,
      );
    }

    const verified = await steps.step('verify: re-derive every published round from public data, bit for bit', () =>
      verifyRounds({ db: db.db, oracle, chainId: chain.chainId, spec: DEFAULT_COLLATERAL_MODEL }),
    );
    steps.note(`${verified.checked} round(s) checked, ${verified.mismatches.length} mismatch(es)`);

    mkdirSync(options.outDir, { recursive: true });
    const summary: DemoSummary = {
      chain: { chainId: chain.chainId, rpc: chain.rpcUrl },
      database: { kind: db.kind },
      contracts: {
        riskOracle,
        riskSteward: await steward.getAddress(),
        aavePool: await market.pool.getAddress(),
        poolConfigurator: await market.configurator.getAddress(),
        signers: signers.map((s) => s.address),
        threshold: 3,
      },
      aave,
      backtest: { baseline: comparison.baseline, model: comparison.model, assets: comparison.assets, steps: comparison.steps },
      rounds: await Promise.all(
        cycle.assets.map(async (a) => {
          const s = await oracle.latest(a.address);
          return {
            asset: a.address,
            symbol: a.symbol,
            round: Number(s.round),
            ltv: Number(s.ltv),
            liquidationThreshold: Number(s.liquidationThreshold),
            liquidationBonus: Number(s.liquidationBonus),
            publishable: a.publishable,
          };
        }),
      ),
      modelId: cycle.modelId,
      verify: { checked: verified.checked, mismatches: verified.mismatches.length, differences: verified.mismatches },
      gas: { publishBatch4Assets: Number(cycle.publication?.gasUsed ?? 0n), ...(aave[0] ? { applyAave: aave[0].gas } : {}) },
      timings: steps.timings,
      totalSeconds: 0,
      report: path.join(options.outDir, 'report.html'),
    };
    await steps.step('write the report (inline SVG charts) and summary.json', () =>
      writeDemoReport(summary.report, summary, comparison, cycle),
    );
    summary.totalSeconds = (Date.now() - started) / 1000;
    writeFileSync(path.join(options.outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  } finally {
    provider?.destroy();
    await database?.close();
    await anvil?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}
