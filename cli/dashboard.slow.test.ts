import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatEther, hexlify, keccak256, NonceManager, Wallet, type JsonRpcProvider } from 'ethers';
import { type Browser, type Page } from 'playwright-core';
import { configSchema, createLogger, createMetricsRegistry, openDatabase, type DatabaseHandle } from '../core';
import { createRandom } from '../core/random';
import { DEFAULT_BOUNDS, passProposal, type Deployment } from '../contracts';
import { RiskOracle__factory } from '../contracts/build/types';
import { runIndexer } from '../indexer';
import { describeWithChromium, launchChromium } from './browser';
import { canonicalJson } from '../models/credit/canonical-json';
import { encodeWeights, inferQuantized, ONE, scorecard, weightsHash, type QuantizedModel } from '../models/quantize/model';
import { challengeCreditEpoch, proposeCreditEpoch, publishCreditEpoch, type EpochEntry } from '../oracle/credit-epoch';
import { createDashboard } from '../oracle/dashboard';
import { DRIFT_KINDS, driftKind } from '../oracle/dashboard/charts';
import { driftDecision, referenceDistributions } from '../oracle/drift';
import { bonusPct, pct } from '../oracle/dashboard/html';
import { indexedBlock } from '../oracle/freshness';
import { DEFAULT_COLLATERAL_MODEL, modelIdOf } from '../oracle/propose';
import { publishPendingRounds, signPendingRounds } from '../oracle/rounds';
import { scoreRoute } from '../oracle/scores';
import {
  collateralShadowHistory,
  recordCollateralShadow,
  recordShadow,
  shadowHistory,
  type CollateralShadow,
  type CreditShadow,
} from '../oracle/shadow';
import { startOracleServer, type OracleServer } from '../oracle/server';
import { dashboardContracts } from './commands/dashboard';
import { indexDeployment } from './commands/index-chain';
import { proposeRound } from './commands/oracle';
import { deploymentSeed, readDeployment, type DeploymentAddresses } from './deployment';
import { cli, startOracleChain, type OracleChain, until } from './testing';
import { EXAMPLE_PRICES_END } from './testing-prices';

/**
 * The dashboard end to end in a real browser: Debian's chromium driven by playwright-core, against a local chain
 * with the whole system deployed, rounds and a credit epoch published, and the oracle's database.
 */
const BIN = path.join(__dirname, '..', 'bin', 'risk-oracle.js');
const ARTIFACTS = process.env.RISK_ORACLE_ARTIFACTS ?? mkdtempSync(path.join(tmpdir(), 'ro-dashboard-artifacts-'));
/** `npm run screenshots:dashboard` sets it (docs/img): the README's pictures of the page are written there too. */
const README_SHOTS = process.env.RISK_ORACLE_README_SCREENSHOTS;

/**
 * The page as a reader first sees it (the viewport, not the whole page: a README picture stays small), for the
 * README when asked for.
 */
async function readmeShot(page: Page, name: string): Promise<void> {
  if (!README_SHOTS) return;
  mkdirSync(README_SHOTS, { recursive: true });
  // from the top: a reload keeps where the earlier checks left the page scrolled
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.resolve(README_SHOTS, name) });
}

describeWithChromium('dashboard in headless Chromium', dashboardTests);

/** A small canonical credit model and its artifact (the shape the epoch verification reads), as cli/credit.test.ts. */
function creditModel(): { model: QuantizedModel; json: string; modelId: string } {
  const random = createRandom(21);
  const w = () => Math.round((random() - 0.5) * 2 * ONE);
  const model: QuantizedModel = {
    layers: [
      { weights: Array.from({ length: 5 }, () => Array.from({ length: 5 }, w)), biases: Array.from({ length: 5 }, w) },
      { weights: [Array.from({ length: 5 }, w)], biases: [-ONE] },
    ],
    ...scorecard(),
  };
  const json = canonicalJson({
    format: 'risk-oracle/credit-model@1',
    kind: 'credit',
    featureSpec: { features: [], hash: keccak256('0x01') },
    normalisation: { mean: [0, 0, 0, 0, 0], std: [1, 1, 1, 1, 1], clip: 16 },
    quantized: { weights: hexlify(encodeWeights(model)), weightsHash: weightsHash(model), dims: [5, 5, 1] },
  });
  return { model, json, modelId: keccak256(Buffer.from(json)) };
}

/** The toy model's features; the last one is market-level (judged by its training range, as the volatility is). */
const DRIFT_FEATURES = ['f_age', 'f_count', 'f_ratio', 'f_amount', 'f_market_vol'];
/** Each feature's values over the epoch's wallets. */
const featureColumns = (rows: ReadonlyArray<{ features: number[] }>) =>
  Object.fromEntries(DRIFT_FEATURES.map((f, j) => [f, rows.map((r) => r.features[j]!)]));
/**
 * Training references for the drift guard (5 bins: 30 wallets are few for a PSI): the entries' distribution, the
 * market feature's range a little narrower, so that a few wallets lie outside it.
 */
const DRIFT_REFERENCES = (() => {
  const random = createRandom(9);
  const rows = Array.from({ length: 500 }, () => DRIFT_FEATURES.map((_, j) => Math.round((random() - 0.5) * (j === 4 ? 4.8 : 6) * ONE)));
  return referenceDistributions(
    DRIFT_FEATURES,
    rows.flat(),
    rows.map((_, i) => i),
    { bins: 5, marketLevel: ['f_market_vol'] },
  );
})();

/** Two community candidates: one disputed (the DAO upholds the dispute), one in shadow. */
const DISPUTED = keccak256('0xd1');
const SHADOWED = keccak256('0xd2');

const shadowFigures = (at: number, rankCorrelation: number, decisionFlips: number): CreditShadow => ({
  modelId: SHADOWED.toLowerCase(),
  referenceModelId: creditModel().modelId,
  at,
  wallets: 30,
  rankCorrelation,
  meanAbsScoreDiff: 11.5 + decisionFlips,
  maxAbsScoreDiff: 48,
  meanPd: 0.061,
  referenceMeanPd: 0.058,
  cutoff: 650,
  decisionFlips,
});

/** A collateral candidate in shadow beside the empirical spec (no collateral model is in force by vote here). */
const COLLATERAL_SHADOWED = keccak256('0xd3');

/**
 * Its comparison on every asset: the candidate asks for 1.5 points less LTV and 0.5 more bonus than the spec; with
 * `badDebt` (candidate, reference) a shadow backtest is recorded too.
 */
const collateralFigures = (symbols: string[], at: number, badDebt?: [number, number]): CollateralShadow => {
  // the later comparison (with a backtest) also asks for half a point less threshold
  const lt = badDebt ? -50 : 0;
  const reference = { ltv: 7_000, liquidationThreshold: 7_600, liquidationBonus: 10_600 };
  const proposed = { ltv: 6_850, liquidationThreshold: 7_600 + lt, liquidationBonus: 10_650 };
  return {
    modelId: COLLATERAL_SHADOWED.toLowerCase(),
    referenceModelId: modelIdOf(DEFAULT_COLLATERAL_MODEL),
    at,
    assets: [...symbols].sort().map((symbol) => ({
      symbol,
      proposed,
      reference,
      diff: { ltv: -150, liquidationThreshold: lt, liquidationBonus: 50 },
      predictedMove: 0.185,
    })),
    meanAbsLtDiff: Math.abs(lt),
    maxAbsLtDiff: Math.abs(lt),
    meanAbsLtvDiff: 150,
    skipped: [],
    ...(badDebt
      ? {
          backtest: {
            from: at - 30 * 86_400,
            to: at,
            steps: 720,
            candidate: { badDebtPct: badDebt[0], meanLtv: 0.685, liquidations: 12 },
            reference: { badDebtPct: badDebt[1], meanLtv: 0.7, liquidations: 14 },
            referenceBasis: 'empirical quantile' as const,
          },
        }
      : {}),
  };
};

/**
 * WCAG 2 contrast of every visible text (HTML text nodes and the charts' SVG text) against what is behind it:
 * the nearest backgrounds up the tree composited, the text's colour and opacities over them. Runs in the page.
 */
function contrastFailures(): Array<{ text: string; ratio: number; needed: number; color: string; background: string }> {
  type Rgba = [number, number, number, number];
  const parse = (c: string): Rgba => {
    const m = /rgba?\(([^)]+)\)/.exec(c);
    if (!m) return [0, 0, 0, 0];
    const [r, g, b, a] = m[1]!.split(/[ ,/]+/).map(Number);
    return [r!, g!, b!, a === undefined || Number.isNaN(a) ? 1 : a];
  };
  const over = (top: Rgba, bottom: Rgba): Rgba => {
    const a = top[3];
    return [top[0] * a + bottom[0] * (1 - a), top[1] * a + bottom[1] * (1 - a), top[2] * a + bottom[2] * (1 - a), 1];
  };
  const luminance = (c: Rgba) => {
    const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const behind = (el: Element): Rgba => {
    const layers: Rgba[] = [];
    for (let e: Element | null = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    return layers.reverse().reduce((bg, layer) => over(layer, bg), [255, 255, 255, 1] as Rgba);
  };
  const opacity = (el: Element) => {
    let o = 1;
    for (let e: Element | null = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
    return o;
  };
  const failures: Array<{ text: string; ratio: number; needed: number; color: string; background: string }> = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || !node.textContent?.trim() || el.closest('script, style, noscript')) continue;
    const style = getComputedStyle(el);
    const rect = el.getBoundingClientRect();
    if (style.visibility !== 'visible' || style.display === 'none' || rect.width === 0 || rect.height === 0 || rect.right < 0) continue;
    const svg = el instanceof SVGElement;
    const fill = parse(svg ? style.fill : style.color);
    const alpha = fill[3] * opacity(el) * (svg ? Number(style.fillOpacity || 1) : 1);
    // not shown at all (vega hides overlapping axis labels with opacity 0)
    if (alpha === 0) continue;
    const background = behind(svg ? el.closest('svg')!.parentElement! : el);
    const color = over([fill[0], fill[1], fill[2], alpha], background);
    const [l1, l2] = [luminance(color), luminance(background)].sort((a, b) => b - a);
    const ratio = (l1! + 0.05) / (l2! + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const needed = large ? 3 : 4.5;
    if (ratio < needed)
      failures.push({
        text: node.textContent.trim().slice(0, 40),
        ratio: Math.round(ratio * 100) / 100,
        needed,
        color: String(color),
        background: String(background),
      });
  }
  return failures;
}

function dashboardTests(): void {
  let chain: OracleChain;
  let d: Deployment;
  let addresses: DeploymentAddresses;
  let provider: JsonRpcProvider;
  let handle: DatabaseHandle | undefined;
  let server: OracleServer | undefined;
  let browser: Browser;
  let page: Page;
  let child: ChildProcess | undefined;
  const log = createLogger({ level: 'silent' });
  const credit = creditModel();
  const artifact = path.join(tmpdir(), `ro-dashboard-model-${process.pid}.json`);
  const random = createRandom(8);
  const entries: EpochEntry[] = Array.from({ length: 30 }, () => {
    const features = Array.from({ length: 5 }, () => Math.round((random() - 0.5) * 6 * ONE));
    const r = inferQuantized(credit.model, features);
    return { wallet: Wallet.createRandom().address, score: r.score, pd: r.pd, features };
  });
  const tampered = entries[4]!;
  const timings: Record<string, number> = {};
  let started = Date.now();
  const lap = (name: string) => {
    timings[name] = Date.now() - started;
    started = Date.now();
  };

  /**
   * index → propose (a back-fill from the imported CSV prices, at the indexed block) → three signers recompute and
   * sign → the publisher submits the batch: one round for every asset.
   */
  async function publishRound(): Promise<void> {
    const db = handle!.db;
    const chainId = d.chainId;
    const market = indexDeployment(chain.env.RISK_ORACLE_CHAIN_DEPLOYMENT!);
    await runIndexer({ db: handle!, provider, ...market, fromBlock: market.block, logger: log });
    const oracle = { ...configSchema.parse({}).oracle, priceSource: 'csv' as const };
    await proposeRound({ db, provider, deployment: addresses, chainId, oracle, log, at: EXAMPLE_PRICES_END });
    const now = (await provider.getBlock('latest'))!.timestamp;
    const reader = RiskOracle__factory.connect(addresses.riskOracle, provider);
    for (const signer of [chain.signers[0]!, chain.signers[2]!, chain.signers[4]!])
      await signPendingRounds({ db, oracle: reader, chainId, signer, now, seed: deploymentSeed(addresses, provider), log });
    const sender = new NonceManager(chain.publisher.connect(provider));
    const published = await publishPendingRounds({ db, oracle: RiskOracle__factory.connect(addresses.riskOracle, sender), chainId, log });
    if (!published.submitted) throw new Error('the round was not submitted');
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    chain = await startOracleChain({ bounds: { ...DEFAULT_BOUNDS, minDelay: 0 } });
    ({ deployment: d, provider } = chain);
    addresses = readDeployment(chain.env.RISK_ORACLE_CHAIN_DEPLOYMENT!);
    lap('chain, deployment and prices');

    // two community candidates with bonds and claims; one is disputed
    const [submissionBond, disputeBond] = await Promise.all([d.models.submissionBond(), d.models.disputeBond()]);
    const asSubmitter = d.models.connect(await provider.getSigner(2));
    for (const [modelId, claim] of [
      [DISPUTED, keccak256('0xc1')],
      [SHADOWED, keccak256('0xc2')],
    ] as const)
      await (
        await asSubmitter.submit(modelId, keccak256(modelId), keccak256('0x01'), 0, '', keccak256('0x5a'), claim, { value: submissionBond })
      ).wait();
    await (await d.models.connect(await provider.getSigner(3)).dispute(DISPUTED, keccak256('0xe1'), { value: disputeBond })).wait();

    // the DAO upholds the dispute, registers the credit model and makes it the active one
    writeFileSync(artifact, `${credit.json}\n`);
    const deployer = await provider.getSigner(0);
    await passProposal(
      d.dao,
      provider,
      deployer,
      [
        { target: String(d.models.target), data: d.models.interface.encodeFunctionData('resolveDispute', [DISPUTED, true]) },
        {
          target: String(d.models.target),
          data: d.models.interface.encodeFunctionData('register', [credit.modelId, weightsHash(credit.model), keccak256('0x01'), 0, '']),
        },
        { target: String(d.models.target), data: d.models.interface.encodeFunctionData('setStatus', [credit.modelId, 2]) },
      ],
      'uphold the dispute; register and activate the credit model',
    );
    lap('submissions, a dispute, DAO vote');
    const indexed = await cli(['index'], chain.env);
    if (indexed.code !== 0) throw new Error(`index failed: ${indexed.stderr}`);
    lap('index');

    handle = await openDatabase({ dataDir: chain.env.RISK_ORACLE_DATABASE_DATA_DIR! });
    // the artifact of the model in force, as `model import` stores it: the page recomputes the epochs' scores with it
    await handle.db
      .insertInto('model_artifacts')
      .values({
        model_id: credit.modelId,
        kind: 'credit',
        weights_hash: weightsHash(credit.model),
        feature_spec_hash: keccak256('0x01'),
        seed: 21,
        backend: 'cpu',
        metrics: JSON.stringify({}),
        artifact: credit.json,
      })
      .execute();
    // the shadow job's record of the undisputed candidate beside the model in force, twice
    await recordShadow(handle.db, d.chainId, [shadowFigures(1_800_000_000, 0.9125, 4), shadowFigures(1_800_003_600, 0.9431, 2)]);
    // and of a collateral candidate beside the empirical spec
    const symbols = addresses.aave.reserves.map((r) => r.symbol);
    await recordCollateralShadow(handle.db, d.chainId, [collateralFigures(symbols, 1_800_000_000)]);
    await recordCollateralShadow(handle.db, d.chainId, [collateralFigures(symbols, 1_800_003_600, [0.042, 0.057])]);
    await publishRound();
    await proposeCreditEpoch({
      db: handle.db,
      chainId: d.chainId,
      epoch: 1,
      modelId: credit.modelId,
      atBlock: await provider.getBlockNumber(),
      entries,
      // the drift guard on its features, as `scoreEpoch` records it (epoch 2 below is the colluders': no guard ran)
      decisions: [driftDecision(DRIFT_REFERENCES, featureColumns(entries), 0.25)],
    });
    await publishCreditEpoch({
      db: handle.db,
      registry: d.registry,
      chainId: d.chainId,
      epoch: 1,
      signers: chain.signers.slice(0, 3),
      threshold: 3,
      log,
    });
    // a colluding quorum inflates one score in epoch 2; a challenger has the registry recompute it and invalidate the epoch
    await proposeCreditEpoch({
      db: handle.db,
      chainId: d.chainId,
      epoch: 2,
      modelId: credit.modelId,
      atBlock: await provider.getBlockNumber(),
      entries: entries.map((e) => (e === tampered ? { ...e, score: Math.min(850, e.score + 50) } : e)),
    });
    await publishCreditEpoch({
      db: handle.db,
      registry: d.registry,
      chainId: d.chainId,
      epoch: 2,
      signers: chain.signers.slice(0, 3),
      threshold: 3,
      log,
    });
    await challengeCreditEpoch({
      db: handle.db,
      registry: d.registry.connect(await provider.getSigner(1)),
      chainId: d.chainId,
      epoch: 2,
      wallet: tampered.wallet,
      weights: encodeWeights(credit.model),
      log,
    });
    lap('round 1, epoch 1, epoch 2 challenged');

    const dashboard = createDashboard({
      db: handle.db,
      provider,
      chainId: d.chainId,
      contracts: dashboardContracts(addresses),
      maxIndexerLagBlocks: 50,
      pollMs: 400,
      refreshMs: 0,
      // a range-limited RPC's size: the page's logs are read in ranges of at most 50 blocks
      logRange: { chunk: 50 },
      log,
    });
    server = await startOracleServer({
      registry: createMetricsRegistry({ defaults: false }),
      health: async () => ({ healthy: true, problems: [] }),
      routes: [scoreRoute(handle.db, d.chainId), ...dashboard.routes],
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    lap('dashboard server and browser');
  }, 240_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await browser?.close();
    await server?.close();
    await handle?.close();
    await chain?.stop();
    console.info(`dashboard.slow.test: screenshots in ${ARTIFACTS}; timings (ms) ${JSON.stringify(timings)}`);
  });

  const fieldText = (symbol: string, field: string) =>
    page.locator(`article[data-asset="${symbol}"] [data-field="${field}"]`).textContent();

  it('shows what the chain holds against the DAO bounds, the database proposals, rounds with signers and verification, epochs, models and health', async () => {
    await page.goto(`${server!.url}/`);
    expect(await page.title()).toBe(`risk-oracle dashboard · chain ${d.chainId}`);
    for (const r of addresses.aave.reserves) {
      const [state, bounds] = await Promise.all([d.oracle.latest(r.address), d.oracle.bounds(r.address)]);
      expect(Number(state.round)).toBe(1);
      expect(await fieldText(r.symbol, 'ltv')).toBe(pct(Number(state.ltv)));
      expect(await fieldText(r.symbol, 'liquidationThreshold')).toBe(pct(Number(state.liquidationThreshold)));
      expect(await fieldText(r.symbol, 'liquidationBonus')).toBe(bonusPct(Number(state.liquidationBonus)));
      expect(await fieldText(r.symbol, 'round')).toBe('1');
      const card = (await page.locator(`article[data-asset="${r.symbol}"]`).textContent())!;
      expect(card).toContain(`${pct(Number(bounds.minLtv))} – ${pct(Number(bounds.maxLtv))}`);
      const stored = await handle!.db
        .selectFrom('risk_parameter_rounds')
        .selectAll()
        .where('asset', '=', r.address.toLowerCase())
        .orderBy('round', 'desc')
        .executeTakeFirstOrThrow();
      expect(await page.locator(`article[data-asset="${r.symbol}"] [data-proposal="ltv"]`).textContent()).toBe(pct(stored.ltv));
      expect(card).toContain(`latest proposal (round 1, ${stored.status})`);
      expect(await page.locator(`article[data-asset="${r.symbol}"] figure svg`).count()).toBe(2);
    }

    // rounds: published, signed by the three signers (recovered from the transaction), verified; the batch's gas
    // shared by the assets its events show it updated
    const rounds = page.locator('#rounds tbody tr');
    expect(await rounds.count()).toBe(4);
    const events = await d.oracle.queryFilter(d.oracle.filters.ParametersUpdated());
    const receipt = (await provider.getTransactionReceipt(events[0]!.transactionHash))!;
    const inBatch = events.filter((e) => e.transactionHash === receipt.hash).length;
    expect(inBatch).toBe(addresses.aave.reserves.length);
    for (const row of await rounds.all()) {
      const text = (await row.textContent())!;
      expect(text).toMatch(/published/);
      expect(text).toContain('verified: re-derived bit for bit');
      expect(await row.locator('[data-field="gas-per-asset"]').textContent()).toBe(
        Math.round(Number(receipt.gasUsed) / inBatch).toLocaleString('en-US'),
      );
      expect(text).toContain(`of ${Number(receipt.gasUsed).toLocaleString('en-US')} for ${inBatch} assets`);
      for (const s of [chain.signers[0]!, chain.signers[2]!, chain.signers[4]!])
        expect(await row.locator(`code[title="${s.address}"]`).count()).toBe(1);
      expect(await row.locator(`code[title="${receipt.hash}"]`).count()).toBe(1);
    }

    // credit: epochs on-chain, every score re-derived with the artifact; the challenge that invalidated epoch 2;
    // the distribution of the valid epoch's stored scores
    expect(await page.locator('#credit [data-field="latest-epoch"]').textContent()).toBe('2');
    const [second, first] = await page.locator('#credit table').first().locator('tbody tr').allTextContents();
    expect(first).toMatch(/^1✓ published30/);
    // every score recomputed with the stored artifact of the epoch's model (the page was given none by hand)
    expect(first).toContain(
      'verified: re-derived bit for bit every score recomputed with the artifact of its model stored in the database',
    );
    expect(second).toMatch(/^2✗ invalidated30/);
    const inflated = Math.min(850, tampered.score + 50);
    expect(second).toContain(
      `MISMATCH1 score(s) differ from the model (the artifact of its model stored in the database), e.g. ${tampered.wallet.toLowerCase()}: published ${inflated}, recomputed ${tampered.score}`,
    );
    const challenge = page.locator('#credit table').nth(1).locator('tbody tr');
    expect(await challenge.count()).toBe(1);
    expect(await challenge.textContent()).toContain(`${inflated}${tampered.score}0.1 ETH`);
    expect(await challenge.locator(`code[title="${tampered.wallet}"]`).count()).toBe(1);
    // epoch, wallet, both scores, challenger and bond paid, as EpochInvalidated has them
    const [invalidated] = await d.registry.queryFilter(d.registry.filters.EpochInvalidated());
    const cells = await challenge.locator('th, td').allTextContents();
    expect(cells.slice(0, 5)).toEqual([
      String(invalidated!.args.epoch),
      expect.stringMatching(new RegExp(`^${invalidated!.args.wallet.slice(0, 6)}`)),
      String(invalidated!.args.publishedScore),
      String(invalidated!.args.recomputedScore),
      `${formatEther(invalidated!.args.bondPaid)} ETH`,
    ]);
    expect(await challenge.locator(`code[title="${invalidated!.args.challenger}"]`).count()).toBe(1);
    expect(await page.locator('#credit [data-field="failed-challenges"]').textContent()).toContain(
      'CreditScoreRegistryChallengeFailed) and leaves no event',
    );
    const sorted = entries.map((e) => e.score).sort((a, b) => a - b);
    const creditText = (await page.locator('#credit').textContent())!;
    expect(creditText).toContain(`median${sorted[14]}`);
    expect(creditText).toContain(`range${sorted[0]}–${sorted[29]}`);

    // models: the credit model active and in force, the collateral model RiskOracle's rounds carry
    const models = (await page.locator('#models').textContent())!;
    expect(await page.locator(`#models table`).first().locator(`code[title="${credit.modelId}"]`).count()).toBe(1);
    expect(models).toMatch(/active.*credit epoch 1/);
    expect(
      await page
        .locator(`#models table`)
        .first()
        .locator(`code[title="${modelIdOf(DEFAULT_COLLATERAL_MODEL)}"]`)
        .count(),
    ).toBe(1);
    expect(models).toContain(`RiskOracle: ${addresses.aave.reserves.map((r) => r.symbol).join(', ')}`);
    expect(await page.locator('#models [data-active="credit"] code').getAttribute('title')).toBe(await d.models.activeModel(0));
    expect(await page.locator('#models [data-active="collateral"]').textContent()).toBe('none');

    // submissions and disputes, as the registry's events and state tell them
    const submitted = await d.models.queryFilter(d.models.filters.ModelSubmitted());
    expect(submitted).toHaveLength(2);
    const [disputed] = await d.models.queryFilter(d.models.filters.ModelDisputed());
    const [resolved] = await d.models.queryFilter(d.models.filters.DisputeResolved());
    for (const e of submitted) {
      const row = page.locator(`#models tr:has(code[title="${e.args.modelId}"]):has([data-field="bond"])`);
      expect(await row.count()).toBe(1);
      const text = (await row.textContent())!;
      const status = Number((await d.models.model(e.args.modelId)).status);
      expect(text).toContain(status === 5 ? 'rejected' : 'candidate (shadow)');
      expect(await row.locator('[data-field="bond"]').textContent()).toBe(`${formatEther(e.args.bond)} ETH`);
      expect(await row.locator(`code[title="${e.args.claimHash}"]`).count()).toBe(1);
      expect(await row.locator(`code[title="${e.args.submitter}"]`).count()).toBe(1);
      if (e.args.modelId === DISPUTED) {
        expect(status).toBe(5);
        const dispute = (await row.locator('[data-field="dispute"]').textContent())!;
        expect(dispute).toContain(`with ${formatEther(disputed!.args.bond)} ETH bond`);
        expect(dispute).toContain(`upheld model rejected; ${formatEther(resolved!.args.award)} ETH to the disputer`);
        // the disputer, and the winner of both bonds: the same account
        expect(resolved!.args.winner).toBe(disputed!.args.disputer);
        expect(await row.locator(`code[title="${resolved!.args.winner}"]`).count()).toBe(2);
        expect(await row.locator(`code[title="${disputed!.args.evidenceHash}"]`).count()).toBe(1);
      } else expect(text).toContain('none');
    }

    // shadow results, as the database holds them
    const history = await shadowHistory(handle!.db, d.chainId, SHADOWED);
    expect(history).toHaveLength(2);
    const shadowRow = page.locator(`#models tr:has(code[title="${SHADOWED}"]):has([data-shadow="rank"])`);
    expect(await shadowRow.count()).toBe(1);
    const newest = history.at(-1)!;
    expect(await shadowRow.locator('[data-shadow="rank"]').textContent()).toBe(newest.rankCorrelation.toFixed(4));
    expect(await shadowRow.locator('[data-shadow="mean-diff"]').textContent()).toBe(newest.meanAbsScoreDiff.toFixed(2));
    expect(await shadowRow.locator('[data-shadow="flips"]').textContent()).toBe(String(newest.decisionFlips));
    expect(await shadowRow.textContent()).toContain(`${history.length} times`);
    // credit: rank and flips; collateral: Δ threshold and the backtests' bad debt over time
    expect(await page.locator('#models figure svg').count()).toBe(4);
    for (const name of ['Mean absolute difference in liquidation threshold', 'Shadow backtest bad debt']) {
      const chart = page.locator(`#models figure [role="img"][aria-label^="${name}"] svg`);
      expect(await chart.count()).toBe(1);
      // not blank: drawn lines with points in a box of some size
      const box = (await chart.boundingBox())!;
      expect(box.width * box.height).toBeGreaterThan(10_000);
      const lines = await chart.locator('.mark-line path').evaluateAll((paths) => paths.map((p) => p.getAttribute('d') ?? ''));
      expect(lines.length).toBeGreaterThan(0);
      for (const d of lines) expect(d).toMatch(/^M-?\d/);
      expect(await chart.locator('.mark-symbol path').count()).toBeGreaterThan(0);
    }
    await page
      .locator('#models .charts:has([aria-label^="Shadow backtest bad debt"])')
      .screenshot({ path: path.join(ARTIFACTS, 'dashboard-collateral-shadow.png') });
    expect(await page.locator('#models [aria-label^="Shadow backtest bad debt"]').getAttribute('aria-label')).toContain(
      'newest: ' + COLLATERAL_SHADOWED.toLowerCase().slice(0, 10) + '… 0.042 % against 0.057 %',
    );

    // the collateral candidate's newest comparison, as the database holds it: per asset both proposals and Δ
    const [collateral] = (await collateralShadowHistory(handle!.db, d.chainId, COLLATERAL_SHADOWED)).slice(-1);
    const overview = page.locator(`#models tr:has(code[title="${COLLATERAL_SHADOWED.toLowerCase()}"]):has([data-shadow="mean-lt-diff"])`);
    expect(await overview.count()).toBe(1);
    expect(await overview.locator(`code[title="${modelIdOf(DEFAULT_COLLATERAL_MODEL)}"]`).count()).toBe(1);
    expect(await overview.textContent()).toContain(`${(collateral!.meanAbsLtvDiff / 100).toFixed(2)} pp`);
    expect(await overview.textContent()).toContain('compared 2 times');
    expect(collateral!.meanAbsLtDiff).toBe(50);
    expect(await page.locator('#models [aria-label^="Mean absolute difference"]').getAttribute('aria-label')).toContain(
      `newest: ${COLLATERAL_SHADOWED.toLowerCase().slice(0, 10)}… ${collateral!.meanAbsLtDiff} bps`,
    );
    expect(collateral!.assets.map((a) => a.symbol)).toEqual([...addresses.aave.reserves.map((r) => r.symbol)].sort());
    for (const a of collateral!.assets) {
      const row = page.locator(`#models tr:has([data-collateral-asset="${a.symbol}"])`);
      expect(await row.count()).toBe(1);
      const bps = (field: string) => row.locator(`[data-collateral="${field}"]`).getAttribute('data-bps');
      for (const key of ['ltv', 'liquidationThreshold', 'liquidationBonus'] as const) {
        expect(await bps(`${key}-in-force`)).toBe(String(a.reference[key]));
        expect(await bps(`${key}-candidate`)).toBe(String(a.proposed[key]));
        expect(await bps(`${key}-diff`)).toBe(String(a.diff[key]));
      }
      expect(await row.locator('[data-collateral="ltv-candidate"]').textContent()).toBe(pct(a.proposed.ltv));
      expect(await row.locator('[data-collateral="liquidationBonus-in-force"]').textContent()).toBe(bonusPct(a.reference.liquidationBonus));
      expect(await row.locator('[data-collateral="ltv-diff"]').textContent()).toBe('−1.50 pp');
    }

    // health: the indexer's block from the database and its lag behind the head
    const at = (await indexedBlock(handle!.db, d.chainId))!;
    expect(await page.locator('#health [data-field="indexed"]').textContent()).toBe(String(at));
    const head = Number(await page.locator('#health [data-field="head"]').textContent());
    expect(head).toBeGreaterThanOrEqual(at);
    expect(await page.locator('#health [data-field="lag"]').textContent()).toBe(`${head - at} block(s) (limit 50)`);

    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-desktop.png'), fullPage: true });
    await readmeShot(page, 'dashboard-desktop.png');
  });

  it("charts the drift guard's decision on epoch 1: a bar per feature in its kind's colour, the threshold, the market-level share", async () => {
    await page.goto(`${server!.url}/`);
    const stored = await handle!.db
      .selectFrom('guard_decisions')
      .select(['decision', 'reason', 'details'])
      .where('subject', '=', 'epoch:1')
      .where('guard', '=', 'drift')
      .executeTakeFirstOrThrow();
    const details = stored.details as { psi: Record<string, number>; outOfSupport: Record<string, number>; threshold: number };
    expect(Object.keys(details.psi).sort()).toEqual([...DRIFT_FEATURES].sort());
    expect(await page.locator('#guards [data-drift="epoch"]').textContent()).toBe('1');
    expect(await page.locator('#guards [data-drift="decision"]').textContent()).toContain(stored.decision === 'pass' ? 'passed' : 'held');
    expect(await page.locator('#guards [data-drift="reason"]').textContent()).toBe(stored.reason);
    expect(await page.locator('#guards [data-drift="threshold"]').textContent()).toBe('0.25');

    const chart = page.locator('#guards figure [role="img"]');
    expect(await chart.getAttribute('aria-label')).toContain(
      `f_market_vol ${(details.outOfSupport.f_market_vol! * 100).toFixed(1)} % of wallets outside`,
    );
    const bars = await chart.locator('[aria-roledescription="bar"]').evaluateAll((paths) =>
      paths.map((p) => {
        const box = p.getBoundingClientRect();
        return { label: p.getAttribute('aria-label') ?? '', fill: p.getAttribute('fill'), width: box.width, height: box.height };
      }),
    );
    expect(bars).toHaveLength(DRIFT_FEATURES.length);
    const figures = { epoch: 1, ...details };
    for (const bar of bars) {
      const feature = /credit feature: ([a-z_]+);/.exec(bar.label)![1]!;
      expect(bar.fill).toBe(DRIFT_KINDS.find((k) => k.kind === driftKind(figures, feature))!.colour);
      expect(bar.height).toBeGreaterThan(5);
      // drawn to scale: a PSI of a few thousandths may be a sliver, never a negative or missing box
      expect(bar.width).toBeGreaterThanOrEqual(0);
    }
    expect(bars.find((b) => b.label.includes('f_market_vol'))!.fill).toBe('#6a3d9a');
    expect(await chart.locator('[aria-roledescription="rule mark"]').getAttribute('stroke-dasharray')).toBe('4,3');
    expect(await page.locator('#guards [data-drift="out-of-support"]').textContent()).toBe(
      `${(details.outOfSupport.f_market_vol! * 100).toFixed(1)} %`,
    );
    await page.locator('#guards').screenshot({ path: path.join(ARTIFACTS, 'dashboard-drift.png') });
  });

  it('meets WCAG AA contrast for every visible text, the charts included', async () => {
    expect(await page.locator('text').count()).toBeGreaterThan(20); // the charts' SVG text is checked too
    expect(await page.evaluate(contrastFailures)).toEqual([]);
    // the check itself: grey text on a card fails it
    await page.evaluate(() =>
      document.querySelector('#models')!.insertAdjacentHTML('beforeend', '<p id="grey" style="color:#999">grey</p>'),
    );
    try {
      expect(await page.evaluate(contrastFailures)).toEqual([expect.objectContaining({ text: 'grey', ratio: 2.85, needed: 4.5 })]);
    } finally {
      await page.evaluate(() => document.querySelector('#grey')!.remove());
    }
  });

  it('shows a new publication without a reload', async () => {
    await page.evaluate(() => Object.assign(window, { notReloaded: true }));
    started = Date.now();
    await publishRound();
    lap('round 2');
    const weth = addresses.aave.reserves.find((r) => r.symbol === 'WETH')!;
    const state = await d.oracle.latest(weth.address);
    expect(Number(state.round)).toBe(2);
    await page.waitForFunction(
      () => document.querySelector('article[data-asset="WETH"] [data-field="round"]')?.textContent === '2',
      undefined,
      {
        timeout: 30_000,
      },
    );
    expect(await fieldText('WETH', 'ltv')).toBe(pct(Number(state.ltv)));
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(await page.locator('#live-status').textContent()).toMatch(/^Updated at \d\d:\d\d:\d\d UTC: .*Rounds/);
    await until('round 2 verified on the page', async () => {
      const rows = await page.locator('#rounds tbody tr').allTextContents();
      const second = rows.filter((r) => /^WETH2✓ published/.test(r));
      return second.length === 1 && second[0]!.includes('verified: re-derived bit for bit') ? true : undefined;
    });
    lap('round 2 on the page, verified');
  }, 120_000);

  it('shows the guardian pausing, a fall-back with the values Aave holds again, and the DAO unpausing, without a reload', async () => {
    started = Date.now();
    const weth = addresses.aave.reserves.find((r) => r.symbol === 'WETH')!;
    const guardianSection = () => page.locator('#guardian');
    const fallBackRound = () => guardianSection().locator('tr:has([data-fallback-asset="WETH"]) [data-fallback="round"]');
    expect(await fallBackRound().textContent()).toBe('nothing to restore');
    expect(await guardianSection().locator('[data-field="paused"]').textContent()).toBe('not paused');
    // the guardian (anvil's account 0) is named as RiskOracle says
    const guardianAddress = await d.oracle.guardian();
    expect(await guardianSection().locator(`p code[title="${guardianAddress}"]`).count()).toBe(1);

    // anyone applies WETH's round 2 to Aave: the steward records what Aave had before it
    const guardian = await provider.getSigner(0);
    expect(guardian.address).toBe(guardianAddress);
    await (await d.steward.connect(guardian).applyParameters(weth.address)).wait();
    const before = await d.steward.previous(weth.address);
    expect(Number(before.round)).toBe(2);
    await until('the fall-back state on the page', async () => ((await fallBackRound().textContent()) === '2' ? true : undefined));
    const fallBackBps = (key: string) =>
      guardianSection().locator(`tr:has([data-fallback-asset="WETH"]) [data-fallback="${key}"]`).getAttribute('data-bps');
    expect(await fallBackBps('ltv')).toBe(String(before.ltv));
    expect(await fallBackBps('liquidationThreshold')).toBe(String(before.liquidationThreshold));
    expect(await fallBackBps('liquidationBonus')).toBe(String(before.liquidationBonus));

    // the guardian pauses and falls WETH back; the DAO votes to unpause
    await (await d.oracle.connect(guardian).pause()).wait();
    await (await d.steward.connect(guardian).fallBack(weth.address)).wait();
    await until('the pause and the fall-back on the page', async () =>
      (await guardianSection().locator('[data-guardian-event="ParametersRestored"]').count()) === 1 ? true : undefined,
    );
    expect(await guardianSection().locator('[data-field="paused"]').textContent()).toBe('paused');
    const [restored] = await d.steward.queryFilter(d.steward.filters.ParametersRestored());
    const aave = await deploymentSeed(addresses, provider)(weth.address);
    const row = guardianSection().locator('tr:has([data-guardian-event="ParametersRestored"])');
    for (const key of ['ltv', 'liquidationThreshold', 'liquidationBonus'] as const) {
      // what the event says was restored, what Aave holds now, and what the steward had recorded: one value
      expect(await row.locator(`[data-restored="${key}"]`).getAttribute('data-bps')).toBe(String(restored!.args[key]));
      expect(Number(restored!.args[key])).toBe(aave[key]);
      expect(aave[key]).toBe(Number(before[key]));
    }
    expect(await row.locator('[data-field="asset"]').textContent()).toBe('WETH');
    expect(await row.locator(`code[title="${guardianAddress}"]`).count()).toBe(1);
    expect(await row.locator(`code[title="${restored!.transactionHash}"]`).count()).toBe(1);
    expect(await row.textContent()).toContain(String(restored!.blockNumber));
    expect(await fallBackRound().textContent()).toBe('nothing to restore');
    const paused = guardianSection().locator('tr:has([data-guardian-event="Paused"])');
    expect(await paused.locator(`code[title="${guardianAddress}"]`).count()).toBe(1);

    await passProposal(
      d.dao,
      provider,
      guardian,
      [{ target: String(d.oracle.target), data: d.oracle.interface.encodeFunctionData('unpause') }],
      'resume publishing after the fall-back',
    );
    await until('the DAO unpausing on the page', async () =>
      (await guardianSection().locator('[data-field="paused"]').textContent()) === 'not paused' ? true : undefined,
    );
    const unpaused = guardianSection().locator('tr:has([data-guardian-event="Unpaused"])');
    const dao = await d.oracle.owner();
    expect(await unpaused.locator(`code[title="${dao}"]`).count()).toBe(1);
    expect(await unpaused.textContent()).toContain('DAO');
    // newest first: unpaused, then the fall-back's two events (RiskOracle recording what Aave has, after the
    // steward's restore in the same transaction), paused
    const sequence = ['Unpaused', 'FallBackRecorded', 'ParametersRestored', 'Paused'];
    const order = await guardianSection()
      .locator('[data-guardian-event]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-guardian-event')));
    expect(order.slice(0, 4)).toEqual(sequence);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    // the same in the JSON
    const api = (await (await fetch(`${server!.url}/api/dashboard`)).json()) as {
      guardian: { paused: boolean; actions: Array<{ event: string }> };
    };
    expect(api.guardian.paused).toBe(false);
    expect(api.guardian.actions.slice(0, 4).map((a) => a.event)).toEqual(sequence);
    expect(await page.evaluate(contrastFailures)).toEqual([]);
    await guardianSection().screenshot({ path: path.join(ARTIFACTS, 'dashboard-guardian.png') });
    lap('guardian: pause, fall-back, unpause on the page');
  }, 120_000);

  it('looks a wallet up from the keyboard, and says clearly what is wrong with a bad address', async () => {
    // the first Tab reaches the skip link; Tab alone then reaches the lookup's input and its button, every stop
    // on the way showing where the focus is
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to the content');
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        const style = getComputedStyle(el);
        return { id: el.id, tag: el.tagName, outline: style.outlineStyle === 'none' ? 0 : parseFloat(style.outlineWidth) };
      });
    let stop = await focused();
    for (let presses = 0; stop.id !== 'wallet'; presses++) {
      expect(presses).toBeLessThan(100);
      await page.keyboard.press('Tab');
      stop = await focused();
      expect(stop.outline).toBeGreaterThanOrEqual(2);
    }
    await page.keyboard.press('Tab');
    expect(await focused()).toEqual({ id: '', tag: 'BUTTON', outline: 3 });
    await page.keyboard.press('Shift+Tab');
    expect((await focused()).id).toBe('wallet');

    const wallet = entries[7]!;
    await page.keyboard.type(wallet.wallet);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#wallet-result dd[data-field="score"]');
    expect(await page.locator('#wallet-result dd[data-field="score"]').textContent()).toBe(String(wallet.score));
    expect(await page.locator('#wallet-result dd[data-field="epoch"]').textContent()).toBe('1');
    expect(await page.locator('#wallet-result dd[data-field="model"]').textContent()).toBe(credit.modelId);
    expect(await page.locator('#wallet-result dd[data-field="PD"]').textContent()).toContain(`(${wallet.pd} WAD)`);
    const served = (await (await fetch(`${server!.url}/score/${wallet.wallet}`)).json()) as { proof: string[]; root: string };
    expect(await page.locator('#wallet-result dd[data-field="root"]').textContent()).toBe(served.root);
    expect(await page.locator('#wallet-result summary').textContent()).toContain(`${served.proof.length} hashes`);

    await page.fill('#wallet', '0x1234');
    await page.click('#lookup-form button');
    expect(await page.locator('#wallet-result .error').textContent()).toBe(
      'Not a wallet address: "0x1234" has 6 characters; expected 0x followed by 40 hexadecimal characters (0-9, a-f).',
    );
    expect(await page.getAttribute('#wallet', 'aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('wallet');
    expect(await page.evaluate(contrastFailures)).toEqual([]);

    const stranger = Wallet.createRandom().address;
    await page.fill('#wallet', stranger);
    await page.click('#lookup-form button');
    await page.waitForFunction(() => /no published score/.test(document.querySelector('#wallet-result')?.textContent ?? ''));
    expect(await page.locator('#wallet-result').textContent()).toBe(`no published score for ${stranger}`);
    expect(await page.getAttribute('#wallet', 'aria-invalid')).toBe('false');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-lookup.png') });
  });

  it('works at phone width: nothing wider than the screen, tables scroll inside their own regions', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await page.locator('#rounds .scroll[role="region"][tabindex="0"]').count()).toBe(1);
    const chart = await page.locator('article[data-asset="WETH"] figure svg').first().boundingBox();
    expect(chart!.width).toBeLessThanOrEqual(390);
    // every figure has a text alternative, every input a label
    for (const label of await page.locator('[role="img"]').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label'))))
      expect(label).toMatch(/\S/);
    expect(await page.locator('label[for="wallet"]').count()).toBe(1);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });
    await readmeShot(page, 'dashboard-phone.png');
  });

  it('risk-oracle dashboard serves the same page on its own, on 127.0.0.1, read-only', async () => {
    await server!.close();
    server = undefined;
    await handle!.close();
    handle = undefined;
    child = spawn(process.execPath, [BIN, 'dashboard', '--port', '0', '--poll', '500', '--artifact', artifact, '--log-range', '40'], {
      env: { ...process.env, ...chain.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const url = await until(
      'the dashboard to listen',
      async () => /dashboard on (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout)?.[1],
      90_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${stderr}`);
    });
    expect((await fetch(`${url}/`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${url}/score/nope`)).status).toBe(400);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${url}/`);
    // WETH's round 3 is the one RiskOracle recorded for the guardian's fall-back above
    expect(await fieldText('WETH', 'round')).toBe('3');
    expect((await page.locator('#credit table').first().locator('tbody tr').allTextContents())[1]).toContain(
      'verified: re-derived bit for bit every score recomputed with the artifact of its model stored in the database',
    );
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    child = undefined;
  });
}
