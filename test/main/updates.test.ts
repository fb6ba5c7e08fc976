/**
 * Updates with a kill switch (issue 9): the decision table, install detection
 * from fixtures, and the kill switch proven against a local HTTP server standing
 * in for the update feed. The enabled cases run the real electron-updater in
 * Node, with a small stand-in for the `electron` module (its `app` and a `net`
 * backed by node:http), so the requests counted are the ones electron-updater
 * itself makes.
 *
 * The kill-switch block runs first on purpose: it asserts that electron-updater
 * was never loaded into this process, which the later blocks then do.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppUpdater as ElectronAppUpdater } from 'electron-updater';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../src/engine/logger.js';
import { AppUpdater, importElectronUpdater, type UpdaterLike, type UpdaterSettings } from '../../src/main/updates/AppUpdater.js';
import { detectInstall, type InstallFacts, type InstallProbe } from '../../src/main/updates/detectInstall.js';
import { startAppUpdates } from '../../src/main/updates/startAppUpdates.js';
import { decideUpdates, type InstallFormat, type UpdatePolicyView } from '../../src/main/updates/updatePolicy.js';

const require = createRequire(import.meta.url);
const quietLog: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const electronUpdaterLoaded = (): boolean => Object.keys(require.cache).some((file) => /[\\/]node_modules[\\/]electron-updater[\\/]/.test(file));

const ALL_FORMATS: InstallFormat[] = ['nsis', 'msi', 'mac-zip', 'pkg', 'appimage', 'deb', 'rpm', 'unpackaged', 'unknown'];
const policy = (disableAutoUpdate: boolean, updateChannel: UpdatePolicyView['updateChannel'] = 'latest'): UpdatePolicyView => ({ disableAutoUpdate, updateChannel });

/** A local update feed: serves the given files and records every request line. */
async function startFeed(files: Record<string, string>): Promise<{ url: string; requests: string[]; server: Server }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://feed').pathname;
    requests.push(`${req.method} ${path}`);
    const body = files[path.slice(1)];
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/yaml' }).end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, requests, server };
}

const feedYaml = (version: string): string =>
  [
    `version: ${version}`,
    'files:',
    `  - url: Stratus-${version}.AppImage`,
    '    sha512: AAAA',
    '    size: 1',
    `path: Stratus-${version}.AppImage`,
    'sha512: AAAA',
    "releaseDate: '2026-11-01T00:00:00.000Z'",
    '',
  ].join('\n');

describe('decideUpdates: the decision table', () => {
  it.each(ALL_FORMATS.flatMap((format) => [true, false].map((perMachine) => ({ format, perMachine }))))(
    'turns everything off when DisableAutoUpdate is set ($format, per-machine $perMachine)',
    ({ format, perMachine }) => {
      for (const channel of ['latest', 'beta'] as const) {
        const decision = decideUpdates(policy(true, channel), { format, perMachine });
        expect(decision).toMatchObject({ mode: 'off', reason: 'policy-disabled', autoDownload: false, autoInstallOnAppQuit: false, allowDowngrade: false });
      }
    },
  );

  it.each(['msi', 'pkg', 'deb', 'rpm', 'unpackaged', 'unknown'] as const)('leaves %s installs to the tool that deployed them', (format) => {
    for (const perMachine of [true, false]) {
      expect(decideUpdates(policy(false), { format, perMachine })).toMatchObject({
        mode: 'off',
        reason: 'managed-format',
        autoDownload: false,
        autoInstallOnAppQuit: false,
      });
    }
  });

  it.each(['nsis', 'mac-zip', 'appimage'] as const)('only notifies on a per-machine %s install (never installs without the user)', (format) => {
    expect(decideUpdates(policy(false), { format, perMachine: true })).toMatchObject({
      mode: 'notify',
      reason: 'per-machine',
      autoDownload: false,
      autoInstallOnAppQuit: false,
      allowDowngrade: false,
    });
  });

  it.each(['nsis', 'mac-zip', 'appimage'] as const)('downloads and installs on quit for a per-user %s install', (format) => {
    expect(decideUpdates(policy(false), { format, perMachine: false })).toMatchObject({
      mode: 'install',
      reason: 'per-user',
      autoDownload: true,
      autoInstallOnAppQuit: true,
      allowDowngrade: false,
    });
  });

  it('follows the UpdateChannel policy, with prereleases only on beta and never a downgrade', () => {
    const install = { format: 'nsis', perMachine: false } as const;
    expect(decideUpdates(policy(false, 'beta'), install)).toMatchObject({ channel: 'beta', allowPrerelease: true, allowDowngrade: false });
    expect(decideUpdates(policy(false, 'latest'), install)).toMatchObject({ channel: 'latest', allowPrerelease: false, allowDowngrade: false });
  });
});

describe('detectInstall: how this copy was installed', () => {
  const facts = (overrides: Partial<InstallFacts>): InstallFacts => ({
    platform: 'linux',
    isPackaged: true,
    execPath: '/opt/Stratus/stratus',
    resourcesPath: '/opt/Stratus/resources',
    env: {},
    productName: 'Stratus',
    appId: 'io.stratus.desktop',
    ...overrides,
  });
  const probe = (files: Record<string, string>, writable: string[] = []): InstallProbe => ({
    exists: (path) => path in files,
    readText: (path) => files[path],
    writable: (path) => writable.includes(path),
  });
  const winEnv = { ProgramFiles: 'C:\\Program Files', 'ProgramFiles(x86)': 'C:\\Program Files (x86)', LOCALAPPDATA: 'C:\\Users\\ana\\AppData\\Local' };

  it('recognises a per-user NSIS install in %LOCALAPPDATA%', () => {
    const exe = 'C:\\Users\\ana\\AppData\\Local\\Programs\\Stratus\\Stratus.exe';
    const found = detectInstall(facts({ platform: 'win32', execPath: exe, env: winEnv }), probe({ 'C:\\Users\\ana\\AppData\\Local\\Programs\\Stratus\\Uninstall Stratus.exe': '' }));
    expect(found).toMatchObject({ format: 'nsis', perMachine: false });
  });

  it('recognises a per-machine NSIS install and an MSI install under Program Files', () => {
    const exe = 'C:\\Program Files\\Stratus\\Stratus.exe';
    expect(detectInstall(facts({ platform: 'win32', execPath: exe, env: winEnv }), probe({ 'C:\\Program Files\\Stratus\\Uninstall Stratus.exe': '' }))).toMatchObject({ format: 'nsis', perMachine: true });
    expect(detectInstall(facts({ platform: 'win32', execPath: exe, env: winEnv }), probe({}))).toMatchObject({ format: 'msi', perMachine: true });
    // Case does not matter on Windows; a directory chosen elsewhere counts as per-machine (the safe answer).
    expect(detectInstall(facts({ platform: 'win32', execPath: 'c:\\program files\\Stratus\\Stratus.exe', env: winEnv }), probe({}))).toMatchObject({ perMachine: true });
    expect(detectInstall(facts({ platform: 'win32', execPath: 'D:\\Apps\\Stratus\\Stratus.exe', env: winEnv }), probe({}))).toMatchObject({ perMachine: true });
  });

  it('recognises a pkg install by its receipt, and a dmg/zip bundle by whether its folder is writable', () => {
    const mac = facts({ platform: 'darwin', execPath: '/Applications/Stratus.app/Contents/MacOS/Stratus' });
    expect(detectInstall(mac, probe({ '/var/db/receipts/io.stratus.desktop.plist': '' }))).toMatchObject({ format: 'pkg', perMachine: true });
    expect(detectInstall(mac, probe({}, ['/Applications']))).toMatchObject({ format: 'mac-zip', perMachine: false });
    expect(detectInstall(mac, probe({}))).toMatchObject({ format: 'mac-zip', perMachine: true });
  });

  it('recognises an AppImage by $APPIMAGE and deb/rpm by resources/package-type', () => {
    expect(detectInstall(facts({ env: { APPIMAGE: '/home/ana/Apps/Stratus.AppImage' } }), probe({}, ['/home/ana/Apps/Stratus.AppImage']))).toMatchObject({ format: 'appimage', perMachine: false });
    expect(detectInstall(facts({ env: { APPIMAGE: '/opt/Stratus.AppImage' } }), probe({}))).toMatchObject({ format: 'appimage', perMachine: true });
    expect(detectInstall(facts({}), probe({ '/opt/Stratus/resources/package-type': 'deb\n' }))).toMatchObject({ format: 'deb', perMachine: true });
    expect(detectInstall(facts({}), probe({ '/opt/Stratus/resources/package-type': 'rpm' }))).toMatchObject({ format: 'rpm', perMachine: true });
    expect(detectInstall(facts({}), probe({}))).toMatchObject({ format: 'unknown', perMachine: true });
    expect(detectInstall(facts({ isPackaged: false }), probe({}))).toMatchObject({ format: 'unpackaged' });
  });
});

describe('the kill switch (DisableAutoUpdate)', () => {
  it('never loads electron-updater, never schedules or makes a check, and the feed receives no request', async () => {
    const feed = await startFeed({ 'latest-linux.yml': feedYaml('9.0.0'), 'latest.yml': feedYaml('9.0.0') });
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'] });
    try {
      const importer = vi.fn(importElectronUpdater);
      // The app's update path as composition runs it (a per-user AppImage, the most eager updater), policy on.
      const appImage = { platform: 'linux', isPackaged: true, env: { APPIMAGE: '/home/ana/Stratus.AppImage' } } as const;
      const probe: InstallProbe = { exists: () => false, readText: () => undefined, writable: () => true };
      const app = { isPackaged: true, getName: () => 'Stratus' };
      const updater = startAppUpdates({ policy: policy(true), app, log: quietLog, facts: appImage, probe, importUpdater: importer, feedUrl: feed.url });
      expect(updater.mode).toBe('off');
      expect(vi.getTimerCount()).toBe(0);
      vi.advanceTimersByTime(7 * 24 * 60 * 60_000);
      await expect(updater.checkNow()).resolves.toMatchObject({ checked: false, reason: expect.stringMatching(/DisableAutoUpdate/) });
      await expect(updater.installNow()).rejects.toThrow(/DisableAutoUpdate/);
      updater.dispose();

      // Control: the same path with the policy off schedules a check, which loads the updater when it fires.
      const standIn = vi.fn(() => Promise.resolve<UpdaterLike>({
        configure: () => undefined,
        checkForUpdates: () => Promise.resolve(null),
        downloadUpdate: () => Promise.resolve(),
        quitAndInstall: () => undefined,
        onUpdateDownloaded: () => ({ dispose: () => undefined }),
        onError: () => ({ dispose: () => undefined }),
      }));
      const allowed = startAppUpdates({ policy: policy(false), app, log: quietLog, facts: appImage, probe, importUpdater: standIn, feedUrl: feed.url });
      expect(allowed.mode).toBe('install');
      expect(vi.getTimerCount()).toBe(1);
      await vi.advanceTimersByTimeAsync(5 * 60_000);
      expect(standIn).toHaveBeenCalledTimes(1);
      allowed.dispose();

      expect(importer).not.toHaveBeenCalled();
      expect(electronUpdaterLoaded()).toBe(false);
    } finally {
      vi.useRealTimers();
    }
    // The feed is live (a request of our own reaches it), and the updater never sent one.
    const status = await new Promise<number | undefined>((done) => httpRequest(`${feed.url}latest-linux.yml`, (res) => { res.resume(); done(res.statusCode); }).end());
    expect(status).toBe(200);
    expect(feed.requests).toEqual(['GET /latest-linux.yml']);
    feed.server.close();
  });
});

describe('AppUpdater with a stand-in updater', () => {
  /** An UpdaterLike that records what it was told. */
  function fakeUpdater(result: { isUpdateAvailable: boolean; version: string }) {
    const calls: string[] = [];
    let settings: UpdaterSettings | undefined;
    const downloaded = new Set<(version: string) => void>();
    const updater: UpdaterLike = {
      configure: (s) => { settings = s; calls.push('configure'); },
      checkForUpdates: () => { calls.push('check'); return Promise.resolve(result); },
      downloadUpdate: () => { calls.push('download'); for (const l of downloaded) l(result.version); return Promise.resolve(); },
      quitAndInstall: (isSilent, isForceRunAfter) => { calls.push(`quitAndInstall(silent=${isSilent}, run=${isForceRunAfter})`); },
      onUpdateDownloaded: (l) => { downloaded.add(l); return { dispose: () => downloaded.delete(l) }; },
      onError: () => ({ dispose: () => undefined }),
    };
    return { updater, calls, settings: () => settings };
  }

  it('on a per-machine install, tells the user and installs only when asked, visibly', async () => {
    const fake = fakeUpdater({ isUpdateAvailable: true, version: '0.2.0' });
    const importer = vi.fn(() => Promise.resolve(fake.updater));
    const updater = new AppUpdater({ decision: decideUpdates(policy(false), { format: 'nsis', perMachine: true }), log: quietLog, importUpdater: importer });
    const found: unknown[] = [];
    updater.onDidFindUpdate((update) => found.push(update));
    await expect(updater.checkNow()).resolves.toEqual({ checked: true, available: true, version: '0.2.0' });
    expect(found).toEqual([{ version: '0.2.0', mode: 'notify' }]);
    expect(fake.settings()).toMatchObject({ autoDownload: false, autoInstallOnAppQuit: false, allowDowngrade: false, channel: 'latest' });
    expect(fake.calls).toEqual(['configure', 'check']);
    await updater.installNow();
    expect(fake.calls).toEqual(['configure', 'check', 'download', 'quitAndInstall(silent=false, run=true)']);
    expect(importer).toHaveBeenCalledTimes(1);
    updater.dispose();
  });

  it('on a per-user install, lets the updater download and install on quit', async () => {
    const fake = fakeUpdater({ isUpdateAvailable: false, version: '0.1.0' });
    const updater = new AppUpdater({
      decision: decideUpdates(policy(false, 'beta'), { format: 'appimage', perMachine: false }),
      log: quietLog,
      importUpdater: () => Promise.resolve(fake.updater),
      feedUrl: 'http://127.0.0.1:9/',
    });
    await expect(updater.checkNow()).resolves.toEqual({ checked: true, available: false, version: '0.1.0' });
    expect(fake.settings()).toMatchObject({ autoDownload: true, autoInstallOnAppQuit: true, channel: 'beta', allowPrerelease: true, allowDowngrade: false, feedUrl: 'http://127.0.0.1:9/' });
    updater.dispose();
  });

  it('checks first after the start delay, then on the interval, and stops when disposed', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'] });
    try {
      const fake = fakeUpdater({ isUpdateAvailable: false, version: '0.1.0' });
      const updater = new AppUpdater({ decision: decideUpdates(policy(false), { format: 'nsis', perMachine: false }), log: quietLog, importUpdater: () => Promise.resolve(fake.updater), firstCheckDelayMs: 1000, checkIntervalMs: 5000 });
      updater.start();
      await vi.advanceTimersByTimeAsync(999);
      expect(fake.calls).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(fake.calls).toEqual(['configure', 'check']);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(fake.calls.filter((c) => c === 'check')).toHaveLength(3);
      updater.dispose();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('AppUpdater with the real electron-updater against a local feed', () => {
  const electronPath = require.resolve('electron');
  let saved: NodeJS.Module | undefined;
  let dir: string;
  let savedResourcesPath: unknown;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'stratus-updates-'));
    // The stand-in for `electron`: what electron-updater touches on Linux for a check.
    const app = Object.assign(new EventEmitter(), {
      isPackaged: true,
      getVersion: () => '0.1.0',
      getName: () => 'Stratus',
      getPath: () => dir,
      getAppPath: () => dir,
      whenReady: () => Promise.resolve(),
      quit: () => undefined,
      relaunch: () => undefined,
    });
    const net = { request: (options: Parameters<typeof httpRequest>[0]) => httpRequest(options) };
    const session = { fromPartition: () => ({}) };
    saved = require.cache[electronPath];
    const stand = new Module(electronPath);
    stand.filename = electronPath;
    stand.loaded = true;
    stand.exports = { app, net, session };
    require.cache[electronPath] = stand;
    const proc = process as { resourcesPath?: unknown };
    savedResourcesPath = proc.resourcesPath;
    proc.resourcesPath = dir;
    // AppImageUpdater checks only when it runs from an AppImage.
    vi.stubEnv('APPIMAGE', join(dir, 'Stratus.AppImage'));
    // What the installer ships beside the app (a download reads its cache folder name), and that cache.
    writeFileSync(join(dir, 'app-update.yml'), 'provider: generic\nurl: http://127.0.0.1:9/\nupdaterCacheDirName: stratus-updater-test\n');
    vi.stubEnv('XDG_CACHE_HOME', join(dir, 'cache'));
  });

  afterAll(() => {
    vi.unstubAllEnvs();
    if (saved === undefined) delete require.cache[electronPath];
    else require.cache[electronPath] = saved;
    (process as { resourcesPath?: unknown }).resourcesPath = savedResourcesPath;
    rmSync(dir, { recursive: true, force: true });
  });

  it('with updates allowed and a feed present, makes exactly the expected request', async () => {
    const feed = await startFeed({ 'latest-linux.yml': feedYaml('0.1.0') });
    const importer = vi.fn(importElectronUpdater);
    const updater = new AppUpdater({ decision: decideUpdates(policy(false), { format: 'appimage', perMachine: false }), log: quietLog, importUpdater: importer, feedUrl: feed.url });
    await expect(updater.checkNow()).resolves.toEqual({ checked: true, available: false, version: '0.1.0' });
    expect(importer).toHaveBeenCalledTimes(1);
    expect(electronUpdaterLoaded()).toBe(true);
    expect(feed.requests).toEqual(['GET /latest-linux.yml']);
    updater.dispose();
    feed.server.close();
  });

  it('on a per-user install, downloads the update it finds, and a failed download is logged, not an unhandled rejection', async () => {
    const feed = await startFeed({ 'latest-linux.yml': feedYaml('0.2.0') });
    const warnings: string[] = [];
    const log: Logger = { ...quietLog, warn: (message) => warnings.push(message) };
    const updater = new AppUpdater({ decision: decideUpdates(policy(false), { format: 'appimage', perMachine: false }), log, feedUrl: feed.url });
    const failed = new Promise<void>((done) => {
      const { autoUpdater } = require('electron-updater') as { autoUpdater: ElectronAppUpdater };
      autoUpdater.once('error', () => done());
    });
    await expect(updater.checkNow()).resolves.toEqual({ checked: true, available: true, version: '0.2.0' });
    await failed;
    // The channel file, then the AppImage itself (the feed has none: 404, reported as an updater error).
    expect(feed.requests).toEqual(['GET /latest-linux.yml', 'GET /Stratus-0.2.0.AppImage']);
    expect(warnings).toContain('updater error');
    updater.dispose();
    feed.server.close();
  });

  it('on a per-machine install on the beta channel, finds the update and downloads nothing', async () => {
    const feed = await startFeed({ 'beta-linux.yml': feedYaml('0.2.0-beta.1') });
    const updater = new AppUpdater({ decision: decideUpdates(policy(false, 'beta'), { format: 'appimage', perMachine: true }), log: quietLog, feedUrl: feed.url });
    const found: unknown[] = [];
    updater.onDidFindUpdate((update) => found.push(update));
    await expect(updater.checkNow()).resolves.toEqual({ checked: true, available: true, version: '0.2.0-beta.1' });
    expect(found).toEqual([{ version: '0.2.0-beta.1', mode: 'notify' }]);
    // Only the channel file: no AppImage download although an update exists.
    expect(feed.requests).toEqual(['GET /beta-linux.yml']);
    const { autoUpdater } = require('electron-updater') as { autoUpdater: ElectronAppUpdater };
    expect({ autoDownload: autoUpdater.autoDownload, autoInstallOnAppQuit: autoUpdater.autoInstallOnAppQuit, allowDowngrade: autoUpdater.allowDowngrade, channel: autoUpdater.channel })
      .toEqual({ autoDownload: false, autoInstallOnAppQuit: false, allowDowngrade: false, channel: 'beta' });
    updater.dispose();
    feed.server.close();
  });
});
