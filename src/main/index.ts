/**
 * Electron entry point: lifecycle only. Builds everything through composeApp().
 */
import { dirname } from 'node:path';
import { app } from 'electron';
import { hardenApp } from './appHardening.js';
import { registerAppSchemeAsPrivileged } from './appProtocol.js';
import { composeApp, type AppServices } from './composition.js';

// A second copy would sync the same folder twice: hand over to the first one.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  registerAppSchemeAsPrivileged();
  let services: AppServices | undefined;

  app.on('second-instance', () => {
    void services?.statusWindow.show();
  });

  app.on('will-quit', () => {
    services?.dispose();
    services = undefined;
  });

  void app.whenReady().then(async () => {
    // Before the first window: every session and web contents starts locked down.
    hardenApp();
    services = composeApp(dirname(import.meta.dirname));
    await services.statusWindow.show();
  });

  // The app lives in the tray later; until then closing the window quits (but not on macOS).
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    void services?.statusWindow.show();
  });
}
