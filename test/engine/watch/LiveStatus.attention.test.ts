/**
 * LiveStatus beyond the states: the attention list outlives the run that
 * found it (never a moment of "Up to date" while a conflict waits), a fired
 * rail carries its sample, progress counts items and bytes with a rate only
 * after 2 s and an ETA only after 5 s, item events are coalesced, a timed
 * pause shows its end, and every snapshot passes the shared validator.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Emitter } from '../../../src/core/Emitter.js';
import type { EnginePhase } from '../../../src/engine/SyncEngine.js';
import type { CompletedItem, SyncResult } from '../../../src/engine/SyncResult.js';
import { LiveStatus, type StartedItem } from '../../../src/engine/watch/LiveStatus.js';
import type { CompletedRun, StateChange } from '../../../src/engine/watch/SyncScheduler.js';
import type { AttentionItem, StatusSnapshot } from '../../../src/shared/StratusApi.js';
import { isStatusSnapshot } from '../../../src/shared/validators.js';
import { syncResult } from '../../support/syncResults.js';

const conflict: AttentionItem = {
  kind: 'conflict',
  path: 'notes.txt',
  message: 'Changed on this computer and in the cloud.',
  here: { path: 'notes (conflicted copy laptop 2026-11-22 100000).txt', size: 11, modifiedAt: '2026-11-22T09:59:00.000Z', device: 'laptop' },
  other: { path: 'notes.txt', size: 38, modifiedAt: '2026-11-22T09:58:00.000Z' },
  at: '2026-11-22T10:00:00.000Z',
};

function world() {
  const states = new Emitter<StateChange>();
  const runs = new Emitter<CompletedRun>();
  const phases = new Emitter<EnginePhase & { bytes?: number }>();
  const started = new Emitter<StartedItem>();
  const items = new Emitter<CompletedItem & { bytes?: number }>();
  let clock = Date.parse('2026-11-22T10:00:00Z');
  let attention: AttentionItem[] = [];
  const live = new LiveStatus({
    scheduler: { onDidChangeState: states.event, onDidCompleteRun: runs.event },
    engine: { onDidChangePhase: phases.event, onDidCompleteItem: items.event, onDidStartItem: started.event },
    attention: () => Promise.resolve(attention),
    folder: '/home/ada/Stratus',
    location: { bucket: 'b', prefix: 'id/' },
    now: () => new Date(clock),
  });
  const seen: StatusSnapshot[] = [];
  live.onDidChangeStatus((s) => seen.push(s));
  return {
    live,
    seen,
    setAttention: (a: AttentionItem[]) => (attention = a),
    tick: (ms: number) => (clock += ms),
    state: (state: StateChange['state']) => states.fire({ state, previous: 'idle' }),
    phase: (p: EnginePhase & { bytes?: number }) => phases.fire(p),
    start: (i: StartedItem) => started.fire(i),
    item: (i: CompletedItem & { bytes?: number }) => items.fire(i),
    run: (r: SyncResult) => runs.fire({ reasons: ['local'], result: r }),
  };
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

afterEach(() => {
  vi.useRealTimers();
});

describe('LiveStatus attention, rail, progress', () => {
  it('keeps Needs attention while a conflict waits, across clean runs, and says Up to date once it is resolved', async () => {
    const w = world();
    w.setAttention([conflict]);
    w.run(syncResult({ counts: { ...syncResult().counts, conflicts: 1 } }));
    await settle();
    expect(w.live.current).toMatchObject({ sync: 'needs-attention', pending: 1, attention: [conflict] });
    expect(w.live.current.message).toBe('1 conflict: both versions were kept.');

    // A later clean run does not make it "Up to date" while the conflict still waits — not even for a moment.
    w.seen.length = 0;
    w.state('syncing');
    w.run(syncResult());
    await settle();
    expect(w.seen.map((s) => s.sync)).not.toContain('up-to-date');
    expect(w.live.current.sync).toBe('needs-attention');

    w.setAttention([]);
    await w.live.refreshAttention();
    expect(w.live.current.sync).toBe('up-to-date');
    expect(w.live.current.attention).toBeUndefined();
    expect(w.live.current.pending).toBeUndefined();
    for (const s of w.seen) expect(isStatusSnapshot(s)).toBe(true);
  });

  it('carries the rail with its sample until a run goes ahead', async () => {
    const w = world();
    const sample = ['a.txt', 'b.txt'];
    w.run(syncResult({ stopped: { code: 'mass-delete', direction: 'remote', count: 12, message: 'This run would delete 12 files…', sample } as NonNullable<SyncResult['stopped']> }));
    expect(w.live.current).toMatchObject({ sync: 'stopped-confirm-deletes', rail: { code: 'mass-delete', direction: 'remote', count: 12, sample } });
    w.state('paused');
    expect(w.live.current.rail?.count).toBe(12);
    w.state('syncing');
    w.run(syncResult({ counts: { ...syncResult().counts, deletedRemote: 12 } }));
    await settle();
    expect(w.live.current.sync).toBe('up-to-date');
    expect(w.live.current.rail).toBeUndefined();
    expect(isStatusSnapshot(w.live.current)).toBe(true);
  });

  it('counts items and bytes while syncing; rate after 2 s, ETA after 5 s; coalesces item events', () => {
    vi.useFakeTimers();
    const w = world();
    w.state('syncing');
    w.phase({ phase: 'transferring', actions: 6, items: 4, bytes: 4000, upcoming: ['a.bin', 'b.bin', 'c.bin', 'd.bin'] });
    expect(w.live.current.progress).toBeUndefined();
    const before = w.seen.length;
    w.start({ path: 'a.bin', bytes: 1000 });
    w.start({ path: 'b.bin', bytes: 1000 });
    expect(w.live.current.progress).toEqual({ done: 0, total: 4, bytesLeft: 4000, current: ['a.bin', 'b.bin'], next: ['c.bin', 'd.bin'] });
    w.tick(1000);
    w.item({ path: 'a.bin', activity: 'uploaded', bytes: 1000 });
    expect(w.live.current.progress).toMatchObject({ done: 1, bytesLeft: 3000, current: ['b.bin'] });
    expect(w.live.current.progress?.bytesPerSecond).toBeUndefined();
    // Three item events, one emission after 250 ms.
    expect(w.seen.length).toBe(before);
    vi.advanceTimersByTime(250);
    expect(w.seen.length).toBe(before + 1);
    w.tick(1500);
    w.item({ path: 'b.bin', activity: 'uploaded', bytes: 1000 });
    expect(w.live.current.progress).toMatchObject({ done: 2, bytesLeft: 2000, bytesPerSecond: 800 });
    expect(w.live.current.progress?.etaSeconds).toBeUndefined();
    w.tick(2500);
    w.start({ path: 'c.bin', bytes: 1000 });
    expect(w.live.current.progress).toMatchObject({ bytesPerSecond: 400, etaSeconds: 5, current: ['c.bin'], next: ['d.bin'] });
    expect(isStatusSnapshot(w.live.current)).toBe(true);
    w.run(syncResult({ counts: { ...syncResult().counts, uploaded: 4 } }));
    expect(w.live.current.progress).toBeUndefined();
    w.live.dispose();
  });

  it('shows the end of a timed pause and drops it on resume; storage used comes from the run', () => {
    const w = world();
    w.live.setPausedUntil(new Date('2026-11-22T10:30:00Z'));
    w.state('paused');
    expect(w.live.current).toMatchObject({ sync: 'paused', pausedUntil: '2026-11-22T10:30:00.000Z' });
    w.run({ ...syncResult(), remoteUsage: { files: 3, bytes: 4096 } } as SyncResult);
    expect(w.live.current.location).toEqual({ bucket: 'b', prefix: 'id/', usedBytes: 4096, usedFiles: 3 });
  });
});
