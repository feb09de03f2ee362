import { describe, expect, it } from '@jest/globals';
import { ConfigSchema, type KobeConfig } from '../../../src/core/config/schema.js';
import { brainSchedule, dayPlan, isOpexDay } from '../../../src/core/brain/schedule.js';
import { etMinutes } from '../../../src/core/market/time.js';

const config = (extra: Record<string, unknown> = {}): KobeConfig => ConfigSchema.parse({ strategy: { params_sha256: 'a'.repeat(64) }, ...extra });
const ids = (date: string, cfg = config()) => brainSchedule(date, cfg).map((t) => `${t.at} ${t.id}`);

describe('brainSchedule', () => {
  it('a regular session: pre-market, exits every 15 min in market hours, two trading cycles, post-close, nightly research', () => {
    const tasks = brainSchedule('2024-11-12', config());
    const at = (id: string) => tasks.find((t) => t.id === id)?.at;
    expect(at('data_refresh')).toBe('07:00');
    expect(tasks.filter((t) => t.at === '08:00').map((t) => t.kind)).toEqual(['reconcile', 'preflight', 'watchlist_validate']);
    const exits = tasks.filter((t) => t.kind === 'exits').map((t) => t.at);
    expect(exits).toHaveLength(26);
    expect(exits[0]).toBe('09:35');
    expect(exits[exits.length - 1]).toBe('15:50');
    expect(tasks.filter((t) => t.kind === 'trade_cycle').map((t) => [t.at, t.until])).toEqual([['10:05', '11:30'], ['14:05', '15:30']]);
    // Exits run before entries at the same instant, as `kobe trade` does.
    const ten = tasks.filter((t) => t.at === '10:05').map((t) => t.kind);
    expect(ten).toEqual(['exits', 'trade_cycle']);
    expect(tasks.filter((t) => t.at === '16:30').map((t) => t.kind)).toEqual(['daily_report']);
    // The session's final bar (after-hours prints included) exists once the extended session ends at 20:00.
    expect(tasks.filter((t) => t.at === '20:05').map((t) => t.kind)).toEqual(['data_refresh', 'watchlist_build']);
    expect(at('reconcile@post')).toBe('16:05');
    expect(at('nightly_research')).toBe('20:30');
    // Every at_utc is the ET wall time: 10:05 ET is 15:05Z in November (EST).
    for (const t of tasks) expect(etMinutes(new Date(t.at_utc))).toBe(Number(t.at.slice(0, 2)) * 60 + Number(t.at.slice(3)));
    expect(tasks.find((t) => t.id === 'trade_cycle@10:05')!.at_utc).toBe('2024-11-12T15:05:00.000Z');
    expect(brainSchedule('2024-07-09', config()).find((t) => t.id === 'trade_cycle@10:05')!.at_utc).toBe('2024-07-09T14:05:00.000Z');
  });

  it('holidays are research only; weekends have their own tasks and no trading', () => {
    expect(ids('2024-11-28')).toEqual(['20:30 nightly_research']);
    expect(dayPlan('2024-11-28', config()).holiday).toBe('Thanksgiving Day');
    expect(ids('2024-11-16')).toEqual(['09:00 deep_backtest', '10:00 log_rotation']);
    expect(ids('2024-11-17')).toEqual(['09:00 data_audit', '10:00 state_backup']);
    for (const d of ['2024-11-28', '2024-11-16', '2024-11-17', '2024-12-25']) expect(brainSchedule(d, config()).filter((t) => t.trading || t.kind === 'exits')).toEqual([]);
  });

  it('an early close clips windows, exit slots and post-close tasks to 13:00 (the evening refresh to the 17:00 end of its extended session)', () => {
    const p = dayPlan('2024-11-29', config());
    expect(p.type).toBe('early_close');
    expect(p.tasks.filter((t) => t.kind === 'trade_cycle').map((t) => t.id)).toEqual(['trade_cycle@10:05']);
    const exits = p.tasks.filter((t) => t.kind === 'exits').map((t) => t.at);
    expect(exits[exits.length - 1]).toBe('12:50');
    expect(p.tasks.find((t) => t.id === 'reconcile@post')!.at).toBe('13:05');
    expect(p.tasks.find((t) => t.kind === 'daily_report')!.at).toBe('13:30');
    // The extended session ends four hours after the early close.
    expect(p.tasks.find((t) => t.id === 'data_refresh@post')!.at).toBe('17:05');
    expect(p.tasks.find((t) => t.kind === 'watchlist_build')!.at).toBe('17:05');
    // A window that ends after the close is clipped to it.
    const late = dayPlan('2024-11-29', config({ trading: { windows: [{ start: '12:00', end: '14:00' }] } }));
    expect(late.tasks.filter((t) => t.kind === 'trade_cycle').map((t) => [t.at, t.until])).toEqual([['12:05', '13:00']]);
  });

  it('FOMC (config) and OpEx days are reduced to the first entry window; exits are not reduced', () => {
    const fomc = dayPlan('2024-11-07', config({ calendar: { fomc_dates: ['2024-11-07'] } }));
    expect(fomc.fomc).toBe(true);
    expect(fomc.tasks.filter((t) => t.kind === 'trade_cycle').map((t) => t.at)).toEqual(['10:05']);
    expect(fomc.tasks.filter((t) => t.kind === 'exits')).toHaveLength(26);
    expect(dayPlan('2024-11-07', config()).tasks.filter((t) => t.kind === 'trade_cycle')).toHaveLength(2);
    const opex = dayPlan('2024-11-15', config());
    expect(opex.opex).toBe(true);
    expect(opex.tasks.filter((t) => t.kind === 'trade_cycle').map((t) => t.at)).toEqual(['10:05']);
  });

  it('OpEx is the third Friday, or the Thursday before when that Friday is Good Friday', () => {
    expect(['2024-11-15', '2025-01-17', '2025-03-21'].map(isOpexDay)).toEqual([true, true, true]);
    expect(['2024-11-08', '2024-11-22', '2025-01-16'].map(isOpexDay)).toEqual([false, false, false]);
    // 2025-04-18 is Good Friday (closed): options expire on Thursday the 17th.
    expect([isOpexDay('2025-04-18'), isOpexDay('2025-04-17')]).toEqual([false, true]);
  });
});
