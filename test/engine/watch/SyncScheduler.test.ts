/**
 * SyncScheduler against a fake engine: the loop's rules (debounce, run
 * again, offline and back, pause/resume, dispose) without any I/O.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StratusError } from '../../../src/core/StratusError.js';
import type { SyncResult } from '../../../src/engine/SyncResult.js';
import { isOfflineError, SyncScheduler, type RunReason, type SchedulerState, type SyncSchedulerOptions } from '../../../src/engine/watch/SyncScheduler.js';
import { syncResult } from '../../support/syncResults.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const result = syncResult;

const networkDown = () => new StratusError('remote-list-failed', 'listing failed', { severity: 'fatal', cause: new StratusError('network', "can't reach", { severity: 'soft' }) });

/** A fake engine: each run takes `runMs`, then does what `next` says (default: a clean result). */
class FakeEngine {
  runs: { signal: AbortSignal | undefined }[] = [];
  active = 0;
  maxActive = 0;
  runMs = 30;
  next: (() => SyncResult | Promise<SyncResult>)[] = [];
  async runOnce(options: { signal?: AbortSignal }): Promise<SyncResult> {
    this.runs.push({ signal: options.signal });
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, this.runMs);
        options.signal?.addEventListener('abort', () => {
          clearTimeout(t);
          reject(new StratusError('aborted', 'aborted', { severity: 'soft' }));
        });
      });
      const step = this.next.shift();
      return step === undefined ? result() : await step();
    } finally {
      this.active--;
    }
  }
}

let scheduler: SyncScheduler | undefined;
afterEach(async () => {
  await scheduler?.dispose();
  scheduler = undefined;
});

function make(engine: FakeEngine, options: Partial<SyncSchedulerOptions> = {}) {
  const s = new SyncScheduler({ engine, debounceMs: 20, maxWaitMs: 200, againDelayMs: 5, initialBackoffMs: 20, maxBackoffMs: 80, ...options });
  scheduler = s;
  const states: SchedulerState[] = [];
  const runs: (readonly RunReason[])[] = [];
  s.onDidChangeState((c) => states.push(c.state));
  s.onDidCompleteRun((r) => runs.push(r.reasons));
  return { s, states, runs };
}

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting for the condition');
    await sleep(5);
  }
}

describe('SyncScheduler', () => {
  it('collapses a burst of local events into one run', async () => {
    const engine = new FakeEngine();
    const { s, runs } = make(engine);
    for (let i = 0; i < 10; i++) {
      s.requestRun('local');
      await sleep(2);
    }
    await until(() => runs.length === 1);
    await sleep(100);
    expect(engine.runs).toHaveLength(1);
    expect(runs[0]).toEqual(['local']);
  });

  it('still runs within maxWait when events never stop', async () => {
    const engine = new FakeEngine();
    const { s, runs } = make(engine, { debounceMs: 50, maxWaitMs: 120 });
    const started = Date.now();
    const stream = setInterval(() => s.requestRun('local'), 10);
    try {
      await until(() => runs.length >= 1);
    } finally {
      clearInterval(stream);
    }
    // One debounce window would never end; maxWait (120 ms) + the run (30 ms) bounds it.
    expect(Date.now() - started).toBeLessThan(400);
  });

  it('runs exactly once more when asked during a run, and never overlaps runs', async () => {
    const engine = new FakeEngine();
    engine.runMs = 80;
    const { s, runs } = make(engine);
    s.requestRun('start', { immediate: true });
    await until(() => engine.active === 1);
    s.requestRun('local');
    s.requestRun('remote');
    s.requestRun('local');
    await until(() => runs.length === 2);
    await sleep(150);
    expect(engine.runs).toHaveLength(2);
    expect(engine.maxActive).toBe(1);
    expect([...(runs[1] ?? [])].sort()).toEqual(['local', 'remote']);
    expect(s.state).toBe('idle');
  });

  it('runs again when the engine says something changed underneath', async () => {
    const engine = new FakeEngine();
    engine.next = [() => result({ runAgain: true })];
    const { s, runs } = make(engine);
    s.requestRun('local', { immediate: true });
    await until(() => runs.length === 2);
    await sleep(80);
    expect(runs).toEqual([['local'], ['again']]);
  });

  it('retries failed items when they are due, not before', async () => {
    const engine = new FakeEngine();
    const failed = { path: 'a.txt', code: 'server-busy', message: 'busy', retrying: true };
    engine.next = [() => result({ errors: [failed], counts: { ...result().counts, errors: 1 } })];
    const { s, runs } = make(engine, { itemRetryMs: 150 });
    s.requestRun('local', { immediate: true });
    await until(() => runs.length === 1);
    await sleep(60);
    expect(runs).toHaveLength(1);
    await until(() => runs.length === 2);
    expect(runs[1]).toEqual(['retry']);
  });

  it('goes offline when the server cannot be reached, probes with backoff, and comes back by itself', async () => {
    const engine = new FakeEngine();
    engine.next = [() => Promise.reject(networkDown())];
    let reachable = false;
    let probes = 0;
    const { s, states, runs } = make(engine, {
      probe: () => {
        probes++;
        return reachable ? Promise.resolve() : Promise.reject(new StratusError('network', 'down', { severity: 'soft' }));
      },
    });
    s.requestRun('local', { immediate: true });
    await until(() => s.state === 'offline');
    // Local changes while offline wait in the queue; nothing runs.
    s.requestRun('local');
    await until(() => probes >= 3);
    expect(engine.runs).toHaveLength(1);
    reachable = true;
    await until(() => runs.length === 1 && s.state === 'idle');
    expect(states).toEqual(['syncing', 'offline', 'idle', 'syncing', 'idle']);
    expect(runs[0]).toEqual(expect.arrayContaining(['local', 'online']));
  });

  it('treats a run whose every failure is a network failure as offline', async () => {
    const engine = new FakeEngine();
    const err = { path: 'a.txt', code: 'network', message: "can't reach", retrying: true };
    engine.next = [() => result({ errors: [err] })];
    const { s } = make(engine, { probe: () => Promise.resolve() });
    s.requestRun('local', { immediate: true });
    await until(() => s.state === 'offline');
    await until(() => s.state === 'idle' && engine.runs.length === 2);
  });

  it('retries at once on retryNow while offline', async () => {
    const engine = new FakeEngine();
    engine.next = [() => Promise.reject(networkDown())];
    let probes = 0;
    const { s } = make(engine, { initialBackoffMs: 10_000, maxBackoffMs: 10_000, probe: () => (probes++, Promise.resolve()) });
    s.requestRun('local', { immediate: true });
    await until(() => s.state === 'offline');
    expect(probes).toBe(0);
    s.retryNow();
    await until(() => engine.runs.length === 2 && s.state === 'idle');
    expect(probes).toBe(1);
  });

  it('pauses (aborting the run in flight) and resumes with what was asked for meanwhile', async () => {
    const engine = new FakeEngine();
    engine.runMs = 200;
    const { s, runs } = make(engine);
    s.requestRun('local', { immediate: true });
    await until(() => engine.active === 1);
    s.pause();
    expect(s.state).toBe('paused');
    await until(() => engine.active === 0);
    expect(engine.runs[0]?.signal?.aborted).toBe(true);
    s.requestRun('remote');
    await sleep(80);
    expect(engine.runs).toHaveLength(1);
    engine.runMs = 5;
    s.resume();
    await until(() => runs.length === 1);
    expect([...(runs[0] ?? [])].sort()).toEqual(['local', 'manual', 'remote']);
  });

  it('goes to error on other failures and keeps trying with backoff', async () => {
    const engine = new FakeEngine();
    engine.next = [() => Promise.reject(new StratusError('access-denied', 'denied', { severity: 'fatal' }))];
    const { s, states } = make(engine);
    s.requestRun('local', { immediate: true });
    await until(() => s.state === 'error');
    await until(() => engine.runs.length === 2 && s.state === 'idle');
    expect(states).toEqual(['syncing', 'error', 'syncing', 'idle']);
  });

  it('stops in signed-out when the sign-in ended: no retry loop, requests kept, retryNow carries on after a new sign-in', async () => {
    const engine = new FakeEngine();
    const signedOut = new StratusError('remote-list-failed', 'listing failed', { severity: 'fatal', cause: new StratusError('signed-out', 'You are signed out', { severity: 'fatal' }) });
    engine.next = [() => Promise.reject(signedOut)];
    const { s, states, runs } = make(engine);
    s.requestRun('local', { immediate: true });
    await until(() => s.state === 'signed-out');
    s.requestRun('remote', { immediate: true });
    await sleep(300); // well past the 20–80 ms backoff
    expect(engine.runs).toHaveLength(1);
    expect(s.state).toBe('signed-out');
    s.retryNow();
    await until(() => runs.length === 1 && s.state === 'idle');
    expect([...(runs[0] ?? [])].sort()).toEqual(['local', 'remote', 'retry']);
    expect(states).toEqual(['syncing', 'signed-out', 'idle', 'syncing', 'idle']);
  });

  it('waits for the earliest item retry the run reports, but not less than itemRetryMs', async () => {
    const engine = new FakeEngine();
    const failed = { path: 'a.txt', code: 'network-ish', message: 'x', retrying: true };
    engine.next = [() => result({ errors: [failed], nextRetryAt: Date.now() + 400 })];
    const { s, runs } = make(engine, { itemRetryMs: 10 });
    s.requestRun('local', { immediate: true });
    await until(() => runs.length === 1);
    const firstDone = Date.now();
    await until(() => runs.length === 2);
    expect(Date.now() - firstDone).toBeGreaterThanOrEqual(250);
    expect(runs[1]).toEqual(['retry']);
  });

  it('dispose aborts the run in flight and clears its timers', async () => {
    const engine = new FakeEngine();
    engine.runMs = 5000;
    const { s } = make(engine);
    s.requestRun('local', { immediate: true });
    await until(() => engine.active === 1);
    const started = Date.now();
    await s.dispose();
    expect(Date.now() - started).toBeLessThan(500);
    expect(engine.runs[0]?.signal?.aborted).toBe(true);
    s.requestRun('local', { immediate: true });
    await sleep(50);
    expect(engine.runs).toHaveLength(1);
  });

  it('recognises a network failure wrapped in a failed listing as offline', () => {
    expect(isOfflineError(networkDown())).toBe(true);
    expect(isOfflineError(new StratusError('remote-list-failed', 'x', { cause: new StratusError('access-denied', 'no') }))).toBe(false);
    expect(isOfflineError(new Error('network'))).toBe(false);
  });
});
