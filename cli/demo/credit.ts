import { parseUnits, toBeHex, type Contract, type JsonRpcProvider } from 'ethers';
import type { Kysely } from 'kysely';
import type { Database } from '../../core';
import type { CreditLine, CreditScoreRegistry } from '../../contracts/build/types';
import {
  buildCreditArtifact,
  buildCreditDataset,
  decodeWeights,
  selectBackend,
  trainCreditModel,
  type CreditArtifact,
  type CreditMetrics,
} from '../../models';
import { epochProof } from '../../oracle/credit-epoch';
import { generateWallets, marketView, simulateMarket, walletView } from '../../sim';

const HORIZON = 30 * 86_400;

export interface DemoCreditModel {
  artifact: CreditArtifact;
  json: string;
  modelId: string;
  metrics: CreditMetrics;
  backend: string;
  trainSeconds: number;
  /** Off-chain histories trained on. */
  trainingWallets: number;
}

/**
 * Simulates off-chain borrower histories whose hidden types the model never sees (so the Bayes limit is known) and
 * trains the credit MLP with its logistic baseline on them. The wallets the epoch scores are the ones the indexer
 * saw on the demo's chain (the on-chain agents), not these. `historyDays` is how long the scored wallets' market
 * has existed: training wallets are no older (ages, and the loan counts and volumes that grow with them, then have
 * the scored population's distribution), observed at times spread over a `days`-long market with its regimes.
 */
export async function trainDemoCreditModel(options: {
  seed: number;
  trainingWallets: number;
  days: number;
  historyDays?: number;
  /** The scored market's reserves (symbols of the simulator's market, LTV and liquidation threshold as fractions). */
  reserves?: ReadonlyArray<{ symbol: string; ltv: number; liquidationThreshold: number }>;
}): Promise<DemoCreditModel> {
  const { name: backend } = await selectBackend();
  const market = simulateMarket({ seed: options.seed, days: options.days });
  const wallets = generateWallets(market, {
    seed: options.seed,
    count: options.trainingWallets,
    horizonSeconds: HORIZON,
    ...(options.historyDays !== undefined ? { maxAgeDays: options.historyDays, minHistoryDays: options.historyDays } : {}),
    ...(options.reserves ? { reserves: options.reserves } : {}),
  });
  const views = wallets.map((w) => walletView(market, w));
  const data = buildCreditDataset(views, marketView(market), HORIZON);
  const trained = await trainCreditModel(data, {
    seed: options.seed,
    horizonSeconds: HORIZON,
    // small batches: a few thousand rows need more steps than the default 512-row batches give
    batchSize: 128,
    bayesPd: views.map((v) => v.bayesPd),
  });
  const built = await buildCreditArtifact({ trained, data, seed: options.seed, backend, horizonSeconds: HORIZON, codeVersion: 'demo' });
  trained.mlp.model.dispose();
  return { ...built, metrics: trained.metrics, backend, trainSeconds: trained.trainSeconds, trainingWallets: options.trainingWallets };
}

export interface BorrowOutcome {
  wallet: string;
  score: number;
  /** What CreditLine allowed for the score (token units) and the collateral share it asked for. */
  limit: string;
  collateralBps: number;
  borrowed: string;
  /** The custom error CreditLine reverted with, when it refused. */
  refused?: string;
  proveGas: number;
}

/**
 * A scored wallet proves its leaf and asks CreditLine for `amount`. The wallet is a simulated address: the local
 * chain impersonates it (anvil), funds it with gas and the collateral CreditLine asks for, and sends from it.
 */
export async function proveAndBorrow(options: {
  db: Kysely<Database>;
  provider: JsonRpcProvider;
  chainId: number;
  epoch: number;
  registry: CreditScoreRegistry;
  creditLine: CreditLine;
  token: Contract;
  decimals: number;
  wallet: string;
  amount: string;
}): Promise<BorrowOutcome> {
  const { provider, registry, creditLine } = options;
  const { leaf, proof } = await epochProof(options.db, options.chainId, options.epoch, options.wallet);
  await provider.send('anvil_impersonateAccount', [leaf.wallet]);
  await provider.send('anvil_setBalance', [leaf.wallet, toBeHex(10n ** 19n)]);
  const signer = await provider.getSigner(leaf.wallet);
  const proved = await (
    await registry.connect(signer).prove(options.epoch, leaf.wallet, leaf.score, leaf.pd, leaf.featuresHash, proof)
  ).wait();
  const [limit, collateralBps] = await creditLine.limitOf(leaf.score);
  const amount = parseUnits(options.amount, options.decimals);
  const token = options.token.connect(signer) as Contract;
  await (await token.getFunction('mint(uint256)')(amount)).wait();
  await (await token.getFunction('approve')(await creditLine.getAddress(), amount)).wait();
  const outcome: BorrowOutcome = {
    wallet: leaf.wallet,
    score: leaf.score,
    limit: (Number(limit) / 10 ** options.decimals).toFixed(2),
    collateralBps: Number(collateralBps),
    borrowed: '0',
    proveGas: Number(proved!.gasUsed),
  };
  try {
    await (await creditLine.connect(signer).borrow(amount)).wait();
    outcome.borrowed = options.amount;
  } catch (err) {
    const e = err as { revert?: { name?: string }; data?: string };
    outcome.refused = e.revert?.name ?? (e.data ? creditLine.interface.parseError(e.data)?.name : undefined) ?? (err as Error).message;
  }
  await provider.send('anvil_stopImpersonatingAccount', [leaf.wallet]);
  return outcome;
}

/** The quantised weights a challenger submits (the registered ones). */
export const demoWeights = (model: DemoCreditModel): Uint8Array => {
  const bytes = Buffer.from(model.artifact.quantized.weights.slice(2), 'hex');
  decodeWeights(bytes); // refuses malformed weights before they reach the chain
  return bytes;
};
