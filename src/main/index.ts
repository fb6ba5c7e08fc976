/**
 * Electron entry point: lifecycle only. Builds everything through composeApp().
 *
 * Stratus lives in the tray: closing the window does not quit; Quit (tray
 * menu, or the OS) first stops the engine cleanly, then exits. Started at
 * login with --hidden, the window opens only if the first run needs the user.
 */
import { dirname } from 'node:path';
import { app } from 'electron';
import { hardenApp } from './appHardening.js';
import { registerAppSchemeAsPrivileged } from './appProtocol.js';
import { composeApp, type AppServices } from './composition.js';
import { HIDDEN_ARG } from './startAtLogin.js';

/**
 * For the _electron suite only (STRATUS_TEST_HOOKS=1): what `app.evaluate`
 * can read in main — the tray's menu model and the status. Plain data, no
 * secrets; absent in every normal run.
 */
function exposeTestHooks(services: AppServices): void {
  (globalThis as { stratusTestHooks?: unknown }).stratusTestHooks = {
    trayModel: () => services.tray.model,
    status: () => services.status.current,
  };
}

// A separate profile (tests, portable use): must be set before the single-instance lock, which is per profile.
const userData = process.env['STRATUS_USER_DATA'];
if (userData !== undefined && userData !== '') app.setPath('userData', userData);

// Windows shows notifications only for an app with an AppUserModelID (electron-builder.yml's appId).
if (process.platform === 'win32') app.setAppUserModelId('io.stratus.desktop');

// A second copy would sync the same folder twice: hand over to the first one.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  registerAppSchemeAsPrivileged();
  let services: AppServices | undefined;
  let quitting: 'no' | 'stopping' | 'stopped' = 'no';

  app.on('second-instance', () => {
    void services?.statusWindow.show();
  });

  app.on('before-quit', (event) => {
    if (quitting === 'stopped' || services === undefined) return;
    // The engine closes its journal and releases the folder before the process ends.
    event.preventDefault();
    if (quitting === 'stopping') return;
    quitting = 'stopping';
    void services.stop().finally(() => {
      quitting = 'stopped';
      app.quit();
    });
  });

  app.on('will-quit', () => {
    services?.dispose();
    services = undefined;
  });

  void app.whenReady().then(async () => {
    // Before the first window: every session and web contents starts locked down.
    hardenApp();
    services = composeApp(dirname(import.meta.dirname));
    if (process.env['STRATUS_TEST_HOOKS'] === '1') exposeTestHooks(services);
    const started = services.start().catch((err: unknown) => {
      // The window says what it can; the app stays in the tray rather than vanishing.
      process.stderr.write(`Stratus could not start syncing: ${err instanceof Error ? err.message : String(err)}\n`);
    });
    // Windows and Linux pass --hidden at login; macOS passes no arguments but says it opened the app at login.
    const hidden = process.argv.includes(HIDDEN_ARG) || (process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin);
    if (!hidden) await services.statusWindow.show();
    await started;
    if (hidden && services.status.current.setup !== undefined) await services.statusWindow.show();
  });

  // Closing the window keeps Stratus running in the tray (Quit is in the tray menu).
  app.on('window-all-closed', () => undefined);
  app.on('activate', () => {
    void services?.statusWindow.show();
  });
}
