import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../core';

export interface Job {
  name: string;
  /** node-cron expression (six fields allow seconds). */
  schedule: string;
  run(signal: AbortSignal): Promise<void>;
}

export interface Scheduler {
  /** Next planned run per job (for /healthz and the dashboard). */
  nextRuns(): Record<string, string | null>;
  /** Stops scheduling, aborts nothing mid-step: waits for running jobs to finish their current step. */
  stop(): Promise<void>;
}

/**
 * Runs jobs on cron schedules, one execution per job at a time (an overrun skips the tick instead of stacking
 * runs). A failing job is logged and counted, and runs again at its next tick.
 */
export function startScheduler(jobs: Job[], log: Logger, onResult?: (job: string, ok: boolean, seconds: number) => void): Scheduler {
  const controller = new AbortController();
  const running = new Map<string, Promise<void>>();
  const tasks: Array<[Job, ScheduledTask]> = jobs.map((job) => {
    if (!cron.validate(job.schedule)) throw new Error(`job ${job.name}: invalid cron schedule "${job.schedule}"`);
    const task = cron.schedule(
      job.schedule,
      () => {
        if (running.has(job.name) || controller.signal.aborted) return;
        const started = Date.now();
        const execution = job
          .run(controller.signal)
          .then(
            () => onResult?.(job.name, true, (Date.now() - started) / 1000),
            (err: unknown) => {
              log.error({ err, job: job.name }, `job ${job.name} failed`);
              onResult?.(job.name, false, (Date.now() - started) / 1000);
            },
          )
          .finally(() => running.delete(job.name));
        running.set(job.name, execution);
      },
      { name: job.name, noOverlap: false },
    );
    return [job, task];
  });
  return {
    nextRuns: () => Object.fromEntries(tasks.map(([job, task]) => [job.name, task.getNextRun()?.toISOString() ?? null])),
    async stop() {
      controller.abort();
      await Promise.all(tasks.map(([, task]) => task.stop()));
      await Promise.all(running.values());
      await Promise.all(tasks.map(([, task]) => task.destroy()));
    },
  };
}
