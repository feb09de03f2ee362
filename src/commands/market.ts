import type { Command } from 'commander';
import type { KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import type { Output } from '../cli/output.js';
import { UsageError } from '../core/errors.js';
import { earlyCloseName, holidayName, isTradingDay, nextSession, previousSession } from '../core/market/calendar.js';
import { marketStatus, phaseSchedule, type MarketStatus, type PhaseStart } from '../core/market/phases.js';
import { etToUtc, formatEt } from '../core/market/time.js';

export interface MarketOptions {
  date?: string;
}

export interface MarketResult extends Omit<MarketStatus, 'open' | 'close' | 'nextOpen' | 'nextClose'> {
  /** The instant described (now, or noon ET of --date). */
  at: string;
  open: string | null;
  close: string | null;
  next_open: string;
  next_close: string;
  previous_session: string;
  next_session: string;
  early_close_reason: string | null;
  schedule: PhaseStart[];
}

export function register(program: Command, kit: Kit): void {
  program
    .command('market')
    .description('NYSE session for now (or --date): ET phase, holiday or early close, next open and close')
    .option('--date <YYYY-MM-DD>', 'describe this date (at 12:00 ET) instead of now')
    .addHelpText('after', '\nExample:\n  kobe market\n  kobe market --date 2025-11-28 --json')
    .action(kit.action((raw) => ({ date: typeof raw.date === 'string' ? raw.date : undefined }), runMarket, renderMarket));
}

export async function runMarket(ctx: KobeContext, opts: MarketOptions): Promise<MarketResult> {
  let at = ctx.clock.now();
  if (opts.date !== undefined) {
    try {
      isTradingDay(opts.date);
      at = etToUtc(opts.date, '12:00');
    } catch (err) {
      throw new UsageError(`--date: ${(err as Error).message}`);
    }
  }
  const s = marketStatus(at);
  const { open, close, nextOpen, nextClose, ...rest } = s;
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    ...rest,
    at: at.toISOString(),
    open: iso(open),
    close: iso(close),
    next_open: nextOpen.toISOString(),
    next_close: nextClose.toISOString(),
    previous_session: previousSession(s.date),
    next_session: nextSession(s.date),
    holiday: s.holiday ?? holidayName(s.date),
    early_close_reason: earlyCloseName(s.date),
    schedule: s.isTradingDay ? phaseSchedule(s.date) : [],
  };
}

export function renderMarket(out: Output, r: MarketResult): void {
  const kind = r.holiday ? `closed: ${r.holiday}` : r.isTradingDay ? (r.earlyClose ? `trading day, early close ${r.earlyClose} ET (${r.early_close_reason})` : 'trading day') : `closed: ${r.dayType}`;
  out.line(`${r.date}  ${kind}`);
  out.line(`phase      ${r.phase}${r.isOpen ? ' (market open)' : ''}`);
  if (r.open && r.close) out.line(`session    ${formatEt(new Date(r.open))} - ${formatEt(new Date(r.close))}`);
  out.line(`next open  ${formatEt(new Date(r.next_open))}`);
  out.line(`next close ${formatEt(new Date(r.next_close))}`);
  out.line(`sessions   previous ${r.previous_session}, next ${r.next_session}`);
  if (r.schedule.length) out.line(`phases     ${r.schedule.map((p) => `${p.startEt} ${p.phase}`).join(', ')}`);
}
