export { artifact, ensureCompiled, type Artifact } from './compile';
export { deployRiskOracle, type Bounds, type RiskOracleDeployment } from './deploy/oracle';
export * from './typed-data';
export { deployCreditRegistry } from './deploy/credit';
export { deployRiskSteward } from './deploy/credit';
export { aaveCollateralConfig, deployAaveMarket, DEFAULT_RESERVES, type AaveMarket, type ReserveSpec } from './deploy/aave';
export { deployDao, passProposal, type Call, type Dao, type DaoOptions } from './deploy/dao';
