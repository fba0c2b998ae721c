import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JsonRpcProvider, Wallet } from 'ethers';
import { createLogger, localProvider, startAnvil, type AnvilInstance } from '../core';
import { createTestDatabase } from '../core/test/db';
import { deployRiskOracle } from '../contracts';
import type { RiskOracle } from '../contracts/build/types';
import { loadPriceSeries, importPrices } from '../indexer';
import { writeExamplePrices } from '../sim';
import { riskOracleDomain } from '../contracts';
import { runParameterCycle, type CycleAsset } from './cycle';
import { DEFAULT_COLLATERAL_MODEL } from './propose';
import { verifyRounds } from './verify';
import { WIDE_BOUNDS, signedBy } from '../contracts/testing';
import { resample, selectBackend, trainCollateral, type CollateralArtifact } from '../models';

type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

describe('parameter cycle on anvil: propose → guard → 3-of-5 signatures → publish', () => {
  let anvil: AnvilInstance;
  let provider: JsonRpcProvider;
  let h: TestDb;
  let oracle: RiskOracle;
  let assets: CycleAsset[];
  const signers = Array.from({ length: 5 }, () => Wallet.createRandom());
  const log = createLogger({ level: 'silent' });

  beforeAll(async () => {
    [anvil, h] = await Promise.all([startAnvil(), createTestDatabase()]);
    provider = localProvider(anvil.rpcUrl);
    const dao = await provider.getSigner(0);
    ({ oracle } = await deployRiskOracle(dao, {
      owner: await dao.getAddress(),
      guardian: await dao.getAddress(),
      signers: signers.map((s) => s.address),
      threshold: 3,
    }));
    const dir = mkdtempSync(path.join(tmpdir(), 'ro-cycle-'));
    await importPrices(h.db, writeExamplePrices(dir, { days: 60 }));
    assets = await Promise.all(
      ['WETH', 'USDC'].map(async (symbol) => ({
        symbol,
        address: Wallet.createRandom().address,
        prices: await loadPriceSeries(h.db, symbol),
      })),
    );
    for (const a of assets) {
      await (await oracle.setBounds(a.address, WIDE_BOUNDS)).wait();
    }
  });
  afterAll(async () => {
    provider?.destroy();
    await Promise.all([anvil?.stop(), h?.close()]);
  });

  it('publishes guarded parameters, records rounds, decisions, signatures and the publication, and never publishes a round twice', async () => {
    const at = Math.max(...assets[0]!.prices.map((p) => p.t));
    const now = (await provider.getBlock('latest'))!.timestamp;
    const common = {
      db: h.db,
      oracle,
      chainId: anvil.chainId,
      assets,
      signers: signers.slice(0, 3),
      at,
      now,
      validForSeconds: 3_600,
      atBlock: 1,
      log,
    };
    const result = await runParameterCycle(common);
    expect(result.publication?.submitted).toBe(true);
    for (const a of result.assets) {
      expect(a.publishable).toBe(true);
      const onChain = await oracle.latest(a.address);
      expect([Number(onChain.ltv), Number(onChain.liquidationThreshold), Number(onChain.liquidationBonus), Number(onChain.round)]).toEqual([
        a.guarded.ltv,
        a.guarded.liquidationThreshold,
        a.guarded.liquidationBonus,
        1,
      ]);
      expect((await oracle.provenance(a.address)).modelId).toBe(result.modelId);
    }
    // the stablecoin's threshold is allowed higher than the volatile asset's, from the data alone
    expect(result.assets[1]!.guarded.liquidationThreshold).toBeGreaterThan(result.assets[0]!.guarded.liquidationThreshold);

    const rounds = await h.db.selectFrom('risk_parameter_rounds').select(['asset', 'round', 'status']).orderBy('asset').execute();
    expect(rounds.every((r) => r.status === 'published' && r.round === 1)).toBe(true);
    expect(await h.db.selectFrom('signatures').select('signer').execute()).toHaveLength(3);
    const pubs = await h.db.selectFrom('publications').selectAll().execute();
    expect(pubs).toHaveLength(1);
    expect(pubs[0]).toMatchObject({ status: 'confirmed', kind: 'parameters' });
    expect(pubs[0]!.gas_used).toBeGreaterThan(0);

    // a restart that re-runs the publication of the same rounds sends nothing
    const { publishParameterBatch } = await import('./publish');
    const again = await publishParameterBatch({
      db: h.db,
      oracle,
      chainId: anvil.chainId,
      signers: signers.slice(0, 3),
      log,
      updates: result.assets.map((a) => ({
        asset: a.address,
        ...a.guarded,
        round: 1n,
        validUntil: BigInt(at + 1_000_000),
        modelId: result.modelId,
        inputsRoot: `0x${'00'.repeat(32)}`,
      })),
    });
    expect(again.submitted).toBe(false);
    expect(await h.db.selectFrom('publications').selectAll().execute()).toHaveLength(1);
  });

  it('holds an asset whose proposal the guards refuse, records why, and publishes the rest', async () => {
    // the DAO now requires a day between USDC updates: the next proposal is held by the delay guard
    const usdc = assets[1]!;
    await (await oracle.setBounds(usdc.address, { ...WIDE_BOUNDS, minDelay: 86_400 })).wait();
    const at = Math.max(...assets[0]!.prices.map((p) => p.t));
    const now = (await provider.getBlock('latest'))!.timestamp;
    const result = await runParameterCycle({
      db: h.db,
      oracle,
      chainId: anvil.chainId,
      assets,
      signers: signers.slice(1, 4),
      at,
      now,
      validForSeconds: 3_600,
      atBlock: 2,
      log,
    });
    const held = result.assets.find((a) => a.symbol === 'USDC')!;
    expect(held.publishable).toBe(false);
    expect(Number((await oracle.latest(usdc.address)).round)).toBe(1);
    expect(Number((await oracle.latest(assets[0]!.address)).round)).toBe(2);
    const reasons = await h.db
      .selectFrom('guard_decisions')
      .select(['guard', 'decision', 'reason'])
      .where('subject', '=', `round:${usdc.address.toLowerCase()}:2`)
      .execute();
    expect(reasons.find((r) => r.decision === 'hold')).toMatchObject({
      guard: 'delay',
      reason: expect.stringMatching(/the DAO requires 86400 s/),
    });
    expect(
      await h.db
        .selectFrom('risk_parameter_rounds')
        .select('status')
        .where('asset', '=', usdc.address.toLowerCase())
        .where('round', '=', 2)
        .executeTakeFirstOrThrow(),
    ).toEqual({ status: 'held' });
  });

  it('verify re-derives every published round bit for bit, and catches a value a colluding signer set published', async () => {
    const honest = await verifyRounds({ db: h.db, oracle, chainId: anvil.chainId, spec: DEFAULT_COLLATERAL_MODEL });
    expect(honest.checked).toBe(3); // WETH rounds 1 and 2, USDC round 1
    expect(honest.mismatches).toEqual([]);

    // three signers collude and publish a looser WETH threshold than the model gives, under the model's id
    const weth = assets[0]!;
    const state = await oracle.latest(weth.address);
    const { modelId, inputsRoot } = await oracle.provenance(weth.address);
    const now = (await provider.getBlock('latest'))!.timestamp;
    const forged = {
      asset: weth.address,
      ltv: Number(state.ltv),
      liquidationThreshold: Number(state.liquidationThreshold) + 300,
      liquidationBonus: Number(state.liquidationBonus),
      round: state.round + 1n,
      validUntil: BigInt(now + 600),
      modelId,
      inputsRoot,
    };
    const domain = riskOracleDomain(anvil.chainId, await oracle.getAddress());
    const sigs = await signedBy(signers.slice(0, 3), domain, forged);
    await (await oracle.publish(forged, sigs)).wait();
    await h.db
      .insertInto('risk_parameter_rounds')
      .values({
        chain_id: anvil.chainId,
        asset: weth.address.toLowerCase(),
        round: 3,
        ltv: forged.ltv,
        liquidation_threshold: forged.liquidationThreshold,
        liquidation_bonus: forged.liquidationBonus,
        model_id: modelId,
        inputs_root: inputsRoot,
        valid_until: now + 600,
        at_block: 3,
        batch_digest: null,
        status: 'published',
        explanation: JSON.stringify({ at: Math.max(...weth.prices.map((p) => p.t)) }),
      })
      .execute();
    const caught = await verifyRounds({ db: h.db, oracle, chainId: anvil.chainId, spec: DEFAULT_COLLATERAL_MODEL });
    expect(caught.checked).toBe(4);
    expect(caught.mismatches).toEqual([
      {
        asset: weth.address.toLowerCase(),
        round: 3,
        field: 'liquidationThreshold',
        published: String(forged.liquidationThreshold),
        derived: String(forged.liquidationThreshold - 300),
      },
    ]);
  });
  it("holds an asset whose market lies outside the collateral model's training range, naming the feature", async () => {
    // a model trained on these prices: its range covers them; one feature's range moved away from today's value
    await selectBackend('wasm');
    const from = Math.max(...assets.map((a) => a.prices[0]!.t));
    const to = Math.min(...assets.map((a) => a.prices.at(-1)!.t));
    const trained = await trainCollateral(
      assets.map((a) => {
        const grid = resample(a.prices, 3_600, from, to);
        return { symbol: a.symbol, prices: grid.p, liquidity: grid.liquidity, ...(a.symbol === 'USDC' ? { peg: 1 } : {}) };
      }),
      {
        ethSymbol: 'WETH',
        stepSeconds: 3_600,
        horizonSteps: 24,
        seed: 1,
        backend: 'wasm',
        quantiles: [0.9, 0.99],
        epochs: 3,
        codeVersion: 'test',
      },
    );
    trained.model.model.dispose();
    const drift = trained.artifact.training.drift!;
    expect(drift.map((r) => r.feature)).toEqual(trained.artifact.featureSpec.features.map((f) => f.name));
    expect(drift.every((r) => r.support !== undefined && r.support.low <= r.support.high)).toBe(true);
    const moved = drift[0]!.feature;
    const narrowed = {
      ...trained.artifact,
      training: {
        ...trained.artifact.training,
        drift: drift.map((r) => (r.feature === moved ? { ...r, support: { low: -2e9, high: -1e9 } } : r)),
      },
    };
    const now = (await provider.getBlock('latest'))!.timestamp;
    const weth = assets[0]!;
    const cycle = (artifact: CollateralArtifact, asset: typeof weth) =>
      runParameterCycle({
        db: h.db,
        oracle,
        chainId: anvil.chainId,
        assets: [asset],
        signers: signers.slice(1, 4),
        at: to,
        now,
        validForSeconds: 3_600,
        atBlock: 3,
        log,
        model: { modelId: trained.modelId, artifact },
        publish: false,
      });
    const held = (await cycle(narrowed, weth)).assets[0]!;
    expect(held.publishable).toBe(false);
    const drifted = held.decisions.find((d) => d.guard === 'drift')!;
    expect(drifted).toMatchObject({ decision: 'hold', reason: expect.stringContaining(`features outside the training range: ${moved} `) });
    // WETH's imported depth reached training and the proposal alike: the liquidity feature is inside its range
    expect(drifted.reason).not.toContain('log_liquidity_usd');
    // the same model on a book a thousand times thinner than any it trained on: held, naming the liquidity feature
    const thin = { ...weth, prices: weth.prices.map((p) => ({ ...p, liquidityUsd: 1e3 })) };
    const thinned = (await cycle(trained.artifact, thin)).assets[0]!;
    expect(thinned.publishable).toBe(false);
    expect(thinned.decisions.find((d) => d.guard === 'drift')!.reason).toMatch(/features outside the training range: log_liquidity_usd /);
    expect((await cycle(trained.artifact, weth)).assets[0]!.publishable).toBe(true);
  });
});
