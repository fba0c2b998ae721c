export { artifact, ensureCompiled, type Artifact } from './compile';
export { deployRiskOracle, type Bounds, type RiskOracleDeployment } from './deploy/oracle';
export * from './typed-data';
export { deployCreditRegistry } from './deploy/credit';
