/**
 * ElectronLoginSurface: LoginWindowFlow's LoginSurface over Electron — a
 * BrowserWindow showing the hosted UI, and `shell.openExternal` for the
 * system browser. It decides nothing: every navigation, redirect and new
 * window is put to the flow's events (LoginWindowFlow.ts, tested in Node).
 *
 * The window is a plain web page: sandboxed, context-isolated, no preload, no
 * Node, no permissions, in its own in-memory session (`stratus-login`), so the
 * hosted UI's cookies are kept apart from the app's pages and end with the
 * app; `clearBrowserSession()` ends them at sign-out.
 */
import { BrowserWindow, session, shell, type BrowserWindowConstructorOptions, type Session } from 'electron';
import type { LoginSurface, LoginWindow, LoginWindowEvents } from './LoginWindowFlow.js';
import { LOCKED_DOWN } from '../windowPolicy.js';

/** Chromium's net error for a navigation that was cancelled (here: one we blocked); not a load failure. */
const ERR_ABORTED = -3;

/** In-memory (no "persist:" prefix): the hosted UI session never outlives the app. */
const LOGIN_PARTITION = 'stratus-login';

export interface ElectronLoginSurfaceOptions {
  /** The window the login window belongs to (stays on top of it), if one is open. */
  readonly parent?: () => BrowserWindow | undefined;
}

export class ElectronLoginSurface implements LoginSurface {
  private readonly options: ElectronLoginSurfaceOptions;

  constructor(options: ElectronLoginSurfaceOptions = {}) {
    this.options = options;
  }

  openWindow(events: LoginWindowEvents): LoginWindow {
    const loginSession = this.loginSession();
    const parent = this.options.parent?.();
    const windowOptions: BrowserWindowConstructorOptions = {
      width: 480,
      height: 720,
      title: 'Sign in to Stratus',
      autoHideMenuBar: true,
      ...(parent === undefined || parent.isDestroyed() ? {} : { parent }),
      // No preload: the hosted UI is a remote page and gets no bridge at all.
      webPreferences: { session: loginSession, ...LOCKED_DOWN },
    };
    const window = new BrowserWindow(windowOptions);
    const { webContents } = window;
    webContents.on('will-navigate', (event) => {
      if (!events.willNavigate(event.url)) event.preventDefault();
    });
    webContents.on('will-redirect', (event) => {
      if (event.isMainFrame && !events.willNavigate(event.url)) event.preventDefault();
    });
    webContents.setWindowOpenHandler(({ url }) => {
      events.willOpenWindow(url);
      return { action: 'deny' };
    });
    webContents.on('will-attach-webview', (event) => event.preventDefault());
    webContents.on('did-fail-load', (_event, errorCode, errorDescription, validatedUrl, isMainFrame) => {
      if (isMainFrame && errorCode !== ERR_ABORTED) events.didFailLoad(validatedUrl, errorDescription);
    });
    window.on('closed', () => events.closed());

    return {
      load: (url) => {
        // Failures are reported through did-fail-load; the promise adds nothing.
        window.loadURL(url).catch(() => undefined);
      },
      focus: () => {
        if (window.isDestroyed()) return;
        if (window.isMinimized()) window.restore();
        window.focus();
      },
      close: () => {
        if (!window.isDestroyed()) window.close();
      },
    };
  }

  openExternal(url: string): Promise<void> {
    return shell.openExternal(url);
  }

  /** Forgets the hosted UI's cookies (its browser session): part of signing out in the app. */
  async clearBrowserSession(): Promise<void> {
    await this.loginSession().clearStorageData();
  }

  private loginSession(): Session {
    const loginSession = session.fromPartition(LOGIN_PARTITION);
    // The hosted UI needs no camera, notifications or other permission.
    loginSession.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
    return loginSession;
  }
}
