export * from './adverse';
export * from './features';
export * from './mapping';
export * from './params';
export * from './quantile';
export * from './types';
export * from './train';
