import type { Command } from 'commander';
import { getAddress, isAddress, NonceManager, type ContractRunner, type TransactionReceipt, type Wallet, ZeroHash } from 'ethers';
import { UserError } from '../../core';
import { RiskOracle__factory, RiskSteward__factory, type RiskOracle, type RiskSteward } from '../../contracts/build/types';
import { fallBackState, nextFallBack, type FallBackState, type FallBackStep } from '../../oracle/guardian';
import { loadSigner } from '../../oracle/keys';
import type { CollateralParams } from '../../oracle/guards';
import { commandContext } from '../context';
import { deploymentSeed, type DeploymentAddresses } from '../deployment';
import { keySource, withKeyOptions, type KeyOptions } from '../keys';
import { connectDeployment } from './oracle';

/** The guardian's development key variable (a keystore is the production path, as for signers). */
export const GUARDIAN_KEY_ENV = 'RISK_ORACLE_GUARDIAN_KEY';

interface Asset {
  symbol: string;
  address: string;
}

/**
 * Reserve symbols (case-insensitive) or addresses, each asset once; an address the deployment does not list keeps
 * its address as name.
 */
export function resolveAssets(deployment: DeploymentAddresses, names: string[]): Asset[] {
  const reserves = deployment.aave.reserves;
  const assets = names.map((name): Asset => {
    const lower = name.toLowerCase();
    const known = reserves.find((r) => (isAddress(name) ? r.address.toLowerCase() : r.symbol.toLowerCase()) === lower);
    if (known) return { symbol: known.symbol, address: getAddress(known.address) };
    if (isAddress(name)) return { symbol: getAddress(name), address: getAddress(name) };
    throw new UserError(`${name} is neither an address nor a reserve of the deployment (${reserves.map((r) => r.symbol).join(', ')})`);
  });
  return [...new Map(assets.map((a) => [a.address, a])).values()];
}

const contracts = (deployment: DeploymentAddresses, runner: ContractRunner): { oracle: RiskOracle; steward: RiskSteward } => ({
  oracle: RiskOracle__factory.connect(deployment.riskOracle, runner),
  steward: RiskSteward__factory.connect(deployment.riskSteward, runner),
});

/** Refuses, before any gas is spent, a key that may not pause or fall back (the guardian, or the steward's owner). */
async function checkGuardian(deployment: DeploymentAddresses, runner: ContractRunner, signer: Wallet): Promise<void> {
  const { oracle, steward } = contracts(deployment, runner);
  const [guardian, owner] = await Promise.all([oracle.guardian(), steward.owner()]);
  if (signer.address !== getAddress(guardian) && signer.address !== getAddress(owner))
    throw new UserError(`${signer.address} is neither RiskOracle's guardian (${guardian}) nor the steward's owner (${owner})`);
}

const paramsLine = (p: CollateralParams): string => `ltv ${p.ltv}, threshold ${p.liquidationThreshold}, bonus ${p.liquidationBonus}`;

/** One asset as `guardian status` shows it (the dashboard's guardian section reads the same `fallBackState`). */
export interface GuardianAssetStatus extends Asset, FallBackState {
  /** The oracle's latest round (the steward's applied round, or the one a fall-back recorded, is in `FallBackState`). */
  oracleRound: number;
  /** Whether the oracle's latest round was recorded by a fall-back (zero model id) rather than signed. */
  oracleRoundIsFallBack: boolean;
  aave: CollateralParams;
  /** What a fall-back would do now (see `nextFallBack`). */
  fallBack: FallBackStep;
}

async function assetStatus(deployment: DeploymentAddresses, runner: ContractRunner, asset: Asset): Promise<GuardianAssetStatus> {
  const { oracle, steward } = contracts(deployment, runner);
  const [latest, [modelId], state, aave] = await Promise.all([
    oracle.latest(asset.address),
    oracle.provenance(asset.address),
    fallBackState(steward, asset.address),
    deploymentSeed(deployment, runner)(asset.address),
  ]);
  const oracleRound = Number(latest.round);
  return {
    ...asset,
    oracleRound,
    ...state,
    oracleRoundIsFallBack: latest.round > 0n && modelId === ZeroHash,
    aave,
    fallBack: nextFallBack(oracleRound, state),
  };
}

/** `guardian status`'s line for one asset. */
function statusLine(a: GuardianAssetStatus): string {
  const round = `oracle round ${a.oracleRound}${a.oracleRoundIsFallBack ? ' (recorded by a fall-back)' : ''}, applied ${a.appliedRound}`;
  const next =
    a.fallBack === 'skip'
      ? `a fall-back skips round ${a.oracleRound} (published, not applied), Aave kept as it is`
      : a.fallBack === 'restore'
        ? `a fall-back undoes round ${a.previous!.round}: ${paramsLine(a.previous!)}`
        : 'nothing to fall back to';
  return `${a.symbol.padEnd(5)} ${round}; Aave ${paramsLine(a.aave)}; ${next}`;
}

/** The RiskOracle round a fall-back transaction recorded (its `FallBackRecorded`). */
function recordedRoundOf(receipt: TransactionReceipt): number {
  const iface = RiskOracle__factory.createInterface();
  const event = receipt.logs.map((l) => iface.parseLog(l)).find((e) => e?.name === 'FallBackRecorded');
  if (!event) throw new Error(`fall-back ${receipt.hash} recorded nothing in RiskOracle`);
  return Number(event.args.round);
}

export function registerGuardian(program: Command): void {
  const guardian = program
    .command('guardian')
    .description(
      "RiskOracle's guardian: pause publishing, and while paused fall back: skip an asset's unapplied round or give Aave back the parameters it had before its last applied one",
    );

  withKeyOptions(guardian.command('pause'), 'guardian', GUARDIAN_KEY_ENV)
    .description('stop RiskOracle publishing (and so the steward applying); only the DAO resumes it')
    .action(async (opts: KeyOptions, command: Command) => {
      const ctx = commandContext(command);
      const { deployment, provider } = await connectDeployment(ctx, 'guardian pause');
      try {
        const signer = await loadSigner(keySource(opts, GUARDIAN_KEY_ENV), provider);
        await checkGuardian(deployment, provider, signer);
        const { oracle } = contracts(deployment, signer);
        if (await oracle.paused()) {
          ctx.print(`RiskOracle ${deployment.riskOracle} is already paused: nothing sent`, { paused: true, submitted: false });
          return;
        }
        const receipt = (await (await oracle.pause()).wait())!;
        ctx.print(`paused RiskOracle ${deployment.riskOracle} in ${receipt.hash} (${receipt.gasUsed} gas); the DAO unpauses`, {
          paused: true,
          submitted: true,
          by: signer.address,
          txHash: receipt.hash,
          gasUsed: Number(receipt.gasUsed),
        });
      } finally {
        provider.destroy();
      }
    });

  withKeyOptions(guardian.command('fall-back').argument('<assets...>', 'reserve symbols or addresses'), 'guardian', GUARDIAN_KEY_ENV)
    .description(
      "while RiskOracle is paused, one step back per asset: skip the oracle's round if it was published but not applied (Aave untouched), else give Aave back the parameters it had before the steward's last applied round; RiskOracle then holds what Aave has, and the next signed round applies normally",
    )
    .action(async (names: string[], opts: KeyOptions, command: Command) => {
      const ctx = commandContext(command);
      const { deployment, provider } = await connectDeployment(ctx, 'guardian fall-back');
      try {
        const assets = resolveAssets(deployment, names);
        const signer = await loadSigner(keySource(opts, GUARDIAN_KEY_ENV), provider);
        await checkGuardian(deployment, provider, signer);
        // everything checked before the first transaction: either every asset falls back or none does
        const { oracle } = contracts(deployment, provider);
        if (!(await oracle.paused()))
          throw new UserError(`RiskOracle ${deployment.riskOracle} is not paused: run risk-oracle guardian pause first`);
        const recorder = getAddress(await oracle.steward());
        if (recorder !== getAddress(deployment.riskSteward))
          throw new UserError(
            `RiskOracle's steward is ${recorder}, not the deployment's RiskSteward ${deployment.riskSteward}: the DAO must call RiskOracle.setSteward first`,
          );
        const before = await Promise.all(assets.map((a) => assetStatus(deployment, provider, a)));
        const nothing = before.filter((s) => s.fallBack === null);
        if (nothing.length > 0)
          throw new UserError(
            `nothing to fall back for ${nothing.map((s) => `${s.symbol} (oracle round ${s.oracleRound} is applied)`).join(', ')}: no unapplied round to skip and no applied round left to undo since the deployment or the last fall-back`,
          );
        // several transactions in a row: count nonces locally
        const { steward } = contracts(deployment, new NonceManager(signer));
        const restored = [];
        const skipped = [];
        for (const s of before) {
          const receipt = (await (await steward.fallBack(s.address)).wait())!;
          const sent = {
            symbol: s.symbol,
            address: s.address,
            recordedRound: recordedRoundOf(receipt),
            txHash: receipt.hash,
            gasUsed: Number(receipt.gasUsed),
          };
          if (s.fallBack === 'skip') skipped.push({ ...sent, round: s.oracleRound, ...s.aave });
          else restored.push({ ...sent, ...s.previous! });
        }
        ctx.print(
          [
            ...skipped.map(
              (r) =>
                `${r.symbol}: skipped round ${r.round} (published, never applied), Aave kept ${paramsLine(r)}; RiskOracle round ${r.recordedRound} holds it (${r.txHash}, ${r.gasUsed} gas)`,
            ),
            ...restored.map(
              (r) =>
                `${r.symbol}: undid round ${r.round}, Aave back to ${paramsLine(r)}; RiskOracle round ${r.recordedRound} holds it (${r.txHash}, ${r.gasUsed} gas)`,
            ),
          ].join('\n'),
          { by: signer.address, restored, skipped },
        );
      } finally {
        provider.destroy();
      }
    });

  guardian
    .command('status')
    .description(
      "whether RiskOracle is paused, and per reserve: the oracle's round (and whether a fall-back recorded it), the applied round, Aave's parameters and what a fall-back would do",
    )
    .action(async (_opts: unknown, command: Command) => {
      const ctx = commandContext(command);
      const { deployment, provider } = await connectDeployment(ctx, 'guardian status');
      try {
        const { oracle } = contracts(deployment, provider);
        const [paused, guardianAddress] = await Promise.all([oracle.paused(), oracle.guardian()]);
        const assets = await Promise.all(
          deployment.aave.reserves.map((r) => assetStatus(deployment, provider, { symbol: r.symbol, address: getAddress(r.address) })),
        );
        ctx.print(
          [
            `RiskOracle ${deployment.riskOracle}: ${paused ? 'PAUSED' : 'publishing'}; guardian ${guardianAddress}`,
            ...assets.map(statusLine),
          ].join('\n'),
          { paused, guardian: guardianAddress, assets },
        );
      } finally {
        provider.destroy();
      }
    });
}
