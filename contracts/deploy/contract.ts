import { ContractFactory, type Signer } from 'ethers';
import { artifact } from '../compile';

/** Deploys one of our compiled contracts by name and waits for it; `T` is its typechain binding. */
export async function deployContract<T>(name: string, deployer: Signer, args: unknown[] = []): Promise<T> {
  const { abi, bytecode } = await artifact(name);
  const contract = await new ContractFactory(abi as never[], bytecode, deployer).deploy(...args);
  await contract.waitForDeployment();
  return contract as unknown as T;
}
