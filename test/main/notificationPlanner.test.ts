/**
 * The notification rules, clock-driven: file changes from the cloud batched
 * into one notice per window (own uploads never notified), duplicates dropped
 * for 10 minutes, Snooze muting file changes only, the levels, and off
 * meaning off for everything.
 */
import { describe, expect, it } from 'vitest';
import { BATCH_MS, DEDUPE_MS, NotificationPlanner, type NotificationLevel } from '../../src/main/notificationPlanner.js';
import type { ActivityEntry, StatusSnapshot } from '../../src/shared/StratusApi.js';

const base: StatusSnapshot = { version: 1, auth: 'signed-in', sync: 'up-to-date' };
const T0 = Date.parse('2026-11-22T10:00:00Z');

function entries(kind: ActivityEntry['kind'], names: string[], at = '2026-11-22T10:00:00.000Z'): ActivityEntry[] {
  return names.map((path) => ({ path, kind, at }));
}

function planner(level: NotificationLevel = 'all') {
  let current = level;
  const p = new NotificationPlanner(() => current);
  return { p, set: (l: NotificationLevel) => (current = l) };
}

describe('NotificationPlanner', () => {
  it('batches files from the cloud into one notice per window and never notifies the user\'s own uploads', () => {
    const { p } = planner();
    let recent: ActivityEntry[] = [];
    for (let i = 0; i < 12; i++) {
      recent = [...entries('downloaded', [`docs/file-${i}.txt`], `2026-11-22T10:00:0${i % 10}.${i}Z`), ...recent];
      expect(p.statusChanged({ ...base, recent }, T0 + i * 100)).toEqual([]);
    }
    recent = [...entries('uploaded', ['mine.txt']), ...entries('deleted-here', ['old.txt']), ...recent];
    p.statusChanged({ ...base, recent }, T0 + 2000);
    expect(p.flush(T0 + BATCH_MS - 1)).toEqual([]);
    const [notice, ...rest] = p.flush(T0 + BATCH_MS);
    expect(rest).toEqual([]);
    expect(notice).toEqual({
      level: 'file-change',
      title: '12 files added or changed from the cloud; 1 file deleted because it was deleted elsewhere (in the trash)',
      body: 'file-0.txt, file-1.txt, file-2.txt and 10 more',
    });
    // The same entries again (the engine repeats its last 50): nothing new.
    p.statusChanged({ ...base, recent }, T0 + 20_000);
    expect(p.flush(T0 + 40_000)).toEqual([]);
  });

  it('drops the same notice within 10 minutes', () => {
    const { p } = planner();
    const rail = { code: 'mass-delete', direction: 'remote', count: 600, sample: [], message: 'm' } as const;
    expect(p.statusChanged({ ...base, sync: 'stopped-confirm-deletes', rail }, T0)).toHaveLength(1);
    p.statusChanged(base, T0 + 1000);
    expect(p.statusChanged({ ...base, sync: 'stopped-confirm-deletes', rail }, T0 + 2000)).toEqual([]);
    p.statusChanged(base, T0 + 3000);
    expect(p.statusChanged({ ...base, sync: 'stopped-confirm-deletes', rail }, T0 + DEDUPE_MS + 3000)).toHaveLength(1);
  });

  it('snooze mutes file changes only: a conflict and an error still get through', () => {
    const { p } = planner();
    p.snooze(30, T0);
    p.statusChanged({ ...base, recent: entries('downloaded', ['a.txt']) }, T0 + 1000);
    expect(p.flush(T0 + BATCH_MS + 1000)).toEqual([]);
    const conflict = { kind: 'conflict', path: 'n.txt', message: 'm', at: 't', here: { path: 'n (c).txt', size: 1, modifiedAt: 't' }, other: { path: 'n.txt', size: 2, modifiedAt: 't' } } as const;
    const error = { kind: 'error', path: 'x.bin', message: 'refused', retrying: false } as const;
    const shown = p.statusChanged({ ...base, sync: 'needs-attention', attention: [conflict, error] }, T0 + 2000);
    expect(shown.map((n) => n.level)).toEqual(['attention', 'error']);
    expect(shown[1]?.body).toBe('"x.bin": open Stratus to see why and retry.');
    // After the snooze, file changes are told again.
    p.statusChanged({ ...base, recent: entries('downloaded', ['b.txt'], '2026-11-22T10:40:00.000Z') }, T0 + 31 * 60_000);
    expect(p.flush(T0 + 31 * 60_000 + BATCH_MS)).toHaveLength(1);
  });

  it('follows the level, and off means off for every level', () => {
    const { p, set } = planner('attention');
    p.statusChanged({ ...base, recent: entries('downloaded', ['a.txt']) }, T0);
    expect(p.flush(T0 + BATCH_MS)).toEqual([]);
    const error = { kind: 'error', path: 'x.bin', message: 'refused', retrying: false } as const;
    const retrying = { kind: 'error', path: 'y.bin', message: 'busy', retrying: true } as const;
    // An item retried by itself is not an error notice.
    expect(p.statusChanged({ ...base, sync: 'needs-attention', attention: [retrying] }, T0 + 1)).toEqual([]);
    set('errors');
    expect(p.statusChanged({ ...base, sync: 'sign-in-required' }, T0 + 2)).toEqual([]);
    expect(p.statusChanged({ ...base, sync: 'needs-attention', attention: [error] }, T0 + 3).map((n) => n.level)).toEqual(['error']);
    set('off');
    expect(p.statusChanged({ ...base, sync: 'needs-attention', attention: [error, { ...error, path: 'z.bin' }] }, T0 + 4)).toEqual([]);
    expect(p.statusChanged({ ...base, sync: 'sign-in-required' }, T0 + 5)).toEqual([]);
  });
});
