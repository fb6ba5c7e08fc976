/**
 * SyncScheduler: the loop around `engine.runOnce()` for continuous sync.
 * Nothing else starts runs while it lives: watcher events, head-marker polls
 * and timers only call `requestRun(reason)`, which marks the folder dirty and
 * schedules one debounced run; a request during a run marks "run again"
 * (CONVENTIONS "Async"). Runs never overlap.
 *
 * States (a string union): idle → syncing → idle | offline | error |
 * signed-out; paused from any state until `resume()`. Signed-out (the
 * refresh token was revoked or expired) retries nothing by itself — only a
 * new sign-in helps — and keeps what was asked for until `retryNow()`. Offline is entered when a run fails
 * because the server cannot be reached; the scheduler then probes cheaply
 * (the caller's `probe`, e.g. one GET of the head marker) with backoff
 * (1 s doubling to 1 min) and runs again by itself once the probe answers.
 *
 * Emits `onDidChangeState` (every transition, with the reason) and
 * `onDidCompleteRun` (every finished run, with what triggered it).
 */
import { Emitter, type Event } from '../../core/Emitter.js';
import { isStratusError } from '../../core/StratusError.js';
import type { Logger } from '../logger.js';
import type { SyncResult } from '../SyncResult.js';

export type SchedulerState = 'idle' | 'syncing' | 'paused' | 'offline' | 'error' | 'signed-out';

/** Why a run was asked for (shown in logs and the CLI's --json events). */
export type RunReason = 'start' | 'local' | 'remote' | 'periodic' | 'retry' | 'again' | 'manual' | 'online';

/** The part of SyncEngine the scheduler drives (a fake in unit tests). */
export interface SyncRunner {
  runOnce(options: { readonly signal?: AbortSignal }): Promise<SyncResult>;
}

export interface StateChange {
  readonly state: SchedulerState;
  readonly previous: SchedulerState;
  /** What went wrong, for 'offline' and 'error'. */
  readonly error?: unknown;
}

export interface CompletedRun {
  readonly reasons: readonly RunReason[];
  readonly result: SyncResult;
}

export interface SyncSchedulerOptions {
  readonly engine: SyncRunner;
  /** Quiet time after the last request before a run starts. @default 500 (an editor's temp-file-and-rename save takes milliseconds; the rest is latency) */
  readonly debounceMs?: number;
  /** A constant stream of requests still runs this long after the first one. @default 5000 */
  readonly maxWaitMs?: number;
  /** Delay before the follow-up run when a run reported `runAgain` or requests came in during it. @default 100 */
  readonly againDelayMs?: number;
  /** When items failed and will be retried: the next run when the earliest is due, but not sooner than this. @default 5000 */
  readonly itemRetryMs?: number;
  /** Offline / error backoff: the first wait, doubled up to `maxBackoffMs`. @default 1000 */
  readonly initialBackoffMs?: number;
  /** @default 60000 */
  readonly maxBackoffMs?: number;
  /**
   * A cheap reachability check while offline (resolves when the server answers,
   * rejects when it does not). Without it, a full run is the probe.
   */
  readonly probe?: (signal: AbortSignal) => Promise<void>;
  /** Runs after every completed run, inside the "syncing" phase (e.g. publish the head marker); failures are logged only. */
  readonly afterRun?: (result: SyncResult, signal: AbortSignal) => Promise<void>;
  readonly log?: Logger;
}

/** Whether `err` means "the server cannot be reached" (as opposed to a refusal or a bug). */
export function isOfflineError(err: unknown): boolean {
  if (!isStratusError(err)) return false;
  if (err.code === 'network') return true;
  // A listing that failed for a network reason arrives wrapped (remote-list-failed → cause network).
  return err.code === 'remote-list-failed' && isOfflineError(err.cause);
}

const SIGNED_OUT_CODES = new Set(['signed-out', 'not-signed-in']);

/** Whether `err` (or what it wraps, e.g. a listing that failed) means the user's sign-in ended. */
export function isSignedOutError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 5; e = (e as { cause?: unknown }).cause, depth += 1) {
    if (isStratusError(e) && SIGNED_OUT_CODES.has(e.code)) return true;
  }
  return false;
}

/** A run that reached the server for nothing: every failed item failed for a network reason. */
function offlineResult(result: SyncResult): boolean {
  return result.errors.length > 0 && result.errors.every((e) => e.code === 'network');
}

function isAbortError(err: unknown): boolean {
  return (isStratusError(err) && err.code === 'aborted') || (err instanceof Error && err.name === 'AbortError');
}

export class SyncScheduler {
  private readonly stateEmitter = new Emitter<StateChange>();
  private readonly runEmitter = new Emitter<CompletedRun>();
  readonly onDidChangeState: Event<StateChange> = this.stateEmitter.event;
  readonly onDidCompleteRun: Event<CompletedRun> = this.runEmitter.event;

  private currentState: SchedulerState = 'idle';
  /** The state to return to on resume() ('idle' unless paused while offline). */
  private pausedFrom: SchedulerState | undefined;
  private readonly pending = new Set<RunReason>();
  private firstPendingAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private runController: AbortController | undefined;
  private backoffMs: number;
  private disposed = false;
  private readonly o: Required<Omit<SyncSchedulerOptions, 'probe' | 'afterRun' | 'log'>> & SyncSchedulerOptions;

  constructor(options: SyncSchedulerOptions) {
    this.o = {
      debounceMs: 500,
      maxWaitMs: 5000,
      againDelayMs: 100,
      itemRetryMs: 5_000,
      initialBackoffMs: 1000,
      maxBackoffMs: 60_000,
      ...options,
    };
    this.backoffMs = this.o.initialBackoffMs;
  }

  get state(): SchedulerState {
    return this.currentState;
  }

  /** Whether a run is in flight (for tests and the UI's spinner). */
  get isRunning(): boolean {
    return this.running !== undefined;
  }

  /**
   * Asks for a run: the folder is dirty. Debounced; during a run it marks
   * "run again"; while paused or offline it is remembered for later.
   */
  requestRun(reason: RunReason, options: { readonly immediate?: boolean } = {}): void {
    if (this.disposed) return;
    this.pending.add(reason);
    this.firstPendingAt ??= Date.now();
    if (this.running !== undefined || this.currentState === 'paused' || this.currentState === 'offline' || this.currentState === 'signed-out') return;
    this.schedule(options.immediate === true ? 0 : this.debounceDelay());
  }

  /** Stops syncing now (the run in flight is aborted; its items resume later from the journal). */
  pause(): void {
    if (this.disposed || this.currentState === 'paused') return;
    this.pausedFrom = this.currentState === 'offline' ? 'offline' : 'idle';
    this.clearTimer();
    this.runController?.abort();
    this.setState('paused');
  }

  resume(): void {
    if (this.disposed || this.currentState !== 'paused') return;
    const from = this.pausedFrom ?? 'idle';
    this.pausedFrom = undefined;
    if (from === 'offline') {
      this.setState('offline');
      this.schedule(0, () => this.probeOnline());
      return;
    }
    this.setState('idle');
    // Whatever was asked for while paused, plus one run to catch what nobody told us about.
    this.requestRun('manual', { immediate: true });
  }

  /** "Retry now": skips the offline/error backoff (and the debounce) and tries at once; after signing in again, it leaves signed-out. */
  retryNow(): void {
    if (this.disposed || this.currentState === 'paused') return;
    this.backoffMs = this.o.initialBackoffMs;
    if (this.currentState === 'offline') {
      this.schedule(0, () => this.probeOnline());
      return;
    }
    if (this.currentState === 'signed-out') this.setState('idle');
    this.requestRun('retry', { immediate: true });
  }

  /** Resolves when no run (or offline probe) is in flight. */
  async whenIdle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  /** Aborts the run in flight, clears every timer, and waits for the run to end. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.clearTimer();
    this.runController?.abort();
    await this.whenIdle();
    this.stateEmitter.dispose();
    this.runEmitter.dispose();
  }

  /**
   * When to run again for items waiting to be retried: when the earliest is
   * due (the journal's per-item backoff, seconds to an hour), but not sooner
   * than `itemRetryMs` — each run scans the folder and lists the prefix.
   */
  private retryDelay(result: SyncResult): number {
    if (result.nextRetryAt === undefined) return this.o.itemRetryMs;
    return Math.max(this.o.itemRetryMs, result.nextRetryAt - Date.now());
  }

  private debounceDelay(): number {
    const sinceFirst = Date.now() - (this.firstPendingAt ?? Date.now());
    // A steady stream of events must not postpone the run forever.
    return Math.max(0, Math.min(this.o.debounceMs, this.o.maxWaitMs - sinceFirst));
  }

  private schedule(delayMs: number, what: () => void = () => this.startRun()): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      what();
    }, delayMs);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private setState(state: SchedulerState, error?: unknown): void {
    if (state === this.currentState && error === undefined) return;
    const previous = this.currentState;
    this.currentState = state;
    this.stateEmitter.fire({ state, previous, ...(error === undefined ? {} : { error }) });
  }

  private startRun(): void {
    if (this.disposed || this.running !== undefined || this.currentState === 'paused' || this.pending.size === 0) return;
    const reasons = [...this.pending];
    this.pending.clear();
    this.firstPendingAt = undefined;
    const controller = new AbortController();
    this.runController = controller;
    this.setState('syncing');
    this.running = this.run(reasons, controller.signal).finally(() => {
      this.running = undefined;
      this.runController = undefined;
    });
  }

  private async run(reasons: readonly RunReason[], signal: AbortSignal): Promise<void> {
    let result: SyncResult;
    try {
      result = await this.o.engine.runOnce({ signal });
    } catch (err) {
      this.runFailed(reasons, err, signal);
      return;
    }
    if (!signal.aborted && this.o.afterRun !== undefined) {
      await this.o.afterRun(result, signal).catch((err: unknown) => this.o.log?.warn('after-run step failed', { error: err instanceof Error ? err.message : String(err) }));
    }
    if (this.disposed || signal.aborted) {
      // Paused mid-run: whatever the run was for is still to do after resume().
      for (const r of reasons) this.pending.add(r);
      this.runEmitter.fire({ reasons, result });
      return;
    }
    if (offlineResult(result)) {
      this.runEmitter.fire({ reasons, result });
      this.goOffline(reasons, result.errors[0]);
      return;
    }
    if (result.errors.length > 0 && result.errors.every((e) => SIGNED_OUT_CODES.has(e.code))) {
      this.runEmitter.fire({ reasons, result });
      for (const r of reasons) this.pending.add(r);
      this.setState('signed-out', result.errors[0]);
      return;
    }
    this.backoffMs = this.o.initialBackoffMs;
    this.setState(result.stopped === undefined ? 'idle' : 'error', result.stopped);
    this.runEmitter.fire({ reasons, result });
    if (this.disposed || this.currentState === 'paused') return;
    if (result.runAgain) this.pending.add('again');
    // Requests that came in during the run (events, a remote change, "run again") get one follow-up run.
    // Echoes of our own downloads end here too: the follow-up finds nothing to do, writes nothing, and
    // so produces no further events (SCENARIOS 34).
    if (this.pending.size > 0) {
      this.firstPendingAt ??= Date.now();
      this.schedule(this.o.againDelayMs);
    } else if (result.errors.some((e) => e.retrying)) {
      this.pending.add('retry');
      this.schedule(this.retryDelay(result));
    }
  }

  private runFailed(reasons: readonly RunReason[], err: unknown, signal: AbortSignal): void {
    if (this.disposed || signal.aborted || isAbortError(err)) {
      // Paused or shutting down: what the run was for is still to do.
      for (const r of reasons) this.pending.add(r);
      return;
    }
    if (isOfflineError(err)) {
      this.goOffline(reasons, err);
      return;
    }
    if (isSignedOutError(err)) {
      // Nothing but a new sign-in helps: no backoff loop against a revoked token. The journal and the
      // requests are kept; after signing in, retryNow() (or a new engine) carries on where this stopped.
      for (const r of reasons) this.pending.add(r);
      this.clearTimer();
      this.setState('signed-out', err);
      return;
    }
    this.o.log?.warn('sync run failed', { error: err instanceof Error ? err.message : String(err), code: isStratusError(err) ? err.code : undefined });
    for (const r of reasons) this.pending.add(r);
    // Credentials, permissions, a missing folder: may be fixed by the user; try again later, backing off.
    this.setState('error', err);
    this.schedule(this.nextBackoff());
  }

  private goOffline(reasons: readonly RunReason[], error: unknown): void {
    for (const r of reasons) this.pending.add(r);
    this.setState('offline', error);
    this.schedule(this.nextBackoff(), () => this.probeOnline());
  }

  private nextBackoff(): number {
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.o.maxBackoffMs, this.backoffMs * 2);
    return wait;
  }

  /** While offline: one cheap request; when it answers, back online and run what was waiting. */
  private probeOnline(): void {
    if (this.disposed || this.currentState !== 'offline') return;
    if (this.o.probe === undefined) {
      this.pending.add('online');
      this.startRun();
      return;
    }
    const controller = new AbortController();
    this.runController = controller;
    this.running = this.o
      .probe(controller.signal)
      .then(
        () => {
          if (this.disposed || this.currentState !== 'offline') return;
          // The backoff is reset only by a run that succeeds: a server that answers GETs but fails runs must not be hammered.
          this.setState('idle');
          this.pending.add('online');
          this.schedule(0);
        },
        (err: unknown) => {
          if (this.disposed || this.currentState !== 'offline') return;
          this.o.log?.debug('still offline', { error: err instanceof Error ? err.message : String(err) });
          this.schedule(this.nextBackoff(), () => this.probeOnline());
        },
      )
      .finally(() => {
        this.running = undefined;
        this.runController = undefined;
      });
  }
}
