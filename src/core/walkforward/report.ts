// wf_report.html: one self-contained page (inline CSS and SVG from backtest/charts.ts, no script,
// no network) with the stitched out-of-sample equity, its drawdown, monthly returns and the
// per-split table; a red SYNTHETIC banner when the bars are generated.
import { monthlyReturns } from '../backtest/format.js';
import { barChart, esc, lineChart } from '../backtest/charts.js';
import { pageStart, pct, usd } from '../backtest/report.js';
import { STRATEGIES } from '../backtest/types.js';
import { isoDay } from '../strategy/bars.js';
import type { OosRecord } from './run.js';
import { GROUPS, type WfRow, type WfSummary, paramsLabel } from './summary.js';

const COLORS = { combined: '#1f5fbf', ibs_rsi: '#2a9d5c', turtle_soup: '#c77d16', drawdown: '#c0392b' };

const CSS = `
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1d2330; background: #f4f6f9; }
main { max-width: 1100px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 10px; }
.sub { color: #5b6475; margin: 0 0 16px; }
.synthetic { background: #b42318; color: #fff; font-weight: 700; letter-spacing: .06em; padding: 10px 16px; border-radius: 6px; margin: 0 0 16px; }
.synthetic small { display: block; font-weight: 400; letter-spacing: 0; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 10px; }
.kpi { background: #fff; border: 1px solid #dde2ea; border-radius: 8px; padding: 10px 12px; }
.kpi b { display: block; font-size: 20px; }
.kpi span { color: #5b6475; font-size: 12px; text-transform: uppercase; }
.chart { background: #fff; border: 1px solid #dde2ea; border-radius: 8px; margin: 14px 0; padding: 10px 12px 6px; }
.chart figcaption { font-weight: 600; margin-bottom: 4px; }
.chart svg { width: 100%; height: 280px; display: block; }
.legend { font-size: 12px; color: #5b6475; }
.legend span { margin-right: 14px; }
.legend i { display: inline-block; width: 12px; height: 3px; margin-right: 5px; vertical-align: middle; }
.readout { min-height: 0; }
.grid { stroke: #e6e9ef; } .axis, .zero, .tick { stroke: #9aa3b2; } .cursor { display: none; }
.ylab, .xlab { fill: #5b6475; font-size: 11px; }
rect.up { fill: #2a9d5c; } rect.down { fill: #c0392b; }
table { border-collapse: collapse; background: #fff; border: 1px solid #dde2ea; margin: 6px 0 10px; font-size: 13px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #eef0f4; text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
thead th { background: #f0f3f7; }
th[scope=row], td.l { text-align: left; }
.scroll { overflow-x: auto; }
.notes { color: #5b6475; }
footer { color: #8a93a3; font-size: 12px; margin-top: 32px; }
`;

const num = (x: number | null, d = 2) => (x === null || !Number.isFinite(x) ? 'n/a' : x.toFixed(d));

function table(cls: string, head: readonly string[], body: ReadonlyArray<readonly string[]>, left = 1): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const tr = body.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${esc(c)}</th>` : `<td${i < left ? ' class="l"' : ''}>${esc(c)}</td>`)).join('')}</tr>`).join('');
  return `<div class="scroll"><table class="${cls}"><thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table></div>`;
}

const figures = (r: WfRow) => [String(r.trades), pct(r.win_rate, 1), num(r.profit_factor), pct(r.cagr), num(r.sharpe), pct(r.max_drawdown), num(r.train_objective, 3), num(r.test_objective, 3)];
const FIG_HEAD = ['trades', 'win rate', 'profit factor', 'CAGR', 'Sharpe', 'max DD', 'train obj.', 'test obj.'];

/** The complete walk-forward report page. */
export function renderWfReportHtml(s: WfSummary, oos: OosRecord): string {
  const c = oos.stitched.curve;
  const dates = Array.from(c.days, isoDay);
  const wf = s.walk_forward;
  const m = s.oos.by_strategy.combined;
  const title = `kobe walk-forward: ${wf.mode}, train ${wf.train} / test ${wf.test} sessions, ${s.oos.first_date || 'no data'} to ${s.oos.last_date || 'no data'}`;
  const total = s.oos.final_equity / s.settings.starting_cash - 1;
  const kpis: Array<[string, string]> = [['OOS return', pct(total)], ['OOS CAGR', pct(m.cagr)], ['OOS Sharpe', num(m.sharpe)], ['Max drawdown', pct(m.max_drawdown)], ['Trades', String(m.trades)], ['Splits', String(wf.splits)]];
  const equity = lineChart({
    kind: 'equity',
    title: 'Stitched out-of-sample equity (test windows compounded)',
    dates,
    fmt: (v) => usd(v),
    lines: [{ name: 'combined', values: c.equity, color: COLORS.combined }, ...STRATEGIES.map((k, i) => ({ name: k, values: c.byStrategy[i], color: COLORS[k], dashed: true }))],
  });
  const drawdown = lineChart({ kind: 'drawdown', title: 'Out-of-sample drawdown from the equity peak', dates, fmt: (v) => pct(v, 0), area: true, lines: [{ name: 'drawdown', values: c.drawdown, color: COLORS.drawdown }] });
  const monthly = monthlyReturns(c, 'portfolio', s.settings.starting_cash);
  const monthlyChart = barChart({ kind: 'monthly', title: 'Monthly out-of-sample returns', labels: monthly.map((x) => x.month), values: monthly.map((x) => x.value), fmt: (v) => pct(v, 1) });
  const version = s.inputs.params.version;
  const splitRows = s.splits.map((x) => [String(x.split), `${x.train.start} .. ${x.train.end}`, `${x.test.start} .. ${x.test.end}`, paramsLabel(x.params.values, version), ...figures(x.by_strategy.combined), ...(s.baseline ? [num(x.baseline_test_objective, 3)] : [])]);
  const aggRows = GROUPS.map((g) => [g, ...figures(s.oos.by_strategy[g])]);
  const baseline = s.baseline
    ? `<h2>Pinned params on the same test windows</h2><p>Pinned ${esc(s.baseline.params_version)}: aggregate ${esc(wf.objective)} ${num(s.baseline.objective, 3)} against ${num(m.test_objective, 3)} for the walk-forward's choices.${
        s.better ? ` Grid point ${s.better.candidate} (${esc(paramsLabel(s.better.values, ''))}) scores ${num(s.better.objective, 3)} on every test window: better.` : s.evaluated ? ' No chosen grid point beats it on every test window.' : ''
      }</p>`
    : '';
  const inputs = [
    ['universe', s.inputs.universe ?? '-'],
    ['symbols', `${s.inputs.symbols_requested} requested${s.inputs.cap !== null ? ` (cap ${s.inputs.cap})` : ''}`],
    ['data sources', Object.entries(s.inputs.data_sources).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'],
    ['sessions', `${wf.axis.first} .. ${wf.axis.last} (${wf.axis.sessions}); warm-up ${wf.warmup}`],
    ['params', `${version} ${s.inputs.params.pinned ? '(pinned)' : `(${s.inputs.params.file}, research only)`}`],
    ['objective', wf.objective],
    ['grid', wf.grid ? `${wf.grid} (${wf.candidates} points)` : 'none'],
    ['starting cash', usd(s.settings.starting_cash)],
    ['slippage', `${s.settings.slippage_bps} bps`],
  ];
  return `${pageStart(title, s.synthetic, CSS, false)}
<h1>${esc(title)}</h1>
<p class="sub">${wf.splits} splits; parameters chosen on each train window by ${esc(wf.objective)}, then run on the following test window only.</p>
<section class="kpis">${kpis.map(([k, v]) => `<div class="kpi"><span>${esc(k)}</span><b>${esc(v)}</b></div>`).join('')}</section>
${equity}
${drawdown}
${monthlyChart}
<h2>Out of sample, by strategy</h2>
${table('aggregate', ['', ...FIG_HEAD], aggRows)}
<h2>Splits</h2>
${table('splits', ['split', 'train', 'test', 'params', ...FIG_HEAD, ...(s.baseline ? ['pinned test obj.'] : [])], splitRows, 4)}
${baseline}
<h2>Inputs</h2>
${table('inputs', ['input', 'value'], inputs, 2)}
<h2>Notes</h2>
<ul class="notes">${s.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>
<footer>kobe walk-forward report: self-contained; wf_summary.json, wf_summary.csv, oos_equity.csv and split_NN/ sit next to this file.</footer>
</main>
</body>
</html>
`;
}
