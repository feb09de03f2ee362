// Reports are pages: open one in Debian's headless Chromium with every request but the page
// itself aborted, and collect console errors and attempted requests.
import { expect } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { BarStore } from '../../src/core/data/store.js';
import { sessionsBetween } from '../../src/core/market/calendar.js';
import { universe } from '../unit/backtest/fixtures.js';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const CHARTS = ['equity', 'drawdown', 'monthly'];
export const haveChromium = fs.existsSync(CHROMIUM);

/** Eight synthetic symbols over 2019-2023 in the home's store, listed in its universe. */
export async function seedReportUniverse(home: string): Promise<void> {
  const series = universe(8, sessionsBetween('2019-01-02', '2023-12-29'), 5);
  await new BarStore(path.join(home, 'data', 'cache'), () => new Date()).writeMany(series.map((s) => ({ series: s, meta: { source: 'synthetic' as const } })));
  fs.writeFileSync(path.join(home, 'data', 'universe', 'demo.csv'), `symbol\n${series.map((s) => s.symbol).join('\n')}\n`);
}

/** Open `file` offline, run `check`, screenshot to `shot`; no console error, no request allowed. */
export async function withReportPage(file: string, shot: string, check: (page: Page) => Promise<void>): Promise<void> {
  const url = pathToFileURL(file).href;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    const attempted: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('requestfailed', (q) => q.url() !== url && attempted.push(`failed: ${q.url()}`));
    page.on('request', (q) => q.url() !== url && attempted.push(q.url()));
    await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
    await page.goto(url, { waitUntil: 'load' });
    await check(page);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: shot, fullPage: true });
    expect(fs.statSync(shot).size).toBeGreaterThan(20_000);
    expect(errors).toEqual([]);
    expect(attempted).toEqual([]);
  } finally {
    await browser.close();
  }
}

/** Every chart element exists, is drawn at a usable size, and carries as many marks as data points. */
export async function expectChartsWithData(page: Page): Promise<void> {
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
}
