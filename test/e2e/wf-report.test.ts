// wf_report.html is a page: the built binary writes it (worker threads from dist/), a real headless
// Chromium renders it with every network request blocked, and the page must load without console
// errors or requests, with data in each chart and one table row per split.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BarStore } from '../../src/core/data/store.js';
import { sessionsBetween } from '../../src/core/market/calendar.js';
import { initHome, json, kobe } from '../helpers/cli.js';
import { universe } from '../unit/backtest/fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const CHARTS = ['equity', 'drawdown', 'monthly'];

if (!fs.existsSync(CHROMIUM)) {
  describe('wf_report.html in a browser', () => {
    it.skip(`renders without errors (SKIPPED: ${CHROMIUM} is not installed; apt-get install -y chromium)`, () => undefined);
  });
} else {
  describe('wf_report.html in headless Chromium', () => {
    let home: string;
    let cleanup: () => void;
    beforeAll(async () => {
      ({ home, cleanup } = initHome());
      const series = universe(8, sessionsBetween('2019-01-02', '2023-12-29'), 5);
      await new BarStore(path.join(home, 'data', 'cache'), () => new Date()).writeMany(series.map((s) => ({ series: s, meta: { source: 'synthetic' as const } })));
      fs.writeFileSync(path.join(home, 'data', 'universe', 'demo.csv'), `symbol\n${series.map((s) => s.symbol).join('\n')}\n`);
    });
    afterAll(() => {
      if (process.env.KOBE_KEEP_REPORT) process.stderr.write(`report kept in ${home}\n`);
      else cleanup();
    });

    it('loads offline with no console errors, no requests, data in every chart and one row per split', async () => {
      const r = kobe(['walk-forward', '--home', home, '--json', '--grid', 'ibs_rsi.ibs_entry=0.05,0.1', '--workers', '2']);
      expect(r.stderr).not.toMatch(/error/i);
      expect(r.code).toBe(0);
      const out = json(r);
      const report: string = out.files.report;
      const splits: number = out.summary.splits.length;
      expect(splits).toBeGreaterThan(5);
      const url = pathToFileURL(report).href;
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
      try {
        const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
        const errors: string[] = [];
        const attempted: string[] = [];
        page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
        page.on('pageerror', (e) => errors.push(String(e)));
        page.on('request', (q) => q.url() !== url && attempted.push(q.url()));
        await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
        await page.goto(url, { waitUntil: 'load' });

        for (const kind of CHARTS) {
          const svg = page.locator(`svg[data-chart="${kind}"]`);
          expect(await svg.count()).toBe(1);
          const points = Number(await svg.getAttribute('data-points'));
          expect(points).toBeGreaterThan(0);
          const box = await svg.boundingBox();
          expect(box!.width).toBeGreaterThan(500);
          expect(box!.height).toBeGreaterThan(100);
          if (kind === 'monthly') expect(await svg.locator('rect').count()).toBe(points);
          else expect(((await svg.locator('path.line').first().getAttribute('d')) ?? '').split('L').length).toBe(points);
        }
        expect(Number(await page.locator('svg[data-chart="equity"]').getAttribute('data-points'))).toBe(out.summary.oos.sessions);
        expect(await page.locator('[data-synthetic="true"]').innerText()).toMatch(/^SYNTHETIC DATA/);
        expect(await page.locator('table.splits tbody tr').count()).toBe(splits);
        expect(await page.locator('table.aggregate tbody tr').count()).toBe(3);
        expect(await page.locator('table.splits tbody tr').first().innerText()).toMatch(/ibs_rsi\.ibs_entry=0\.(05|1)/);

        const shot = path.join(path.dirname(report), 'wf_report.png');
        await page.screenshot({ path: shot, fullPage: true });
        expect(fs.statSync(shot).size).toBeGreaterThan(20_000);
        expect(errors).toEqual([]);
        expect(attempted).toEqual([]);
      } finally {
        await browser.close();
      }
    });
  });
}
