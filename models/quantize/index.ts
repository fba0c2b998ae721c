export * from './fast';
export * from './model';
export * from './quantize';
