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
 *
 * Emits `onDidChangeStatus` with the whole snapshot after every change.
 */
import { Emitter, type Disposable, type Event } from '../../core/Emitter.js';
import type { ActivityEntry, StatusSnapshot, SyncState } from '../../shared/StratusApi.js';
import type { EnginePhase } from '../SyncEngine.js';
import type { CompletedItem, SyncResult } from '../SyncResult.js';

/** How many recent items the Activity list keeps. */
const RECENT_ITEMS = 50;
import type { CompletedRun, SchedulerState, StateChange } from './SyncScheduler.js';

export interface LiveStatusOptions {
  /** The scheduler's events (SyncScheduler has them). */
  readonly scheduler: {
    readonly onDidChangeState: Event<StateChange>;
    readonly onDidCompleteRun: Event<CompletedRun>;
  };
  /** The engine's phase and item events (SyncEngine has them). */
  readonly engine: { readonly onDidChangePhase: Event<EnginePhase>; readonly onDidCompleteItem: Event<CompletedItem> };
  /** Shown in the window: the local folder. */
  readonly folder: string;
  /** Shown in the window: who is signed in (cognito) or which credentials are used. */
  readonly account?: string;
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

export class LiveStatus implements Disposable {
  private snapshot: StatusSnapshot;
  private readonly emitter = new Emitter<StatusSnapshot>();
  private readonly subscriptions: Disposable[];
  private readonly now: () => Date;
  readonly onDidChangeStatus: Event<StatusSnapshot> = this.emitter.event;

  constructor(options: LiveStatusOptions) {
    this.now = options.now ?? (() => new Date());
    this.snapshot = {
      version: 1,
      auth: 'signed-in',
      sync: 'checking',
      folder: options.folder,
      ...(options.account === undefined ? {} : { account: options.account }),
    };
    this.subscriptions = [
      options.scheduler.onDidChangeState((change) => this.stateChanged(change)),
      options.scheduler.onDidCompleteRun((run) => this.runCompleted(run.result)),
      options.engine.onDidChangePhase((phase) => this.phaseChanged(phase)),
      options.engine.onDidCompleteItem((item) => this.itemCompleted(item)),
    ];
  }

  get current(): StatusSnapshot {
    return this.snapshot;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.emitter.dispose();
  }

  private stateChanged(change: StateChange): void {
    const map: Partial<Record<SchedulerState, SyncState>> = {
      syncing: 'checking',
      paused: 'paused',
      offline: 'offline',
      'signed-out': 'sign-in-required',
      error: 'needs-attention',
    };
    const sync = map[change.state];
    // 'idle' says nothing by itself: the completed run that follows decides between up to date and not.
    if (sync === undefined) return;
    const message = change.state === 'syncing' ? undefined : messageOf(change.error);
    this.update(sync, message === undefined ? {} : { message });
  }

  private phaseChanged(phase: EnginePhase): void {
    if (phase.phase === 'transferring' && phase.actions > 0) this.update('syncing', {});
    else if (phase.phase === 'discovering') this.update('checking', {});
  }

  private itemCompleted(item: CompletedItem): void {
    const entry: ActivityEntry = {
      path: item.path,
      kind: item.activity,
      at: this.now().toISOString(),
      ...(item.failure === undefined ? {} : { failed: item.failure.message }),
    };
    const recent = [entry, ...(this.snapshot.recent ?? [])].slice(0, RECENT_ITEMS);
    this.snapshot = { ...this.snapshot, recent };
    this.emitter.fire(this.snapshot);
  }

  private runCompleted(result: SyncResult): void {
    const lastCheckAt = this.now().toISOString();
    if (result.stopped !== undefined) {
      this.update('stopped-confirm-deletes', { lastCheckAt, message: result.stopped.message });
      return;
    }
    const failed = result.errors.length;
    const conflicts = result.counts.conflicts;
    if (failed > 0 || conflicts > 0) {
      const parts = [
        ...(failed > 0 ? [`${failed} item${failed === 1 ? '' : 's'} could not be synced${result.errors.every((e) => e.retrying) ? ' yet (retrying by itself)' : ''}`] : []),
        ...(conflicts > 0 ? [`${conflicts} conflict${conflicts === 1 ? '' : 's'}: both versions were kept`] : []),
      ];
      this.update('needs-attention', { lastCheckAt, pending: failed + conflicts, message: `${parts.join('; ')}.` });
      return;
    }
    // Another run follows at once (something changed underneath): still checking, not up to date.
    this.update(result.runAgain ? 'checking' : 'up-to-date', { lastCheckAt });
  }

  private update(sync: SyncState, extra: { readonly lastCheckAt?: string; readonly pending?: number; readonly message?: string }): void {
    const { message: _message, pending: _pending, ...kept } = this.snapshot;
    const next: StatusSnapshot = { ...kept, sync, ...extra, version: 1 };
    if (JSON.stringify(next) === JSON.stringify(this.snapshot)) return;
    this.snapshot = next;
    this.emitter.fire(next);
  }
}
