export * from './collateral-evaluate';
export * from './collateral-snapshot';
export * from './dispatch';
export * from './evaluate';
export * from './indexed';
export * from './report';
export * from './snapshot';
export * from './claim';
