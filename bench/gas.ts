import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { JsonRpcProvider, Wallet } from 'ethers';
import { startAnvil } from '../core';
import { deployRiskOracle, riskOracleDomain, signBatch, signUpdate, sortBySigner, type ParameterUpdate } from '../contracts';
import { emitFigures, progress } from './lib';

/**
 * Gas of the oracle's hot paths, measured on anvil: a single 3-of-5 publication and a 20-asset batch, each both
 * the first time (cold storage) and as a routine update (warm storage, the figure the goals refer to).
 * Peers for scale: Chronicle's Scribe spends ~81k to poke with 5 signers; Chaos Labs' risk oracle ~1.2M per update.
 */
async function main(): Promise<void> {
  const anvil = await startAnvil({ gasLimit: 1_000_000_000n });
  const provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
  try {
    const dao = await provider.getSigner(0);
    const signers = Array.from({ length: 5 }, () => Wallet.createRandom());
    const { oracle } = await deployRiskOracle(dao, {
      owner: await dao.getAddress(),
      guardian: await dao.getAddress(),
      signers: signers.map((s) => s.address),
      threshold: 3,
    });
    const domain = riskOracleDomain(anvil.chainId, await oracle.getAddress());
    const bounds = {
      minLtv: 0,
      maxLtv: 9_000,
      minLiquidationThreshold: 0,
      maxLiquidationThreshold: 9_300,
      minLiquidationBonus: 0,
      maxLiquidationBonus: 11_500,
      maxChangeBps: 500,
      minDelay: 0,
    };
    const assets = Array.from({ length: 21 }, () => Wallet.createRandom().address);
    for (const a of assets) await (await oracle.setBounds(a, bounds)).wait();
    const now = (await provider.getBlock('latest'))!.timestamp;
    const update = (asset: string, round: bigint, ltv: number): ParameterUpdate => ({
      asset,
      ltv,
      liquidationThreshold: 8_000,
      liquidationBonus: 10_500,
      round,
      validUntil: BigInt(now + 86_400),
      modelId: `0x${'11'.repeat(32)}`,
      inputsRoot: `0x${'22'.repeat(32)}`,
    });
    const gasOf = async (tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<number> =>
      Number((await (await tx).wait())!.gasUsed);

    progress('measuring a single publication (3 of 5 signers)');
    const single = async (round: bigint, ltv: number) => {
      const u = update(assets[0]!, round, ltv);
      const sigs = sortBySigner(await Promise.all(signers.slice(0, 3).map((w) => signUpdate(w, domain, u)))).map((s) => s.signature);
      return gasOf(oracle.publish(u, sigs));
    };
    const singleCold = await single(1n, 7_000);
    const singleWarm = await single(2n, 7_100);

    progress('measuring a 20-asset batch');
    const batch = async (round: bigint, ltv: number) => {
      const us = assets.slice(1).map((a) => update(a, round, ltv));
      const sigs = sortBySigner(await Promise.all(signers.slice(0, 3).map((w) => signBatch(w, domain, us)))).map((s) => s.signature);
      return gasOf(oracle.publishBatch(us, sigs));
    };
    const batchCold = await batch(1n, 7_000);
    const batchWarm = await batch(2n, 7_100);

    const figures = {
      publishSingle3of5: singleWarm,
      publishSingle3of5Cold: singleCold,
      publishBatch20PerAsset: Math.round(batchWarm / 20),
      publishBatch20PerAssetCold: Math.round(batchCold / 20),
      goals: { publishSingle3of5: 75_000, publishBatch20PerAsset: 25_000 },
      ratioToGoal: { publishSingle3of5: +(singleWarm / 75_000).toFixed(3), publishBatch20PerAsset: +(batchWarm / 20 / 25_000).toFixed(3) },
      peers: { chronicleScribePoke5Signers: 81_000, chaosLabsRiskOracleUpdate: 1_200_000 },
      notMeasuredYet: ['applyAave', 'epochPublish', 'proveLeaf1M', 'scoreOf', 'challenge'],
    };
    const table = [
      '# Gas (measured by `npm run bench:gas`, anvil, solc 0.8.28, optimizer 200 runs)',
      '',
      '| operation | gas | goal | ratio |',
      '|---|---|---|---|',
      `| publish, 1 asset, 3 of 5 signers (routine update) | ${singleWarm} | 75,000 | ${figures.ratioToGoal.publishSingle3of5} |`,
      `| publish, first update of an asset (cold storage) | ${singleCold} | | |`,
      `| publishBatch, 20 assets, per asset (routine update) | ${Math.round(batchWarm / 20)} | 25,000 | ${figures.ratioToGoal.publishBatch20PerAsset} |`,
      `| publishBatch, 20 assets, per asset (first update) | ${Math.round(batchCold / 20)} | | |`,
      '',
      "Peers: Chronicle's Scribe ~81k per poke at 5 signers; Chaos Labs' risk oracle ~1.2M per update.",
      'Not measured yet (their contracts are still to come): Aave apply, epoch publish, prove, scoreOf, challenge.',
      '',
    ].join('\n');
    writeFileSync(path.join(__dirname, '..', 'contracts', 'GAS.md'), table);
    emitFigures(figures);
  } finally {
    provider.destroy();
    await anvil.stop();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench:gas failed: ${err.message}\n`);
  process.exit(1);
});
