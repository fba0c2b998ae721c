import type { JsonRpcProvider } from 'ethers';
import type { Deployment } from '../contracts';
import { createRandom, normal } from '../core/random';

/**
 * Moves the local market's settable Chainlink-style aggregators as a live market would: `steps` times, chain time
 * advances `stepSeconds` (evm_increaseTime) and every reserve's feed gets a new answer, a seeded random walk from
 * its current one (AaveOracle and the RPC indexer both see it). The last answers are at the chain's time now.
 */
export async function pushFeedAnswers(
  provider: JsonRpcProvider,
  deployment: Deployment,
  options: { steps: number; stepSeconds?: number; volatility?: number; seed?: number },
): Promise<void> {
  const random = createRandom(options.seed ?? 7);
  for (let step = 0; step < options.steps; step++) {
    await provider.send('evm_increaseTime', [options.stepSeconds ?? 6 * 3_600]);
    for (const r of deployment.market.reserves) {
      const current = (await r.aggregator.getFunction('latestAnswer')()) as bigint;
      const move = Math.exp((options.volatility ?? 0.02) * normal(random));
      const next = (current * BigInt(Math.round(move * 1e6))) / 1_000_000n;
      await (await r.aggregator.getFunction('setAnswer')(next > 0n ? next : 1n)).wait();
    }
  }
}

/**
 * The last time of the example prices `startOracleChain` imports (45 days of hourly prices from 2024-01-01): the
 * `--at` of a CSV back-fill (`oracle.priceSource` csv), whose prices are otherwise years older than the chain.
 */
export const EXAMPLE_PRICES_END = 1_704_067_200 + (45 * 24 - 1) * 3_600;
