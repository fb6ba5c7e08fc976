/**
 * Security settings every Stratus window uses, kept free of electron imports so
 * a plain-Node test can pin them down. Changing any of these weakens the
 * renderer sandbox: do it only with a reason written next to the change.
 */
import { APP_ORIGIN } from '../engine/ui/rendererAssets.js';

/** The part every window shares, with or without a preload (the login window shows a remote page and has none). */
export const LOCKED_DOWN = {
  sandbox: true,
  contextIsolation: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  spellcheck: false,
} as const;

export function secureWebPreferences(preloadPath: string) {
  return { preload: preloadPath, ...LOCKED_DOWN } as const;
}

/** Only our own pages may be navigated to inside a window. */
export function isAppUrl(url: string): boolean {
  return url.startsWith(`${APP_ORIGIN}/`);
}

/**
 * Permission requests (camera, notifications, geolocation, …) from any page:
 * refused. Stratus' own page needs none; a page that is not ours gets none.
 * (Electron's checklist item 5: the default is to grant everything.)
 */
export function refusePermissionRequest(_webContents: unknown, _permission: string, callback: (granted: boolean) => void): void {
  callback(false);
}

/** The synchronous permission check Chromium makes before some APIs: refused too. */
export function refusePermissionCheck(): boolean {
  return false;
}
