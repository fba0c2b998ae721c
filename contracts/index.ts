export { artifact, ensureCompiled, type Artifact } from './compile';
export * from './typed-data';
export { deployContract } from './deploy/contract';
export { deployRiskOracle, type Bounds, type RiskOracleDeployment } from './deploy/oracle';
export {
  defaultCreditTerms,
  deployCreditLine,
  deployCreditRegistry,
  deployFeeds,
  deployRiskSteward,
  type AssetFeeds,
  type CreditTerms,
} from './deploy/credit';
export {
  aaveArtifact,
  aaveCollateralConfig,
  deployAaveMarket,
  linkBytecode,
  DEFAULT_RESERVES,
  type AaveMarket,
  type HardhatArtifact,
  type ReserveSpec,
} from './deploy/aave';
export { deployDao, passProposal, type Call, type Dao, type DaoOptions } from './deploy/dao';
export {
  DEFAULT_BOUNDS,
  deployAll,
  deploymentJson,
  grantRiskAdminCall,
  writeDeployment,
  type DeployAllOptions,
  type Deployment,
} from './deploy/all';
export type * from './build/types';
