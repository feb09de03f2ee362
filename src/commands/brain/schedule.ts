import type { Command } from 'commander';
import type { KobeContext } from '../../cli/context.js';
import type { Kit } from '../../cli/kit.js';
import type { Output } from '../../cli/output.js';
import { dayPlan, type DayPlan } from '../../core/brain/schedule.js';
import { UsageError, errorText } from '../../core/errors.js';
import { parseIsoDate } from '../../core/market/iso-date.js';
import { etDate } from '../../core/market/time.js';

/** Flags of `brain schedule`. */
export interface BrainScheduleOptions {
  date?: string;
}

/** Wire `brain schedule`. */
export function registerBrainSchedule(brain: Command, kit: Kit): void {
  brain
    .command('schedule')
    .description("a day's plan: every task with its ET time, by day type (session, early close, FOMC, OpEx, holiday, weekend)")
    .option('--date <YYYY-MM-DD>', 'the ET date (default: today)')
    .addHelpText('after', '\nExample:\n  kobe brain schedule\n  kobe brain schedule --date 2024-11-29 --json | jq ".tasks[].id"')
    .action(
      kit.action((raw) => {
        if (raw.date === undefined) return {};
        try {
          parseIsoDate(String(raw.date));
        } catch (err) {
          throw new UsageError(`--date: ${errorText(err)}`);
        }
        return { date: String(raw.date) };
      }, runBrainSchedule, renderBrainSchedule),
    );
}

/** The plan of an ET date (default today). */
export async function runBrainSchedule(ctx: KobeContext, o: BrainScheduleOptions): Promise<DayPlan> {
  ctx.requireHome();
  const { config } = await ctx.config();
  return dayPlan(o.date ?? etDate(ctx.clock.now()), config);
}

/** The plan as a table with its notes. */
export function renderBrainSchedule(out: Output, p: DayPlan): void {
  const flags = [p.close === '13:00' ? 'early close 13:00' : null, p.fomc ? 'FOMC' : null, p.opex ? 'OpEx' : null].filter(Boolean).join(', ');
  out.line(`${p.date}: ${p.type}${p.holiday ? ` (${p.holiday})` : ''}${flags ? ` [${flags}]` : ''}, ${p.tasks.length} task(s)`);
  for (const n of p.notes) out.line(`  note: ${n}`);
  void out.table(['ET', 'task', 'until', 'what'], p.tasks.map((t) => [t.at, t.id, t.until, t.note]));
}
