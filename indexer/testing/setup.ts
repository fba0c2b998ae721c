import { JsonRpcProvider } from 'ethers';
import { startAnvil, type AnvilInstance } from '../../core';
import { emitRandomActivity, fakeMarket, installFakeMarket, type FakeMarket } from './market';

export interface TestChain {
  anvil: AnvilInstance;
  provider: JsonRpcProvider;
  /** An unlocked, funded account. */
  from: string;
  market: FakeMarket;
  stop(): Promise<void>;
}

/** A fresh anvil with the stand-in market installed. */
export async function startTestChain(options: { wallets?: number } = {}): Promise<TestChain> {
  const anvil = await startAnvil();
  const provider = new JsonRpcProvider(anvil.rpcUrl, anvil.chainId, { staticNetwork: true, batchMaxCount: 1 });
  const market = fakeMarket(options);
  await installFakeMarket(provider, market);
  const [from] = (await provider.send('eth_accounts', [])) as string[];
  return {
    anvil,
    provider,
    from: from!,
    market,
    async stop() {
      provider.destroy();
      await anvil.stop();
    },
  };
}

/** Random market activity on a test chain that can be rewound to any head it has had (anvil snapshots). */
export interface RewindableActivity {
  head(): Promise<number>;
  /** Mines `blocks` blocks of random activity, each transaction with 1 to `maxEventsPerTx` Pool events. */
  mine(blocks: number): Promise<void>;
  /** Restores the state whose head was `head` (a reorg once other blocks follow); false when it has none kept. */
  rewind(head: number): Promise<boolean>;
}

export function rewindableActivity(chain: TestChain, random: () => number, maxEventsPerTx: number): RewindableActivity {
  const { provider, from, market } = chain;
  const snapshots: string[] = []; // snapshots[h]: the state with head h
  const head = async (): Promise<number> => Number(await provider.send('eth_blockNumber', []));
  return {
    head,
    async mine(blocks) {
      for (let i = 0; i < blocks; i++) {
        snapshots[await head()] = (await provider.send('evm_snapshot', [])) as string;
        const eventsPerTx = 1 + Math.floor(random() * maxEventsPerTx);
        await emitRandomActivity(provider, from, market, random, { txs: 1, eventsPerTx });
      }
    },
    async rewind(h) {
      const snapshot = snapshots[h];
      if (!snapshot) return false;
      await provider.send('evm_revert', [snapshot]);
      snapshots.length = h;
      return true;
    },
  };
}
