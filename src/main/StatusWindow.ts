/**
 * The status window: sandboxed, context-isolated, no Node in the renderer, the
 * page loaded from the app protocol, navigation and new windows refused.
 */
import { BrowserWindow, shell } from 'electron';
import type { Disposable } from '../core/Emitter.js';
import { APP_ORIGIN } from '../engine/ui/rendererAssets.js';
import { isAppUrl, secureWebPreferences } from './windowPolicy.js';

export interface StatusWindowOptions {
  /** Absolute path of the built preload (`out/preload/index.cjs`). */
  readonly preloadPath: string;
  /** The window was closed (the app stays in the tray). */
  readonly onDidClose?: () => void;
}

export class StatusWindow implements Disposable {
  private window: BrowserWindow | undefined;

  constructor(private readonly options: StatusWindowOptions) {}

  /** The open window, if any (dialogs and the login window are parented to it). */
  get browserWindow(): BrowserWindow | undefined {
    return this.window !== undefined && !this.window.isDestroyed() ? this.window : undefined;
  }

  async show(): Promise<void> {
    if (this.window !== undefined && !this.window.isDestroyed()) {
      if (this.window.isMinimized()) this.window.restore();
      this.window.focus();
      return;
    }
    const window = new BrowserWindow({
      width: 420,
      height: 560,
      minWidth: 360,
      minHeight: 420,
      show: false,
      title: 'Stratus',
      webPreferences: secureWebPreferences(this.options.preloadPath),
    });
    this.window = window;
    window.webContents.setWindowOpenHandler(({ url }) => {
      // Links to the web open in the user's browser, never inside the app.
      if (url.startsWith('https://')) void shell.openExternal(url);
      return { action: 'deny' };
    });
    window.webContents.on('will-navigate', (event, url) => {
      if (!isAppUrl(url)) event.preventDefault();
    });
    window.once('ready-to-show', () => window.show());
    window.on('closed', () => {
      this.window = undefined;
      this.options.onDidClose?.();
    });
    await window.loadURL(`${APP_ORIGIN}/index.html`);
  }

  dispose(): void {
    if (this.window !== undefined && !this.window.isDestroyed()) this.window.destroy();
    this.window = undefined;
  }
}
