/**
 * SyncController: what the user's commands (StratusCommand, src/shared) do to
 * a running continuous sync. Both faces use this one object — the status page
 * of `stratus watch --ui` over its WebSocket, and the app's engine process
 * over the host protocol — so "Pause for 30 min" or "Keep both" behave the
 * same everywhere, and the CLI could drive it too.
 *
 *   - pause [minutes]: pauses now; a timed pause resumes by itself (the end
 *     is shown as `pausedUntil`); pausing again replaces the timer.
 *   - resume, sync-now, retry-now [path]: passed to ContinuousSync; sync-now
 *     is refused while paused or signed out (the answer says what to do).
 *   - confirm-deletes / restore-deletes: the engine applies the answer to the
 *     next run only (it never confirms more deletes than the user saw), and a
 *     run starts at once.
 *   - resolve-conflict, ignore-path: the engine changes files (trash and
 *     rename only, or one .stratusignore line); then the attention list is
 *     read again and a run carries the change to the cloud.
 *   - open-path, show-in-folder: only the app can open files on the user's
 *     desktop; it handles them before they reach here, so here they are
 *     refused with a sentence saying so.
 *
 * Every refusal is `{ ok: false, message }` in plain words; nothing throws to
 * the transport.
 */
import type { Disposable } from '../../core/Emitter.js';
import type { AttentionItem, CommandResult, IgnorePreview, Preferences, SettingsView, StratusCommand } from '../../shared/StratusApi.js';
import type { Logger } from '../logger.js';
import type { RunReason, SchedulerState } from './SyncScheduler.js';

/** What the controller needs of the engine (SyncEngine has it). */
export interface ControllableEngine {
  attention?(): Promise<readonly AttentionItem[]>;
  resolveConflict?(path: string, keep: 'here' | 'other' | 'both'): Promise<CommandResult>;
  ignorePath?(path: string): Promise<CommandResult>;
  answerRail?(choice: 'confirm' | 'restore', about?: 'deletes' | 'download'): CommandResult | Promise<CommandResult>;
  ignoreRules?(): Promise<string>;
  previewIgnore?(text: string): Promise<IgnorePreview>;
  setIgnoreRules?(text: string): Promise<CommandResult>;
}

/**
 * The preferences of the face running the engine (the CLI's flags and config
 * file, or the app's settings store): what the Settings screen shows and what
 * `update-settings` may change.
 */
export interface PreferencesPort {
  view(): Omit<SettingsView, 'ignoreRules'>;
  /** Applies an already checked change (only editable, unmanaged keys reach it). */
  update(change: Preferences): Promise<CommandResult>;
}

/** What the controller needs of continuous sync (ContinuousSync has it). */
export interface ControllableSync {
  readonly scheduler: { readonly state: SchedulerState; requestRun(reason: RunReason, options?: { readonly immediate?: boolean }): void; retryNow(): void };
  pause(): void;
  resume(): void;
  retryNow(paths?: readonly string[]): Promise<void>;
}

/** What the controller tells the status (LiveStatus has it). */
export interface ControlledStatus {
  setPausedUntil(until: Date | undefined): void;
  refreshAttention(): Promise<void>;
}

export interface SyncControllerOptions {
  readonly sync: ControllableSync;
  readonly engine: ControllableEngine;
  readonly status: ControlledStatus;
  /** Without it, the Settings screen shows nothing editable. */
  readonly preferences?: PreferencesPort;
  readonly log?: Logger;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

const OK: CommandResult = { ok: true };

function refused(message: string): CommandResult {
  return { ok: false, message };
}

export class SyncController implements Disposable {
  private resumeTimer: NodeJS.Timeout | undefined;
  private readonly now: () => Date;

  constructor(private readonly o: SyncControllerOptions) {
    this.now = o.now ?? (() => new Date());
  }

  /** Carries out one (already validated) command. */
  async run(command: StratusCommand): Promise<CommandResult> {
    try {
      return await this.dispatch(command);
    } catch (err) {
      this.o.log?.warn('a command failed', { command: command.type, error: err instanceof Error ? err.message : String(err) });
      return refused(`Stratus could not do that: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  dispose(): void {
    this.clearResumeTimer();
  }

  /** The Settings screen's data. */
  async settings(): Promise<SettingsView> {
    const view = this.o.preferences?.view() ?? { values: {}, editable: [], managed: [] };
    const ignoreRules = (await this.o.engine.ignoreRules?.()) ?? '';
    return { ...view, ignoreRules };
  }

  /** What `text` as .stratusignore would hide. */
  async previewIgnore(text: string): Promise<IgnorePreview> {
    if (this.o.engine.previewIgnore === undefined) return { hidden: 0, sample: [], problems: ['This engine cannot preview ignore rules.'] };
    return this.o.engine.previewIgnore(text);
  }

  private async dispatch(command: StratusCommand): Promise<CommandResult> {
    const { sync, engine, status } = this.o;
    switch (command.type) {
      case 'pause': {
        this.clearResumeTimer();
        sync.pause();
        if (command.minutes === undefined) {
          status.setPausedUntil(undefined);
          return OK;
        }
        const ms = command.minutes * 60_000;
        status.setPausedUntil(new Date(this.now().getTime() + ms));
        this.resumeTimer = setTimeout(() => {
          this.resumeTimer = undefined;
          sync.resume();
        }, ms);
        this.resumeTimer.unref?.();
        return OK;
      }
      case 'resume':
        this.clearResumeTimer();
        sync.resume();
        status.setPausedUntil(undefined);
        return OK;
      case 'sync-now': {
        const state = sync.scheduler.state;
        if (state === 'paused') return refused('Sync is paused. Resume it first.');
        if (state === 'signed-out') return refused('Sign in again first; nothing waiting to sync is lost.');
        // Skips backoff and debounce; when offline it asks the server at once.
        sync.scheduler.retryNow();
        return OK;
      }
      case 'retry-now':
        if (sync.scheduler.state === 'paused') return refused('Sync is paused. Resume it first.');
        await sync.retryNow(command.path === undefined ? undefined : [command.path]);
        return OK;
      case 'confirm-deletes':
      case 'confirm-download':
      case 'restore-deletes': {
        if (engine.answerRail === undefined) return refused('This engine cannot answer a safety stop.');
        const result = await engine.answerRail(command.type === 'restore-deletes' ? 'restore' : 'confirm', command.type === 'confirm-download' ? 'download' : 'deletes');
        if (result.ok) sync.scheduler.requestRun('manual', { immediate: true });
        return result;
      }
      case 'resolve-conflict':
        return this.changeFiles(engine.resolveConflict?.bind(engine, command.path, command.keep), 'This engine cannot resolve conflicts.');
      case 'ignore-path':
        return this.changeFiles(engine.ignorePath?.bind(engine, command.path), 'This engine cannot ignore files.');
      case 'open-path':
      case 'show-in-folder':
        return refused('Files can only be opened in the Stratus app on the computer that syncs them.');
      case 'sign-in':
      case 'choose-folder':
        return refused('Stratus is already signed in and syncing a folder.');
      case 'sign-out':
        // The face that holds the sign-in (the app's main process, or `stratus watch`) handles it before it gets here.
        return refused('Signing out is not possible from here: run "stratus logout" on the computer that syncs.');
      case 'update-settings':
        return this.updateSettings(command.change);
      case 'set-ignore-rules':
        return this.changeFiles(engine.setIgnoreRules?.bind(engine, command.text), 'This engine cannot change ignore rules.');
      case 'open-logs':
        return refused('The logs folder can only be opened in the Stratus app.');
    }
  }

  /** Only keys this face can change and nobody enforces; a change naming any other key is refused whole. */
  private async updateSettings(change: Preferences): Promise<CommandResult> {
    const port = this.o.preferences;
    if (port === undefined) return refused('Settings cannot be changed here.');
    const view = port.view();
    const keys = Object.keys(change) as (keyof Preferences)[];
    const managed = keys.filter((k) => view.managed.includes(k));
    if (managed.length > 0) return refused(`Managed by your organization: ${managed.join(', ')}.`);
    const fixed = keys.filter((k) => !view.editable.includes(k));
    if (fixed.length > 0) {
      const where = fixed.map((k) => `${k}${view.sources?.[k] === undefined ? '' : ` (set by ${view.sources[k]})`}`);
      return refused(`Cannot be changed here: ${where.join(', ')}.`);
    }
    return port.update(change);
  }

  /**
   * A command that changes files in the folder: when it worked, the new attention list is shown
   * at once and a run carries the change to the cloud (not while paused).
   */
  private async changeFiles(change: (() => Promise<CommandResult>) | undefined, unsupported: string): Promise<CommandResult> {
    if (change === undefined) return refused(unsupported);
    const result = await change();
    if (!result.ok) return result;
    await this.o.status.refreshAttention();
    if (this.o.sync.scheduler.state !== 'paused') this.o.sync.scheduler.requestRun('manual', { immediate: true });
    return result;
  }

  private clearResumeTimer(): void {
    if (this.resumeTimer !== undefined) clearTimeout(this.resumeTimer);
    this.resumeTimer = undefined;
  }
}
