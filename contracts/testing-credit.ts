import { keccak256, parseEther, type JsonRpcProvider, type JsonRpcSigner } from 'ethers';
import { localProvider, startAnvil, type AnvilInstance } from '../core';
import { createRandom } from '../core/random';
import { ONE, scorecard, type QuantizedModel } from '../models/quantize/model';
import type { CreditScoreRegistry, ModelRegistry, RiskOracle } from './build/types';
import { deployCreditRegistry } from './deploy/credit';
import { deployRiskOracle } from './deploy/oracle';

/** An anvil with the contracts a credit epoch goes to, owned (and guarded) by its first account. */
export interface CreditChain {
  anvil: AnvilInstance;
  provider: JsonRpcProvider;
  /** The first account: owner of everything below. */
  dao: JsonRpcSigner;
  /** The signer set and threshold CreditScoreRegistry checks epochs against. */
  oracle: RiskOracle;
  models: ModelRegistry;
  registry: CreditScoreRegistry;
  stop(): Promise<void>;
}

/**
 * Starts anvil and deploys RiskOracle (the signer set), ModelRegistry and CreditScoreRegistry, with one credit
 * model registered when `model` is given: the set the credit tests publish epochs to.
 */
export async function startCreditChain(options: {
  signers: readonly string[];
  /** Default: 3. */
  threshold?: number;
  /** The epoch bond (and a model submission's and a dispute's). Default: 1 ether. */
  bondWei?: bigint;
  /** Default: one hour. */
  challengeWindowSeconds?: number;
  /** Registered as a credit model (kind 0). Defaults: feature spec hash keccak256(0x02), no metrics URI. */
  model?: { id: string; weightsHash: string; featureSpecHash?: string; metricsUri?: string };
}): Promise<CreditChain> {
  const anvil = await startAnvil();
  const provider = localProvider(anvil.rpcUrl);
  try {
    const dao = await provider.getSigner(0);
    const owner = await dao.getAddress();
    const { oracle } = await deployRiskOracle(dao, {
      owner,
      guardian: owner,
      signers: [...options.signers],
      threshold: options.threshold ?? 3,
    });
    const { models, registry } = await deployCreditRegistry(dao, {
      owner,
      riskOracle: await oracle.getAddress(),
      bondWei: options.bondWei ?? parseEther('1'),
      challengeWindowSeconds: options.challengeWindowSeconds ?? 3_600,
    });
    const m = options.model;
    if (m) await (await models.register(m.id, m.weightsHash, m.featureSpecHash ?? keccak256('0x02'), 0, m.metricsUri ?? '')).wait();
    return {
      anvil,
      provider,
      dao,
      oracle,
      models,
      registry,
      async stop() {
        provider.destroy();
        await anvil.stop();
      },
    };
  } catch (err) {
    provider.destroy();
    await anvil.stop();
    throw err;
  }
}

/** A deterministic `inputs` × `hidden` × 1 quantised credit model (weights drawn from `seed`) with the scorecard. */
export function randomCreditModel(options: { inputs: number; hidden: number; seed: number; outputBias?: number }): QuantizedModel {
  const random = createRandom(options.seed);
  const w = () => Math.round((random() - 0.5) * 2 * ONE);
  const { inputs, hidden } = options;
  return {
    layers: [
      { weights: Array.from({ length: hidden }, () => Array.from({ length: inputs }, w)), biases: Array.from({ length: hidden }, w) },
      { weights: [Array.from({ length: hidden }, w)], biases: [options.outputBias ?? -ONE] },
    ],
    ...scorecard(),
  };
}
