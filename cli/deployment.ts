import { readFileSync } from 'node:fs';
import { getAddress, isAddress, type ContractRunner } from 'ethers';
import { z } from 'zod';
import { UserError } from '../core';
import { aaveSeed, type SeedSource } from '../oracle/chain-state';
import type { CommandContext } from './context';

const address = z.string().refine((v) => isAddress(v), 'not an address');

/** The addresses other commands need from a deployment JSON (`chain deploy --out`, `deploymentJson`). */
const deploymentSchema = z.looseObject({
  chainId: z.number().int().positive(),
  block: z.number().int().min(0),
  riskOracle: address,
  riskSteward: address,
  creditScoreRegistry: address,
  modelRegistry: address,
  creditLine: address,
  dao: z.looseObject({ governor: address, timelock: address }).optional(),
  aave: z.looseObject({
    pool: address,
    poolConfigurator: address,
    dataProvider: address,
    reserves: z.array(z.looseObject({ symbol: z.string(), decimals: z.number().int().min(0), address, aggregator: address })),
  }),
});

export type DeploymentAddresses = z.infer<typeof deploymentSchema>;

/** Reads and validates a deployment JSON; an error names the file and the field. */
export function readDeployment(file: string): DeploymentAddresses {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UserError(`deployment ${file}: ${(err as Error).message}`);
  }
  const parsed = deploymentSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError(`deployment ${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

type ContractKey = 'riskOracle' | 'riskSteward' | 'creditScoreRegistry' | 'modelRegistry' | 'creditLine';

/** A contract's address from its flag or, without one, from the configured deployment file (`chain.deployment`). */
export function contractAddress(ctx: CommandContext, key: ContractKey, flag: { name: string; value: string | undefined }): string {
  if (flag.value !== undefined) {
    if (!isAddress(flag.value)) throw new UserError(`${flag.name}: not an address: ${flag.value}`);
    return getAddress(flag.value);
  }
  const file = ctx.config.chain.deployment;
  if (!file) throw new UserError(`${flag.name} is required (or a deployment file: --deployment FILE or chain.deployment in the config)`);
  return getAddress(readDeployment(file)[key]);
}

/** Aave's configuration before an asset's first round, from the deployment's data provider (see `readChainState`). */
export const deploymentSeed = (d: DeploymentAddresses, runner: ContractRunner): SeedSource => aaveSeed(d.aave.dataProvider, runner);
