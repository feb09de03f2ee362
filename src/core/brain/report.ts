// reports/daily_YYYY-MM-DD.md: the post-close report (runbook "Check P&L": `grep "P&L"` works on
// it). Pure rendering from data the brain gathered; numbers with fixed decimals, never locale.
import type { AccountReport, PositionReport } from '../ports/broker.js';
import type { PositionEntry } from '../state/schemas.js';
import { formatEt } from '../market/time.js';
import type { TradeRecord } from '../trade/journal.js';
import type { TaskRecord } from './loop.js';

/** Everything the report shows. */
export interface DailyReportInput {
  date: string;
  generated_at: string;
  mode: string;
  broker: string;
  synthetic: boolean;
  trading_state: string;
  kill_reason: string | null;
  account: AccountReport | null;
  start_of_day_equity: number | null;
  peak_equity: number | null;
  trades: TradeRecord[];
  positions: PositionReport[];
  ledger: PositionEntry[];
  vetoes_today: Record<string, number>;
  tasks: TaskRecord[];
}

const f2 = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(2));
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const table = (head: string[], rows: string[][]) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');

/** The report's Markdown. */
export function renderDailyReport(i: DailyReportInput): string {
  const out: string[] = [];
  out.push(`# kobe daily report ${i.date}${i.synthetic ? ' (SYNTHETIC DATA)' : ''}`, '');
  out.push(`Generated ${i.generated_at}; ${i.mode} on ${i.broker}; trading ${i.trading_state}${i.kill_reason ? ` (${i.kill_reason})` : ''}.`, '');
  out.push('## P&L', '');
  const closes = i.trades.filter((t) => t.event === 'close');
  const realized = closes.reduce((a, t) => a + (t.pnl ?? 0), 0);
  if (i.account) {
    const eq = i.account.equity;
    const sod = i.start_of_day_equity;
    out.push(`- Equity: ${f2(eq)} (cash ${f2(i.account.cash)})`);
    out.push(sod && sod > 0 ? `- P&L today: ${signed(eq - sod)} (${signed(((eq - sod) / sod) * 100)}%) against start-of-day equity ${f2(sod)}` : '- P&L today: n/a (no start-of-day equity on record)');
    if (i.peak_equity && i.peak_equity > 0) out.push(`- Drawdown from peak ${f2(i.peak_equity)}: ${(Math.max(0, (i.peak_equity - eq) / i.peak_equity) * 100).toFixed(2)}%`);
  } else out.push('- Equity: the broker did not answer; P&L today unknown');
  out.push(`- Realized today: ${signed(realized)} from ${closes.length} closed position(s)`);
  const unreal = i.positions.reduce((a, p) => a + (p.unrealized_pl ?? 0), 0);
  out.push(`- Unrealized: ${signed(unreal)} on ${i.positions.length} open position(s)`, '');
  out.push(`## Trades (${i.trades.length}, times ET)`, '');
  out.push(i.trades.length ? table(['time', 'event', 'symbol', 'side', 'qty', 'price', 'strategy', 'reason', 'P&L'], i.trades.map((t) => [formatEt(new Date(t.ts)).slice(11, 19), t.event, t.symbol, t.side, String(t.qty), f2(t.price), t.strategy, t.reason ?? '', t.pnl === undefined ? '' : signed(t.pnl)])) : 'No fills or closes today.', '');
  out.push(`## Positions (${i.positions.length})`, '');
  const ledger = new Map(i.ledger.map((p) => [p.symbol, p]));
  out.push(
    i.positions.length
      ? table(['symbol', 'qty', 'avg', 'last', 'unrealized', 'strategy', 'stop', 'target', 'entry', 'time stop'], i.positions.map((p) => {
          const l = ledger.get(p.symbol);
          return [p.symbol, String(p.qty), f2(p.avg_entry_price), f2(p.current_price), f2(p.unrealized_pl), l?.strategy ?? 'NOT IN LEDGER', f2(l?.stop), f2(l?.target), l?.entry_date ?? '-', l?.time_stop_bars ? `${l.time_stop_bars} bars` : '-'];
        }))
      : 'Flat.',
    '',
  );
  const vetoes = Object.entries(i.vetoes_today).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  out.push(`## Vetoes today (${vetoes.reduce((a, [, n]) => a + n, 0)})`, '');
  out.push(vetoes.length ? table(['reason', 'count'], vetoes.map(([r, n]) => [r, String(n)])) : 'None.', '');
  out.push(`## Brain tasks today (${i.tasks.length}, times ET)`, '');
  out.push(i.tasks.length ? table(['task', 'started', 'status', 'ms', 'detail'], i.tasks.map((t) => [t.id, formatEt(new Date(t.started_at)).slice(11, 19), t.status, t.ms.toFixed(0), t.detail.slice(0, 160)])) : 'None recorded by this brain process.', '');
  return `${out.join('\n')}\n`;
}
