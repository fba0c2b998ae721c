import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { UserError, type Database } from '../../core';
import {
  anyEvaluationReportHtml,
  canonicalJson,
  createCollateralSnapshot,
  createCreditSnapshot,
  evaluateArtifact,
  loadSnapshot,
  parseDuration,
  readSnapshot,
  snapshotJson,
  storeSnapshot,
  type AnyEvaluation,
  type AnySnapshot,
} from '../../models';
import { commandContext, withDatabase, type CommandContext } from '../context';
import { createStepReporter } from '../progress';
import { dataChainId, wholeFlag } from './chain-id';
import { checkedModel, evaluationHeadline } from './model-artifact';

const DAY = 86_400;

interface SnapshotFlags {
  kind: string;
  at: string;
  out: string;
  name?: string;
  horizonDays?: string;
  everyDays: string;
  minHistoryDays: string;
  chainId?: string;
  store: boolean;
  step: string;
  horizon: string;
  sampleEvery: string;
  reference?: string;
}

interface EvaluateFlags {
  artifact: string;
  snapshot: string;
  out?: string;
  report?: string;
}

/** Wraps a module error as a UserError that names the command (bad input, not a crash). */
const asUserError =
  (what: string) =>
  (err: unknown): never => {
    if (err instanceof UserError) throw err;
    throw new UserError(`${what}: ${(err as Error).message}`, { cause: err });
  };

/** `latest`: the highest block with indexed lending events (credit) or indexed prices (collateral). */
async function resolveBlock(db: Kysely<Database>, chainId: number, at: string, table: 'lending_events' | 'price_points'): Promise<number> {
  if (at !== 'latest') return wholeFlag(at, '--at', 0)!;
  const row = await db
    .selectFrom(table)
    .where('chain_id', '=', chainId)
    .select((eb) => eb.fn.max('block_number').as('b'))
    .executeTakeFirst();
  if (row?.b === null || row?.b === undefined)
    throw new UserError(`no ${table === 'price_points' ? 'indexed prices' : 'lending events'} on chain ${chainId}`);
  return Number(row.b);
}

/** A snapshot from a file, or from the database by its id. */
async function openSnapshot(ctx: CommandContext, ref: string): Promise<{ snapshot: AnySnapshot; id: string }> {
  if (/^0x[0-9a-fA-F]{64}$/.test(ref)) {
    const id = ref.toLowerCase();
    return withDatabase(ctx, async (h) => ({ snapshot: await loadSnapshot(h.db, id).catch(asUserError('evaluate --snapshot')), id }));
  }
  try {
    return readSnapshot(ref);
  } catch (err) {
    throw new UserError((err as Error).message, { cause: err });
  }
}

function buildCredit(db: Kysely<Database>, chainId: number, block: number, opts: SnapshotFlags, ctx: CommandContext) {
  const horizonDays = wholeFlag(opts.horizonDays, '--horizon-days') ?? ctx.config.models.horizonDays;
  return createCreditSnapshot(db, chainId, {
    block,
    horizonSeconds: horizonDays * DAY,
    everyDays: wholeFlag(opts.everyDays, '--every-days')!,
    minHistoryDays: wholeFlag(opts.minHistoryDays, '--min-history-days', 0)!,
    ...(opts.name ? { name: opts.name } : {}),
  });
}

function buildCollateral(db: Kysely<Database>, chainId: number, block: number, opts: SnapshotFlags) {
  const stepSeconds = parseDuration(opts.step);
  if (!Number.isInteger(stepSeconds)) throw new UserError(`--step must be a whole number of seconds, got ${opts.step}`);
  return createCollateralSnapshot(db, chainId, {
    block,
    stepSeconds,
    horizonSteps: Math.max(1, Math.round(parseDuration(opts.horizon) / stepSeconds)),
    sampleEvery: wholeFlag(opts.sampleEvery, '--sample-every')!,
    ...(opts.reference ? { referenceAsset: opts.reference } : {}),
    ...(opts.name ? { name: opts.name } : {}),
  });
}

export function registerEvaluate(program: Command): void {
  const snapshot = program.command('snapshot').description('public evaluation snapshots: feature rows and labels frozen at a block');
  snapshot
    .command('create')
    .description(
      'build a credit snapshot (indexed lending history) or a collateral snapshot (indexed prices) up to a block; write it (canonical JSON, id = keccak256) and store it',
    )
    .requiredOption('--at <block>', 'the block the data stops at (a number, or latest)')
    .requiredOption('--out <file>', 'snapshot file to write')
    .option('--kind <kind>', 'credit or collateral', 'credit')
    .option('--name <name>', 'a name for people (default: <kind>-<chain>-<block>-h<horizon>)')
    .option('--horizon-days <n>', 'credit: label horizon (default: models.horizonDays)')
    .option('--every-days <n>', 'credit: days between observation times', '7')
    .option('--min-history-days <n>', 'credit: days of history before the first observation', '30')
    .option('--step <duration>', 'collateral: grid step (the model’s)', '1h')
    .option('--horizon <duration>', 'collateral: liquidation horizon of the labels', '24h')
    .option('--sample-every <n>', 'collateral: a row every n grid steps per asset', '6')
    .option('--reference <symbol>', 'collateral: the ETH-like reference asset (default: the one asset of kind eth)')
    .option('--chain-id <n>', 'the chain whose indexed data to use (default: the only one in the database)')
    .option('--no-store', 'do not store it in the database')
    .action(async (opts: SnapshotFlags, command: Command) => {
      const ctx = commandContext(command);
      const progress = createStepReporter({ quiet: ctx.json });
      if (opts.kind !== 'credit' && opts.kind !== 'collateral')
        throw new UserError(`--kind must be credit or collateral, got ${JSON.stringify(opts.kind)}`);
      const kind = opts.kind;
      const { snap, id } = await withDatabase(ctx, async (h) => {
        const chainId = await dataChainId(h.db, wholeFlag(opts.chainId, '--chain-id') ?? ctx.config.chain.chainId);
        const block = await resolveBlock(h.db, chainId, opts.at, kind === 'credit' ? 'lending_events' : 'price_points');
        const build = (): Promise<AnySnapshot> =>
          kind === 'credit' ? buildCredit(h.db, chainId, block, opts, ctx) : buildCollateral(h.db, chainId, block, opts);
        const built = await progress.step(`building the ${kind} snapshot of chain ${chainId} at block ${block}`, () =>
          build().catch(asUserError('snapshot create')),
        );
        return { snap: built, id: opts.store ? await storeSnapshot(h.db, built) : undefined };
      });
      const out = path.resolve(opts.out);
      const json = snapshotJson(snap);
      writeFileSync(out, `${json}\n`);
      const { rows: _rows, ...header } = snap;
      const machine = snap.kind === 'collateral' ? { ...header, assets: snap.assets.map((a) => a.symbol) } : header;
      const first = snap.rows[0]!.t;
      const last = snap.rows[snap.rows.length - 1]!.t;
      const day = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);
      ctx.print(
        [
          snap.kind === 'credit'
            ? `snapshot ${snap.name}: ${snap.count} rows (${snap.positives} defaults) of chain ${snap.chainId} up to block ${snap.block}`
            : `snapshot ${snap.name}: ${snap.count} rows of ${snap.assets.map((a) => a.symbol).join(', ')} on chain ${snap.chainId} up to block ${snap.block}`,
          `observations ${day(first)} … ${day(last)}, horizon ${snap.kind === 'credit' ? `${snap.horizonSeconds / DAY} days` : `${snap.horizonSteps} steps of ${snap.stepSeconds} s`}`,
          `id ${id ?? '(not stored)'}; rows root ${snap.merkleRoot}`,
          `wrote ${out}`,
        ].join('\n'),
        { ...machine, id: id ?? null, file: out },
      );
    });

  snapshot
    .command('list')
    .description('the snapshots stored in the database')
    .action(async (_opts: object, command: Command) => {
      const ctx = commandContext(command);
      const rows = await withDatabase(ctx, (h) =>
        h.db
          .selectFrom('feature_snapshots')
          .select(['id', 'kind', 'chain_id', 'block_number', 'row_count', 'header'])
          .orderBy('created_at')
          .orderBy('id')
          .execute(),
      );
      const list = rows.map((r) => ({
        id: r.id,
        kind: r.kind,
        name: typeof r.header?.name === 'string' ? r.header.name : null,
        chainId: r.chain_id,
        block: r.block_number,
        rows: r.row_count,
      }));
      ctx.print(
        list.length
          ? list.map((s) => `${s.id} ${s.kind} ${s.name ?? '-'} chain ${s.chainId} block ${s.block}, ${s.rows} rows`).join('\n')
          : 'no snapshots stored',
        {
          snapshots: list,
        },
      );
    });

  program
    .command('evaluate')
    .description('evaluate a credit or collateral artifact on a snapshot of its kind: the same numbers for anyone with the same two files')
    .requiredOption('--artifact <file>', 'credit or collateral model artifact')
    .requiredOption('--snapshot <file|id>', 'snapshot file, or the id of one stored in the database')
    .option('--out <file>', 'write the evaluation as JSON (canonical)')
    .option('--report <file>', 'write a short HTML page with the charts')
    .action(async (opts: EvaluateFlags, command: Command) => {
      const ctx = commandContext(command);
      const { artifact, modelId } = checkedModel(opts.artifact);
      const { snapshot: snap, id: snapshotId } = await openSnapshot(ctx, opts.snapshot);
      let evaluation: AnyEvaluation;
      try {
        evaluation = evaluateArtifact(artifact, { modelId, snapshotId }, snap);
      } catch (err) {
        throw new UserError(`evaluate ${opts.artifact} on ${opts.snapshot}: ${(err as Error).message}`, { cause: err });
      }
      const written: string[] = [];
      if (opts.out) {
        const file = path.resolve(opts.out);
        writeFileSync(file, `${canonicalJson(evaluation)}\n`);
        written.push(file);
      }
      if (opts.report) {
        const file = path.resolve(opts.report);
        writeFileSync(file, await anyEvaluationReportHtml(evaluation));
        written.push(file);
      }
      const lines =
        evaluation.kind === 'credit'
          ? [
              `model ${modelId} on snapshot ${snap.name} (${snapshotId}): ${snap.count} rows, ${evaluation.snapshot.positives} defaults`,
              `ROC-AUC ${evaluation.model.rocAuc.toFixed(4)} (baseline ${evaluation.baseline.rocAuc.toFixed(4)}), PR-AUC ${evaluation.model.prAuc.toFixed(4)}, KS ${evaluation.model.ks.toFixed(4)}, Brier ${evaluation.model.brier.toFixed(4)}, ECE ${evaluation.model.ece.toFixed(4)}`,
              `${evaluation.outOfTimeRows} rows at or after the model's test start${evaluation.horizonMismatch ? '; the model was trained for another horizon' : ''}`,
            ]
          : [
              `collateral model ${modelId} on snapshot ${snap.name} (${snapshotId}): ${snap.count} rows of ${evaluation.snapshot.assets.join(', ')}`,
              evaluationHeadline(evaluation),
              ...(evaluation.horizonMismatch ? ['the model was trained for another horizon than the snapshot labels'] : []),
            ];
      ctx.print([...lines, ...written.map((f) => `wrote ${f}`)].join('\n'), evaluation);
    });
}
