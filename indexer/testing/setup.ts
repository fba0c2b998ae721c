import { JsonRpcProvider } from 'ethers';
import { startAnvil, type AnvilInstance } from '../../core';
import { fakeMarket, installFakeMarket, type FakeMarket } from './market';

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
