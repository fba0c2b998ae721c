export * from './evaluate';
export * from './report';
export * from './snapshot';
