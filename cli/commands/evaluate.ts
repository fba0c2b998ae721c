import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { UserError, type Database } from '../../core';
import {
  canonicalJson,
  createCreditSnapshot,
  evaluateCredit,
  evaluationReportHtml,
  loadSnapshot,
  readSnapshot,
  snapshotJson,
  storeSnapshot,
  type EvaluationSnapshot,
} from '../../models';
import { commandContext, withDatabase, type CommandContext } from '../context';
import { createStepReporter } from '../progress';
import { dataChainId, wholeFlag } from './chain-id';
import { loadArtifact } from './score';

const DAY = 86_400;

interface SnapshotFlags {
  at: string;
  out: string;
  name?: string;
  horizonDays?: string;
  everyDays: string;
  minHistoryDays: string;
  chainId?: string;
  store: boolean;
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

/** `latest`: the highest block with indexed lending events. */
async function resolveBlock(db: Kysely<Database>, chainId: number, at: string): Promise<number> {
  if (at !== 'latest') return wholeFlag(at, '--at', 0)!;
  const row = await db
    .selectFrom('lending_events')
    .where('chain_id', '=', chainId)
    .select((eb) => eb.fn.max('block_number').as('b'))
    .executeTakeFirst();
  if (row?.b === null || row?.b === undefined) throw new UserError(`no lending events on chain ${chainId}`);
  return Number(row.b);
}

/** A snapshot from a file, or from the database by its id. */
async function openSnapshot(ctx: CommandContext, ref: string): Promise<{ snapshot: EvaluationSnapshot; id: string }> {
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

export function registerEvaluate(program: Command): void {
  const snapshot = program.command('snapshot').description('public evaluation snapshots: feature rows and labels frozen at a block');
  snapshot
    .command('create')
    .description('build a credit snapshot from indexed data up to a block; write it (canonical JSON, id = keccak256) and store it')
    .requiredOption('--at <block>', 'the block the data stops at (a number, or latest)')
    .requiredOption('--out <file>', 'snapshot file to write')
    .option('--name <name>', 'a name for people (default: credit-<chain>-<block>-h<horizon>d)')
    .option('--horizon-days <n>', 'label horizon (default: models.horizonDays)')
    .option('--every-days <n>', 'days between observation times', '7')
    .option('--min-history-days <n>', 'days of history before the first observation', '30')
    .option('--chain-id <n>', 'the chain whose indexed data to use (default: the only one in the database)')
    .option('--no-store', 'do not store it in the database')
    .action(async (opts: SnapshotFlags, command: Command) => {
      const ctx = commandContext(command);
      const progress = createStepReporter({ quiet: ctx.json });
      const horizonDays = wholeFlag(opts.horizonDays, '--horizon-days') ?? ctx.config.models.horizonDays;
      const everyDays = wholeFlag(opts.everyDays, '--every-days')!;
      const minHistoryDays = wholeFlag(opts.minHistoryDays, '--min-history-days', 0)!;
      const { snap, id } = await withDatabase(ctx, async (h) => {
        const chainId = await dataChainId(h.db, wholeFlag(opts.chainId, '--chain-id') ?? ctx.config.chain.chainId);
        const block = await resolveBlock(h.db, chainId, opts.at);
        const built = await progress.step(`building the credit snapshot of chain ${chainId} at block ${block}`, () =>
          createCreditSnapshot(h.db, chainId, {
            block,
            horizonSeconds: horizonDays * DAY,
            everyDays,
            minHistoryDays,
            ...(opts.name ? { name: opts.name } : {}),
          }).catch(asUserError('snapshot create')),
        );
        return { snap: built, id: opts.store ? await storeSnapshot(h.db, built) : undefined };
      });
      const out = path.resolve(opts.out);
      const json = snapshotJson(snap);
      writeFileSync(out, `${json}\n`);
      const { rows: _rows, ...header } = snap;
      const first = snap.rows[0]!.t;
      const last = snap.rows[snap.rows.length - 1]!.t;
      ctx.print(
        [
          `snapshot ${snap.name}: ${snap.count} rows (${snap.positives} defaults) of chain ${snap.chainId} up to block ${snap.block}`,
          `observations ${new Date(first * 1000).toISOString().slice(0, 10)} … ${new Date(last * 1000).toISOString().slice(0, 10)}, horizon ${horizonDays} days`,
          `id ${id ?? '(not stored)'}; rows root ${snap.merkleRoot}`,
          `wrote ${out}`,
        ].join('\n'),
        { ...header, id: id ?? null, file: out },
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
    .description('evaluate a credit artifact on a snapshot: the same numbers for anyone with the same two files')
    .requiredOption('--artifact <file>', 'credit model artifact')
    .requiredOption('--snapshot <file|id>', 'snapshot file, or the id of one stored in the database')
    .option('--out <file>', 'write the evaluation as JSON (canonical)')
    .option('--report <file>', 'write a short HTML page with the charts')
    .action(async (opts: EvaluateFlags, command: Command) => {
      const ctx = commandContext(command);
      const { artifact, modelId } = loadArtifact(opts.artifact);
      const { snapshot: snap, id: snapshotId } = await openSnapshot(ctx, opts.snapshot);
      let evaluation: ReturnType<typeof evaluateCredit>;
      try {
        evaluation = evaluateCredit(artifact, { modelId, snapshotId }, snap);
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
        writeFileSync(file, await evaluationReportHtml(evaluation));
        written.push(file);
      }
      const m = evaluation.model;
      const b = evaluation.baseline;
      ctx.print(
        [
          `model ${modelId} on snapshot ${snap.name} (${snapshotId}): ${snap.count} rows, ${snap.positives} defaults`,
          `ROC-AUC ${m.rocAuc.toFixed(4)} (baseline ${b.rocAuc.toFixed(4)}), PR-AUC ${m.prAuc.toFixed(4)}, KS ${m.ks.toFixed(4)}, Brier ${m.brier.toFixed(4)}, ECE ${m.ece.toFixed(4)}`,
          `${evaluation.outOfTimeRows} rows at or after the model's test start${evaluation.horizonMismatch ? '; the model was trained for another horizon' : ''}`,
          ...written.map((f) => `wrote ${f}`),
        ].join('\n'),
        evaluation,
      );
    });
}
