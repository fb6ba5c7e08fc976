/**
 * AppController: the desktop app's behaviour between the settings, the
 * account and the engine process, with every Electron part behind a port so
 * it is tested in plain Node (composition.ts plugs the real ones in).
 *
 *   settings + connection ─> account (cognito: restore or sign in; aws: the
 *   SDK chain, in the engine process) ─> engine (EngineSupervisor over a
 *   utilityProcess) started with EngineSettings ─> StatusService
 *
 * - Cognito mode: main holds the sign-in; the identity pool's temporary
 *   credentials go to the engine in its start settings, and fresh ones
 *   (`credentials` message) before they expire. A refresh that finds the
 *   user signed out stops the engine and says "Sign in required": the
 *   journal keeps the queued work for after the next sign-in.
 * - The status the app shows is the engine's, with who is signed in and
 *   `canOpenFiles: true` (main opens files); without an engine it says why
 *   (no connection, signed out, no folder yet).
 * - Pause on battery: pauses when the computer runs on battery and resumes
 *   on mains power, only if it was this setting that paused.
 * - First run (firstRun.ts): while it runs, the snapshot carries `setup`
 *   (the renderer's first-run screens); the `sign-in`, `sign-out` and
 *   `choose-folder` commands are carried out here, every other command goes
 *   to the engine. Done: the tray line is shown once (`tellFirstRunDone`)
 *   and `setup` says "done" until the next command or `acknowledgeFirstRun`.
 *
 * Emits through StatusService only; `dispose`/`stop` end timers and the engine.
 */
import type { Disposable, Event } from '../core/Emitter.js';
import type { Logger } from '../engine/logger.js';
import type { EngineCredentials, EngineSettings } from '../shared/EngineProtocol.js';
import type { CommandResult, Preferences, StatusSnapshot, StratusCommand } from '../shared/StratusApi.js';
import type { StratusConfig } from '../shared/StratusConfig.js';
import {
  defaultFolder, folderDecision, firstRunNext, firstRunStart, inspectFolder, setupState, type FirstRunEvent, type FolderInspection, type FirstRunFacts, type FirstRunState,
} from './firstRun.js';
import type { SettingsStore } from './settings/SettingsStore.js';
import type { StatusService } from './StatusService.js';

/** A signed-in user, as main holds it (cognito mode). No secret leaves through here except to the engine. */
export interface SignedInAccount {
  /** Who, for people (email or user name). */
  readonly user: string;
  readonly identityId: string;
  /** `<identityId>/`. */
  readonly prefix: string;
  /** Current credentials (renewed by the provider when less than 5 min are left). */
  credentials(): Promise<EngineCredentials>;
  /** Revokes the session and forgets it on this computer. */
  signOut(): Promise<void>;
}

export type RestoreResult =
  | { readonly kind: 'signed-in'; readonly account: SignedInAccount }
  | { readonly kind: 'signed-out'; readonly message?: string }
  /** The sign-in server cannot be reached now (offline): try again later, the session is kept. */
  | { readonly kind: 'unreachable'; readonly message: string };

/** Cognito sign-in in the app (auth/CognitoAccountPort.ts). */
export interface AccountPort {
  restore(): Promise<RestoreResult>;
  /** The login window (or system browser); rejects with a StratusError-like `{ code, message }` when it did not work. */
  signIn(): Promise<SignedInAccount>;
  /** Ends a sign-in in progress (the app quits). */
  cancelSignIn(): void;
}

/** What the controller needs of an EngineSupervisor. */
export interface EngineHandle {
  readonly current: StatusSnapshot;
  readonly onDidChangeStatus: Event<StatusSnapshot>;
  start(): void;
  stop(): Promise<void>;
  run(command: StratusCommand): Promise<CommandResult>;
  setCredentials(credentials: EngineCredentials): void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The desktop's own dialogs (Electron's in the app). */
export interface AppDialogs {
  /** The system folder picker, starting at `suggested`; undefined when cancelled. */
  pickFolder(suggested: string): Promise<string | undefined>;
  /** Asks the merge question; true to go ahead. */
  confirmMerge(question: string): Promise<boolean>;
  /** The first run is over: the tray line, once (a notification). */
  tellFirstRunDone(message: string): void;
}

/** The folder side of choosing a folder. @default node:fs (inspectFolder, mkdir -p) */
export interface FolderPorts {
  inspect(folder: string): Promise<FolderInspection>;
  create(folder: string): Promise<void>;
}

export interface AppControllerOptions {
  readonly connection: StratusConfig | undefined;
  /** Shown when there is no connection (where to put a config file). */
  readonly noConnectionMessage: string;
  readonly settings: SettingsStore;
  /** Required for auth "cognito". */
  readonly account?: AccountPort;
  readonly createEngine: (settings: EngineSettings) => EngineHandle;
  readonly status: StatusService;
  readonly dialogs: AppDialogs;
  /** The user's home folder (the default sync folder is `<home>/Stratus`). */
  readonly home: string;
  /** This computer's name, shown in the first-run screens. */
  readonly machine: string;
  readonly folders?: FolderPorts;
  readonly log?: Logger;
  /** @default globalThis timers */
  readonly timers?: Timers;
  /** @default Date.now */
  readonly now?: () => number;
  /** Fetch new credentials this long before the current ones expire. @default 10 min */
  readonly refreshMarginMs?: number;
  /** Retry delay after a failed refresh or an unreachable sign-in server. @default 60 s */
  readonly retryMs?: number;
}

export type AccountState =
  | { readonly state: 'none' }
  | { readonly state: 'signing-in' }
  | { readonly state: 'signed-in'; readonly account: SignedInAccount }
  | { readonly state: 'signed-out'; readonly message?: string }
  | { readonly state: 'unreachable'; readonly message: string };

/** Error codes that mean the session is over (engine/auth/authErrors.ts). */
const SIGNED_OUT_CODES = new Set(['signed-out', 'not-signed-in', 'token-vault-damaged']);

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The status the app shows: the engine's, or why there is none. Pure. */
export function appStatus(facts: {
  readonly engine: StatusSnapshot | undefined;
  readonly connection: boolean;
  readonly noConnectionMessage: string;
  readonly cognito: boolean;
  readonly account: AccountState;
  readonly folder: string | undefined;
}): StatusSnapshot {
  const { account } = facts;
  const who = account.state === 'signed-in' ? { account: account.account.user } : {};
  const folder = facts.folder === undefined ? {} : { folder: facts.folder };
  if (!facts.connection) {
    return { version: 1, auth: 'signed-out', sync: 'needs-attention', message: facts.noConnectionMessage, canOpenFiles: true };
  }
  if (facts.cognito && account.state !== 'signed-in') {
    // Not known yet (the stored session is being read): neither signed in nor "sign in required".
    if (account.state === 'none') return { version: 1, auth: 'signed-out', sync: 'checking', ...folder, canOpenFiles: true };
    if (account.state === 'unreachable') return { version: 1, auth: 'signed-out', sync: 'offline', message: account.message, ...folder, canOpenFiles: true };
    const message = account.state === 'signed-out' && account.message !== undefined ? { message: account.message } : {};
    return { version: 1, auth: account.state === 'signing-in' ? 'signing-in' : 'signed-out', sync: 'sign-in-required', ...message, ...folder, canOpenFiles: true };
  }
  if (facts.engine === undefined) {
    return {
      version: 1, auth: 'signed-in', ...who, sync: facts.folder === undefined ? 'needs-attention' : 'checking', ...folder,
      ...(facts.folder === undefined ? { message: 'Choose the folder to keep in sync (Open Stratus from the tray).' } : {}),
      canOpenFiles: true,
    };
  }
  const engine = facts.engine;
  const location = engine.location === undefined || account.state !== 'signed-in'
    ? engine.location
    : { ...engine.location, user: account.account.user, identityId: account.account.identityId };
  return { ...engine, auth: 'signed-in', ...who, ...(location === undefined ? {} : { location }), canOpenFiles: true };
}

export class AppController implements Disposable {
  private account: AccountState = { state: 'none' };
  private engine: EngineHandle | undefined;
  private engineSubscription: Disposable | undefined;
  private refreshTimer: unknown;
  private retryTimer: unknown;
  private pausedByBattery = false;
  private onBattery = false;
  private stopped = false;
  private firstRun: FirstRunState | undefined;
  private readonly timers: Timers;
  private readonly folders: FolderPorts;
  private readonly subscriptions: Disposable[] = [];

  constructor(private readonly o: AppControllerOptions) {
    this.timers = o.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
    this.folders = o.folders ?? {
      inspect: (folder) => inspectFolder(folder, o.home),
      create: async (folder) => {
        const { mkdir } = await import('node:fs/promises');
        await mkdir(folder, { recursive: true });
      },
    };
    this.subscriptions.push(o.settings.onDidChange(() => this.publish()));
  }

  /** The first-run step, while the flow runs. */
  get firstRunState(): FirstRunState | undefined {
    return this.firstRun;
  }

  private firstRunFacts(): FirstRunFacts {
    const { folder } = this.o.settings.current;
    return { needsSignIn: this.needsSignIn, home: this.o.home, ...(folder === undefined ? {} : { folder }) };
  }

  private advanceFirstRun(event: FirstRunEvent): void {
    const before = this.firstRun;
    if (before === undefined) return;
    this.firstRun = firstRunNext(before, event, this.firstRunFacts());
    if (this.firstRun.step === 'done' && before.step !== 'done') this.o.dialogs.tellFirstRunDone(this.firstRun.message);
  }

  /** The user has seen the end of the first run (closed the window): `setup` goes from the status. */
  acknowledgeFirstRun(): void {
    if (this.firstRun?.step !== 'done') return;
    this.firstRun = undefined;
    this.publish();
  }

  private get cognito(): boolean {
    return this.o.connection?.auth === 'cognito';
  }

  /** Signed in (cognito), or no sign-in needed (aws); false without a connection. */
  get hasAccount(): boolean {
    if (this.o.connection === undefined) return false;
    return !this.cognito || this.account.state === 'signed-in';
  }

  get needsSignIn(): boolean {
    return this.o.connection !== undefined && this.cognito && this.account.state !== 'signed-in';
  }

  get engineRunning(): boolean {
    return this.engine !== undefined;
  }

  /** Restores the session (cognito) and starts syncing when a folder is chosen. */
  async start(): Promise<void> {
    this.publish();
    if (this.o.connection === undefined) return;
    if (this.cognito) await this.restore();
    this.beginFirstRunIfNeeded();
    this.publish();
    await this.startEngine();
  }

  /** After the account is known: the first run, if something is missing (an unreachable server is not "nobody signed in"). */
  private beginFirstRunIfNeeded(): void {
    if (this.firstRun !== undefined || this.account.state === 'unreachable' || (this.account.state === 'none' && this.cognito)) return;
    this.firstRun = firstRunStart(this.firstRunFacts());
  }

  private async restore(): Promise<void> {
    const port = this.requireAccountPort();
    if (port === undefined) return;
    let result: RestoreResult;
    try {
      result = await port.restore();
    } catch (err) {
      result = { kind: 'signed-out', message: errorMessage(err) };
    }
    if (this.stopped) return;
    if (result.kind === 'signed-in') this.account = { state: 'signed-in', account: result.account };
    else if (result.kind === 'unreachable') {
      this.account = { state: 'unreachable', message: result.message };
      this.retryLater(() => this.restore().then(() => {
        this.beginFirstRunIfNeeded();
        this.publish();
        return this.startEngine();
      }));
    } else this.account = result.message === undefined ? { state: 'signed-out' } : { state: 'signed-out', message: result.message };
    this.publish();
  }

  private requireAccountPort(): AccountPort | undefined {
    if (this.o.account === undefined) {
      this.account = { state: 'signed-out', message: 'This build of Stratus cannot sign in (no account service); use auth "aws".' };
      return undefined;
    }
    return this.o.account;
  }

  /** Signs in (cognito): the login window; then starts syncing if a folder is chosen. */
  async signIn(): Promise<CommandResult> {
    if (!this.cognito) return { ok: false, message: 'This connection uses your AWS credentials; there is nothing to sign in to.' };
    const port = this.requireAccountPort();
    if (port === undefined) return { ok: false, message: 'Stratus cannot sign in here.' };
    if (this.account.state === 'signed-in') return { ok: true };
    const before = this.account;
    this.account = { state: 'signing-in' };
    this.publish();
    try {
      const account = await port.signIn();
      if (this.stopped) return { ok: false, message: 'Stratus is quitting.' };
      this.account = { state: 'signed-in', account };
      if (this.firstRun === undefined && this.o.settings.current.folder === undefined) this.firstRun = firstRunStart(this.firstRunFacts());
      this.advanceFirstRun({ type: 'signed-in' });
      this.publish();
      await this.startEngine();
      return { ok: true };
    } catch (err) {
      const cancelled = errorCode(err) === 'sign-in-cancelled';
      this.account = cancelled ? before : { state: 'signed-out', message: errorMessage(err) };
      if (this.account.state === 'signing-in') this.account = { state: 'signed-out' };
      this.advanceFirstRun({ type: 'sign-in-failed', message: errorMessage(err) });
      this.publish();
      return { ok: false, message: errorMessage(err) };
    }
  }

  /** Stops syncing, revokes the session and forgets it; the folder and the journal stay. */
  async signOut(): Promise<void> {
    const current = this.account;
    await this.stopEngine();
    this.account = { state: 'signed-out' };
    this.publish();
    if (current.state === 'signed-in') {
      try {
        await current.account.signOut();
      } catch (err) {
        this.o.log?.warn('signing out did not fully work', { code: errorCode(err) });
      }
    }
  }

  /** The folder was chosen (first run, or changed in settings): stored, and the engine (re)started on it. */
  async setFolder(folder: string): Promise<void> {
    this.o.settings.update({ folder });
    await this.stopEngine();
    await this.startEngine();
  }

  /**
   * The `choose-folder` command: `path` from the renderer (the merge question
   * comes back in `confirm` until `merge`), or none: the system folder picker,
   * and the merge question as a dialog.
   */
  async chooseFolder(path: string | undefined, merge: boolean): Promise<CommandResult> {
    if (this.needsSignIn) return { ok: false, message: 'Sign in first.' };
    const suggested = this.firstRun?.step === 'choose-folder' ? this.firstRun.suggested : defaultFolder(this.o.home);
    let folder = path;
    let asked = merge;
    if (folder === undefined) {
      folder = await this.o.dialogs.pickFolder(suggested);
      if (folder === undefined) return { ok: false, message: 'No folder was chosen.' };
    }
    const inspection = await this.folders.inspect(folder);
    let decision = folderDecision(folder, inspection, asked);
    if (!decision.accept && decision.result.confirm !== undefined && path === undefined) {
      // Picked in the system dialog: the renderer does not know the path to send again, so ask here.
      asked = await this.o.dialogs.confirmMerge(decision.result.confirm);
      if (!asked) {
        this.advanceFirstRun({ type: 'merge-declined' });
        this.publish();
        return { ok: false, message: 'No folder was chosen.' };
      }
      decision = folderDecision(folder, inspection, asked);
    }
    if (!decision.accept) {
      if (inspection.kind === 'refused') this.advanceFirstRun({ type: 'folder-chosen', folder, inspection });
      this.publish();
      return decision.result;
    }
    if (decision.create) {
      try {
        await this.folders.create(folder);
      } catch (err) {
        return { ok: false, message: `Stratus could not create ${folder}: ${errorMessage(err)}` };
      }
    }
    this.advanceFirstRun({ type: 'folder-chosen', folder, inspection });
    if (this.firstRun?.step === 'confirm-merge') this.advanceFirstRun({ type: 'merge-confirmed' });
    await this.setFolder(folder);
    return { ok: true };
  }

  /**
   * The Settings screen's `update-settings`: validated and stored (settings
   * file); a new device name restarts the engine with it; a new folder goes
   * through `chooseFolder` (created, or merged only after the question).
   */
  async updatePreferences(change: Preferences): Promise<CommandResult> {
    const { folder, ...rest } = change;
    const before = this.o.settings.current;
    try {
      this.o.settings.update(rest);
    } catch (err) {
      return { ok: false, message: errorMessage(err) };
    }
    if (folder !== undefined && folder !== before.folder) return this.chooseFolder(folder, false);
    if (rest.deviceName !== undefined && rest.deviceName !== before.deviceName && this.engine !== undefined) {
      await this.stopEngine();
      await this.startEngine();
    }
    if (rest.logLevel !== undefined && rest.logLevel !== before.logLevel) return { ok: true, message: 'Saved. The new log level applies from the next start of Stratus.' };
    return { ok: true };
  }

  /** A user's command: sign-in, sign-out and choose-folder here; the others to the engine (or ok:false saying why none runs). */
  run(command: StratusCommand): Promise<CommandResult> {
    this.acknowledgeFirstRun();
    if (command.type === 'sign-in') return this.signIn();
    if (command.type === 'sign-out') return this.signOut().then(() => ({ ok: true }));
    if (command.type === 'choose-folder') return this.chooseFolder(command.path, command.merge === true);
    if (command.type === 'update-settings') return this.updatePreferences(command.change);
    if (command.type === 'resume') this.pausedByBattery = false;
    if (this.engine === undefined) {
      const why = this.o.connection === undefined ? this.o.noConnectionMessage
        : this.needsSignIn ? 'Sign in first: syncing starts once you are signed in.'
          : this.o.settings.current.folder === undefined ? 'Choose the folder to sync first.'
            : 'The sync engine is not running right now; try again in a moment.';
      return Promise.resolve({ ok: false, message: why });
    }
    return this.engine.run(command);
  }

  /** The power source changed (Electron powerMonitor): pause on battery when the setting says so. */
  powerChanged(onBattery: boolean): void {
    this.onBattery = onBattery;
    if (!this.o.settings.current.pauseOnBattery) return;
    if (onBattery && !this.pausedByBattery && this.engine !== undefined && this.engine.current.sync !== 'paused') {
      this.pausedByBattery = true;
      void this.engine.run({ type: 'pause' });
    } else if (!onBattery && this.pausedByBattery) {
      this.pausedByBattery = false;
      void this.engine?.run({ type: 'resume' });
    }
  }

  /** Quit: the engine stops cleanly (journal closed) before the app exits. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.o.account?.cancelSignIn();
    this.clearTimers();
    await this.stopEngine();
  }

  dispose(): void {
    this.stopped = true;
    this.clearTimers();
    for (const s of this.subscriptions) s.dispose();
    this.engineSubscription?.dispose();
  }

  private clearTimers(): void {
    if (this.refreshTimer !== undefined) this.timers.clearTimeout(this.refreshTimer);
    if (this.retryTimer !== undefined) this.timers.clearTimeout(this.retryTimer);
    this.refreshTimer = undefined;
    this.retryTimer = undefined;
  }

  private retryLater(fn: () => Promise<void>): void {
    if (this.stopped) return;
    if (this.retryTimer !== undefined) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = undefined;
      fn().catch((err: unknown) => this.o.log?.warn('retry failed', { code: errorCode(err) }));
    }, this.o.retryMs ?? 60_000);
  }

  private async startEngine(): Promise<void> {
    const connection = this.o.connection;
    const folder = this.o.settings.current.folder;
    if (this.stopped || this.engine !== undefined || connection === undefined || folder === undefined || !this.hasAccount) return;
    let prefix = connection.prefix ?? '';
    let credentials: EngineCredentials | undefined;
    const account = this.account.state === 'signed-in' ? this.account.account : undefined;
    if (this.cognito && account !== undefined) {
      prefix = account.prefix;
      try {
        credentials = await account.credentials();
      } catch (err) {
        this.credentialsFailed(err, () => this.startEngine());
        return;
      }
      if (this.stopped || this.engine !== undefined) return;
    }
    const { deviceName } = this.o.settings.current;
    const settings: EngineSettings = {
      folder, bucket: connection.bucket, region: connection.region, prefix,
      ...(connection.endpoint === undefined ? {} : { endpoint: connection.endpoint }),
      ...(connection.forcePathStyle === undefined ? {} : { forcePathStyle: connection.forcePathStyle }),
      ...(deviceName === undefined ? {} : { deviceName }),
      ...(credentials === undefined ? {} : {
        credentials: {
          accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey,
          ...(credentials.sessionToken === undefined ? {} : { sessionToken: credentials.sessionToken }),
        },
      }),
    };
    const engine = this.o.createEngine(settings);
    this.engine = engine;
    this.engineSubscription = engine.onDidChangeStatus((status) => {
      if (this.firstRun?.step === 'first-sync') this.advanceFirstRun({ type: 'status', status });
      this.publish();
    });
    engine.start();
    this.publish();
    if (credentials !== undefined) this.scheduleRefresh(credentials);
    if (this.onBattery) this.powerChanged(true);
  }

  private async stopEngine(): Promise<void> {
    if (this.refreshTimer !== undefined) this.timers.clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    const engine = this.engine;
    if (engine === undefined) return;
    this.engine = undefined;
    this.engineSubscription?.dispose();
    this.engineSubscription = undefined;
    this.pausedByBattery = false;
    await engine.stop();
    this.publish();
  }

  /** Fetches fresh credentials `refreshMarginMs` before these expire (at least 30 s from now). */
  private scheduleRefresh(credentials: EngineCredentials): void {
    if (credentials.expiration === undefined || this.stopped) return;
    const now = (this.o.now ?? Date.now)();
    const wait = Math.max(30_000, Date.parse(credentials.expiration) - now - (this.o.refreshMarginMs ?? 10 * 60_000));
    this.refreshTimer = this.timers.setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refreshCredentials();
    }, wait);
  }

  private async refreshCredentials(): Promise<void> {
    const engine = this.engine;
    if (this.account.state !== 'signed-in' || engine === undefined) return;
    try {
      const fresh = await this.account.account.credentials();
      if (this.engine !== engine) return;
      engine.setCredentials(fresh);
      this.scheduleRefresh(fresh);
    } catch (err) {
      this.credentialsFailed(err, () => this.refreshCredentials());
    }
  }

  /** Signed out (session over): stop syncing, ask to sign in. Anything else: try again later. */
  private credentialsFailed(err: unknown, retry: () => Promise<void>): void {
    const code = errorCode(err);
    this.o.log?.warn('could not get credentials from the identity pool', { code });
    if (code !== undefined && SIGNED_OUT_CODES.has(code)) {
      this.account = { state: 'signed-out', message: errorMessage(err) };
      void this.stopEngine().then(() => this.publish());
      this.publish();
      return;
    }
    this.retryLater(retry);
  }

  private publish(): void {
    const status = appStatus({
      engine: this.engine?.current,
      connection: this.o.connection !== undefined,
      noConnectionMessage: this.o.noConnectionMessage,
      cognito: this.cognito,
      account: this.account,
      folder: this.o.settings.current.folder,
    });
    const setup = this.firstRun === undefined ? undefined : setupState(this.firstRun, { home: this.o.home, machine: this.o.machine });
    this.o.status.replace(setup === undefined ? status : { ...status, setup });
  }
}
