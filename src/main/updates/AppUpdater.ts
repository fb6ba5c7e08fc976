/**
 * The thin electron-updater part of updates (issue 9). It does what an
 * `UpdateDecision` (updatePolicy.ts) says and nothing else:
 *
 *   off      electron-updater is never imported, no timer, no request (the kill switch)
 *   notify   checks the feed; an update found fires `onDidFindUpdate`; nothing is
 *            downloaded or installed until the user asks (`installNow`)
 *   install  checks, downloads, and installs when the app quits
 *
 * electron-updater is loaded with a dynamic import behind `UpdaterImporter`, so a
 * decision of `off` keeps it out of the process and tests can inject a stand-in.
 * Emits: onDidFindUpdate (a newer version exists), onDidDownloadUpdate (ready to
 * install on quit or on `installNow`).
 */
import { Emitter, type Disposable, type Event } from '../../core/Emitter.js';
import type { Logger } from '../../engine/logger.js';
import type { UpdateChannel, UpdateDecision } from './updatePolicy.js';

/** What the updater is told before its first check. */
export interface UpdaterSettings {
  readonly autoDownload: boolean;
  readonly autoInstallOnAppQuit: boolean;
  readonly channel: UpdateChannel;
  readonly allowPrerelease: boolean;
  readonly allowDowngrade: false;
  /** A generic update server overriding the installer's app-update.yml. */
  readonly feedUrl?: string;
  readonly log: Logger;
}

/** The part of electron-updater's `autoUpdater` Stratus uses. */
export interface UpdaterLike {
  configure(settings: UpdaterSettings): void;
  /** null when electron-updater decided not to check (e.g. not packaged). */
  checkForUpdates(): Promise<{ readonly isUpdateAvailable: boolean; readonly version: string } | null>;
  downloadUpdate(): Promise<void>;
  /** `isSilent` false: the installer shows itself (and asks for elevation where it needs it). */
  quitAndInstall(isSilent: boolean, isForceRunAfter: boolean): void;
  onUpdateDownloaded(listener: (version: string) => void): Disposable;
  onError(listener: (error: Error) => void): Disposable;
}

export type UpdaterImporter = () => Promise<UpdaterLike>;

/** The real one: electron-updater's `autoUpdater`, imported on first use only. */
export const importElectronUpdater: UpdaterImporter = async () => {
  const { default: lib } = await import('electron-updater');
  const updater = lib.autoUpdater;
  const listen = <A extends unknown[]>(event: 'update-downloaded' | 'error', listener: (...args: A) => void): Disposable => {
    const handler = listener as (...args: unknown[]) => void;
    updater.on(event, handler);
    return { dispose: () => void updater.removeListener(event, handler) };
  };
  return {
    configure(settings) {
      updater.logger = {
        info: (message?: unknown) => settings.log.debug(String(message)),
        warn: (message?: unknown) => settings.log.warn(String(message)),
        error: (message?: unknown) => settings.log.warn(String(message)),
        debug: (message: string) => settings.log.debug(message),
      };
      // Before anything else: electron-updater defaults both to true.
      updater.autoDownload = settings.autoDownload;
      updater.autoInstallOnAppQuit = settings.autoInstallOnAppQuit;
      if (settings.feedUrl !== undefined) updater.setFeedURL({ provider: 'generic', url: settings.feedUrl });
      updater.channel = settings.channel;
      updater.allowPrerelease = settings.allowPrerelease;
      // After `channel`: its setter turns allowDowngrade on.
      updater.allowDowngrade = settings.allowDowngrade;
    },
    async checkForUpdates() {
      const result = await updater.checkForUpdates();
      // With autoDownload the download runs on; its failure is already emitted as 'error' (logged through
      // onError), and electron-updater rethrows it into this promise, which nobody else awaits.
      result?.downloadPromise?.catch(() => undefined);
      return result === null ? null : { isUpdateAvailable: result.isUpdateAvailable, version: result.updateInfo.version };
    },
    async downloadUpdate() {
      await updater.downloadUpdate();
    },
    quitAndInstall: (isSilent, isForceRunAfter) => updater.quitAndInstall(isSilent, isForceRunAfter),
    onUpdateDownloaded: (listener) => listen('update-downloaded', (info: { version: string }) => listener(info.version)),
    onError: (listener) => listen('error', listener),
  };
};

export interface AppUpdaterOptions {
  readonly decision: UpdateDecision;
  readonly log: Logger;
  /** @default importElectronUpdater */
  readonly importUpdater?: UpdaterImporter;
  /** A generic update server; @default the feed in the installer's app-update.yml */
  readonly feedUrl?: string;
  /** First check after start, so it does not compete with the first sync. @default 5 minutes */
  readonly firstCheckDelayMs?: number;
  /** @default 4 hours */
  readonly checkIntervalMs?: number;
}

export type CheckOutcome =
  | { readonly checked: false; readonly reason: string }
  | { readonly checked: true; readonly available: boolean; readonly version?: string };

export class AppUpdater implements Disposable {
  private readonly foundEmitter = new Emitter<{ version: string; mode: 'notify' | 'install' }>();
  private readonly downloadedEmitter = new Emitter<{ version: string }>();
  /** A newer version exists (in `notify` mode, show it; the user decides). */
  readonly onDidFindUpdate: Event<{ version: string; mode: 'notify' | 'install' }> = this.foundEmitter.event;
  /** Downloaded: installs when the app quits (`install`) or right away on `installNow`. */
  readonly onDidDownloadUpdate: Event<{ version: string }> = this.downloadedEmitter.event;

  private updater: Promise<UpdaterLike> | undefined;
  private readonly subscriptions: Disposable[] = [];
  private timers: ReturnType<typeof setTimeout>[] = [];
  private disposed = false;

  constructor(private readonly options: AppUpdaterOptions) {
    const { decision, log } = options;
    log.info('updates', { mode: decision.mode, reason: decision.reason, channel: decision.channel, explanation: decision.explanation });
  }

  get mode(): UpdateDecision['mode'] {
    return this.options.decision.mode;
  }

  /** Schedules the periodic checks; does nothing when updates are off. */
  start(): void {
    if (this.mode === 'off' || this.disposed) return;
    const run = (): void => {
      this.checkNow().catch((error: unknown) => this.options.log.warn('the update check failed', { error }));
    };
    const first = setTimeout(() => {
      run();
      const every = setInterval(run, this.options.checkIntervalMs ?? 4 * 60 * 60_000);
      every.unref();
      this.timers.push(every);
    }, this.options.firstCheckDelayMs ?? 5 * 60_000);
    first.unref();
    this.timers.push(first);
  }

  async checkNow(): Promise<CheckOutcome> {
    if (this.mode === 'off') return { checked: false, reason: this.options.decision.explanation };
    if (this.disposed) return { checked: false, reason: 'Stratus is quitting.' };
    const updater = await this.load();
    const result = await updater.checkForUpdates();
    if (result === null) return { checked: false, reason: 'The updater skipped the check (not a packaged app).' };
    if (result.isUpdateAvailable && !this.disposed) this.foundEmitter.fire({ version: result.version, mode: this.mode });
    return { checked: true, available: result.isUpdateAvailable, version: result.version };
  }

  /**
   * The user's explicit "install the update": downloads it if needed and restarts
   * into the installer, visibly (never silent), so a per-machine install asks for
   * an administrator. Refused when updates are off.
   */
  async installNow(): Promise<void> {
    if (this.mode === 'off') throw new Error(this.options.decision.explanation);
    const updater = await this.load();
    await updater.downloadUpdate();
    updater.quitAndInstall(false, true);
  }

  private load(): Promise<UpdaterLike> {
    this.updater ??= (this.options.importUpdater ?? importElectronUpdater)().then((updater) => {
      const { decision, log, feedUrl } = this.options;
      updater.configure({
        autoDownload: decision.autoDownload,
        autoInstallOnAppQuit: decision.autoInstallOnAppQuit,
        channel: decision.channel,
        allowPrerelease: decision.allowPrerelease,
        allowDowngrade: decision.allowDowngrade,
        ...(feedUrl === undefined ? {} : { feedUrl }),
        log,
      });
      this.subscriptions.push(
        updater.onUpdateDownloaded((version) => this.downloadedEmitter.fire({ version })),
        updater.onError((error) => log.warn('updater error', { error: error.message })),
      );
      return updater;
    });
    return this.updater;
  }

  dispose(): void {
    this.disposed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
    this.foundEmitter.dispose();
    this.downloadedEmitter.dispose();
  }
}
