import { describe, expect, test } from '@jest/globals';
import { newCurve } from '../../../src/core/backtest/curve.js';
import { runBacktest } from '../../../src/core/backtest/engine.js';
import { buildSummary, equityCurveCsv, fixed, monthlyReturns, sparkline, tradeListCsv } from '../../../src/core/backtest/format.js';
import { renderReportHtml } from '../../../src/core/backtest/report.js';
import { dayNumber } from '../../../src/core/strategy/bars.js';
import { IBS_BAR, P, SESSIONS, flat, series, settings } from './fixtures.js';

const s = series('AAA', [...flat(6), IBS_BAR, { o: 101, h: 101.5, l: 100.8, c: 101.2 }, { o: 101.2, h: 102, l: 101, c: 101.9 }]);
const inputs = { universe: 'data/universe/x.csv', cap: 10, symbols_requested: 2, start: null, end: null, params: { version: 'test-small', sha256: 'ab'.repeat(32), file: 'p.json', pinned: false }, data_sources: { synthetic: 1 } };
const problems = { missing: ['GONE'], unloadable: [], universe: [], bad_bars: [] };

describe('CSV and text formats', () => {
  test('fixed decimals, never "-0.00", empty for missing values', () => {
    expect([fixed(1.005, 2), fixed(-0.0000001, 2), fixed(-1.5, 1), fixed(null, 2), fixed(NaN, 2), fixed(12, 0)]).toEqual(['1.00', '0.00', '-1.5', '', '', '12']);
  });

  test('trade_list.csv and equity_curve.csv of the hand-worked trade', () => {
    const r = runBacktest({ series: [s], params: P, settings: settings() });
    expect(tradeListCsv(r.trades)).toBe(
      'symbol,strategy,signal_date,entry_date,entry_price,exit_date,exit_price,qty,pnl,return,bars_held,exit_reason,stop,target,fees,confidence\n' +
        `AAA,ibs_rsi,${SESSIONS[6]},${SESSIONS[7]},101.0505,${SESSIONS[8]},101.8491,99,78.75,0.007871,1,signal,95.50,,0.31,0.903704\n`,
    );
    const lines = equityCurveCsv(r.curve, 'portfolio').trimEnd().split('\n');
    expect(lines[0]).toBe('date,cash,positions_value,equity,drawdown,open_positions');
    expect(lines).toHaveLength(10);
    expect(lines[8]).toBe(`${SESSIONS[7]},89996.00,10018.80,100014.80,0.000000,1`);
    expect(lines[9]).toBe(`${SESSIONS[8]},100078.75,0.00,100078.75,0.000000,0`);
  });

  test('sparkline maps the range onto eight blocks and keeps at most `width` characters', () => {
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([5, 5, 5])).toBe('▁▁▁');
    expect(sparkline(Array.from({ length: 600 }, (_, i) => i), 60)).toHaveLength(60);
    expect(sparkline([])).toBe('');
  });

  test('monthly returns compound from the starting cash; per-signal months are P&L in dollars', () => {
    const c = newCurve(Int32Array.from(['2024-01-30', '2024-01-31', '2024-02-01', '2024-02-29', '2024-03-01'].map(dayNumber)));
    c.equity.set([101, 110, 100, 99, 121]);
    const m = monthlyReturns(c, 'portfolio', 100);
    expect(m.map((x) => x.month)).toEqual(['2024-01', '2024-02', '2024-03']);
    expect(m[0].value).toBeCloseTo(0.1, 12);
    expect(m[1].value).toBeCloseTo(-0.1, 12);
    expect(m[2].value).toBeCloseTo(22 / 99, 12);
    expect(monthlyReturns(c, 'per_signal', 100).map((x) => x.value)).toEqual([110, -11, 22]);
  });
});

describe('report.html', () => {
  const r = runBacktest({ series: [s], params: P, settings: settings() });
  const page = (synthetic: boolean) => renderReportHtml({ summary: buildSummary(r, inputs, problems, null, synthetic), curve: r.curve, monthly: monthlyReturns(r.curve, 'portfolio', 100_000) });

  test('self-contained: no external URL, stylesheet link, font or script source', () => {
    const html = page(true);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<link\b|\bsrc=|@import|url\(/i);
    expect(html).toMatch(/<style>[\s\S]+<\/style>/);
  });

  test('charts carry their data counts; the SYNTHETIC DATA label shows only for synthetic bars', () => {
    const html = page(true);
    expect(html).toContain(`data-chart="equity" data-points="9"`);
    expect(html).toContain('data-chart="drawdown" data-points="9"');
    expect(html).toContain('data-chart="monthly" data-points="1"');
    expect(html).toContain('SYNTHETIC DATA');
    expect(html).toContain('GONE'); // a missing symbol is listed
    expect(page(false)).not.toContain('SYNTHETIC DATA');
  });
});
