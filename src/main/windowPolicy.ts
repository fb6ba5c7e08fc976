/**
 * Security settings every Stratus window uses, kept free of electron imports so
 * a plain-Node test can pin them down. Changing any of these weakens the
 * renderer sandbox: do it only with a reason written next to the change.
 */
import { APP_ORIGIN } from '../engine/ui/rendererAssets.js';

export function secureWebPreferences(preloadPath: string) {
  return {
    preload: preloadPath,
    sandbox: true,
    contextIsolation: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
  } as const;
}

/** Only our own pages may be navigated to inside a window. */
export function isAppUrl(url: string): boolean {
  return url.startsWith(`${APP_ORIGIN}/`);
}
