import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Debian's chromium driven by playwright-core, one launch for every browser check: the dashboard's test, the demo
 * report's test and `npm run screenshots`.
 */
export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

export const hasChromium = (): boolean => existsSync(CHROMIUM);

/**
 * `describe(name, tests)` where Debian's chromium is installed. Without it CI fails loudly (a browser test must
 * run there); elsewhere the suite is skipped with a warning naming what to install.
 */
export function describeWithChromium(name: string, tests: () => void): void {
  if (hasChromium()) return describe(name, tests);
  const why = `${CHROMIUM} is missing: install it (apt-get install -y chromium) to run "${name}"`;
  if (process.env.CI) return describe(name, () => it('has a browser', () => expect(why).toBe('chromium installed')));
  console.warn(`SKIPPED: ${why}`);
  describe.skip(name, () => it('skipped', () => undefined));
}

/** Launches headless chromium with a fresh profile; the caller closes it. */
export async function launchChromium(): Promise<Browser> {
  if (!hasChromium()) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

export interface ReportPage {
  browser: Browser;
  page: Page;
  /** Console errors and uncaught page errors seen since the page opened. */
  errors: string[];
}

/** Opens a report file at desktop width (a fresh profile each launch); the caller closes `browser`. */
export async function openReport(file: string, viewport = { width: 1280, height: 900 }): Promise<ReportPage> {
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pathToFileURL(path.resolve(file)).href);
  return { browser, page, errors };
}

/** The README's pictures of the report: section ids to capture, in order, with their file names. */
export const README_SHOTS = [
  { name: 'demo-report-overview.png', selector: 'main > .figures', also: '#prices' },
  { name: 'demo-report-community.png', selector: '#community', also: '#shadow' },
  { name: 'demo-report-drift.png', selector: '#drift' },
] as const;

/**
 * PNG screenshots of parts of the report at desktop width: each shot covers its element (and the next one named by
 * `also`), so a reader sees a whole section. Returns the files written.
 */
export async function screenshotReport(page: Page, dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const shot of README_SHOTS) {
    const first = await page.locator(shot.selector).first().boundingBox();
    if (!first) throw new Error(`the report has no ${shot.selector} to photograph`);
    const second = 'also' in shot ? await page.locator(shot.also).first().boundingBox() : null;
    const bottom = Math.max(first.y + first.height, second ? second.y + second.height : 0);
    const file = path.join(dir, shot.name);
    await page.screenshot({
      path: file,
      fullPage: true,
      clip: { x: Math.max(0, first.x - 12), y: Math.max(0, first.y - 12), width: first.width + 24, height: bottom - first.y + 24 },
    });
    files.push(file);
  }
  return files;
}
