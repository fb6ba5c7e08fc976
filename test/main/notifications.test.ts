/**
 * Notifications fire once per transition — a conflict found, a rail fired,
 * sign-in required — and not again on the statuses that follow.
 */
import { describe, expect, it } from 'vitest';
import { notificationFor } from '../../src/main/notifications.js';
import type { AttentionItem, StatusSnapshot } from '../../src/shared/StratusApi.js';

const upToDate: StatusSnapshot = { version: 1, auth: 'signed-in', sync: 'up-to-date', lastCheckAt: '2026-11-22T14:00:00.000Z' };
const conflict = (path: string): AttentionItem => ({
  kind: 'conflict', path, message: 'both changed', at: '2026-11-22T14:00:00.000Z',
  here: { path: `${path} (conflicted copy)`, size: 1, modifiedAt: '2026-11-22T13:00:00.000Z' }, other: { path, size: 2, modifiedAt: '2026-11-22T13:10:00.000Z' },
});
const error: AttentionItem = { kind: 'error', path: 'e.txt', message: 'Access denied', retrying: true };

/** Feeds statuses in order; returns the kinds that fired. */
function run(statuses: readonly StatusSnapshot[]): string[] {
  let previous: StatusSnapshot | undefined;
  const fired: string[] = [];
  for (const status of statuses) {
    const n = notificationFor(previous, status);
    if (n !== undefined) fired.push(n.kind);
    previous = status;
  }
  return fired;
}

describe('notificationFor', () => {
  it('tells about a new conflict once, with the file name, and not on the next statuses', () => {
    const withConflict: StatusSnapshot = { ...upToDate, sync: 'needs-attention', attention: [conflict('docs/plan.txt')] };
    const n = notificationFor(upToDate, withConflict);
    expect(n).toEqual({ kind: 'conflict', title: 'Conflict: both versions kept', body: '"plan.txt" was changed here and in the cloud. Open Stratus to choose which version to keep.' });
    expect(run([upToDate, withConflict, { ...withConflict, pending: 1 }, withConflict])).toEqual(['conflict']);
  });

  it('batches conflicts found together into one notification, and tells about a later one again', () => {
    const two: StatusSnapshot = { ...upToDate, sync: 'needs-attention', attention: [conflict('a.txt'), conflict('b.txt'), error] };
    expect(notificationFor(upToDate, two)?.title).toBe('2 conflicts: both versions kept');
    const three: StatusSnapshot = { ...two, attention: [...(two.attention ?? []), conflict('c.txt')] };
    expect(run([upToDate, two, three, three])).toEqual(['conflict', 'conflict']);
  });

  it('does not notify for errors, file changes or a resolved conflict', () => {
    const withError: StatusSnapshot = { ...upToDate, sync: 'needs-attention', attention: [error] };
    const withConflict: StatusSnapshot = { ...upToDate, sync: 'needs-attention', attention: [conflict('a.txt')] };
    expect(run([upToDate, withError, { ...upToDate, sync: 'syncing' }, upToDate])).toEqual([]);
    expect(notificationFor(withConflict, upToDate)).toBeUndefined();
  });

  it('tells once when a rail fires, with the count and direction', () => {
    const rail: StatusSnapshot = { ...upToDate, sync: 'stopped-confirm-deletes', rail: { code: 'mass-delete', direction: 'remote', count: 600, sample: ['a'], message: 'm' } };
    expect(notificationFor(upToDate, rail)).toEqual({
      kind: 'rail', title: 'Stratus stopped before deleting files', body: '600 files would be deleted in the cloud. Open Stratus to confirm or restore them.',
    });
    expect(run([upToDate, rail, rail, { ...rail, rail: { ...rail.rail!, count: 601 } }])).toEqual(['rail']);
    // Confirmed, then a new rail later: told again.
    expect(run([upToDate, rail, upToDate, rail])).toEqual(['rail', 'rail']);
  });

  it('tells once when signing in again is required, with the engine\'s sentence', () => {
    const signIn: StatusSnapshot = { ...upToDate, auth: 'signed-out', sync: 'sign-in-required', message: 'Your session expired; sign in again.' };
    expect(notificationFor(upToDate, signIn)).toEqual({ kind: 'sign-in-required', title: 'Sign in to keep syncing', body: 'Your session expired; sign in again.' });
    expect(run([upToDate, signIn, signIn, { ...signIn, pending: 3 }])).toEqual(['sign-in-required']);
  });

  it('tells about sign-in before anything else happening at the same time', () => {
    const both: StatusSnapshot = { ...upToDate, sync: 'sign-in-required', attention: [conflict('a.txt')] };
    expect(notificationFor(upToDate, both)?.kind).toBe('sign-in-required');
  });

  it('stays quiet while the first-run screens are up', () => {
    const signIn: StatusSnapshot = { ...upToDate, auth: 'signed-out', sync: 'sign-in-required', setup: { step: 'sign-in' } };
    expect(notificationFor(upToDate, signIn)).toBeUndefined();
  });

  it('tells about a conflict already there at the first status', () => {
    expect(notificationFor(undefined, { ...upToDate, sync: 'needs-attention', attention: [conflict('a.txt')] })?.kind).toBe('conflict');
    expect(notificationFor(undefined, upToDate)).toBeUndefined();
  });
});
