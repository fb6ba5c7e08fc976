/**
 * The composition root of the desktop app: builds the object graph by
 * constructor injection and hands back one `Disposable` for all of it. Nothing
 * else in main creates long-lived services.
 *
 *   settings (electron-store) ─┐
 *   connection (STRATUS_CONFIG, <userData>/stratus.json, the store) ─┤
 *   account (cognito: safeStorage vault + login window; aws: SDK chain) ─┼─> AppController ─> StatusService
 *   engine (EngineSupervisor over a utilityProcess) ─┘                       │
 *        ├─> IPC (status, commands)  ├─> tray (icon, tooltip, menu)  ├─> notifications
 *
 * `composeApp` is synchronous (window, IPC, tray exist at once); `start()`
 * reads the policies and the connection, restores the sign-in and starts
 * syncing. Policies (policy/AppPolicies.ts) are read at start, when the
 * Settings screen asks, and every 5 minutes; the settings that apply are the
 * stored ones with the policies over them.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { app, dialog, powerMonitor, shell } from 'electron';
import type { Disposable } from '../core/Emitter.js';
import { EngineSupervisor } from '../engine/host/EngineSupervisor.js';
import { facePreview, previewIgnoreRules } from '../engine/local/ignoreEditor.js';
import { IGNORE_FILE_NAME } from '../engine/local/IgnoreRules.js';
import { createLoggerFactory } from '../engine/logger.js';
import { platformPolicySources } from '../engine/policy/platformPolicySources.js';
import { handleAppProtocol } from './appProtocol.js';
import { AppController, type AccountPort, type AppDialogs } from './AppController.js';
import { CognitoAccountPort } from './auth/CognitoAccountPort.js';
import { createDesktopSignIn } from './auth/desktopSignIn.js';
import { createCommandRunner, type CommandEngine } from './commandRunner.js';
import { DesktopNotifier } from './desktopNotifier.js';
import { registerIpcHandlers } from './ipcHandlers.js';
import { openLogFile } from './logFile.js';
import { AppPolicies, logLineAllowed } from './policy/AppPolicies.js';
import { backendWatcher } from './policy/backendChange.js';
import { createElectronSettingsStore } from './settings/ElectronSettingsStore.js';
import { loadConnectionSource, noConnectionMessage } from './settings/connectionSource.js';
import { settingsView } from './settings/settingsView.js';
import type { SettingsStore } from './settings/SettingsStore.js';
import { applyStartAtLogin } from './startAtLogin.js';
import { StatusService } from './StatusService.js';
import { StatusWindow } from './StatusWindow.js';
import { AppTray } from './tray/AppTray.js';
import { utilityEngineChild } from './utilityEngineChild.js';
import type { TrayAction, TrayUpdate } from './tray/trayMenuModel.js';
import type { AppUpdater } from './updates/AppUpdater.js';
import { startAppUpdates } from './updates/startAppUpdates.js';
import { HttpNetwork } from '../engine/net/HttpNetwork.js';

export interface AppServices extends Disposable {
  readonly status: StatusService;
  readonly statusWindow: StatusWindow;
  readonly settings: SettingsStore;
  readonly tray: AppTray;
  /** Reads the connection, restores the sign-in, starts syncing. */
  start(): Promise<void>;
  /** Quit: stops the engine cleanly (journal closed) before the app exits. */
  stop(): Promise<void>;
}

/** `outDir` is the folder holding main/, preload/ and renderer/ (electron-vite's out). */
export function composeApp(outDir: string): AppServices {
  const disposables: Disposable[] = [];
  const userData = app.getPath('userData');
  const settings = createElectronSettingsStore(userData);
  disposables.push(settings);
  const logFile = openLogFile(app.getPath('logs'), { echo: (line) => process.stderr.write(`${line}\n`) });
  disposables.push(logFile);
  // Every line is made and the level (the setting, or the LogLevel policy once read) filters it here, so a policy read later still applies.
  let logLevel = settings.current.logLevel;
  const loggers = createLoggerFactory({ write: (line) => { if (logLineAllowed(line, logLevel)) logFile.write(line); }, level: 'debug' });
  const log = loggers('app');
  for (const problem of settings.problems) log.warn('a stored setting was ignored', { problem });
  const policies = new AppPolicies({ sources: platformPolicySources({ platform: process.platform, env: process.env }), home: app.getPath('home'), log: loggers('policy') });
  disposables.push(policies);
  /** The settings as they apply: the stored ones with the policies over them. */
  const applied = () => policies.resolve(settings.current).effective;
  const updateLogLevel = (): void => {
    logLevel = applied().logLevel;
  };
  // A user's change applies from the next start (as the Settings screen says); a policy's at its next read.
  disposables.push(policies.onDidChange(updateLogLevel));

  const status = new StatusService();
  disposables.push(status);
  let controller: AppController | undefined;
  const statusWindow = new StatusWindow({
    preloadPath: join(outDir, 'preload', 'index.cjs'),
    onDidClose: () => controller?.acknowledgeFirstRun(),
  });

  const engine: CommandEngine = {
    run: (command) => controller?.run(command) ?? Promise.resolve({ ok: false, message: 'Stratus is still starting; try again in a moment.' }),
  };
  disposables.push(handleAppProtocol(join(outDir, 'renderer')));
  const logsFolder = dirname(logFile.path);
  const openLogs = async (): Promise<{ ok: boolean; message?: string }> => {
    await mkdir(logsFolder, { recursive: true });
    const error = await shell.openPath(logsFolder);
    return error === '' ? { ok: true } : { ok: false, message: `The logs folder could not be opened: ${error}` };
  };
  const settingsApi = {
    getSettings: async () => {
      // Read afresh: the screen shows what the policies say now.
      await policies.refresh();
      const policy = policies.resolve(settings.current);
      const folder = policy.effective.folder;
      const ignoreRules = folder === undefined ? '' : await readFile(join(folder, IGNORE_FILE_NAME), 'utf8').catch(() => '');
      return settingsView(settings.current, ignoreRules, logsFolder, policy);
    },
    previewIgnore: async (text: string) => {
      const policy = policies.resolve(settings.current);
      const folder = policy.effective.folder;
      return folder === undefined
        ? { hidden: 0, sample: [], problems: ['Choose the folder to sync first.'] }
        : facePreview(await previewIgnoreRules(folder, text, { adminPatterns: policy.adminIgnorePatterns }));
    },
  };
  disposables.push(registerIpcHandlers(status, createCommandRunner({ folder: () => settings.current.folder, shell, engine: () => engine, openLogs }), settingsApi));

  const notifier = new DesktopNotifier({ status, settings, onClick: () => void statusWindow.show(), level: () => policies.resolve(settings.current).notificationLevel });
  disposables.push(notifier);

  const report = (what: string) => (result: { ok: boolean; message?: string }): void => {
    if (!result.ok) log.warn(`${what} did not work`, { message: result.message });
  };
  /** The updater (set by start; absent while updates are off or not started) and the version it knows of, for the tray. */
  let updates: AppUpdater | undefined;
  let knownUpdate: TrayUpdate | undefined;
  const installUpdate = (): void => {
    updates?.installNow().catch((err: unknown) => log.warn('the update could not be installed', { error: err instanceof Error ? err.message : String(err) }));
  };
  const onTrayAction = (action: TrayAction): void => {
    switch (action) {
      case 'open-folder': {
        const folder = applied().folder;
        if (folder !== undefined) void shell.openPath(folder).then((error) => error === '' || log.warn('could not open the folder', { error }));
        return;
      }
      case 'open-window': void statusWindow.show(); return;
      case 'sync-now': void engine.run({ type: 'sync-now' }).then(report('sync now')); return;
      case 'pause-30': void engine.run({ type: 'pause', minutes: 30 }).then(report('pause')); return;
      case 'pause-60': void engine.run({ type: 'pause', minutes: 60 }).then(report('pause')); return;
      case 'pause-until-resumed': void engine.run({ type: 'pause' }).then(report('pause')); return;
      case 'resume': void engine.run({ type: 'resume' }).then(report('resume')); return;
      case 'sign-in':
        // The login window belongs to the status window, which shows how it went.
        void statusWindow.show().then(() => engine.run({ type: 'sign-in' })).then(report('sign in'));
        return;
      case 'sign-out': void engine.run({ type: 'sign-out' }).then(report('sign out')); return;
      case 'snooze-30': notifier.snooze(30); return;
      case 'snooze-60': notifier.snooze(60); return;
      case 'snooze-480': notifier.snooze(480); return;
      case 'quit': app.quit(); return;
      case 'install-update': installUpdate(); return;
    }
  };
  const tray = new AppTray({ onAction: onTrayAction });
  disposables.push(tray);
  const refreshTray = (): void => tray.update(status.current, settings.current, knownUpdate);
  disposables.push(status.onDidChangeStatus(refreshTray), settings.onDidChange(refreshTray));
  refreshTray();

  const applyLoginItem = (): void => {
    const enabled = applied().startAtLogin;
    applyStartAtLogin(enabled, { app, platform: process.platform, env: process.env, exec: process.env['APPIMAGE'] ?? process.execPath })
      .then((how) => log.info('start at login', { enabled, how }))
      .catch((err: unknown) => log.warn('could not change start at login', { error: err }));
  };
  let loginItem = applied().startAtLogin;
  const loginItemChanged = (): void => {
    const next = applied().startAtLogin;
    if (next === loginItem) return;
    loginItem = next;
    applyLoginItem();
  };
  disposables.push(settings.onDidChange(loginItemChanged), policies.onDidChange(loginItemChanged));

  const dialogs: AppDialogs = {
    pickFolder: async (suggested) => {
      const options = {
        title: 'Choose the folder to keep in sync',
        defaultPath: suggested,
        buttonLabel: 'Sync this folder',
        properties: ['openDirectory', 'createDirectory', 'promptToCreate'] as ('openDirectory' | 'createDirectory' | 'promptToCreate')[],
      };
      const parent = statusWindow.browserWindow;
      const result = parent === undefined ? await dialog.showOpenDialog(options) : await dialog.showOpenDialog(parent, options);
      return result.canceled ? undefined : result.filePaths[0];
    },
    confirmMerge: async (question) => {
      const options = {
        type: 'question' as const,
        buttons: ['Merge with the cloud', 'Choose another folder'],
        defaultId: 0,
        cancelId: 1,
        message: 'Merge this folder with the cloud?',
        detail: question,
      };
      const parent = statusWindow.browserWindow;
      const answer = parent === undefined ? await dialog.showMessageBox(options) : await dialog.showMessageBox(parent, options);
      return answer.response === 0;
    },
    // SkipFirstRunTour: the explanation of the tray is left out.
    tellFirstRunDone: (message) => {
      if (!policies.resolve(settings.current).skipFirstRunTour) notifier.show({ title: 'Stratus is set up', body: message });
    },
  };

  const onBattery = (): void => controller?.powerChanged(true);
  const onMains = (): void => controller?.powerChanged(false);
  powerMonitor.on('on-battery', onBattery);
  powerMonitor.on('on-ac', onMains);
  disposables.push({ dispose: () => { powerMonitor.off('on-battery', onBattery); powerMonitor.off('on-ac', onMains); } });

  let stopping: Promise<void> | undefined;
  return {
    status,
    statusWindow,
    settings,
    tray,
    start: async () => {
      await policies.start();
      // Updates follow DisableAutoUpdate and UpdateChannel as read at start; with updates off, electron-updater is never loaded.
      const updater = startAppUpdates({ policy: policies.resolve(settings.current).updates, app, log: loggers('updates') });
      updates = updater;
      disposables.push(updater);
      // A per-machine copy only tells: the user installs (visibly) from the notice or the tray menu.
      disposables.push(updater.onDidFindUpdate(({ version, mode }) => {
        if (mode !== 'notify') return;
        knownUpdate = { version, downloaded: false };
        refreshTray();
        notifier.show({ title: `Stratus ${version} is available`, body: 'Click to install it now; Stratus restarts when it is done.' }, installUpdate);
      }));
      // Downloaded (install mode): it installs when Stratus quits, or now from the tray menu.
      disposables.push(updater.onDidDownloadUpdate(({ version }) => {
        knownUpdate = { version, downloaded: true };
        refreshTray();
      }));
      loginItem = applied().startAtLogin;
      applyLoginItem();
      const source = await loadConnectionSource({ env: process.env, userDataDir: userData, ...(settings.current.connection === undefined ? {} : { stored: settings.current.connection }) });
      for (const problem of source.problems) log.warn('a config file was not used', { problem });
      if (source.connection !== undefined && source.origin !== 'settings') {
        // Kept in the store, so the app still knows where to sync when the file goes away (never the policies' values: a removed policy must stop applying).
        settings.update({ connection: source.connection, ...(settings.current.folder === undefined && source.folder !== undefined ? { folder: source.folder } : {}) });
      }
      // Enforced backend policies override the file's connection; enough of them make one without any file.
      const fromPolicy = policies.connection(source.connection);
      const connection = fromPolicy.connection;
      log.info('connection', { origin: fromPolicy.byPolicy ? 'policy' : source.origin, auth: connection?.auth, bucket: connection?.bucket });

      let account: AccountPort | undefined;
      if (connection?.auth === 'cognito' && connection.cognito !== undefined) {
        const signIn = createDesktopSignIn(connection.cognito, {
          allowPlaintextTokenStorage: () => settings.current.allowPlaintextTokenStorage,
          useSystemBrowser: () => applied().useSystemBrowser,
        }, () => statusWindow.browserWindow);
        const storage = await signIn.vault.status();
        if (storage.reason !== undefined) log.warn('the sign-in is not kept encrypted', { mode: storage.mode, backend: storage.backend });
        // The network policies (proxy, extra CAs) for the sign-in and the identity pool, as for the engine.
        let network: HttpNetwork | undefined;
        try {
          network = await HttpNetwork.create({ settings: policies.resolve(settings.current).network, env: process.env });
        } catch (err) {
          log.warn('the network policies could not be applied to the sign-in', { error: err instanceof Error ? err.message : String(err) });
        }
        const port = new CognitoAccountPort({
          cognito: connection.cognito,
          vault: signIn.vault,
          flow: signIn.flow,
          log: loggers('account'),
          ...(network === undefined ? {} : { network }),
          loginHint: () => policies.resolve(settings.current).loginHint,
          endBrowserSession: async (auth) => {
            await signIn.surface.clearBrowserSession();
            if (!applied().useSystemBrowser) return;
            // Signed in in the system browser: its hosted UI session ends at /logout, which comes back to a loopback "signed out" page.
            const page = await auth.serveSignedOutPage();
            await shell.openExternal(auth.logoutUrl().href);
            void page.done.finally(() => page.close());
          },
        });
        account = {
          restore: () => port.restore(),
          cancelSignIn: () => port.cancelSignIn(),
          signIn: async () => {
            const signedIn = await port.signIn();
            // Linux without a keyring: say why the sign-in will not survive a restart (or is kept unencrypted by choice).
            const kept = await signIn.vault.status();
            if (kept.reason !== undefined) notifier.show({ title: 'Your sign-in is not kept encrypted', body: kept.reason });
            return signedIn;
          },
        };
      }

      controller = new AppController({
        connection,
        noConnectionMessage: fromPolicy.problems[0] ?? source.problems[0] ?? noConnectionMessage(userData),
        settings,
        policies,
        ...(account === undefined ? {} : { account }),
        status,
        dialogs,
        home: app.getPath('home'),
        machine: hostname(),
        log: loggers('controller'),
        createEngine: (engineSettings) => new EngineSupervisor({
          // electron.vite.config.ts builds the engine process as out/main/engineProcess.js.
          spawn: () => utilityEngineChild(join(outDir, 'main', 'engineProcess.js'), (line) => logFile.write(line)),
          settings: engineSettings,
          log: loggers('engine-host'),
        }),
      });
      disposables.push(controller);
      const started = controller;
      // A changed backend (enforced pool, bucket, endpoint…) needs a new composition: stop cleanly, relaunch.
      const backendChanged = backendWatcher({
        started: connection,
        current: () => policies.connection(source.connection).connection,
        restart: (reason) => {
          log.warn('the backend policies changed; restarting to apply them');
          notifier.show({ title: 'Stratus restarts', body: reason });
          void started.stop().catch((err: unknown) => log.error('the engine did not stop cleanly', { error: err })).finally(() => {
            app.relaunch();
            app.exit(0);
          });
        },
      });
      disposables.push(policies.onDidChange(() => {
        if (backendChanged()) return;
        started.policiesChanged().catch((err: unknown) => log.warn('could not apply changed policies', { error: err }));
      }));
      await controller.start();
      controller.powerChanged(powerMonitor.isOnBatteryPower());
    },
    stop: () => {
      stopping ??= (controller?.stop() ?? Promise.resolve()).catch((err: unknown) => log.error('the engine did not stop cleanly', { error: err }));
      return stopping;
    },
    dispose: () => {
      // Dispose in reverse order of creation: windows before the services they use.
      statusWindow.dispose();
      for (const disposable of disposables.reverse()) disposable.dispose();
    },
  };
}
