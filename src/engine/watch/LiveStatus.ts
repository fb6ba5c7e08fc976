/**
 * LiveStatus: what the user is told about their files, as one StatusSnapshot
 * (src/shared/StratusApi.ts), kept current from the continuous-sync scheduler
 * and the engine's phases. Both faces show it: the app's window and tray, and
 * the status page of `stratus watch --ui`. It holds nothing the CLI's
 * `status --json` could not report.
 *
 * The rule (issue 8, nextcloud/desktop#619): never "Up to date" unless it is
 * true.
 *   - A run starts as `checking` (scan and listing); it becomes `syncing`
 *     only once its plan has something to do.
 *   - `up-to-date` is set only by a completed run that failed nothing, asked
 *     for no follow-up run and created no conflicted copy; `lastCheckAt` is
 *     the time of the last completed run, whatever it found.
 *   - Failed items or new conflicts: `needs-attention` with their count in
 *     `pending`; a fired safety rail: `stopped-confirm-deletes`; the scheduler's
 *     paused, offline and signed-out states map one to one; a run that failed
 *     as a whole (the folder, the bucket, the credentials): `needs-attention`
 *     with its message.
 *   - Items that wait for the user outlive the run that found them: after
 *     every run (and after every command, `refreshAttention()`) the engine's
 *     list of errors and unresolved conflicts is read again, and while it is
 *     not empty the state is `needs-attention`, never `up-to-date`.
 *   - While files move, `progress` says how many of the run's items are done,
 *     the bytes left, the rate once measured over 2 s and an ETA only after
 *     5 s (a rate from the first second is noise).
 *
 * Emits `onDidChangeStatus` with the whole snapshot after every change; item
 * events (Activity, progress) are coalesced to at most one emission per
 * 250 ms, so a run of 10,000 small files does not send 10,000 snapshots.
 */
import { Emitter, type Disposable, type Event } from '../../core/Emitter.js';
import type { AccountInfo, ActivityEntry, AttentionItem, DeleteRail, StatusSnapshot, SyncState, TransferProgress } from '../../shared/StratusApi.js';
import type { EnginePhase } from '../SyncEngine.js';
import type { CompletedItem, SyncResult } from '../SyncResult.js';
import type { CompletedRun, SchedulerState, StateChange } from './SyncScheduler.js';

/** How many recent items the Activity list keeps. */
const RECENT_ITEMS = 50;
/** How many attention items the snapshot carries (the contract's limit). */
const ATTENTION_ITEMS = 100;
/** Item events are coalesced into one emission per this many ms. */
const COALESCE_MS = 250;

/** A transfer that started (SyncEngine.onDidStartItem). */
export interface StartedItem {
  readonly path: string;
  readonly bytes: number;
}

export interface LiveStatusOptions {
  /** The scheduler's events (SyncScheduler has them). */
  readonly scheduler: {
    readonly onDidChangeState: Event<StateChange>;
    readonly onDidCompleteRun: Event<CompletedRun>;
  };
  /** The engine's phase and item events (SyncEngine has them). */
  readonly engine: {
    readonly onDidChangePhase: Event<EnginePhase>;
    readonly onDidCompleteItem: Event<CompletedItem & { readonly bytes?: number }>;
    readonly onDidStartItem?: Event<StartedItem>;
  };
  /** What waits for the user (SyncEngine.attention); read after every run and command. */
  readonly attention?: () => Promise<readonly AttentionItem[]>;
  /** Shown in the window: the local folder. */
  readonly folder: string;
  /** Shown in the window: who is signed in (cognito) or which credentials are used. */
  readonly account?: string;
  /** The Account screen: bucket, prefix, endpoint, identity (storage used is filled in from each run). */
  readonly location?: AccountInfo;
  /** The app can open files on this desktop; the status page of a headless machine cannot. @default false */
  readonly canOpenFiles?: boolean;
  /** The end of the first-run flow: `setup.step` is first-sync until a run completes, then done. */
  readonly firstRun?: boolean;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

function messageOf(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  // A listing that failed wraps the reason; the innermost message says what to do.
  let found: unknown = error;
  for (let e: unknown = error; e instanceof Error; e = e.cause) if (e.name === 'StratusError') found = e;
  return found instanceof Error ? found.message : String(found);
}

/** "2 items could not be synced yet (retrying by itself); 1 conflict: both versions were kept." */
export function describeAttention(items: readonly AttentionItem[]): string | undefined {
  const errors = items.filter((i) => i.kind === 'error');
  const conflicts = items.length - errors.length;
  const parts = [
    ...(errors.length > 0 ? [`${errors.length} item${errors.length === 1 ? '' : 's'} could not be synced${errors.every((e) => e.retrying) ? ' yet (retrying by itself)' : ''}`] : []),
    ...(conflicts > 0 ? [`${conflicts} conflict${conflicts === 1 ? '' : 's'}: both versions were kept`] : []),
  ];
  return parts.length === 0 ? undefined : `${parts.join('; ')}.`;
}

interface RunProgress {
  readonly total: number;
  readonly totalBytes: number | undefined;
  readonly startedAt: number;
  done: number;
  bytesDone: number;
  readonly inFlight: Map<string, number>;
  /** The plan's first item paths; those neither moving nor done are "still pending". */
  readonly upcoming: readonly string[];
  readonly finished: Set<string>;
}

export class LiveStatus implements Disposable {
  private snapshot: StatusSnapshot;
  private readonly emitter = new Emitter<StatusSnapshot>();
  private readonly subscriptions: Disposable[];
  private readonly now: () => Date;
  private emitTimer: NodeJS.Timeout | undefined;
  private run: RunProgress | undefined;
  private attentionItems: readonly AttentionItem[] = [];
  /** The last completed run left nothing behind (no stop, failure, conflict or follow-up). */
  private lastRunClean = false;
  private attentionReads = 0;
  private disposed = false;
  readonly onDidChangeStatus: Event<StatusSnapshot> = this.emitter.event;

  constructor(private readonly options: LiveStatusOptions) {
    this.now = options.now ?? (() => new Date());
    this.snapshot = {
      version: 1,
      auth: 'signed-in',
      sync: 'checking',
      folder: options.folder,
      ...(options.account === undefined ? {} : { account: options.account }),
      ...(options.location === undefined ? {} : { location: options.location }),
      canOpenFiles: options.canOpenFiles ?? false,
      ...(options.firstRun === true ? { setup: { step: 'first-sync' } } : {}),
    };
    this.subscriptions = [
      options.scheduler.onDidChangeState((change) => this.stateChanged(change)),
      options.scheduler.onDidCompleteRun((run) => this.runCompleted(run.result)),
      options.engine.onDidChangePhase((phase) => this.phaseChanged(phase)),
      options.engine.onDidCompleteItem((item) => this.itemCompleted(item)),
      ...(options.engine.onDidStartItem === undefined ? [] : [options.engine.onDidStartItem((item) => this.itemStarted(item))]),
    ];
  }

  get current(): StatusSnapshot {
    return this.snapshot;
  }

  dispose(): void {
    this.disposed = true;
    if (this.emitTimer !== undefined) clearTimeout(this.emitTimer);
    for (const s of this.subscriptions) s.dispose();
    this.emitter.dispose();
  }

  /** A timed pause ends at `until` (shown in the window); undefined: paused until resumed, or not paused. */
  setPausedUntil(until: Date | undefined): void {
    const { pausedUntil: _old, ...rest } = this.snapshot;
    this.replace(until === undefined ? rest : { ...rest, pausedUntil: until.toISOString() });
  }

  /** Reads the engine's attention list again (after a run, or after the user resolved something). */
  async refreshAttention(): Promise<void> {
    const source = this.options.attention;
    if (source === undefined || this.disposed) return;
    const read = ++this.attentionReads;
    let items: readonly AttentionItem[];
    try {
      items = (await source()).slice(0, ATTENTION_ITEMS);
    } catch {
      return; // The journal is closing (stop) or busy: the next run reads it again.
    }
    // A newer read started meanwhile: it wins.
    if (read !== this.attentionReads || this.disposed) return;
    this.attentionItems = items;
    this.applyAttention();
  }

  private applyAttention(): void {
    const items = this.attentionItems;
    const { attention: _a, ...rest } = this.snapshot;
    let next: StatusSnapshot = items.length === 0 ? rest : { ...rest, attention: items };
    const message = describeAttention(items);
    if (items.length > 0 && (next.sync === 'up-to-date' || next.sync === 'needs-attention')) {
      next = { ...next, sync: 'needs-attention', pending: items.length, ...(message === undefined ? {} : { message }) };
    } else if (items.length === 0 && next.sync === 'needs-attention' && this.lastRunClean) {
      const { message: _m, pending: _p, ...clean } = next;
      next = { ...clean, sync: 'up-to-date' };
    }
    this.replace(next);
  }

  private stateChanged(change: StateChange): void {
    const map: Partial<Record<SchedulerState, SyncState>> = {
      syncing: 'checking',
      paused: 'paused',
      offline: 'offline',
      'signed-out': 'sign-in-required',
      error: 'needs-attention',
    };
    if (change.previous === 'paused' && change.state !== 'paused') this.setPausedUntil(undefined);
    const sync = map[change.state];
    // 'idle' says nothing by itself: the completed run that follows decides between up to date and not.
    if (sync === undefined) return;
    if (sync !== 'checking') this.run = undefined;
    const message = change.state === 'syncing' ? undefined : messageOf(change.error);
    this.update(sync, message === undefined ? {} : { message });
  }

  private phaseChanged(phase: EnginePhase): void {
    const total = phase.phase === 'transferring' ? (phase.items ?? phase.actions) : 0;
    if (phase.phase === 'transferring' && total > 0) {
      this.run = { total, totalBytes: phase.bytes, startedAt: this.now().getTime(), done: 0, bytesDone: 0, inFlight: new Map(), upcoming: [...(phase.upcoming ?? [])], finished: new Set() };
      this.update('syncing', {});
    } else if (phase.phase === 'discovering') {
      this.run = undefined;
      this.update('checking', {});
    }
  }

  private itemStarted(item: StartedItem): void {
    if (this.run === undefined) return;
    this.run.inFlight.set(item.path, item.bytes);
    this.progressChanged();
  }

  private itemCompleted(item: CompletedItem & { readonly bytes?: number }): void {
    const entry: ActivityEntry = {
      path: item.path,
      kind: item.activity,
      at: this.now().toISOString(),
      ...(item.failure === undefined ? {} : { failed: item.failure.message }),
    };
    const recent = [entry, ...(this.snapshot.recent ?? [])].slice(0, RECENT_ITEMS);
    this.snapshot = { ...this.snapshot, recent };
    if (this.run !== undefined) {
      const started = this.run.inFlight.get(item.path);
      this.run.inFlight.delete(item.path);
      this.run.finished.add(item.path);
      this.run.done = Math.min(this.run.total, this.run.done + 1);
      if (item.failure === undefined) this.run.bytesDone += item.bytes ?? started ?? 0;
    }
    this.progressChanged();
  }

  /** The header's "N of M, bytes left, rate, ETA" from the run's counters. */
  private progressChanged(): void {
    const run = this.run;
    if (run !== undefined && this.snapshot.sync === 'syncing') {
      const elapsed = (this.now().getTime() - run.startedAt) / 1000;
      const inFlightBytes = [...run.inFlight.values()].reduce((a, b) => a + b, 0);
      const bytesLeft = run.totalBytes === undefined ? inFlightBytes : Math.max(0, run.totalBytes - run.bytesDone);
      const rate = elapsed >= 2 && run.bytesDone > 0 ? Math.round(run.bytesDone / elapsed) : undefined;
      const eta = rate !== undefined && elapsed >= 5 && run.totalBytes !== undefined ? Math.ceil(bytesLeft / rate) : undefined;
      const progress: TransferProgress = {
        done: run.done,
        total: run.total,
        bytesLeft,
        ...(rate === undefined ? {} : { bytesPerSecond: rate }),
        ...(eta === undefined ? {} : { etaSeconds: eta }),
        current: [...run.inFlight.keys()].slice(0, 8),
        next: run.upcoming.filter((p) => !run.inFlight.has(p) && !run.finished.has(p)).slice(0, 8),
      };
      this.snapshot = { ...this.snapshot, progress };
    }
    this.emitSoon();
  }

  private emitSoon(): void {
    if (this.emitTimer !== undefined || this.disposed) return;
    this.emitTimer = setTimeout(() => {
      this.emitTimer = undefined;
      this.emitter.fire(this.snapshot);
    }, COALESCE_MS);
    this.emitTimer.unref?.();
  }

  private runCompleted(result: SyncResult): void {
    this.run = undefined;
    const lastCheckAt = this.now().toISOString();
    const usage = (result as { readonly remoteUsage?: { readonly files: number; readonly bytes: number } }).remoteUsage;
    if (usage !== undefined && this.snapshot.location !== undefined) {
      this.snapshot = { ...this.snapshot, location: { ...this.snapshot.location, usedBytes: usage.bytes, usedFiles: usage.files } };
    }
    const failed = result.errors.length;
    const conflicts = result.counts.conflicts;
    this.lastRunClean = result.stopped === undefined && failed === 0 && conflicts === 0 && !result.runAgain;
    if (this.snapshot.setup?.step === 'first-sync' && result.stopped === undefined && !result.runAgain) this.snapshot = { ...this.snapshot, setup: { step: 'done' } };
    if (result.stopped !== undefined) {
      const stop = result.stopped as typeof result.stopped & { readonly sample?: readonly string[] };
      const rail: DeleteRail = {
        code: stop.code, direction: stop.direction, count: stop.count, sample: (stop.sample ?? []).slice(0, 10), message: stop.message,
        ...(stop.bytes === undefined ? {} : { bytes: stop.bytes }),
      };
      this.update('stopped-confirm-deletes', { lastCheckAt, message: stop.message, rail });
    } else if (failed > 0 || conflicts > 0) {
      const parts = [
        ...(failed > 0 ? [`${failed} item${failed === 1 ? '' : 's'} could not be synced${result.errors.every((e) => e.retrying) ? ' yet (retrying by itself)' : ''}`] : []),
        ...(conflicts > 0 ? [`${conflicts} conflict${conflicts === 1 ? '' : 's'}: both versions were kept`] : []),
      ];
      this.update('needs-attention', { lastCheckAt, pending: failed + conflicts, message: `${parts.join('; ')}.` });
    } else {
      const waiting = this.attentionItems;
      const message = describeAttention(waiting);
      if (result.runAgain) {
        // Another run follows at once (something changed underneath): still checking, not up to date.
        this.update('checking', { lastCheckAt });
      } else if (waiting.length > 0) {
        // What waited before this run still waits until the engine says otherwise: never a moment of "Up to date".
        this.update('needs-attention', { lastCheckAt, pending: waiting.length, ...(message === undefined ? {} : { message }) });
      } else {
        this.update('up-to-date', { lastCheckAt });
      }
    }
    void this.refreshAttention();
  }

  private update(sync: SyncState, extra: { readonly lastCheckAt?: string; readonly pending?: number; readonly message?: string; readonly rail?: DeleteRail }): void {
    const { message: _message, pending: _pending, rail: _rail, progress: _progress, ...kept } = this.snapshot;
    let next: StatusSnapshot = { ...kept, sync, ...extra, version: 1 };
    // A rail holds until a run goes ahead; progress lives only while syncing.
    if (extra.rail === undefined && sync !== 'checking' && this.snapshot.rail !== undefined && extra.lastCheckAt === undefined) next = { ...next, rail: this.snapshot.rail };
    if (sync === 'syncing' && this.snapshot.progress !== undefined && this.run !== undefined) next = { ...next, progress: this.snapshot.progress };
    this.replace(next);
  }

  private replace(next: StatusSnapshot): void {
    if (JSON.stringify(next) === JSON.stringify(this.snapshot)) return;
    this.snapshot = next;
    if (this.emitTimer !== undefined) {
      clearTimeout(this.emitTimer);
      this.emitTimer = undefined;
    }
    this.emitter.fire(next);
  }
}
