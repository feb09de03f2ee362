// report.html: one self-contained page (inline CSS, inline SVG, a few lines of inline JS for the
// hover read-out; no network, no fonts, no CDN) so it opens from an air-gapped disk or an email.
import { isoDay } from '../strategy/bars.js';
import { PLOT, barChart, esc, lineChart } from './charts.js';
import type { BacktestSummary, MonthlyReturn } from './format.js';
import { type EquityCurve, type Metrics, EXIT_REASONS, SKIP_REASONS, STRATEGIES } from './types.js';

/** The start of a self-contained report page: CSP (no network), title, CSS, the SYNTHETIC banner. */
export function pageStart(title: string, synthetic: boolean, css: string, script: boolean): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline';${script ? " script-src 'unsafe-inline';" : ''} img-src data:">
<title>${synthetic ? 'SYNTHETIC DATA - ' : ''}${esc(title)}</title>
<style>${css}</style>
</head>
<body>
<main>
${synthetic ? '<div class="synthetic" data-synthetic="true">SYNTHETIC DATA<small>These bars are generated, not taken from a market. The figures below describe no real security.</small></div>' : ''}`;
}

/** What the page shows. */
export interface ReportInput {
  summary: BacktestSummary;
  curve: EquityCurve;
  monthly: readonly MonthlyReturn[];
}

const COLORS = { combined: '#1f5fbf', ibs_rsi: '#2a9d5c', turtle_soup: '#c77d16', drawdown: '#c0392b' };

/** Dollars with thousands separators (by hand: output must not depend on ICU data). */
export function usd(x: number | null, decimals = 0): string {
  if (x === null || !Number.isFinite(x)) return 'n/a';
  const s = Math.abs(x).toFixed(decimals);
  const [int, frac] = s.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const neg = x < 0 && Number(s) !== 0;
  return `${neg ? '-' : ''}$${grouped}${frac ? `.${frac}` : ''}`;
}

/** A fraction as a percentage. */
export function pct(x: number | null, decimals = 2): string {
  return x === null || !Number.isFinite(x) ? 'n/a' : `${(x * 100).toFixed(decimals)}%`;
}

function num(x: number | null, decimals = 2): string {
  return x === null || !Number.isFinite(x) ? 'n/a' : x.toFixed(decimals);
}

function table(head: readonly string[], rows: ReadonlyArray<readonly string[]>, cls = ''): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`).join('');
  return `<table class="${cls}"><thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table>`;
}

function metricRows(m: Record<string, Metrics>, perSignal: boolean): string[][] {
  const cols = Object.values(m);
  const row = (label: string, f: (x: Metrics) => string) => [label, ...cols.map(f)];
  const money = (x: number | null) => usd(x, 2);
  return [
    row('Trades', (x) => String(x.trades)),
    row('Win rate', (x) => pct(x.win_rate, 1)),
    row('Profit factor', (x) => num(x.profit_factor)),
    row(perSignal ? 'Total P&L per share' : 'Total P&L', (x) => money(x.total_pnl)),
    row('Avg P&L per trade', (x) => money(x.avg_pnl)),
    row('Avg return per trade', (x) => pct(x.avg_return, 3)),
    row('Avg bars held', (x) => num(x.avg_bars_held)),
    ...(perSignal
      ? []
      : [
          row('Total return', (x) => pct(x.total_return)),
          row('CAGR', (x) => pct(x.cagr)),
          row('Sharpe (daily, x sqrt 252)', (x) => num(x.sharpe)),
          row('Sortino', (x) => num(x.sortino)),
          row('Max drawdown', (x) => pct(x.max_drawdown)),
        ]),
    row('Max drawdown ($)', (x) => money(x.max_drawdown_usd)),
    row(perSignal ? 'Time in market' : 'Exposure (avg positions / equity)', (x) => pct(x.exposure, 1)),
  ];
}

function problemsSection(s: BacktestSummary): string {
  const p = s.data_problems;
  const items: string[] = [];
  if (p.missing.length) items.push(`<li>${p.missing.length} symbol(s) of the universe have no bars in the store: ${esc(p.missing.join(', '))}</li>`);
  for (const u of p.unloadable) items.push(`<li>${esc(u.symbol)}: could not be loaded (${esc(u.problem)})</li>`);
  for (const u of p.universe) items.push(`<li>universe line ${u.line} "${esc(u.value)}": ${esc(u.problem)}</li>`);
  for (const b of p.bad_bars) items.push(`<li>${esc(b.symbol)}: ${b.bars} bad bar(s), first ${esc(b.first_date)} (${esc(b.first_reason)}); never traded on</li>`);
  return items.length ? `<ul class="problems">${items.join('')}</ul>` : '<p>None: every symbol of the universe was loaded with clean bars.</p>';
}

function chartData(c: EquityCurve, monthly: readonly MonthlyReturn[], perSignal: boolean): string {
  const dates = Array.from(c.days, isoDay);
  const { round } = Math;
  const cents = (a: ArrayLike<number>, k = 100) => Array.from(a, (v) => round(v * k) / k);
  const data = {
    plot: PLOT,
    equity: { dates, values: cents(c.equity), unit: 'usd' },
    drawdown: { dates, values: perSignal ? cents(c.drawdown) : cents(c.drawdown, 1e6), unit: perSignal ? 'usd' : 'pct' },
    monthly: { dates: monthly.map((m) => m.month), values: monthly.map((m) => m.value), unit: perSignal ? 'usd' : 'pct' },
  };
  // '<' escaped so no value can close the script element.
  return JSON.stringify(data).replace(/</g, '\\u003c');
}

// Hover read-out: nearest point of the first line under the pointer. No globals leak, nothing fetched.
const SCRIPT = `(function () {
  var el = document.getElementById('kobe-data');
  if (!el) return;
  var data = JSON.parse(el.textContent);
  function fmt(v, unit) {
    if (unit === 'pct') return (v * 100).toFixed(2) + '%';
    var s = Math.abs(v).toFixed(2).replace(/\\B(?=(\\d{3})+(?!\\d))/g, ',');
    return (v < 0 ? '-$' : '$') + s;
  }
  ['equity', 'drawdown'].forEach(function (kind) {
    var svg = document.querySelector('svg[data-chart="' + kind + '"]');
    var out = document.querySelector('[data-readout="' + kind + '"]');
    var d = data[kind];
    if (!svg || !out || !d || d.values.length === 0) return;
    var cursor = svg.querySelector('.cursor');
    svg.addEventListener('mousemove', function (e) {
      var r = svg.getBoundingClientRect();
      var vx = (e.clientX - r.left) / r.width * data.plot.viewWidth;
      var n = d.values.length;
      var i = Math.round((vx - data.plot.left) / data.plot.width * (n - 1));
      i = Math.max(0, Math.min(n - 1, i));
      var x = data.plot.left + (n > 1 ? i / (n - 1) * data.plot.width : data.plot.width / 2);
      cursor.setAttribute('x1', x);
      cursor.setAttribute('x2', x);
      cursor.setAttribute('visibility', 'visible');
      out.textContent = d.dates[i] + '  ' + fmt(d.values[i], d.unit);
    });
    svg.addEventListener('mouseleave', function () {
      cursor.setAttribute('visibility', 'hidden');
    });
  });
})();`;

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1d2330; background: #f4f6f9; }
main { max-width: 1040px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 10px; }
.sub { color: #5b6475; margin: 0 0 16px; }
.synthetic { background: #b42318; color: #fff; font-weight: 700; letter-spacing: .06em; padding: 10px 16px; border-radius: 6px; margin: 0 0 16px; }
.synthetic small { display: block; font-weight: 400; letter-spacing: 0; opacity: .9; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 10px; }
.kpi { background: #fff; border: 1px solid #dde2ea; border-radius: 8px; padding: 10px 12px; }
.kpi b { display: block; font-size: 20px; }
.kpi span { color: #5b6475; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.chart { background: #fff; border: 1px solid #dde2ea; border-radius: 8px; margin: 14px 0; padding: 10px 12px 6px; }
.chart figcaption { font-weight: 600; margin-bottom: 4px; }
.chart svg { width: 100%; height: 280px; display: block; }
.legend { font-size: 12px; color: #5b6475; }
.legend span { margin-right: 14px; }
.legend i { display: inline-block; width: 12px; height: 3px; margin-right: 5px; vertical-align: middle; }
.readout { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: #5b6475; min-height: 1.4em; }
.grid { stroke: #e6e9ef; stroke-width: 1; }
.axis, .zero { stroke: #9aa3b2; stroke-width: 1; }
.tick { stroke: #9aa3b2; }
.cursor { stroke: #5b6475; stroke-dasharray: 3 3; }
.ylab, .xlab { fill: #5b6475; font-size: 11px; }
rect.up { fill: #2a9d5c; }
rect.down { fill: #c0392b; }
table { border-collapse: collapse; background: #fff; border: 1px solid #dde2ea; margin: 6px 0 10px; min-width: 60%; }
th, td { padding: 5px 12px; border-bottom: 1px solid #eef0f4; text-align: right; font-variant-numeric: tabular-nums; }
thead th { background: #f0f3f7; }
th[scope=row] { text-align: left; font-weight: 500; }
table.inputs td, table.inputs thead th { text-align: left; }
.problems { background: #fff8e6; border: 1px solid #f1d48a; border-radius: 6px; padding: 10px 28px; }
.notes { color: #5b6475; }
footer { color: #8a93a3; font-size: 12px; margin-top: 32px; }
`;

/** The complete report page. */
export function renderReportHtml(input: ReportInput): string {
  const { summary: s, curve: c, monthly } = input;
  const perSignal = s.mode === 'per_signal';
  const dates = Array.from(c.days, isoDay);
  const m = s.metrics.combined;
  const title = `kobe backtest: ${perSignal ? 'per-signal' : 'portfolio'}, ${s.period.first_date ?? 'no data'} to ${s.period.last_date ?? 'no data'}`;
  const groups = { combined: m, ...s.metrics.by_strategy };
  const kpis: Array<[string, string]> = perSignal
    ? [['Trades', String(m.trades)], ['Win rate', pct(m.win_rate, 1)], ['Profit factor', num(m.profit_factor)], ['P&L per share', usd(m.total_pnl, 2)], ['Avg return', pct(m.avg_return, 3)], ['Avg bars held', num(m.avg_bars_held)]]
    : [['Total return', pct(m.total_return)], ['CAGR', pct(m.cagr)], ['Sharpe', num(m.sharpe)], ['Max drawdown', pct(m.max_drawdown)], ['Trades', String(m.trades)], ['Win rate', pct(m.win_rate, 1)]];
  const equity = lineChart({
    kind: 'equity',
    title: perSignal ? 'Cumulative P&L, one share per signal' : 'Equity',
    dates,
    fmt: (v) => usd(v),
    lines: [
      { name: 'combined', values: c.equity, color: COLORS.combined },
      ...STRATEGIES.map((k, i) => ({ name: k, values: c.byStrategy[i], color: COLORS[k], dashed: true })),
    ],
  });
  const drawdown = lineChart({
    kind: 'drawdown',
    title: perSignal ? 'Drawdown from the P&L peak ($)' : 'Drawdown from the equity peak',
    dates,
    fmt: perSignal ? (v) => usd(v) : (v) => pct(v, 0),
    area: true,
    lines: [{ name: 'drawdown', values: c.drawdown, color: COLORS.drawdown }],
  });
  const monthlyChart = barChart({
    kind: 'monthly',
    title: perSignal ? 'Monthly P&L per share' : 'Monthly returns',
    labels: monthly.map((x) => x.month),
    values: monthly.map((x) => x.value),
    fmt: perSignal ? (v) => usd(v, 2) : (v) => pct(v, 1),
  });
  const names = Object.keys(groups);
  const exitRows = EXIT_REASONS.map((r) => [r, ...Object.values(groups).map((g) => String(g.exit_reasons[r]))]);
  const sig = { combined: s.signals.combined, ...s.signals.by_strategy };
  const sigRows = [
    ['signals', ...Object.values(sig).map((x) => String(x.total))],
    ['traded', ...Object.values(sig).map((x) => String(x.traded))],
    ...SKIP_REASONS.map((r) => [`skipped: ${r.replace(/_/g, ' ')}`, ...Object.values(sig).map((x) => String(x.skipped[r]))]),
  ];
  const st = s.settings;
  const inputs = [
    ['universe', s.inputs.universe ?? '(symbols given directly)'],
    ['symbols', `${s.period.symbols} loaded of ${s.inputs.symbols_requested} requested${s.inputs.cap !== null ? ` (cap ${s.inputs.cap})` : ''}`],
    ['data sources', Object.entries(s.inputs.data_sources).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'],
    ['period', `${s.period.first_date ?? '-'} to ${s.period.last_date ?? '-'} (${s.period.sessions} sessions)`],
    ['params', `${s.inputs.params.version} ${s.inputs.params.pinned ? '(pinned)' : `(${s.inputs.params.file}, research only)`} sha256 ${s.inputs.params.sha256.slice(0, 16)}...`],
    ...(perSignal ? [] : [['starting cash', usd(st.starting_cash)], ['max open positions', String(st.max_open_positions)], ['risk per trade', pct(st.risk_pct)], ['max position', pct(st.max_position_pct, 0)]]),
    ['slippage', `${st.slippage_bps} bps against every fill`],
    ['fees', st.fees],
  ];
  const look = s.lookahead ? `<h2>Lookahead check</h2><p>${s.lookahead.ok ? 'Passed' : 'FAILED'}: ${s.lookahead.checked_signals} signal(s) on ${s.lookahead.checked_bars} signal bar(s) re-generated on data truncated at their bar; ${s.lookahead.mismatch_count} changed.</p>` : '';
  return `${pageStart(title, s.synthetic, CSS, true)}
<h1>${esc(title)}</h1>
<p class="sub">${s.period.symbols} symbols, ${s.period.sessions} sessions, params ${esc(s.inputs.params.version)}. Signals at the close fill at the next open; stops before targets within a bar.</p>
<section class="kpis">${kpis.map(([k, v]) => `<div class="kpi"><span>${esc(k)}</span><b>${esc(v)}</b></div>`).join('')}</section>
${equity}
${drawdown}
${monthlyChart}
<h2>Summary</h2>
${table(['', ...names], metricRows(groups, perSignal), 'metrics')}
<h2>Exit reasons</h2>
${table(['reason', ...names], exitRows, 'exits')}
<h2>Signals</h2>
${table(['', ...names], sigRows, 'signals')}
<h2>Inputs</h2>
${table(['input', 'value'], inputs, 'inputs')}
<h2>Data problems</h2>
${problemsSection(s)}
${look}
<h2>Notes</h2>
<ul class="notes">${s.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>
<footer>kobe backtest report: self-contained; trade_list.csv, equity_curve.csv and summary.json sit next to this file.</footer>
</main>
<script type="application/json" id="kobe-data">${chartData(c, monthly, perSignal)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
