import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describeWithChromium, openReport, screenshotReport, type ReportPage } from '../browser';
import { MIN_DAYS, runDemo, type DemoSummary } from './run';

/**
 * The demo's report as a person sees it: Debian's chromium (playwright-core, launched as the dashboard's test does)
 * opens report.html from a small demo run; every chart is drawn, nothing logs an error, a phone-width screen does
 * not scroll sideways, and the numbers each section shows are the ones the demo returned.
 */
const ARTIFACTS = process.env.RISK_ORACLE_ARTIFACTS;

describeWithChromium('demo report in headless Chromium', reportTests);

/** The text of each cell of a section's first table, row by row. */
const tableOf = (page: Page, section: string, index = 0): Promise<string[][]> =>
  page
    .locator(`section#${section} table`)
    .nth(index)
    .locator('tbody tr')
    .evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')));

function reportTests(): void {
  let summary: DemoSummary;
  let opened: ReportPage;
  let out: string;

  beforeAll(async () => {
    out = mkdtempSync(path.join(tmpdir(), 'ro-demo-report-'));
    summary = await runDemo({
      outDir: out,
      // the shortest history the demo accepts: the whole story must fit in it
      days: MIN_DAYS,
      quiet: true,
      databaseUrl: process.env.DATABASE_URL,
      // enough agents for the community snapshot to hold defaults in its short window (60 gave none)
      wallets: 100,
      trainingWallets: 4_000,
    });
    opened = await openReport(summary.report);
  }, 300_000);
  afterAll(async () => {
    await opened?.browser.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('draws every chart, logs no error, and shows the demo’s own numbers in each section', async () => {
    const { page, errors } = opened;
    expect(await page.title()).toBe('risk-oracle demo');
    const charts = await page.locator('figure[role="img"] svg').evaluateAll((svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        return {
          label: svg.closest('figure')?.getAttribute('aria-label') ?? '',
          width: box.width,
          height: box.height,
          marks: svg.querySelectorAll('path, rect, line, circle, text').length,
        };
      }),
    );
    // prices, parameters, backtest, frontier, scores by type, score histogram, feature drift
    expect(charts.length).toBe(7);
    for (const c of charts) {
      expect(c.width).toBeGreaterThan(100);
      expect(c.height).toBeGreaterThan(100);
      expect(c.marks).toBeGreaterThan(10);
    }
    expect(errors).toEqual([]);

    const figures = Object.fromEntries(
      await page
        .locator('main > .figures .figure')
        .evaluateAll((els) => els.map((e) => [e.querySelector('span')?.textContent ?? '', e.querySelector('b')?.textContent ?? ''])),
    ) as Record<string, string>;
    expect(figures['verify mismatches']).toBe(
      `${summary.verify.mismatches + summary.verify.epochMismatches} of ${summary.verify.checked + summary.verify.scoresChecked}`,
    );
    expect(figures['community models: reproduced, disputed']).toBe('2, 1');
    expect(figures['tampered epoch']).toBe('invalidated');
    // the first screen compares at matched LTV: the model's bad debt read off its frontier at the baseline's mean LTV
    const m = summary.backtest.frontier.matched;
    const matchedLabel = Object.keys(figures).find((k) => k.startsWith("bad debt at the baseline's mean LTV"));
    expect(matchedLabel).toBe(`bad debt at the baseline's mean LTV (${(100 * m.baselineMeanLtv).toFixed(1)} %): model vs baseline`);
    expect(figures[matchedLabel!]).toBe(
      m.modelBadDebtPctAtBaselineLtv === null
        ? 'not reached'
        : `${m.modelBadDebtPctAtBaselineLtv.toFixed(3)} % vs ${m.baselineBadDebtPct.toFixed(3)} % (×${m.badDebtRatio === Number.MAX_VALUE ? '∞' : m.badDebtRatio.toFixed(2)})`,
    );
    const frontier = await tableOf(page, 'frontier');
    expect(frontier.map((r) => r[0]!.split(' ')[0])).toEqual(['all', ...summary.backtest.frontier.classes.map((c) => c.class)]);
    expect(frontier[0]![2]).toBe(figures[matchedLabel!]);

    const community = await tableOf(page, 'community');
    expect(community.map((r) => [r[0], r[3], r[4], r[6]])).toEqual(
      summary.community.submissions.map((s) => [s.name, s.claimedAuc.toFixed(4), s.check.auc.toFixed(4), s.status]),
    );
    expect(community.map((r) => r[6])).toEqual(['active', 'candidate', 'rejected']);

    const shadow = await tableOf(page, 'shadow');
    expect(shadow).toHaveLength(1);
    const r = summary.community.shadow[0]!;
    expect(shadow[0]!.slice(1)).toEqual([
      String(r.wallets),
      r.rankCorrelation.toFixed(4),
      r.meanAbsScoreDiff.toFixed(1),
      String(r.maxAbsScoreDiff),
      `${r.decisionFlips} at ${r.cutoff}`,
      r.meanPd.toFixed(4),
      r.referenceMeanPd.toFixed(4),
    ]);

    const epochs = await tableOf(page, 'epochs');
    expect(epochs.map((e) => [e[0], e[1], e[3], e[5]])).toEqual(
      summary.epochs.map((e) => [String(e.epoch), String(e.wallets), e.root, e.invalidated ? 'invalidated by a challenge' : 'valid']),
    );
    const verify = await tableOf(page, 'verify');
    expect(verify[0]).toEqual(
      [summary.verify.checked, summary.verify.mismatches, summary.verify.scoresChecked, summary.verify.epochMismatches].map(String),
    );
    // the drift section names the thresholds and draws one bar per feature
    const drift = (await page.locator('section#drift p').textContent()) ?? '';
    expect(drift).toContain(`default threshold ${summary.drift.defaultThreshold}`);
    // 60 agents over 50 days are few for a PSI: whether it held or passed, the section says which
    expect(drift).toContain(summary.drift.heldAtDefault ? `threshold of ${summary.drift.threshold}` : 'passed epoch 1 at the default');
    expect(Object.keys(summary.drift.psi)).toHaveLength(25);

    if (ARTIFACTS) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'demo-report-desktop.png'), fullPage: true });
      await screenshotReport(page, ARTIFACTS);
    }
  });

  it('works at phone width: nothing wider than the screen, tables scroll inside their own regions', async () => {
    const { page } = opened;
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await page.locator('section table').count()).toBe(await page.locator('.scroll[role="region"][tabindex="0"] > table').count());
    if (ARTIFACTS) await page.screenshot({ path: path.join(ARTIFACTS, 'demo-report-phone.png'), fullPage: true });
  });
}
