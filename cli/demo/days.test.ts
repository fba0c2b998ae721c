import { UserError } from '../../core/errors';
import { MIN_DAYS, runDemo } from './run';

describe('risk-oracle demo --days', () => {
  it('refuses a history too short for the story with a UserError naming the minimum, before starting anything', async () => {
    const run = runDemo({ outDir: '/nonexistent/never-written', days: 20, quiet: true });
    await expect(run).rejects.toThrow(UserError);
    await expect(run).rejects.toThrow(`--days must be at least ${MIN_DAYS}, got 20`);
  });
});
