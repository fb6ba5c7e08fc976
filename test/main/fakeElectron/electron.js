// A stand-in for Electron's main-process API: just enough to run the app's built main bundle in plain Node
// (mainBundle.smoke.test.ts). It records what the app asked of it in `log`; utilityProcess.fork is a Node fork
// with an IPC channel, which the engine process accepts as well as a parentPort.
import { EventEmitter } from 'node:events';
import { fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
const base = process.env.SMOKE_DIR;
const paths = { userData: join(base, 'userData'), logs: join(base, 'logs'), home: join(base, 'home'), temp: join(base, 'tmp') };
for (const p of Object.values(paths)) mkdirSync(p, { recursive: true });
export const log = [];
class App extends EventEmitter {
  isPackaged = false;
  getPath(n) { return paths[n] ?? join(base, n); }
  setPath(n, p) { paths[n] = p; }
  requestSingleInstanceLock() { return true; }
  whenReady() { return Promise.resolve(); }
  setLoginItemSettings(s) { log.push(['login-item', s]); }
  setAppUserModelId() {}
  getVersion() { return "0.1.0"; }
  getName() { return "Stratus"; }
  quit() {
    const event = { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
    this.emit('before-quit', event);
    if (event.defaultPrevented) return;
    this.emit('will-quit', { preventDefault() {} });
    log.push(['quit']);
    globalThis.smokeQuit?.();
  }
}
export const app = new App();
const windows = [];
export class BrowserWindow extends EventEmitter {
  static getAllWindows() { return windows.filter((w) => !w.destroyed); }
  constructor(o) { super(); this.options = o; this.destroyed = false; windows.push(this); log.push(['window', o.title]);
    this.url = '';
    this.webContents = Object.assign(new EventEmitter(), { setWindowOpenHandler() {}, getURL: () => this.url, send: (c, v) => log.push(['send', c, v?.sync]) }); }
  loadURL(u) { this.url = u; log.push(['load', u]); setTimeout(() => this.emit('ready-to-show'), 1); return Promise.resolve(); }
  show() {} focus() {} isMinimized() { return false; } restore() {}
  isDestroyed() { return this.destroyed; }
  destroy() { this.destroyed = true; this.emit('closed'); }
  close() { this.destroy(); }
}
export const handlers = new Map();
export const ipcMain = Object.assign(new EventEmitter(), {
  handle(c, f) { if (handlers.has(c)) throw new Error(`second handler for ${c}`); handlers.set(c, f); },
  removeHandler(c) { handlers.delete(c); },
});
export const protocol = { registerSchemesAsPrivileged() {}, handle() {}, unhandle() {} };
const fakeSession = { setPermissionRequestHandler() {}, setPermissionCheckHandler() {}, clearStorageData: () => Promise.resolve() };
export const session = { defaultSession: fakeSession, fromPartition: () => fakeSession };
export const shell = { openPath: async (p) => { log.push(['openPath', p]); return ''; }, showItemInFolder: (p) => log.push(['show', p]), openExternal: async (u) => log.push(['external', u]) };
export const dialog = { showOpenDialog: async () => ({ canceled: true, filePaths: [] }), showMessageBox: async () => ({ response: 1 }) };
export const powerMonitor = Object.assign(new EventEmitter(), { isOnBatteryPower: () => false });
export const trays = [];
export class Tray extends EventEmitter {
  constructor(img) { super(); this.img = img; trays.push(this); this.destroyed = false; }
  setImage(i) { this.img = i; } setToolTip(t) { this.tooltip = t; } setContextMenu(m) { this.menu = m; }
  isDestroyed() { return this.destroyed; } destroy() { this.destroyed = true; }
}
export const Menu = { buildFromTemplate: (t) => ({ items: t }) };
export const nativeImage = { createFromBuffer: (b) => ({ buffers: [b], addRepresentation(r) { this.buffers.push(r.buffer); }, setTemplateImage(v) { this.template = v; } }) };
export class Notification extends EventEmitter {
  static isSupported() { return true; }
  constructor(o) { super(); this.o = o; }
  show() { log.push(['notification', this.o.title, this.o.body]); }
}
export const safeStorage = { isAsyncEncryptionAvailable: async () => false, getSelectedStorageBackend: () => 'basic_text', encryptStringAsync: async (s) => Buffer.from(s), decryptStringAsync: async (b) => ({ shouldReEncrypt: false, result: b.toString() }) };
export const utilityProcess = {
  fork(modulePath, args, o) {
    const child = fork(modulePath, args, { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    const up = new EventEmitter();
    up.pid = child.pid; up.stderr = child.stderr;
    up.postMessage = (m) => { if (child.connected) child.send(m); };
    up.kill = () => child.kill('SIGKILL');
    child.on('message', (m) => up.emit('message', m));
    child.on('exit', (code) => up.emit('exit', code));
    log.push(['fork', modulePath, o.serviceName]);
    return up;
  },
};
export default { app, BrowserWindow, ipcMain, protocol, session, shell, dialog, powerMonitor, Tray, Menu, nativeImage, Notification, safeStorage, utilityProcess };
