import { UserError } from '../../core/errors';
import { MIN_DAYS, MIN_WALLETS, runDemo } from './run';

describe('risk-oracle demo --days and --wallets', () => {
  it('refuses a history too short for the story with a UserError naming the minimum, before starting anything', async () => {
    const run = runDemo({ outDir: '/nonexistent/never-written', days: 20, quiet: true });
    await expect(run).rejects.toThrow(UserError);
    await expect(run).rejects.toThrow(`--days must be at least ${MIN_DAYS}, got 20`);
  });

  it('refuses too few agents for the community snapshot with a UserError naming the minimum, before starting anything', async () => {
    const run = runDemo({ outDir: '/nonexistent/never-written', wallets: 60, quiet: true });
    await expect(run).rejects.toThrow(UserError);
    await expect(run).rejects.toThrow(`--wallets must be at least ${MIN_WALLETS}, got 60`);
  });
});
