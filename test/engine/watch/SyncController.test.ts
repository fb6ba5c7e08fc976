/**
 * SyncController with stand-ins for continuous sync, the engine and the
 * status: each command does what the contract says, refusals are sentences
 * (never throws), a timed pause resumes by itself, and commands that change
 * files re-read the attention list and ask for a run.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SyncController, type ControllableEngine } from '../../../src/engine/watch/SyncController.js';
import type { RunReason, SchedulerState } from '../../../src/engine/watch/SyncScheduler.js';
import type { CommandResult } from '../../../src/shared/StratusApi.js';

function world(engine: ControllableEngine = {}, state: SchedulerState = 'idle') {
  const calls: string[] = [];
  const runs: RunReason[] = [];
  let pausedUntil: Date | undefined;
  const scheduler = {
    state,
    requestRun: (reason: RunReason) => void runs.push(reason),
    retryNow: () => void calls.push('scheduler.retryNow'),
  };
  const sync = {
    scheduler,
    pause: () => {
      calls.push('pause');
      scheduler.state = 'paused';
    },
    resume: () => {
      calls.push('resume');
      scheduler.state = 'idle';
    },
    retryNow: (paths?: readonly string[]) => {
      calls.push(`retryNow:${paths?.join(',') ?? '*'}`);
      return Promise.resolve();
    },
  };
  const status = {
    setPausedUntil: (until: Date | undefined) => void (pausedUntil = until),
    refreshAttention: () => {
      calls.push('refreshAttention');
      return Promise.resolve();
    },
  };
  const now = new Date('2026-11-22T10:00:00Z');
  const controller = new SyncController({ sync, engine, status, now: () => now });
  return { controller, calls, runs, scheduler, pausedUntil: () => pausedUntil };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('SyncController', () => {
  it('pauses until resumed, or for N minutes and then resumes by itself, showing the end', async () => {
    vi.useFakeTimers();
    const w = world();
    expect(await w.controller.run({ type: 'pause' })).toEqual({ ok: true });
    expect(w.pausedUntil()).toBeUndefined();
    expect(await w.controller.run({ type: 'resume' })).toEqual({ ok: true });

    expect(await w.controller.run({ type: 'pause', minutes: 30 })).toEqual({ ok: true });
    expect(w.pausedUntil()?.toISOString()).toBe('2026-11-22T10:30:00.000Z');
    vi.advanceTimersByTime(29 * 60_000);
    expect(w.calls.filter((c) => c === 'resume')).toHaveLength(1);
    vi.advanceTimersByTime(60_000);
    expect(w.calls.filter((c) => c === 'resume')).toHaveLength(2);

    // Pausing again replaces the timer: the first one's end no longer resumes.
    await w.controller.run({ type: 'pause', minutes: 60 });
    await w.controller.run({ type: 'pause' });
    vi.advanceTimersByTime(2 * 3_600_000);
    expect(w.calls.filter((c) => c === 'resume')).toHaveLength(2);
    w.controller.dispose();
  });

  it('refuses Sync now while paused or signed out, with what to do', async () => {
    const paused = world({}, 'paused');
    expect(await paused.controller.run({ type: 'sync-now' })).toEqual({ ok: false, message: 'Sync is paused. Resume it first.' });
    const signedOut = world({}, 'signed-out');
    expect((await signedOut.controller.run({ type: 'sync-now' })).message).toMatch(/^Sign in again first/);
    const idle = world();
    expect(await idle.controller.run({ type: 'sync-now' })).toEqual({ ok: true });
    expect(idle.calls).toEqual(['scheduler.retryNow']);
  });

  it('retries one file or all', async () => {
    const w = world();
    await w.controller.run({ type: 'retry-now', path: 'a/b.txt' });
    await w.controller.run({ type: 'retry-now' });
    expect(w.calls).toEqual(['retryNow:a/b.txt', 'retryNow:*']);
  });

  it('passes the rail answer to the engine and runs at once only when it was accepted', async () => {
    const answers: string[] = [];
    const engine: ControllableEngine = {
      answerRail: (choice) => {
        answers.push(choice);
        return choice === 'confirm' ? { ok: true } : { ok: false, message: 'No safety stop is waiting.' };
      },
    };
    const w = world(engine);
    expect(await w.controller.run({ type: 'confirm-deletes' })).toEqual({ ok: true });
    expect(w.runs).toEqual(['manual']);
    expect(await w.controller.run({ type: 'restore-deletes' })).toEqual({ ok: false, message: 'No safety stop is waiting.' });
    expect(w.runs).toEqual(['manual']);
    expect(answers).toEqual(['confirm', 'restore']);
  });

  it('after resolving a conflict or ignoring a file, reads the attention list again and runs (not while paused)', async () => {
    const engine: ControllableEngine = {
      resolveConflict: (path, keep): Promise<CommandResult> => Promise.resolve(path === 'x.txt' ? { ok: true } : { ok: false, message: `No conflict is recorded for ${path} (${keep}).` }),
      ignorePath: () => Promise.resolve({ ok: true }),
    };
    const w = world(engine);
    expect(await w.controller.run({ type: 'resolve-conflict', path: 'x.txt', keep: 'both' })).toEqual({ ok: true });
    expect(w.calls).toEqual(['refreshAttention']);
    expect(w.runs).toEqual(['manual']);
    expect(await w.controller.run({ type: 'resolve-conflict', path: 'y.txt', keep: 'here' })).toEqual({ ok: false, message: 'No conflict is recorded for y.txt (here).' });
    expect(w.runs).toEqual(['manual']);
    w.scheduler.state = 'paused';
    expect(await w.controller.run({ type: 'ignore-path', path: 'z.tmp' })).toEqual({ ok: true });
    expect(w.runs).toEqual(['manual']);
  });

  it('answers in words when the engine cannot, or fails, and refuses opening files (only the app can)', async () => {
    const w = world({ ignorePath: () => Promise.reject(new Error('disk full')) });
    expect(await w.controller.run({ type: 'resolve-conflict', path: 'x', keep: 'both' })).toEqual({ ok: false, message: 'This engine cannot resolve conflicts.' });
    expect(await w.controller.run({ type: 'ignore-path', path: 'x' })).toEqual({ ok: false, message: 'Stratus could not do that: disk full' });
    expect((await w.controller.run({ type: 'open-path', path: 'x' })).message).toMatch(/only be opened in the Stratus app/);
    expect((await w.controller.run({ type: 'show-in-folder', path: 'x' })).ok).toBe(false);
  });
});
