/**
 * Typed IPC handlers: the main-process side of `StratusApi`.
 *
 * Every handler first checks that the sender is our own page on the app origin;
 * anything else (a navigated-away frame, an injected iframe) is refused. Status
 * changes are pushed on `IpcChannels.statusChanged` to every window showing
 * our page (never to the login window's hosted UI). The
 * Settings screen reads through `getSettings` and `previewIgnore`. Commands
 * (`IpcChannels.run`) are validated and carried out by the CommandRunner
 * (commandRunner.ts): open/show-in-folder in main, the rest by the engine.
 */
import { BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import type { Disposable } from '../core/Emitter.js';
import { IpcChannels, type IgnorePreview, type SettingsView } from '../shared/StratusApi.js';
import { MAX_IGNORE_TEXT } from '../shared/validators.js';
import type { CommandRunner } from './commandRunner.js';
import type { StatusService } from './StatusService.js';
import { isAppUrl } from './windowPolicy.js';

function assertTrustedSender(event: IpcMainInvokeEvent): void {
  const url = event.senderFrame?.url ?? '';
  if (!isAppUrl(url)) {
    throw new Error(`Refused IPC from untrusted frame: ${url || '(unknown)'}`);
  }
}

/** The Settings screen's reads (writes are commands). */
export interface SettingsApi {
  getSettings(): Promise<SettingsView>;
  previewIgnore(text: string): Promise<IgnorePreview>;
}

export function registerIpcHandlers(status: StatusService, runCommand: CommandRunner, settings: SettingsApi): Disposable {
  ipcMain.handle(IpcChannels.getStatus, (event) => {
    assertTrustedSender(event);
    return status.current;
  });
  ipcMain.handle(IpcChannels.run, async (event, command: unknown) => {
    assertTrustedSender(event);
    return runCommand(command);
  });
  ipcMain.handle(IpcChannels.getSettings, (event) => {
    assertTrustedSender(event);
    return settings.getSettings();
  });
  ipcMain.handle(IpcChannels.previewIgnore, (event, text: unknown) => {
    assertTrustedSender(event);
    if (typeof text !== 'string' || text.length > MAX_IGNORE_TEXT) {
      return { hidden: 0, sample: [], problems: ['The rules are too long to preview.'] } satisfies IgnorePreview;
    }
    return settings.previewIgnore(text);
  });
  const subscription = status.onDidChangeStatus((snapshot) => {
    for (const window of BrowserWindow.getAllWindows()) {
      // Only our own pages: the login window shows the hosted UI, which must not receive file names or the account.
      if (isAppUrl(window.webContents.getURL())) window.webContents.send(IpcChannels.statusChanged, snapshot);
    }
  });
  return {
    dispose: () => {
      ipcMain.removeHandler(IpcChannels.getStatus);
      ipcMain.removeHandler(IpcChannels.run);
      ipcMain.removeHandler(IpcChannels.getSettings);
      ipcMain.removeHandler(IpcChannels.previewIgnore);
      subscription.dispose();
    },
  };
}
