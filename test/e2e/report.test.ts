// report.html is a page: the built binary writes it, a real headless Chromium renders it with every
// network request blocked, and the page must load without console errors or requests, with data
// in each chart. Screenshots land next to the report (reports/backtest/<run>/report.png).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { CHROMIUM, expectChartsWithData, haveChromium, seedReportUniverse, withReportPage } from '../helpers/browser.js';
import { initHome, json, kobe } from '../helpers/cli.js';

if (!haveChromium) {
  describe('report.html in a browser', () => {
    it.skip(`renders without errors (SKIPPED: ${CHROMIUM} is not installed; apt-get install -y chromium)`, () => undefined);
  });
} else {
  describe('report.html in headless Chromium', () => {
    let home: string;
    let cleanup: () => void;
    beforeAll(async () => {
      ({ home, cleanup } = initHome());
      await seedReportUniverse(home);
    });
    afterAll(() => {
      if (process.env.KOBE_KEEP_REPORT) process.stderr.write(`report kept in ${home}\n`);
      else cleanup();
    });

    it.each([
      ['portfolio', []],
      ['per-signal', ['--per-signal']],
    ])('%s report: loads offline with no console errors, no requests, and data in every chart', async (_mode, flags) => {
      const r = kobe(['backtest', '--home', home, '--json', ...flags]);
      expect(r.stderr).not.toMatch(/error/i);
      expect(r.code).toBe(0);
      const report: string = json(r).files.report;
      await withReportPage(report, path.join(path.dirname(report), 'report.png'), async (page) => {
        await expectChartsWithData(page);
        expect(await page.locator('[data-synthetic="true"]').innerText()).toMatch(/^SYNTHETIC DATA/);
        expect(await page.locator('table.metrics tbody tr').count()).toBeGreaterThan(5);
        expect(await page.locator('table.exits tbody tr').count()).toBe(5);
        // The hover read-out works (and throws nothing).
        const eq = await page.locator('svg[data-chart="equity"]').boundingBox();
        await page.mouse.move(eq!.x + eq!.width * 0.6, eq!.y + eq!.height / 2);
        expect(await page.locator('[data-readout="equity"]').innerText()).toMatch(/^\d{4}-\d{2}-\d{2}\s+-?\$[\d,]+\.\d{2}$/);
      });
    });
  });
}
