import type { SimMarket } from './market';
import type { SimWallet } from './wallets';

/**
 * The simulator's records in the plain shapes the models read (the same fields the indexer stores): assets by
 * address, prices per asset, events and health snapshots per wallet. Structural: no import from models/.
 */
export function marketView(market: SimMarket): {
  prices: Map<string, { t: Float64Array; p: Float64Array }>;
  stable: Map<string, boolean>;
} {
  const t = Float64Array.from({ length: market.steps }, (_, i) => market.start + i * market.stepSeconds);
  return {
    prices: new Map(market.assets.map((a) => [a.address, { t, p: a.prices }])),
    stable: new Map(market.assets.map((a) => [a.address, a.kind === 'stable'])),
  };
}

export interface WalletView {
  wallet: string;
  observedAt: number;
  events: Array<{
    timestamp: number;
    block: number;
    kind: SimWallet['events'][number]['kind'];
    asset: string;
    amount: number;
    collateralAmount?: number;
  }>;
  snapshots: SimWallet['snapshots'];
  bayesPd: number;
}

export function walletView(market: SimMarket, wallet: SimWallet): WalletView {
  return {
    wallet: wallet.address,
    observedAt: wallet.observedAt,
    events: wallet.events.map((e) => ({
      timestamp: e.timestamp,
      block: e.block,
      kind: e.kind,
      asset: market.assets[e.asset]!.address,
      amount: e.amount,
      ...(e.collateralAmount !== undefined ? { collateralAmount: e.collateralAmount } : {}),
    })),
    snapshots: wallet.snapshots,
    bayesPd: wallet.bayesPd,
  };
}
