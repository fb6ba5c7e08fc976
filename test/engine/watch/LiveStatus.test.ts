/**
 * LiveStatus against fake scheduler and engine events: "Up to date" only
 * after a completed run with nothing pending; Checking while discovery runs;
 * the other states one to one; the last completed check always kept.
 */
import { describe, expect, it } from 'vitest';
import { Emitter } from '../../../src/core/Emitter.js';
import { StratusError } from '../../../src/core/StratusError.js';
import type { EnginePhase } from '../../../src/engine/SyncEngine.js';
import type { CompletedItem, SyncResult } from '../../../src/engine/SyncResult.js';
import { LiveStatus } from '../../../src/engine/watch/LiveStatus.js';
import type { CompletedRun, StateChange } from '../../../src/engine/watch/SyncScheduler.js';
import type { StatusSnapshot } from '../../../src/shared/StratusApi.js';
import { syncResult } from '../../support/syncResults.js';

const result = syncResult;

function world() {
  const states = new Emitter<StateChange>();
  const runs = new Emitter<CompletedRun>();
  const phases = new Emitter<EnginePhase>();
  const items = new Emitter<CompletedItem>();
  let clock = Date.parse('2026-11-22T10:00:00Z');
  const live = new LiveStatus({
    scheduler: { onDidChangeState: states.event, onDidCompleteRun: runs.event },
    engine: { onDidChangePhase: phases.event, onDidCompleteItem: items.event },
    folder: '/home/ada/Stratus',
    now: () => new Date(clock),
  });
  const seen: StatusSnapshot[] = [];
  live.onDidChangeStatus((s) => seen.push(s));
  return {
    live,
    seen,
    tick: (ms: number) => (clock += ms),
    state: (state: StateChange['state'], error?: unknown) => states.fire({ state, previous: 'idle', ...(error === undefined ? {} : { error }) }),
    phase: (p: EnginePhase) => phases.fire(p),
    item: (i: CompletedItem) => items.fire(i),
    run: (r: SyncResult) => runs.fire({ reasons: ['local'], result: r }),
  };
}

describe('LiveStatus', () => {
  it('says Checking until a run completes, Syncing only when the plan has work, and Up to date only at the end', () => {
    const w = world();
    expect(w.live.current).toMatchObject({ auth: 'signed-in', sync: 'checking', folder: '/home/ada/Stratus' });
    expect(w.live.current.lastCheckAt).toBeUndefined();
    w.state('syncing');
    w.phase({ phase: 'discovering' });
    w.phase({ phase: 'transferring', actions: 0 });
    expect(w.live.current.sync).toBe('checking');
    // The scheduler turns idle before the run's result arrives: that alone is not "up to date".
    w.state('idle');
    expect(w.live.current.sync).toBe('checking');
    w.run(result());
    expect(w.live.current).toMatchObject({ sync: 'up-to-date', lastCheckAt: '2026-11-22T10:00:00.000Z' });

    w.tick(60_000);
    w.state('syncing');
    w.phase({ phase: 'discovering' });
    expect(w.live.current).toMatchObject({ sync: 'checking', lastCheckAt: '2026-11-22T10:00:00.000Z' });
    w.phase({ phase: 'transferring', actions: 3 });
    expect(w.live.current.sync).toBe('syncing');
    w.run(result({ counts: { uploaded: 3, downloaded: 0, deletedLocal: 0, deletedRemote: 0, moved: 0, conflicts: 0, errors: 0 } }));
    expect(w.live.current).toMatchObject({ sync: 'up-to-date', lastCheckAt: '2026-11-22T10:01:00.000Z' });
  });

  it('is not up to date after a run that failed items, made conflicted copies, or asked for another run', () => {
    const w = world();
    w.run(result({ errors: [{ path: 'a.txt', code: 'network', message: 'x', retrying: true }] }));
    expect(w.live.current).toMatchObject({ sync: 'needs-attention', pending: 1, message: '1 item could not be synced yet (retrying by itself).' });
    w.run(result({ counts: { uploaded: 0, downloaded: 0, deletedLocal: 0, deletedRemote: 0, moved: 0, conflicts: 2, errors: 0 } }));
    expect(w.live.current).toMatchObject({ sync: 'needs-attention', pending: 2, message: '2 conflicts: both versions were kept.' });
    w.run(result({ runAgain: true }));
    expect(w.live.current.sync).toBe('checking');
    expect(w.live.current.pending).toBeUndefined();
    expect(w.live.current.message).toBeUndefined();
  });

  it('maps a fired safety rail, pause, offline, sign-in ended and a failed run to their states, with the reason', () => {
    const w = world();
    w.run(result({ stopped: { code: 'mass-delete', direction: 'remote', count: 600, message: 'Stopped before deleting 600 files.', sample: [] } }));
    expect(w.live.current).toMatchObject({ sync: 'stopped-confirm-deletes', message: 'Stopped before deleting 600 files.' });
    w.state('paused');
    expect(w.live.current.sync).toBe('paused');
    w.state('offline', new StratusError('remote-list-failed', 'listing failed', { cause: new StratusError('network', 'The server cannot be reached.') }));
    expect(w.live.current).toMatchObject({ sync: 'offline', message: 'The server cannot be reached.' });
    w.state('signed-out', new StratusError('signed-out', 'You are signed out; sign in again.'));
    expect(w.live.current).toMatchObject({ sync: 'sign-in-required', message: 'You are signed out; sign in again.' });
    w.state('error', new StratusError('no-such-bucket', 'The bucket does not exist.'));
    expect(w.live.current).toMatchObject({ sync: 'needs-attention', message: 'The bucket does not exist.' });
    // Every change was announced once, with the whole snapshot.
    expect(w.seen.map((s) => s.sync)).toEqual(['stopped-confirm-deletes', 'paused', 'offline', 'sign-in-required', 'needs-attention']);
  });

  it('lists recent items newest first, with failures in plain words, keeping at most 50', () => {
    const w = world();
    w.item({ path: 'docs/a.txt', activity: 'uploaded' });
    w.tick(1000);
    w.item({ path: 'b.txt', activity: 'downloaded', failure: { code: 'disk-full', message: 'The disk is full.', retrying: false } });
    expect(w.live.current.recent).toEqual([
      { path: 'b.txt', kind: 'downloaded', at: '2026-11-22T10:00:01.000Z', failed: 'The disk is full.' },
      { path: 'docs/a.txt', kind: 'uploaded', at: '2026-11-22T10:00:00.000Z' },
    ]);
    for (let i = 0; i < 60; i += 1) w.item({ path: `f${i}`, activity: 'uploaded' });
    expect(w.live.current.recent).toHaveLength(50);
    expect(w.live.current.recent?.[0]?.path).toBe('f59');
    // A state change keeps the list.
    w.run(result());
    expect(w.live.current.recent).toHaveLength(50);
  });

  it('stops listening when disposed', () => {
    const w = world();
    w.live.dispose();
    w.run(result());
    expect(w.live.current.sync).toBe('checking');
    expect(w.seen).toEqual([]);
  });
});
