import { ContractFactory, type Signer } from 'ethers';
import { artifact } from '../compile';
import type { CreditScoreRegistry, ModelRegistry, RiskSteward } from '../build/types';

async function deploy<T>(name: string, deployer: Signer, args: unknown[]): Promise<T> {
  const { abi, bytecode } = await artifact(name);
  const contract = await new ContractFactory(abi as never[], bytecode, deployer).deploy(...args);
  await contract.waitForDeployment();
  return contract as unknown as T;
}

/** Deploys the ModelRegistry and the CreditScoreRegistry (signers from RiskOracle), both owned by `owner`. */
export async function deployCreditRegistry(
  deployer: Signer,
  options: { owner: string; riskOracle: string; bondWei: bigint; challengeWindowSeconds: number },
): Promise<{ models: ModelRegistry; registry: CreditScoreRegistry }> {
  const models = await deploy<ModelRegistry>('ModelRegistry', deployer, [options.owner]);
  const registry = await deploy<CreditScoreRegistry>('CreditScoreRegistry', deployer, [
    options.owner,
    options.riskOracle,
    await models.getAddress(),
    options.bondWei,
    options.challengeWindowSeconds,
  ]);
  return { models, registry };
}

/** Deploys the RiskSteward for a PoolConfigurator; it still needs Aave's RISK_ADMIN role (a governance action). */
export async function deployRiskSteward(
  deployer: Signer,
  options: { owner: string; riskOracle: string; configurator: string; maxAgeSeconds: number },
): Promise<RiskSteward> {
  return deploy<RiskSteward>('RiskSteward', deployer, [options.owner, options.riskOracle, options.configurator, options.maxAgeSeconds]);
}
