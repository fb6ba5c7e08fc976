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
import type { Disposable } from '../core/Emitter.js';
import type { Logger } from '../engine/logger.js';
import type { EngineCredentials, EngineSettings } from '../shared/EngineProtocol.js';
import type { CommandResult, PreferenceKey, Preferences, StratusCommand } from '../shared/StratusApi.js';
import type { StratusConfig } from '../shared/StratusConfig.js';
import {
  chooseFolderFlow, defaultFolder, firstRunNext, firstRunStart, inspectFolder, setupState, type FirstRunEvent, type FirstRunFacts, type FirstRunState,
} from './firstRun.js';
import { safetyPolicyFrom, type AppSettings } from './settings/appSettings.js';
import type { SettingsStore } from './settings/SettingsStore.js';
import type { StatusService } from './StatusService.js';
import type { AccountPort, AccountState, AppDialogs, EngineHandle, FolderPorts, RestoreResult, Timers } from './appPorts.js';
import { appStatus } from './appStatus.js';
import { CredentialsRenewal, isSessionOver } from './CredentialsRenewal.js';

export type { AccountPort, AccountState, AppDialogs, EngineHandle, FolderPorts, RestoreResult, SignedInAccount, Timers } from './appPorts.js';
export { appStatus } from './appStatus.js';


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
  /** The organization's policies over the settings (policy/AppPolicies.ts); without it the settings apply as stored. */
  readonly policies?: PolicyPort;
}

/** What AppController needs of the policies: the settings as they apply, what is locked, the admin ignore patterns. */
export interface PolicyPort {
  resolve(settings: AppSettings): {
    readonly effective: AppSettings;
    readonly managed: readonly PreferenceKey[];
    readonly adminIgnorePatterns: readonly string[];
    /** The organization's folder, offered first by the first run. */
    readonly suggestedFolder?: string;
    /** MinimumFreeDiskMiB in bytes, when a policy sets it. */
    readonly minFreeBytes?: number;
    /** FirstDownloadConfirmAboveMiB in bytes, when a policy sets it. */
    readonly firstDownloadConfirmBytes?: number;
    /** Proxy and extra CA certificates for the engine process. */
    readonly network?: { readonly proxyUrl?: string; readonly proxyBypassList?: readonly string[]; readonly extraCaCertificates?: string };
  };
}


function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}


export class AppController implements Disposable {
  private account: AccountState = { state: 'none' };
  private engine: EngineHandle | undefined;
  private engineSubscription: Disposable | undefined;
  private renewal: CredentialsRenewal | undefined;
  private retryTimer: unknown;
  private pausedByBattery = false;
  private onBattery = false;
  private stopped = false;
  private firstRun: FirstRunState | undefined;
  private readonly timers: Timers;
  private readonly folders: FolderPorts;
  private readonly subscriptions: Disposable[] = [];
  /** The policy-dependent engine settings the running engine was started with (JSON), to restart it when a policy changes them. */
  private startedWith: string | undefined;

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
    const folder = this.folderToSync();
    const { suggestedFolder } = this.policyView();
    return { needsSignIn: this.needsSignIn, home: this.o.home, ...(folder === undefined ? {} : { folder }), ...(suggestedFolder === undefined ? {} : { suggestedFolder }) };
  }

  /**
   * The folder to sync: the chosen one; with LockSyncFolder, the organization's once it is the chosen one
   * (until then none, so the first run offers it: created, or merged after the question).
   */
  private folderToSync(): string | undefined {
    const { effective, managed } = this.policyView();
    const stored = this.o.settings.current.folder;
    if (!managed.includes('folder')) return stored;
    const trim = (p: string | undefined): string | undefined => p?.replace(/[\\/]+$/, '');
    return trim(stored) === trim(effective.folder) ? effective.folder : undefined;
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
      if (this.firstRun === undefined && this.folderToSync() === undefined) this.firstRun = firstRunStart(this.firstRunFacts());
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
    const locked = this.policyView();
    // LockSyncFolder: the organization's folder is the only one offered (created, or merged after the question).
    if (locked.managed.includes('folder') && locked.effective.folder !== undefined) path = locked.effective.folder;
    const suggested = this.firstRun?.step === 'choose-folder' ? this.firstRun.suggested : locked.suggestedFolder ?? defaultFolder(this.o.home);
    const choice = await chooseFolderFlow({ path, merge, suggested, dialogs: this.o.dialogs, folders: this.folders });
    if (choice.kind === 'declined') this.advanceFirstRun({ type: 'merge-declined' });
    if (choice.kind === 'refused') this.advanceFirstRun({ type: 'folder-chosen', folder: choice.folder, inspection: choice.inspection });
    if (choice.kind !== 'chosen') {
      this.publish();
      return choice.result;
    }
    this.advanceFirstRun({ type: 'folder-chosen', folder: choice.folder, inspection: choice.inspection });
    if (this.firstRun?.step === 'confirm-merge') this.advanceFirstRun({ type: 'merge-confirmed' });
    await this.setFolder(choice.folder);
    return { ok: true };
  }

  /**
   * The Settings screen's `update-settings`: validated and stored (settings
   * file); a new device name restarts the engine with it; a new folder goes
   * through `chooseFolder` (created, or merged only after the question).
   */
  async updatePreferences(change: Preferences): Promise<CommandResult> {
    const policy = this.policyView();
    const refused = (Object.keys(change) as PreferenceKey[]).filter(
      (key) => policy.managed.includes(key) && JSON.stringify(change[key]) !== JSON.stringify((policy.effective as Preferences)[key]),
    );
    if (refused.length > 0) return { ok: false, message: `Managed by your organization: ${refused.join(', ')} cannot be changed here.` };
    const { folder, ...rest } = change;
    const before = this.o.settings.current;
    try {
      this.o.settings.update(rest);
    } catch (err) {
      return { ok: false, message: errorMessage(err) };
    }
    if (folder !== undefined && folder !== before.folder) return this.chooseFolder(folder, false);
    const restart = (rest.deviceName !== undefined && rest.deviceName !== before.deviceName) ||
      (rest.massDelete !== undefined && JSON.stringify(rest.massDelete) !== JSON.stringify(before.massDelete));
    if (restart && this.engine !== undefined) {
      // The engine takes these at start; a restart loses nothing (the journal is the truth, uploads resume).
      await this.stopEngine();
      await this.startEngine();
    } else if (rest.bandwidth !== undefined && this.engine !== undefined) {
      // Live: transfers in flight slow down or speed up at once.
      await this.engine.run({ type: 'update-settings', change: { bandwidth: rest.bandwidth } });
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
          : this.folderToSync() === undefined ? 'Choose the folder to sync first.'
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
    this.renewal?.dispose();
    this.renewal = undefined;
    if (this.retryTimer !== undefined) this.timers.clearTimeout(this.retryTimer);
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

  /** The settings with the policies applied (as stored when there are none). */
  private policyView(): ReturnType<PolicyPort['resolve']> {
    return this.o.policies?.resolve(this.o.settings.current) ?? { effective: this.o.settings.current, managed: [], adminIgnorePatterns: [] };
  }

  /** The policy-dependent part of the engine's start settings. */
  private engineInputs(): string {
    const { effective, adminIgnorePatterns, network } = this.policyView();
    const { minFreeBytes, firstDownloadConfirmBytes } = this.policyView();
    return JSON.stringify([this.folderToSync(), effective.deviceName, effective.massDelete, effective.bandwidth, adminIgnorePatterns, network, minFreeBytes, firstDownloadConfirmBytes]);
  }

  /** The policies were read again: an engine started with values they changed restarts with the new ones. */
  async policiesChanged(): Promise<void> {
    if (this.engine === undefined || this.startedWith === this.engineInputs()) {
      // A newly locked folder that is not the chosen one: the first run offers it.
      if (this.engine === undefined && this.hasAccount) this.beginFirstRunIfNeeded();
      this.publish();
      return;
    }
    await this.stopEngine();
    this.beginFirstRunIfNeeded();
    this.publish();
    await this.startEngine();
  }

  private async startEngine(): Promise<void> {
    const connection = this.o.connection;
    const policy = this.policyView();
    const folder = this.folderToSync();
    if (this.stopped || this.engine !== undefined || connection === undefined || folder === undefined || !this.hasAccount) return;
    let prefix = connection.prefix ?? '';
    let credentials: EngineCredentials | undefined;
    const account = this.account.state === 'signed-in' ? this.account.account : undefined;
    if (this.cognito && account !== undefined) {
      prefix = account.prefix;
      try {
        credentials = await account.credentials();
      } catch (err) {
        this.o.log?.warn('could not get credentials from the identity pool', { code: errorCode(err) });
        if (isSessionOver(err)) this.sessionOver(err);
        else this.retryLater(() => this.startEngine());
        return;
      }
      if (this.stopped || this.engine !== undefined) return;
    }
    const { deviceName, bandwidth } = policy.effective;
    const settings: EngineSettings = {
      folder, bucket: connection.bucket, region: connection.region, prefix,
      ...safetyPolicyFrom(policy.effective),
      ...(policy.adminIgnorePatterns.length === 0 ? {} : { adminIgnorePatterns: policy.adminIgnorePatterns }),
      ...policy.network,
      ...(policy.minFreeBytes === undefined ? {} : { minFreeBytes: policy.minFreeBytes }),
      ...(policy.firstDownloadConfirmBytes === undefined ? {} : { firstDownloadConfirmBytes: policy.firstDownloadConfirmBytes }),
      ...(bandwidth.upBytesPerSecond === undefined && bandwidth.downBytesPerSecond === undefined ? {} : { bandwidth }),
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
    this.startedWith = this.engineInputs();
    this.engineSubscription = engine.onDidChangeStatus((status) => {
      if (this.firstRun?.step === 'first-sync') this.advanceFirstRun({ type: 'status', status });
      this.publish();
    });
    engine.start();
    this.publish();
    if (credentials !== undefined && account !== undefined) {
      this.renewal = new CredentialsRenewal({
        fetch: () => account.credentials(),
        send: (fresh) => engine.setCredentials(fresh),
        onSessionOver: (err) => this.sessionOver(err),
        timers: this.timers,
        now: this.o.now ?? Date.now,
        ...(this.o.refreshMarginMs === undefined ? {} : { marginMs: this.o.refreshMarginMs }),
        ...(this.o.retryMs === undefined ? {} : { retryMs: this.o.retryMs }),
        ...(this.o.log === undefined ? {} : { log: this.o.log }),
      });
      this.renewal.schedule(credentials);
    }
    if (this.onBattery) this.powerChanged(true);
  }

  private async stopEngine(): Promise<void> {
    this.renewal?.dispose();
    this.renewal = undefined;
    const engine = this.engine;
    if (engine === undefined) return;
    this.engine = undefined;
    this.engineSubscription?.dispose();
    this.engineSubscription = undefined;
    this.pausedByBattery = false;
    await engine.stop();
    this.publish();
  }

  /** The session is over (signed out, revoked): stop syncing and ask to sign in; the journal keeps the queued work. */
  private sessionOver(err: unknown): void {
    this.account = { state: 'signed-out', message: errorMessage(err) };
    void this.stopEngine().then(() => this.publish());
    this.publish();
  }

  private publish(): void {
    const status = appStatus({
      engine: this.engine?.current,
      connection: this.o.connection !== undefined,
      noConnectionMessage: this.o.noConnectionMessage,
      cognito: this.cognito,
      account: this.account,
      folder: this.folderToSync(),
    });
    const { suggestedFolder } = this.policyView();
    const setup = this.firstRun === undefined ? undefined : setupState(this.firstRun, { home: this.o.home, machine: this.o.machine, ...(suggestedFolder === undefined ? {} : { suggestedFolder }) });
    this.o.status.replace(setup === undefined ? status : { ...status, setup });
  }
}
