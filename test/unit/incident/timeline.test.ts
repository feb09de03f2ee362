import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { incidentBaseName, writeIncidentFile } from '../../../src/core/incident/report.js';
import { actionsTaken, keyFields, readTimeline } from '../../../src/core/incident/timeline.js';
import { tempHome, type TempHome } from '../../helpers/home.js';

let h: TempHome;
afterEach(() => h?.cleanup());

const block = (payload: object) => JSON.stringify({ payload, prev_hash: null, this_hash: '0'.repeat(64) });

describe('incident timeline', () => {
  it('merges events and audit records by time inside the window and counts unreadable lines', () => {
    h = tempHome();
    const events = path.join(h.dir, 'events.jsonl');
    const chain = path.join(h.dir, 'chain.jsonl');
    fs.writeFileSync(events, [
      JSON.stringify({ level: 'info', ts: '2025-01-14T08:00:00.000Z', event: 'too_old' }),
      JSON.stringify({ level: 'warn', ts: '2025-01-14T14:00:00.000Z', event: 'kill_on', reason: 'dup', mode: 'halt' }),
      '{torn',
      JSON.stringify({ level: 'info', ts: '2025-01-14T14:30:00.000Z', event: 'orders_canceled', count: 1 }),
    ].join('\n'));
    fs.writeFileSync(chain, [
      block({ seq: 0, ts: '2025-01-14T14:00:00.000Z', type: 'kill_on', reason: 'dup' }),
      block({ seq: 1, ts: '2025-01-14T14:10:00.000Z', type: 'order_canceled', symbol: 'AAPL' }),
      block({ seq: 2, ts: '2025-01-14T16:00:00.000Z', type: 'in_the_future' }),
    ].join('\n'));
    const { entries, problems } = readTimeline(events, chain, new Date('2025-01-14T09:00:00Z'), new Date('2025-01-14T15:00:00Z'));
    expect(entries.map((e) => `${e.source}:${e.name}`)).toEqual(['audit:kill_on', 'event:kill_on', 'audit:order_canceled', 'event:orders_canceled']);
    expect(entries[1]).toMatchObject({ level: 'warn', detail: 'reason=dup mode=halt' });
    expect(entries[0].seq).toBe(0);
    expect(problems).toEqual(['logs/events.jsonl: 1 line(s) could not be parsed']);
    // The kill_on event repeats its audit record; the cancel event 20 minutes later is its own action.
    expect(actionsTaken(entries).map((e) => `${e.source}:${e.name}`)).toEqual(['audit:kill_on', 'audit:order_canceled', 'event:orders_canceled']);
  });

  it('missing files give an empty timeline', () => {
    h = tempHome();
    expect(readTimeline(path.join(h.dir, 'no1'), path.join(h.dir, 'no2'), new Date(0), new Date())).toEqual({ entries: [], problems: [] });
  });

  it('shortens key fields', () => {
    expect(keyFields({ ts: 'x', level: 'info', event: 'e', a: 1, b: 'x'.repeat(100), c: null, d: { k: true } })).toBe(`a=1 b=${'x'.repeat(57)}... d={"k":true}`);
  });
});

describe('incident file', () => {
  it('is named in ET and never overwrites: a second report in the same minute gets -2', () => {
    h = tempHome();
    expect(incidentBaseName(new Date('2025-01-14T15:04:59Z'))).toBe('INCIDENT_2025-01-14_10-04');
    expect(incidentBaseName(new Date('2025-07-01T03:30:00Z'))).toBe('INCIDENT_2025-06-30_23-30');
    const dir = path.join(h.dir, 'incidents');
    const at = new Date('2025-01-14T15:04:00Z');
    const a = writeIncidentFile(dir, at, 'first\n');
    const b = writeIncidentFile(dir, at, 'second\n');
    expect(path.basename(a)).toBe('INCIDENT_2025-01-14_10-04.md');
    expect(path.basename(b)).toBe('INCIDENT_2025-01-14_10-04-2.md');
    expect(fs.readFileSync(a, 'utf8')).toBe('first\n');
    expect(fs.readdirSync(dir).sort()).toEqual(['INCIDENT_2025-01-14_10-04-2.md', 'INCIDENT_2025-01-14_10-04.md']);
  });
});
