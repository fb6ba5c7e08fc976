/**
 * ContinuousSync: `stratus watch` (and later the app) in one object — the
 * SyncScheduler driven by three sources that only ever call `requestRun`:
 *   - LocalWatcher events ('local', debounced);
 *   - the head marker, polled while idle ('remote'), and published after
 *     every run that changed the remote;
 *   - a slow timer for a full run ('periodic') that finds writes by other
 *     tools, which never touch the marker. Every run scans the whole folder
 *     and lists the whole prefix, so this timer is also the "periodic full
 *     local rescan" that catches missed watcher events (hourly is the
 *     ceiling asked for; the 10-minute default is well inside it).
 *
 * S3 requests of an idle client (no changes anywhere), per hour, with the
 * defaults (poll 15 s, full listing 10 min):
 *   3600 / 15 = 240 marker GETs (304 Not Modified, no body)
 *   + 6 full runs × ceil(objects / 1000) ListObjectsV2 pages
 *   (+ the engine's once-per-30-days capability probe).
 * For a prefix of ≤ 1,000 objects that is 246 requests per idle client-hour
 * (≈ $0.0001 at AWS's request prices). Proven at the sandbox by
 * test/engine/watch/requestCount.sandbox.test.ts.
 *
 * Emits what the scheduler emits (`scheduler.onDidChangeState`,
 * `scheduler.onDidCompleteRun`).
 */
import type { Logger } from '../logger.js';
import type { BandwidthLimits } from '../ports.js';
import type { SyncCounts } from '../SyncResult.js';
import type { HeadMarker } from './HeadMarker.js';
import { LocalWatcher } from './LocalWatcher.js';
import { isOfflineError, SyncScheduler, type SyncRunner, type SyncSchedulerOptions } from './SyncScheduler.js';

/** What ContinuousSync needs of the engine beyond runs: the controls it passes through (SyncEngine has them). */
export interface EngineControls extends SyncRunner {
  retryNow?(paths?: readonly string[]): Promise<number>;
  setBandwidthLimits?(limits: BandwidthLimits): void;
}

export interface ContinuousSyncOptions {
  readonly engine: EngineControls;
  readonly root: string;
  /** Remote change detection; without it only the periodic full run sees remote changes. */
  readonly marker?: HeadMarker;
  /** Quiet time after the last local event. @default 500 */
  readonly debounceMs?: number;
  /** Head marker poll interval while idle. @default 15000 */
  readonly pollMs?: number;
  /** A full run (full listing and local scan) at least this often. @default 600000 (10 min) */
  readonly fullRunMs?: number;
  /** Watch the folder (off in tests of the remote side only). @default true */
  readonly watchLocal?: boolean;
  readonly caseInsensitive?: boolean;
  /** Passed through to the scheduler (backoff, retry delays). */
  readonly scheduler?: Omit<SyncSchedulerOptions, 'engine' | 'probe' | 'afterRun' | 'debounceMs' | 'log'>;
  readonly log?: Logger;
}

/** Whether the run changed the remote prefix, i.e. other clients should look. */
export function changedRemote(c: SyncCounts): boolean {
  return c.uploaded + c.deletedRemote + c.moved + c.conflicts > 0;
}

export class ContinuousSync {
  readonly scheduler: SyncScheduler;
  private watcher: LocalWatcher | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private fullRunTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private readonly pollController = new AbortController();
  private disposed = false;
  /** Marker polls sent while idle (the request-count test compares it with the server's count). */
  polls = 0;

  private constructor(private readonly o: ContinuousSyncOptions) {
    const marker = o.marker;
    this.scheduler = new SyncScheduler({
      ...o.scheduler,
      engine: o.engine,
      ...(o.debounceMs === undefined ? {} : { debounceMs: o.debounceMs }),
      ...(o.log === undefined ? {} : { log: o.log }),
      ...(marker === undefined
        ? {}
        : {
            // The cheapest request that proves the server answers: one conditional GET.
            probe: async (signal) => {
              await marker.poll(signal);
            },
            afterRun: async (result, signal) => {
              if (!changedRemote(result.counts)) return;
              // Someone else announced a change while we ran: look again rather than overwrite it unseen.
              if ((await marker.publish(signal)) === 'changed') this.scheduler.requestRun('remote');
            },
          }),
    });
  }

  /** Starts watching and polling, and the first full run. */
  static async start(options: ContinuousSyncOptions): Promise<ContinuousSync> {
    const cs = new ContinuousSync(options);
    try {
      await cs.begin();
    } catch (err) {
      await cs.dispose();
      throw err;
    }
    return cs;
  }

  private async begin(): Promise<void> {
    const o = this.o;
    if (o.watchLocal !== false) {
      this.watcher = await LocalWatcher.start({
        root: o.root,
        onChange: () => this.scheduler.requestRun('local'),
        ...(o.caseInsensitive === undefined ? {} : { caseInsensitive: o.caseInsensitive }),
        ...(o.log === undefined ? {} : { log: o.log }),
      });
    }
    // The marker's baseline before the first run, so a change announced during that run is not missed.
    if (o.marker !== undefined) await o.marker.poll(this.pollController.signal).catch(() => undefined);
    this.scheduler.requestRun('start', { immediate: true });
    this.fullRunTimer = setInterval(() => this.scheduler.requestRun('periodic', { immediate: true }), o.fullRunMs ?? 600_000);
    if (o.marker !== undefined) this.schedulePoll();
  }

  /** A timeout chain, not an interval: a slow GET never piles up behind itself. */
  private schedulePoll(): void {
    if (this.disposed) return;
    this.pollTimer = setTimeout(() => {
      this.polling = this.pollOnce().finally(() => {
        this.polling = undefined;
        this.schedulePoll();
      });
    }, this.o.pollMs ?? 15_000);
  }

  private async pollOnce(): Promise<void> {
    const marker = this.o.marker;
    // Only an idle client polls: a run lists anyway, and offline has its own probe.
    if (marker === undefined || this.disposed || this.scheduler.isRunning || (this.scheduler.state !== 'idle' && this.scheduler.state !== 'error')) return;
    this.polls++;
    try {
      if ((await marker.poll(this.pollController.signal)) === 'changed') this.scheduler.requestRun('remote', { immediate: true });
    } catch (err) {
      if (this.disposed) return;
      this.o.log?.debug('head marker poll failed', { error: err instanceof Error ? err.message : String(err) });
      // The network may be gone: a run finds out properly and goes offline. Other failures (e.g. a policy
      // that hides the marker) must not turn every poll into a full listing; the periodic run still happens.
      if (isOfflineError(err)) this.scheduler.requestRun('remote', { immediate: true });
    }
  }

  // ── controls (the CLI's signals and the app's menu call these) ──────────

  /** Stops syncing now: the run in flight is aborted (a large upload keeps its finished parts) until `resume()`. */
  pause(): void {
    this.scheduler.pause();
  }

  /** Resumes after `pause()` with one run that catches up on everything that happened meanwhile. */
  resume(): void {
    this.scheduler.resume();
  }

  /**
   * "Retry now", for everything waiting (no paths) or for single files: their
   * backoff is cleared and a run starts at once (or a probe, when offline).
   */
  async retryNow(paths?: readonly string[]): Promise<void> {
    await this.o.engine.retryNow?.(paths);
    this.scheduler.retryNow();
  }

  /** Bandwidth limits in bytes per second (undefined: unlimited); running transfers slow down or speed up at once. */
  setBandwidthLimits(limits: BandwidthLimits): void {
    this.o.engine.setBandwidthLimits?.(limits);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.pollTimer !== undefined) clearTimeout(this.pollTimer);
    if (this.fullRunTimer !== undefined) clearInterval(this.fullRunTimer);
    this.pollController.abort();
    await this.polling?.catch(() => undefined);
    await this.watcher?.dispose();
    await this.scheduler.dispose();
  }
}
