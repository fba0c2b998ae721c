import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { openReport, screenshotReport } from '../browser';
import { runDemo } from './run';

/**
 * `npm run screenshots [-- REPORT.html]`: the README's pictures of the demo report (docs/img/demo-report-*.png), at
 * desktop width in Debian's headless chromium. Without a report file it runs the demo with its defaults first.
 */
async function main(): Promise<void> {
  const given = process.argv[2];
  const report = given ?? (await runDemo({ outDir: path.resolve('out', 'demo'), databaseUrl: process.env.DATABASE_URL })).report;
  const dir = path.resolve(__dirname, '..', '..', 'docs', 'img');
  mkdirSync(dir, { recursive: true });
  const { browser, page, errors } = await openReport(report);
  try {
    const files = await screenshotReport(page, dir);
    if (errors.length) throw new Error(`the report logged errors in the browser: ${errors.join('; ')}`);
    process.stdout.write(`${files.map((f) => path.relative(process.cwd(), f)).join('\n')}\n`);
  } finally {
    await browser.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`screenshots: ${(err as Error).message}\n`);
  process.exit(1);
});
