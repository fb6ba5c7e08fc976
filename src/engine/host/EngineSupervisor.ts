/**
 * EngineSupervisor: the app's side of the engine process (issue 8). Starts it,
 * hands it the settings, relays its status (a StatusSource, like LiveStatus,
 * so the window and the status page read it the same way), passes pause /
 * resume / retry-now on, and when the process dies unexpectedly says so and
 * starts a new one with backoff (1 s doubling to 1 min; back to 1 s once a
 * process has lived a minute). Nothing is lost across a restart: the journal
 * is the truth, uploads resume, downloads restart from a clean temp file.
 *
 * A `fatal` answer (the folder is missing, the bucket does not exist…) is not
 * retried: the same settings would fail the same way; the status says why.
 *
 * Commands from the UI (`run`) go to the running process with an id and are
 * answered by its `command-result` with the same id; with no process running,
 * after `commandTimeoutMs`, or when the process dies first, the answer is
 * `ok: false` with a sentence saying why (never a rejection). Temporary
 * credentials the host renews (`setCredentials`) are sent to the running
 * process and used for every later (re)start.
 *
 * Plain Node: the app plugs in an Electron utilityProcess (src/main), the
 * tests a forked Node process, behind the same EngineChild interface.
 */
import { Emitter, type Event } from '../../core/Emitter.js';
import { isEngineToHost, type EngineCredentials, type EngineSettings, type HostToEngine } from '../../shared/EngineProtocol.js';
import type { CommandResult, StatusSnapshot, StratusCommand } from '../../shared/StratusApi.js';
import type { Logger } from '../logger.js';

/** One engine process, however it was started. */
export interface EngineChild {
  readonly pid: number | undefined;
  postMessage(message: HostToEngine): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Fires once, when the process has exited (for whatever reason). */
  onExit(listener: (code: number | null) => void): void;
  /** Ends the process at once (SIGKILL or the platform's equivalent). */
  kill(): void;
}

export interface EngineSupervisorOptions {
  readonly spawn: () => EngineChild;
  readonly settings: EngineSettings;
  /** @default 1000 */
  readonly initialBackoffMs?: number;
  /** @default 60000 */
  readonly maxBackoffMs?: number;
  /** A process that lived this long resets the backoff. @default 60000 */
  readonly healthyAfterMs?: number;
  /** How long `stop()` waits for a clean stop before killing. @default 10000 */
  readonly stopTimeoutMs?: number;
  /** How long `run()` waits for the engine's answer. @default 30000 */
  readonly commandTimeoutMs?: number;
  readonly log?: Logger;
}

export class EngineSupervisor {
  private child: EngineChild | undefined;
  private snapshot: StatusSnapshot;
  private readonly statusEmitter = new Emitter<StatusSnapshot>();
  private backoffMs: number;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  private fatal = false;
  private credentials: EngineCredentials | undefined;
  private nextCommandId = 1;
  /** Commands sent and not yet answered, by id: settled once, by the answer, the timeout or the process's end. */
  private readonly pending = new Map<number, { readonly child: EngineChild; readonly settle: (result: CommandResult) => void }>();
  /** Unexpected exits so far (each followed by a restart). */
  restarts = 0;
  readonly onDidChangeStatus: Event<StatusSnapshot> = this.statusEmitter.event;

  constructor(private readonly o: EngineSupervisorOptions) {
    this.backoffMs = o.initialBackoffMs ?? 1000;
    this.credentials = o.settings.credentials;
    this.snapshot = { version: 1, auth: 'signed-in', sync: 'checking', folder: o.settings.folder };
  }

  get current(): StatusSnapshot {
    return this.snapshot;
  }

  /** The running process's id, if one runs (tests kill it to prove a restart loses nothing). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.child !== undefined || this.stopping !== undefined) return;
    const child = this.o.spawn();
    this.child = child;
    this.startedAt = Date.now();
    child.onMessage((message) => this.received(child, message));
    child.onExit((code) => this.exited(child, code));
    const { credentials: _initial, ...settings } = this.o.settings;
    // The start settings carry the static part only; a later `credentials` message carries the expiration too.
    const latest = this.credentials;
    const credentials = latest === undefined ? undefined : {
      accessKeyId: latest.accessKeyId, secretAccessKey: latest.secretAccessKey, ...(latest.sessionToken === undefined ? {} : { sessionToken: latest.sessionToken }),
    };
    child.postMessage({ type: 'start', settings: credentials === undefined ? settings : { ...settings, credentials } });
  }

  /** New temporary credentials: sent to the running process now, and in the `start` of any later process. */
  setCredentials(credentials: EngineCredentials): void {
    this.credentials = credentials;
    this.child?.postMessage({ type: 'credentials', credentials });
  }

  /** Sends a user's command to the engine; resolves with its answer, or `ok: false` saying why there is none. */
  run(command: StratusCommand): Promise<CommandResult> {
    const child = this.child;
    if (child === undefined || this.stopping !== undefined) {
      return Promise.resolve({
        ok: false,
        message: this.stopping !== undefined
          ? 'Stratus is stopping the sync engine; try again once it has started.'
          : 'The sync engine is not running right now (it may be restarting); try again in a moment.',
      });
    }
    const id = this.nextCommandId++;
    return new Promise<CommandResult>((resolve) => {
      const timer = setTimeout(() => {
        settle({ ok: false, message: 'The sync engine did not answer in time; try again in a moment.' });
      }, this.o.commandTimeoutMs ?? 30_000);
      const settle = (result: CommandResult): void => {
        if (!this.pending.delete(id)) return;
        clearTimeout(timer);
        resolve(result);
      };
      this.pending.set(id, { child, settle });
      child.postMessage({ type: 'command', id, command });
    });
  }

  pause(): void {
    this.child?.postMessage({ type: 'pause' });
  }

  resume(): void {
    this.child?.postMessage({ type: 'resume' });
  }

  retryNow(paths?: readonly string[]): void {
    this.child?.postMessage({ type: 'retry-now', ...(paths === undefined ? {} : { paths }) });
  }

  /** Asks the process to stop cleanly (journal closed, lock released); kills it after the timeout. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
      const child = this.child;
      if (child === undefined) {
        this.statusEmitter.dispose();
        return;
      }
      const exited = new Promise<void>((resolve) => child.onExit(() => resolve()));
      child.postMessage({ type: 'stop' });
      const timer = setTimeout(() => child.kill(), this.o.stopTimeoutMs ?? 10_000);
      await exited;
      clearTimeout(timer);
      this.statusEmitter.dispose();
    })();
    return this.stopping;
  }

  private received(child: EngineChild, message: unknown): void {
    if (child !== this.child) return;
    if (!isEngineToHost(message)) {
      this.o.log?.warn('ignored a malformed message from the engine process');
      return;
    }
    if (message.type === 'command-result') {
      this.pending.get(message.id)?.settle(message.result);
    } else if (message.type === 'status') {
      this.publish(message.status);
    } else if (message.type === 'fatal') {
      this.fatal = true;
      this.publish({ ...this.snapshot, sync: 'needs-attention', message: message.message });
    }
  }

  private exited(child: EngineChild, code: number | null): void {
    if (child !== this.child) return;
    this.child = undefined;
    for (const [, command] of [...this.pending]) {
      if (command.child === child) command.settle({ ok: false, message: 'The sync engine stopped before it could answer; try again in a moment.' });
    }
    if (this.stopping !== undefined || this.fatal) return;
    this.restarts += 1;
    if (Date.now() - this.startedAt >= (this.o.healthyAfterMs ?? 60_000)) this.backoffMs = this.o.initialBackoffMs ?? 1000;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.o.maxBackoffMs ?? 60_000);
    this.o.log?.warn('the engine process stopped unexpectedly; restarting it', { code, restarts: this.restarts, waitMs: wait });
    const { message: _gone, ...rest } = this.snapshot;
    this.publish({
      ...rest,
      sync: 'checking',
      message: `The sync process stopped unexpectedly and is being restarted (${this.restarts} ${this.restarts === 1 ? 'time' : 'times'} so far). Nothing is lost.`,
    });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.start();
    }, wait);
  }

  private publish(status: StatusSnapshot): void {
    this.snapshot = status;
    this.statusEmitter.fire(status);
  }
}
