import { createLogger } from '../core';
import { startScheduler } from './scheduler';

const quiet = createLogger({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('scheduler', () => {
  it('runs jobs on their schedule, never two runs of one job at once, and keeps going after a failure', async () => {
    let active = 0;
    let maxActive = 0;
    let slowRuns = 0;
    let failures = 0;
    const results: Array<[string, boolean]> = [];
    const scheduler = startScheduler(
      [
        {
          name: 'slow',
          schedule: '* * * * * *',
          run: async () => {
            active++;
            maxActive = Math.max(maxActive, active);
            await sleep(1_500);
            active--;
            slowRuns++;
          },
        },
        {
          name: 'flaky',
          schedule: '* * * * * *',
          run: async () => {
            failures++;
            throw new Error('RPC down');
          },
        },
      ],
      quiet,
      (job, ok) => results.push([job, ok]),
    );
    expect(Object.keys(scheduler.nextRuns())).toEqual(['slow', 'flaky']);
    await sleep(3_300);
    await scheduler.stop();
    expect(maxActive).toBe(1);
    expect(slowRuns).toBeGreaterThanOrEqual(1);
    expect(failures).toBeGreaterThanOrEqual(2);
    expect(results.filter(([job, ok]) => job === 'flaky' && !ok).length).toBe(failures);
    // stop() waited for the slow job's current step to finish
    expect(active).toBe(0);
  });

  it('rejects an invalid schedule with the job name', () => {
    expect(() => startScheduler([{ name: 'propose', schedule: 'every minute', run: async () => {} }], quiet)).toThrow(
      'job propose: invalid cron schedule "every minute"',
    );
  });
});
