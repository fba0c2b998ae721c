export * from './backtest/compare';
export * from './backtest/engine';
export * from './backtest/policies';
export * from './collateral/adverse';
export * from './collateral/mapping';
export * from './collateral/types';
export * from './quantize/model';
