/**
 * App-wide security settings applied once, before any window exists
 * (Electron's security checklist, docs/security.md): every session refuses
 * permission requests and checks, and every web contents ever created —
 * ours, the login window's, anything a bug might open — refuses <webview>
 * attachment, new windows and navigation away from the pages it may show.
 * The per-window rules (StatusWindow, ElectronLoginSurface) stay the first
 * line; this is the net under them.
 */
import { app, session, type WebContents } from 'electron';
import type { Disposable } from '../core/Emitter.js';
import { refusePermissionCheck, refusePermissionRequest } from './windowPolicy.js';

export function hardenApp(): Disposable {
  session.defaultSession.setPermissionRequestHandler(refusePermissionRequest);
  session.defaultSession.setPermissionCheckHandler(refusePermissionCheck);
  const onCreated = (_event: unknown, contents: WebContents): void => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
    // Windows that need links or navigation install their own, narrower handlers; the default is no.
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.session.setPermissionRequestHandler(refusePermissionRequest);
    contents.session.setPermissionCheckHandler(refusePermissionCheck);
  };
  app.on('web-contents-created', onCreated);
  return { dispose: () => app.off('web-contents-created', onCreated) };
}
