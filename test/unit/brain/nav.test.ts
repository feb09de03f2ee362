// NAV tracking and the anomaly guard (seed 004 "NAV Spikes / Drawdown Whiplash"): a rise beyond
// either bound is not trusted for peak or drawdown resets until it persists; falls always count.
import { describe, expect, it } from '@jest/globals';
import type { NavState } from '../../../src/core/brain/contracts.js';
import { NAV_CONFIRM_READINGS, NAV_MAX_ANOMALIES, etWeekStart, navTriggerFields, updateNav } from '../../../src/core/brain/nav.js';
import { ConfigSchema } from '../../../src/core/config/schema.js';

const cfg = ConfigSchema.shape.kill_switch.parse(undefined);
const T0 = new Date('2025-01-14T15:00:00Z'); // Tuesday, 10:00 ET
const at = (min: number) => new Date(T0.getTime() + min * 60_000);
const start = (equity: number) => updateNav(null, equity, T0, cfg).nav;

describe('updateNav', () => {
  it('starts from the first reading: peak, start of day and week peak are that equity', () => {
    expect(start(100_000)).toEqual({
      version: 1, ts: T0.toISOString(), equity: 100_000, peak: 100_000, drawdown: 0,
      start_of_day: { date: '2025-01-14', equity: 100_000 }, week_peak: { week_start: '2025-01-13', equity: 100_000 }, anomalies_rejected: [],
    });
    expect(() => updateNav(null, Number.NaN, T0, cfg)).toThrow(RangeError);
  });

  it('the config defaults of the guard are 25% and $50,000', () => {
    expect(cfg.nav_max_jump_pct).toBe(0.25);
    expect(cfg.nav_max_jump_usd).toBe(50_000);
  });

  it('tracks peak and drawdown on trusted readings', () => {
    let nav = start(100_000);
    nav = updateNav(nav, 110_000, at(1), cfg).nav;
    nav = updateNav(nav, 99_000, at(2), cfg).nav;
    expect(nav).toMatchObject({ equity: 99_000, peak: 110_000, ts: at(2).toISOString() });
    expect(nav.drawdown).toBeCloseTo(0.1, 12);
    expect(nav.week_peak.equity).toBe(110_000);
    expect(nav.start_of_day.equity).toBe(100_000);
  });

  it('a rise of exactly 25% is trusted; one cent more is rejected and the trusted values stay', () => {
    const prev = start(100_000);
    const ok = updateNav(prev, 125_000, at(1), cfg);
    expect(ok.anomaly).toBeNull();
    expect(ok.nav.peak).toBe(125_000);
    const bad = updateNav(prev, 125_000.01, at(1), cfg);
    expect(bad.anomaly).toMatch(/exceeds nav_max_jump_pct 25\.00%/);
    expect(bad.nav).toEqual({ ...prev, anomalies_rejected: [{ ts: at(1).toISOString(), equity: 125_000.01, previous: 100_000, reason: bad.anomaly }] });
  });

  it('a rise of exactly $50,000 is trusted; one cent more is rejected (on an account where 25% is more)', () => {
    const prev = start(400_000);
    expect(updateNav(prev, 450_000, at(1), cfg).anomaly).toBeNull();
    const bad = updateNav(prev, 450_000.01, at(1), cfg);
    expect(bad.anomaly).toMatch(/exceeds nav_max_jump_usd \$50,000\.00/);
    expect(bad.nav.equity).toBe(400_000);
    expect(bad.nav.peak).toBe(400_000);
  });

  it('a spike after a drawdown does not erase it (no false recovery)', () => {
    let nav = start(100_000);
    nav = updateNav(nav, 90_000, at(1), cfg).nav;
    const spike = updateNav(nav, 180_000, at(2), cfg);
    expect(spike.anomaly).not.toBeNull();
    expect(spike.nav.drawdown).toBeCloseTo(0.1, 12);
    expect(spike.nav.peak).toBe(100_000);
    expect(navTriggerFields(spike.nav, at(2))).toEqual({ equity: 90_000, startOfDayEquity: 100_000, weekPeakEquity: 100_000 });
  });

  it('falls are always trusted, however large: K1 must see every loss', () => {
    const r = updateNav(start(100_000), 10_000, at(1), cfg);
    expect(r.anomaly).toBeNull();
    expect(r.nav.drawdown).toBeCloseTo(0.9, 12);
  });

  it(`a jump that persists for ${NAV_CONFIRM_READINGS} consistent readings is trusted; an inconsistent streak is not`, () => {
    let nav = start(100_000);
    let r = updateNav(nav, 200_000, at(1), cfg);
    expect(r.anomaly).not.toBeNull();
    r = updateNav(r.nav, 201_000, at(2), cfg);
    expect(r.anomaly).not.toBeNull();
    r = updateNav(r.nav, 200_500, at(3), cfg);
    expect(r.anomaly).toBeNull();
    expect(r.nav).toMatchObject({ equity: 200_500, peak: 200_500, drawdown: 0, ts: at(3).toISOString() });
    expect(r.nav.anomalies_rejected).toHaveLength(2);

    nav = start(100_000);
    r = updateNav(nav, 300_000, at(1), cfg);
    r = updateNav(r.nav, 200_000, at(2), cfg);
    r = updateNav(r.nav, 200_000, at(3), cfg);
    expect(r.anomaly).not.toBeNull(); // 300k and 200k are not one level
    r = updateNav(r.nav, 200_000, at(4), cfg);
    expect(r.anomaly).toBeNull();
  });

  it('a trusted reading in between restarts the confirmation', () => {
    let r = updateNav(start(100_000), 200_000, at(1), cfg);
    r = updateNav(r.nav, 200_000, at(2), cfg);
    r = updateNav(r.nav, 101_000, at(3), cfg);
    expect(r.anomaly).toBeNull();
    r = updateNav(r.nav, 200_000, at(4), cfg);
    expect(r.anomaly).not.toBeNull();
  });

  it('keeps only the last 50 rejected readings; a non-finite reading is reported but not stored', () => {
    let nav = start(100_000);
    for (let k = 0; k < 60; k++) nav = updateNav(nav, k % 2 ? 500_000 : 900_000, at(k + 1), cfg).nav;
    expect(nav.anomalies_rejected).toHaveLength(NAV_MAX_ANOMALIES);
    expect(nav.anomalies_rejected[0].ts).toBe(at(11).toISOString());
    expect(nav.equity).toBe(100_000);
    const r = updateNav(nav, Number.POSITIVE_INFINITY, at(99), cfg);
    expect(r.anomaly).toMatch(/not a finite number/);
    expect(r.nav.anomalies_rejected).toEqual(nav.anomalies_rejected);
  });

  it('rolls start of day per ET date and the week peak on Monday, with the trusted equity', () => {
    let nav = start(100_000);
    nav = updateNav(nav, 105_000, new Date('2025-01-15T04:30:00Z'), cfg).nav; // still 2025-01-14 23:30 ET
    expect(nav.start_of_day).toEqual({ date: '2025-01-14', equity: 100_000 });
    nav = updateNav(nav, 104_000, new Date('2025-01-15T05:30:00Z'), cfg).nav; // 2025-01-15 00:30 ET
    expect(nav.start_of_day).toEqual({ date: '2025-01-15', equity: 104_000 });
    expect(nav.week_peak).toEqual({ week_start: '2025-01-13', equity: 105_000 });
    const spike = updateNav(nav, 900_000, new Date('2025-01-20T15:00:00Z'), cfg).nav; // next Monday, rejected
    expect(spike.week_peak).toEqual({ week_start: '2025-01-20', equity: 104_000 });
    expect(spike.start_of_day).toEqual({ date: '2025-01-20', equity: 104_000 });
  });
});

describe('helpers', () => {
  it('etWeekStart gives the Monday, also from a Sunday', () => {
    expect(etWeekStart('2025-01-13')).toBe('2025-01-13');
    expect(etWeekStart('2025-01-19')).toBe('2025-01-13');
    expect(etWeekStart('2025-01-01')).toBe('2024-12-30');
  });

  it('navTriggerFields counts a period not yet started from the current equity', () => {
    const nav: NavState = { ...start(100_000), equity: 95_000 };
    expect(navTriggerFields(nav, T0)).toEqual({ equity: 95_000, startOfDayEquity: 100_000, weekPeakEquity: 100_000 });
    expect(navTriggerFields(nav, new Date('2025-01-21T15:00:00Z'))).toEqual({ equity: 95_000, startOfDayEquity: 95_000, weekPeakEquity: 95_000 });
  });
});
