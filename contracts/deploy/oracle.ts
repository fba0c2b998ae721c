import { ContractFactory, type Signer } from 'ethers';
import { artifact } from '../compile';
import type { IRiskOracle, RiskOracle } from '../build/types';

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
  const { abi, bytecode } = await artifact('RiskOracle');
  const factory = new ContractFactory(abi as never[], bytecode, deployer);
  const contract = await factory.deploy(options.owner, options.guardian, options.signers, options.threshold);
  await contract.waitForDeployment();
  const address = await contract.getAddress();
  return { oracle: contract as unknown as RiskOracle, address };
}
