/**
 * The composition root of the desktop app: builds the object graph by
 * constructor injection and hands back one `Disposable` for all of it. Nothing
 * else in main creates long-lived services.
 */
import { join } from 'node:path';
import { shell } from 'electron';
import type { Disposable } from '../core/Emitter.js';
import { handleAppProtocol } from './appProtocol.js';
import { createCommandRunner } from './commandRunner.js';
import { registerIpcHandlers } from './ipcHandlers.js';
import { StatusService } from './StatusService.js';
import { StatusWindow } from './StatusWindow.js';

export interface AppServices extends Disposable {
  readonly status: StatusService;
  readonly statusWindow: StatusWindow;
}

/** `outDir` is the folder holding main/, preload/ and renderer/ (electron-vite's out). */
export function composeApp(outDir: string): AppServices {
  const disposables: Disposable[] = [];
  const status = new StatusService();
  disposables.push(status);
  disposables.push(handleAppProtocol(join(outDir, 'renderer')));
  disposables.push(registerIpcHandlers(status, createCommandRunner({ folder: () => status.current.folder, shell, engine: () => undefined })));
  const statusWindow = new StatusWindow({ preloadPath: join(outDir, 'preload', 'index.cjs') });
  disposables.push(statusWindow);
  return {
    status,
    statusWindow,
    dispose: () => {
      // Dispose in reverse order of creation: windows before the services they use.
      for (const disposable of disposables.reverse()) disposable.dispose();
    },
  };
}
