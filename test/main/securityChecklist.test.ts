/**
 * Electron's security checklist (20 items, docs/security.md), walked from
 * code: each item that can be checked without running Electron is checked
 * here — by behaviour where the rule lives in a pure module, by reading the
 * source where it lives in Electron wiring (which only the _electron suite
 * can run). The numbers are the checklist's.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LoginNavigationPolicy } from '../../src/main/auth/LoginWindowFlow.js';
import { isAppUrl, refusePermissionCheck, refusePermissionRequest, secureWebPreferences } from '../../src/main/windowPolicy.js';
import { APP_ORIGIN, RENDERER_CSP, resolveAppAsset } from '../../src/engine/ui/rendererAssets.js';

const repo = resolve(import.meta.dirname, '../..');
const source = (path: string): string => readFileSync(join(repo, path), 'utf8');
const prefs = secureWebPreferences('/app/preload.cjs') as Record<string, unknown>;

describe('Electron security checklist', () => {
  it('1, 18: content comes only from the app protocol (never file://), and only from the built renderer', () => {
    expect(APP_ORIGIN).toBe('stratus-app://app');
    expect(resolveAppAsset('/app/renderer', '/../../etc/passwd')).toEqual({ ok: false, status: 404 });
    expect(resolveAppAsset('/app/renderer', '/%2e%2e/secret.js')).toEqual({ ok: false, status: 404 });
    expect(source('src/main/StatusWindow.ts')).toContain('window.loadURL(`${APP_ORIGIN}/index.html`)');
    expect(source('src/main/StatusWindow.ts')).not.toMatch(/loadFile|file:\/\//);
  });

  it('2, 3, 4, 6, 8, 9, 10, 11: every window gets the locked-down web preferences', () => {
    expect(prefs).toMatchObject({
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      contextIsolation: true,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(prefs).not.toHaveProperty('experimentalFeatures');
    expect(prefs).not.toHaveProperty('enableBlinkFeatures');
    expect(source('src/main/StatusWindow.ts')).toContain('webPreferences: secureWebPreferences(');
  });

  it('5: permission requests and checks are refused, for every session', () => {
    const answers: boolean[] = [];
    refusePermissionRequest({}, 'media', (granted) => answers.push(granted));
    refusePermissionRequest({}, 'notifications', (granted) => answers.push(granted));
    expect(answers).toEqual([false, false]);
    expect(refusePermissionCheck()).toBe(false);
    const hardening = source('src/main/appHardening.ts');
    expect(hardening).toContain('session.defaultSession.setPermissionRequestHandler(refusePermissionRequest)');
    expect(hardening).toContain('session.defaultSession.setPermissionCheckHandler(refusePermissionCheck)');
    expect(source('src/main/index.ts')).toMatch(/hardenApp\(\);\s*\n\s*services = composeApp/);
  });

  it('7: a strict Content-Security-Policy', () => {
    for (const directive of ["default-src 'none'", "script-src 'self'", "connect-src 'none'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"]) {
      expect(RENDERER_CSP).toContain(directive);
    }
    expect(RENDERER_CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });

  it('12, 14: every web contents refuses <webview> and new windows unless a window narrows it', () => {
    const hardening = source('src/main/appHardening.ts');
    expect(hardening).toContain("contents.on('will-attach-webview', (event) => event.preventDefault())");
    expect(hardening).toContain("contents.setWindowOpenHandler(() => ({ action: 'deny' }))");
  });

  it('13: navigation is limited to the app origin, and the login window to the hosted UI and its exact callback', () => {
    expect(isAppUrl('stratus-app://app/index.html')).toBe(true);
    expect(isAppUrl('https://example.com/')).toBe(false);
    expect(isAppUrl('stratus-app://app.evil/')).toBe(false);
    const login = new LoginNavigationPolicy('https://auth.example.com/oauth2/authorize?x=1', 'https://auth.example.com', 'http://localhost:53682/callback');
    expect(login.allows('https://auth.example.com/login')).toBe(true);
    expect(login.allows('http://localhost:53682/callback?code=1&state=2')).toBe(true);
    expect(login.allows('http://localhost:53682/other')).toBe(false);
    expect(login.allows('https://evil.example/')).toBe(false);
    expect(source('src/main/StatusWindow.ts')).toContain("if (!isAppUrl(url)) event.preventDefault()");
  });

  it('15: only https links are handed to the OS', () => {
    const window = source('src/main/StatusWindow.ts');
    expect(window).toContain("if (url.startsWith('https://')) void shell.openExternal(url)");
    expect(window.match(/openExternal/g)).toHaveLength(1);
  });

  it('16: a current Electron', () => {
    const require = createRequire(import.meta.url);
    const version = (require('electron/package.json') as { version: string }).version;
    expect(Number(version.split('.')[0])).toBeGreaterThanOrEqual(45);
  });

  it('17: every IPC handler checks its sender frame first', () => {
    const ipc = source('src/main/ipcHandlers.ts');
    const handlers = ipc.match(/ipcMain\.handle\([^)]*\)\s*=>\s*\{\s*\n\s*[^\n]+/g) ?? [];
    expect(handlers.length).toBeGreaterThan(0);
    for (const handler of handlers) expect(handler).toMatch(/assertTrustedSender\(event\);$/);
    expect(ipc).toContain('event.senderFrame?.url');
    // Every channel the preload invokes has a checked handler.
    for (const channel of ['getStatus', 'run', 'getSettings', 'previewIgnore']) expect(ipc).toContain(`ipcMain.handle(IpcChannels.${channel},`);
    // Commands are validated against the shared contract before anything runs.
    expect(source('src/main/commandRunner.ts')).toContain('if (!isStratusCommand(command)) return');
    // Status pushes go to our own pages only (never to the login window's remote page).
    expect(ipc).toContain('if (isAppUrl(window.webContents.getURL())) window.webContents.send(IpcChannels.statusChanged, snapshot)');
    // electron-store's own listener (which checks no sender) is removed.
    expect(source('src/main/settings/ElectronSettingsStore.ts')).toContain('ipcMain.removeAllListeners(ELECTRON_STORE_CHANNEL)');
  });

  it('19: the packaged binary has its fuses set', () => {
    const config = source('electron-builder.yml');
    for (const fuse of [
      'runAsNode: false', 'enableCookieEncryption: true', 'enableNodeOptionsEnvironmentVariable: false', 'enableNodeCliInspectArguments: false',
      'enableEmbeddedAsarIntegrityValidation: true', 'onlyLoadAppFromAsar: true', 'grantFileProtocolExtraPrivileges: false',
    ]) {
      expect(config).toContain(`  ${fuse}`);
    }
  });

  it('20: the preload exposes one typed object and never raw ipcRenderer', () => {
    const preload = source('src/preload/index.ts');
    expect(preload.match(/exposeInMainWorld\(/g)).toHaveLength(1);
    expect(preload).toContain("contextBridge.exposeInMainWorld('stratus', api)");
    expect(preload).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer/);
    expect(preload).toContain('isStatusSnapshot(status)');
  });
});
