import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { JsonRpcProvider, Wallet } from 'ethers';
import { startAnvil } from '../core';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { concat, ContractFactory, hexlify, keccak256, parseEther, randomBytes } from 'ethers';
import {
  aaveCollateralConfig,
  artifact,
  creditRegistryDomain,
  deployAaveMarket,
  deployCreditRegistry,
  deployRiskOracle,
  deployRiskSteward,
  riskOracleDomain,
  signBatch,
  signEpoch,
  sortBySigner,
  type ParameterUpdate,
} from '../contracts';
import { encodeFeatures, encodeWeights, inferQuantized, ONE, scorecard, weightsHash, type QuantizedModel } from '../models';
import { emitFigures, progress } from './lib';
import { WIDE_BOUNDS, signedBy } from '../contracts/testing';

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
    const bounds = WIDE_BOUNDS;
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
      // a fresh feature snapshot every round, as in production (the slot write is part of the routine cost)
      inputsRoot: `0x${round.toString(16).padStart(64, '0')}`,
    });
    const gasOf = async (tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<number> =>
      Number((await (await tx).wait())!.gasUsed);

    progress('measuring a single publication (3 of 5 signers)');
    const single = async (round: bigint, ltv: number) => {
      const u = update(assets[0]!, round, ltv);
      const sigs = await signedBy(signers.slice(0, 3), domain, u);
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

    progress('measuring the steward applying a round to a real Aave V3 market');
    const market = await deployAaveMarket(dao);
    const steward = await deployRiskSteward(dao, {
      owner: await dao.getAddress(),
      riskOracle: await oracle.getAddress(),
      addressesProvider: await market.addressesProvider.getAddress(),
      maxAgeSeconds: 86_400,
    });
    await (await market.aclManager.getFunction('addRiskAdmin')(await steward.getAddress())).wait();
    await (await oracle.setSteward(await steward.getAddress())).wait();
    const weth = market.reserves[0]!.address;
    await (await oracle.setBounds(weth, bounds)).wait();
    const wu = update(weth, 1n, 7_600);
    await (await oracle.publish(wu, await signedBy(signers.slice(0, 3), domain, wu))).wait();
    const applyAave = await gasOf(steward.applyParameters(weth));
    if ((await aaveCollateralConfig(market, weth)).ltv !== 7_600) throw new Error('the steward did not apply the round');
    // the guardian (here the DAO's signer too) pauses and puts back what Aave had before round 1 (RiskOracle
    // records it as round 2)
    await (await oracle.pause()).wait();
    const fallBackAave = await gasOf(steward.fallBack(weth));
    if ((await aaveCollateralConfig(market, weth)).ltv !== 8_000) throw new Error('the fall-back did not restore the parameters');
    if ((await oracle.latest(weth)).ltv !== 8_000n) throw new Error('RiskOracle did not record the fall-back');
    await (await oracle.unpause()).wait();
    // round 3 published, then paused before it is applied: the fall-back skips it (Aave untouched)
    const skipped = update(weth, 3n, 7_600);
    await (await oracle.publish(skipped, await signedBy(signers.slice(0, 3), domain, skipped))).wait();
    await (await oracle.pause()).wait();
    const fallBackSkip = await gasOf(steward.fallBack(weth));
    if ((await steward.appliedRound(weth)) !== 4n) throw new Error('the fall-back did not skip round 3');
    await (await oracle.unpause()).wait();

    progress('measuring credit epochs, proofs, scoreOf and a challenge');
    const { models, registry } = await deployCreditRegistry(dao, {
      owner: await dao.getAddress(),
      riskOracle: await oracle.getAddress(),
      bondWei: parseEther('1'),
      challengeWindowSeconds: 3_600,
    });
    const w = (i: number, j: number) => (((i * 31 + j * 17) % 97) - 48) * 1_000;
    const model: QuantizedModel = {
      layers: [
        { weights: Array.from({ length: 32 }, (_, j) => Array.from({ length: 32 }, (_, i) => w(i, j))), biases: Array(32).fill(ONE / 4) },
        { weights: [Array.from({ length: 32 }, (_, i) => w(i, 7))], biases: [-ONE] },
      ],
      ...scorecard(),
    };
    const modelId = keccak256(concat([encodeWeights(model), '0x01']));
    await (await models.register(modelId, weightsHash(model), keccak256('0x02'), 0, '')).wait();
    const rdomain = creditRegistryDomain(anvil.chainId, await registry.getAddress());
    const epochGas = async (epoch: bigint, root: string, count: bigint) => {
      const e = { epoch, root, modelId, walletCount: count };
      const sigs = sortBySigner(await Promise.all(signers.slice(0, 3).map((s) => signEpoch(s, rdomain, e)))).map((s) => s.signature);
      return gasOf(registry.publishEpoch(epoch, root, modelId, count, sigs, { value: parseEther('1') }));
    };
    // the first epoch also records its publisher and its model (once each); the goal is about routine epochs
    const epochPublishFirst = await epochGas(1n, hexlify(randomBytes(32)), 10n);
    const epochPublish10 = await epochGas(2n, hexlify(randomBytes(32)), 10n);
    // a 2^20-leaf epoch: the root of a leaf hashed up through 20 siblings, and its 20-level proof
    const features = Array.from({ length: 32 }, (_, i) => (i - 16) * 8_192);
    const honest = inferQuantized(model, features);
    const wallet = Wallet.createRandom().address;
    let node = await registry.leafHash(wallet, honest.score, honest.pd, keccak256(encodeFeatures(features)));
    const proof = Array.from({ length: 20 }, () => hexlify(randomBytes(32)));
    for (const sibling of proof)
      node = BigInt(node) < BigInt(sibling) ? keccak256(concat([node, sibling])) : keccak256(concat([sibling, node]));
    const epochPublish1M = await epochGas(3n, node, 1n << 20n);
    const proveLeaf1M = await gasOf(registry.prove(3, wallet, honest.score, honest.pd, keccak256(encodeFeatures(features)), proof));
    const readerArtifact = await artifact('ScoreReader');
    const reader = await new ContractFactory(readerArtifact.abi as never[], readerArtifact.bytecode, dao).deploy();
    const scoreOf = Number(
      await (reader as unknown as { gasOfScoreOf(r: string, w: string): Promise<bigint> }).gasOfScoreOf(
        await registry.getAddress(),
        wallet,
      ),
    );
    // a wrong epoch: one leaf with a score 40 points too high, challenged with the 32×32 model
    const leaves = [
      [wallet, Math.min(850, honest.score + 40), honest.pd, keccak256(encodeFeatures(features))],
      [Wallet.createRandom().address, 500, 1n, keccak256('0x03')],
    ];
    const tree = StandardMerkleTree.of(leaves, ['address', 'uint256', 'uint256', 'bytes32']);
    await epochGas(4n, tree.root, 2n);
    const challenge = await gasOf(
      registry.challenge(
        { epoch: 4, wallet, score: leaves[0]![1] as number, pd: honest.pd },
        hexlify(encodeFeatures(features)),
        hexlify(encodeWeights(model)),
        tree.getProof(0),
      ),
    );

    const figures = {
      publishSingle3of5: singleWarm,
      publishSingle3of5Cold: singleCold,
      publishBatch20PerAsset: Math.round(batchWarm / 20),
      publishBatch20PerAssetCold: Math.round(batchCold / 20),
      applyAave,
      fallBackAave,
      fallBackSkip,
      epochPublish10,
      epochPublish1M,
      epochPublishFirstOfModel: epochPublishFirst,
      proveLeaf1M,
      scoreOf,
      challenge,
      goals: {
        publishSingle3of5: 75_000,
        publishBatch20PerAsset: 25_000,
        epochPublish: 120_000,
        proveLeaf1M: 70_000,
        scoreOf: 10_000,
        challenge: 1_500_000,
      },
      ratioToGoal: {
        publishSingle3of5: +(singleWarm / 75_000).toFixed(3),
        publishBatch20PerAsset: +(batchWarm / 20 / 25_000).toFixed(3),
        epochPublish: +(epochPublish1M / 120_000).toFixed(3),
        proveLeaf1M: +(proveLeaf1M / 70_000).toFixed(3),
        scoreOf: +(scoreOf / 10_000).toFixed(3),
        challenge: +(challenge / 1_500_000).toFixed(3),
      },
      peers: { chronicleScribePoke5Signers: 81_000, chaosLabsRiskOracleUpdate: 1_200_000 },
    };
    const table = [
      '# Gas (measured by `npm run bench:gas`, anvil, solc 0.8.28)',
      '',
      '| operation | gas | goal | ratio |',
      '|---|---|---|---|',
      `| publish, 1 asset, 3 of 5 signers (routine update) | ${singleWarm} | 75,000 | ${figures.ratioToGoal.publishSingle3of5} |`,
      `| publish, first update of an asset (cold storage) | ${singleCold} | | |`,
      `| publishBatch, 20 assets, per asset (routine update) | ${Math.round(batchWarm / 20)} | 25,000 | ${figures.ratioToGoal.publishBatch20PerAsset} |`,
      `| publishBatch, 20 assets, per asset (first update) | ${Math.round(batchCold / 20)} | | |`,
      `| RiskSteward.applyParameters → Aave PoolConfigurator | ${applyAave} | | |`,
      `| RiskSteward.fallBack, restore → Aave PoolConfigurator and RiskOracle.recordFallBack (guardian, oracle paused) | ${fallBackAave} | | |`,
      `| RiskSteward.fallBack, skip an unapplied round → RiskOracle.recordFallBack (Aave untouched) | ${fallBackSkip} | | |`,
      `| publishEpoch, 10 wallets | ${epochPublish10} | 120,000 | ${(epochPublish10 / 120_000).toFixed(3)} |`,
      `| publishEpoch, 2^20 wallets | ${epochPublish1M} | 120,000 | ${figures.ratioToGoal.epochPublish} |`,
      `| publishEpoch, first epoch of a publisher and a model (records both once) | ${epochPublishFirst} | | |`,
      `| prove, 20-level proof, first storage | ${proveLeaf1M} | 70,000 | ${figures.ratioToGoal.proveLeaf1M} |`,
      `| scoreOf, called by a contract | ${scoreOf} | 10,000 | ${figures.ratioToGoal.scoreOf} |`,
      `| challenge, 32×32×1 model, wrong epoch invalidated | ${challenge} | 1,500,000 | ${figures.ratioToGoal.challenge} |`,
      '',
      "Peers: Chronicle's Scribe ~81k per poke at 5 signers; Chaos Labs' risk oracle ~1.2M per update.",
      '',
      'RiskOracle and CreditScoreRegistry are compiled through the IR pipeline with 100,000 optimizer runs (the rest:',
      'legacy pipeline, 200 runs); each asset keeps its state and its DAO bounds in one packed slot. `scoreOf` reads',
      "two cold slots behind a cold call: the wallet's score, and its model's id, which also says that none of the",
      "model's epochs was ever invalidated (once one is, the id is kept aside and `scoreOf` reads the epoch's flag too:",
      'two more slots, for that model only). An epoch is two new slots (root; publisher id, times, bond, model index).',
      '',
      "RiskSteward's apply records what Aave had (one view call to the Pool) in the slot that already holds the",
      'applied round, so keeping the fall-back parameters costs no extra storage write. A fall-back also writes what',
      "Aave then has into RiskOracle's packed asset slot as a new round and clears its provenance (two slots",
      'refunded); the steward is a slot of its own in RiskOracle, read only then.',
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
