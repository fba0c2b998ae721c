import type { Signer } from 'ethers';
import type { IRiskOracle, RiskOracle } from '../build/types';
import { deployContract } from './contract';

export type Bounds = IRiskOracle.BoundsStruct;

export interface RiskOracleDeployment {
  oracle: RiskOracle;
  address: string;
}

/** Deploys RiskOracle with `owner` (the DAO's timelock in production) as the only one who may change settings. */
export async function deployRiskOracle(
  deployer: Signer,
  options: { owner: string; guardian: string; signers: string[]; threshold: number },
): Promise<RiskOracleDeployment> {
  const oracle = await deployContract<RiskOracle>('RiskOracle', deployer, [
    options.owner,
    options.guardian,
    options.signers,
    options.threshold,
  ]);
  return { oracle, address: await oracle.getAddress() };
}
