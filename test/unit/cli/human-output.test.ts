// Human output details: compact tables (one rule, under the header), and chart axis labels that
// never overlap (the run's first date is dropped when the next label is too close).
import { describe, expect, it } from '@jest/globals';
import { Output } from '../../../src/cli/output.js';
import { lineChart } from '../../../src/core/backtest/charts.js';
import { sessionsBetween } from '../../../src/core/market/calendar.js';
import { MemoryStream } from '../../helpers/context.js';

describe('human output', () => {
  it('a table on a terminal draws one rule, under the header, not one between every row', async () => {
    const stdout = new MemoryStream(true);
    const out = await Output.create({ stdout, stderr: new MemoryStream(true) }, { json: false, color: false, verbose: false, env: { NO_COLOR: '1' } });
    await out.table(['symbol', 'qty'], [['AAPL', 10], ['MSFT', 5], ['XOM', 7]]);
    const lines = stdout.data.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('├'))).toHaveLength(1);
    expect(lines).toHaveLength(7);
    expect(lines[2]).toMatch(/^├/);
  });

  it('x-axis labels: a run starting just before a year boundary does not print its first year over the next', () => {
    const dates = sessionsBetween('2021-12-20', '2024-12-31');
    const svg = lineChart({ kind: 'equity', title: 'equity', dates, lines: [{ name: 'equity', values: dates.map((_, i) => 100 + i), color: '#000' }], fmt: (v: number) => v.toFixed(0) });
    const labels = [...svg.matchAll(/class="xlab"[^>]*>([^<]+)</g)].map((m) => m[1]);
    expect(labels).toEqual(['2022', '2023', '2024']);
  });

  it('status says when nothing more is scheduled instead of an empty next line', async () => {
    const { simWorld } = await import('../../helpers/sim.js');
    const { runStatus, renderStatus } = await import('../../../src/commands/status.js');
    const t = await simWorld({ at: '2025-01-15T02:00:00Z' });
    try {
      const r = await runStatus(t.ctx);
      const stdout = new MemoryStream(false);
      const out = await Output.create({ stdout, stderr: new MemoryStream(false) }, { json: false, color: false, verbose: false, env: {} });
      renderStatus(out, { ...r, next: [] });
      expect(stdout.data).toMatch(/^next +nothing more scheduled today$/m);
    } finally {
      t.cleanup();
    }
  });
});
