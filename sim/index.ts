export * from './example-prices';
export * from './market';
export * from '../core/random';
export * from './wallet-types';
export * from './wallets';
export * from './views';
export * from './writer';
