export * from './example-prices';
