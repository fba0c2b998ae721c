export * from './csv/import';
export { parseCsv, parsePrice, parseTimestamp } from './csv/parse';
