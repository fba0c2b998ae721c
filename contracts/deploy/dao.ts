import { id, parseEther, ZeroAddress, type JsonRpcProvider, type Signer } from 'ethers';
import { deployContract as deploy } from './contract';
import type { RiskGovernor, RiskTimelock, RiskToken } from '../build/types';

export interface Dao {
  token: RiskToken;
  timelock: RiskTimelock;
  governor: RiskGovernor;
}

export interface DaoOptions {
  /** Blocks between proposal and vote. Default 1. */
  votingDelay?: number;
  /** Blocks the vote lasts. Default 10. */
  votingPeriod?: number;
  /** Percent of supply that must vote. Default 4. */
  quorumPercent?: number;
  /** Seconds a passed proposal waits in the timelock. Default 60. */
  timelockDelay?: number;
}

/**
 * The DAO: an ERC20Votes token (all minted to the deployer, who delegates to itself), a TimelockController whose
 * only proposer is the Governor and whose executor is anyone, and the Governor. The deployer's timelock admin role
 * is renounced: from here on only proposals change what the timelock owns.
 */
export async function deployDao(deployer: Signer, options: DaoOptions = {}): Promise<Dao> {
  const me = await deployer.getAddress();
  const token = await deploy<RiskToken>('RiskToken', deployer, [me, parseEther('1000000')]);
  await (await token.delegate(me)).wait();
  const timelock = await deploy<RiskTimelock>('RiskTimelock', deployer, [options.timelockDelay ?? 60, [], [ZeroAddress], me]);
  const governor = await deploy<RiskGovernor>('RiskGovernor', deployer, [
    await token.getAddress(),
    await timelock.getAddress(),
    options.votingDelay ?? 1,
    options.votingPeriod ?? 10,
    options.quorumPercent ?? 4,
  ]);
  const g = await governor.getAddress();
  await (await timelock.grantRole(await timelock.PROPOSER_ROLE(), g)).wait();
  await (await timelock.grantRole(await timelock.CANCELLER_ROLE(), g)).wait();
  await (await timelock.renounceRole(await timelock.DEFAULT_ADMIN_ROLE(), me)).wait();
  return { token, timelock, governor };
}

export interface Call {
  target: string;
  data: string;
}

async function mine(provider: JsonRpcProvider, blocks: number): Promise<void> {
  await provider.send('anvil_mine', [`0x${blocks.toString(16)}`]);
}

/**
 * A proposal's whole life on a local chain: propose → (voting delay) → vote for → (voting period) → queue →
 * (timelock delay) → execute. Returns the proposal id. The voter must hold enough delegated votes.
 */
export async function passProposal(
  dao: Dao,
  provider: JsonRpcProvider,
  voter: Signer,
  calls: Call[],
  description: string,
): Promise<bigint> {
  const governor = dao.governor.connect(voter);
  const targets = calls.map((c) => c.target);
  const values = calls.map(() => 0n);
  const datas = calls.map((c) => c.data);
  await (await governor.propose(targets, values, datas, description)).wait();
  const proposalId = await governor.hashProposal(targets, values, datas, id(description));
  await mine(provider, Number(await governor.votingDelay()) + 1);
  await (await governor.castVote(proposalId, 1)).wait();
  await mine(provider, Number(await governor.votingPeriod()) + 1);
  await (await governor.queue(targets, values, datas, id(description))).wait();
  await provider.send('evm_increaseTime', [Number(await dao.timelock.getMinDelay()) + 1]);
  await mine(provider, 1);
  await (await governor.execute(targets, values, datas, id(description))).wait();
  return proposalId;
}
