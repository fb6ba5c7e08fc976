/**
 * The Settings screen of `stratus watch --ui`: the preferences in effect and
 * where each is set, and bandwidth limits changed live for this session only,
 * through the same SyncController the status page's commands go through.
 */
import { describe, expect, it } from 'vitest';
import { watchPreferences, type WatchPreferencesOptions } from '../../src/cli/watchPreferences.js';
import type { BandwidthLimits } from '../../src/engine/ports.js';
import { SyncController } from '../../src/engine/watch/SyncController.js';
import { isSettingsView } from '../../src/shared/validators.js';

const FILE = '/home/ada/stratus.json';
const fromFile = `the config file ${FILE}`;
const appOnly = Object.fromEntries(['startAtLogin', 'notifications', 'pauseOnBattery', 'useSystemBrowser'].map((key) => [key, 'the desktop app only']));

function world(overrides: Partial<WatchPreferencesOptions> = {}, without: readonly ('configFile' | 'setBandwidthLimits')[] = []) {
  const applied: BandwidthLimits[] = [];
  const options: { -readonly [K in keyof WatchPreferencesOptions]: WatchPreferencesOptions[K] } = {
    settings: { folder: '/home/ada/Stratus' },
    sources: new Map([['folder', '--folder'], ['bucket', fromFile]]),
    configFile: FILE,
    bandwidth: {},
    verbose: false,
    setBandwidthLimits: (limits) => void applied.push(limits),
    hostname: () => 'ada-host',
    ...overrides,
  };
  for (const key of without) delete options[key];
  const port = watchPreferences(options);
  const scheduler = { state: 'idle' as const, requestRun: () => undefined, retryNow: () => undefined };
  const controller = new SyncController({
    sync: { scheduler, pause: () => undefined, resume: () => undefined, retryNow: () => Promise.resolve() },
    engine: { ignoreRules: () => Promise.resolve('') },
    status: { setPausedUntil: () => undefined, refreshAttention: () => Promise.resolve() },
    preferences: port,
  });
  return { port, controller, applied };
}

describe('watchPreferences', () => {
  it('shows the defaults in effect, the host name for the device, and where each read-only value is set', async () => {
    const { controller } = world();
    const view = await controller.settings();
    expect(isSettingsView(view)).toBe(true);
    expect(view).toEqual({
      values: { folder: '/home/ada/Stratus', deviceName: 'ada-host', bandwidth: {}, massDelete: { maxFiles: 500, maxRatio: 0.5 } },
      editable: ['bandwidth'],
      managed: [],
      sources: {
        folder: '--folder',
        deviceName: 'default',
        massDelete: 'default',
        logLevel: 'default (no logs: --verbose or "logLevel" in the config file turns them on)',
        ...appOnly,
      },
      ignoreRules: '',
    });
  });

  it('shows the config file\'s preferences and the limits in effect, naming the file', () => {
    const { port } = world({
      settings: { folder: '/data', deviceName: 'ada-laptop', massDelete: { maxFiles: 3, maxRatio: 0.2 }, logLevel: 'warn' },
      sources: new Map([['folder', fromFile], ['deviceName', fromFile], ['massDelete', fromFile], ['logLevel', fromFile], ['bandwidth', fromFile]]),
      bandwidth: { uploadBytesPerSecond: 2048, downloadBytesPerSecond: 4096 },
    });
    expect(port.view()).toEqual({
      values: {
        folder: '/data', deviceName: 'ada-laptop', bandwidth: { upBytesPerSecond: 2048, downBytesPerSecond: 4096 },
        massDelete: { maxFiles: 3, maxRatio: 0.2 }, logLevel: 'warn',
      },
      editable: ['bandwidth'],
      managed: [],
      sources: { folder: fromFile, deviceName: fromFile, massDelete: fromFile, logLevel: fromFile, ...appOnly },
    });
  });

  it('says --verbose sets debug, whatever the config file says, and names the first run for a folder chosen there', () => {
    const { port } = world({ verbose: true, settings: { folder: '/chosen', logLevel: 'error' }, sources: new Map([['logLevel', fromFile]]), folderFromFirstRun: true });
    const view = port.view();
    expect(view.values.logLevel).toBe('debug');
    expect(view.sources).toMatchObject({ logLevel: '--verbose', folder: 'the first-run setup' });
  });

  it('changes the bandwidth limits live, both directions at once, and says how to keep them', async () => {
    const { controller, applied } = world({ bandwidth: { uploadBytesPerSecond: 1024 } });
    const result = await controller.run({ type: 'update-settings', change: { bandwidth: { downBytesPerSecond: 8192 } } });
    expect(result).toEqual({
      ok: true,
      message: `Bandwidth limits set (up: no limit, down: 8 KiB/s) for this session; put "bandwidth" in ${FILE} to keep it.`,
    });
    // The absent direction lifts its limit (the Settings screen always sends both).
    expect(applied).toEqual([{ uploadBytesPerSecond: undefined, downloadBytesPerSecond: 8192 }]);
    expect((await controller.settings()).values.bandwidth).toEqual({ downBytesPerSecond: 8192 });
  });

  it('without a config file, says to use one or the flags', async () => {
    const { controller } = world({}, ['configFile']);
    const result = await controller.run({ type: 'update-settings', change: { bandwidth: { upBytesPerSecond: 1000 } } });
    expect(result.message).toBe(
      'Bandwidth limits set (up: 1000 bytes/s, down: no limit) for this session; ' +
        'put "bandwidth" in a config file (--config FILE) to keep it, or start with --limit-up / --limit-down.',
    );
  });

  it('refuses the read-only preferences, saying where they are set, and changes nothing', async () => {
    const { controller, applied } = world({ sources: new Map([['deviceName', fromFile]]) });
    expect(await controller.run({ type: 'update-settings', change: { deviceName: 'other' } })).toEqual({
      ok: false,
      message: `Cannot be changed here: deviceName (set by ${fromFile}).`,
    });
    expect(await controller.run({ type: 'update-settings', change: { bandwidth: {}, massDelete: { maxFiles: 1, maxRatio: 1 } } })).toMatchObject({ ok: false });
    expect(applied).toEqual([]);
  });

  it('says the desktop app\'s own preferences are not the CLI\'s', async () => {
    const { controller } = world();
    expect(await controller.run({ type: 'update-settings', change: { startAtLogin: false } })).toEqual({
      ok: false,
      message: 'Cannot be changed here: startAtLogin (set by the desktop app only).',
    });
  });

  it('refuses a change that bypasses the controller with another key or a bad rate', async () => {
    const { port, applied } = world();
    expect(await port.update({ logLevel: 'debug' })).toEqual({ ok: false, message: 'Only the bandwidth limits can be changed here (not logLevel).' });
    expect((await port.update({ bandwidth: { upBytesPerSecond: 0.5 } })).ok).toBe(false);
    expect(applied).toEqual([]);
  });

  it('shows bandwidth read-only when the connection cannot limit it', async () => {
    const { port } = world({}, ['setBandwidthLimits']);
    const view = port.view();
    expect(view.editable).toEqual([]);
    expect(view.sources?.bandwidth).toBe('this connection (it cannot limit bandwidth)');
    expect((await port.update({ bandwidth: {} })).ok).toBe(false);
  });

  it('shows what the organization enforces as managed (bandwidth then read-only too) and its ignore patterns', async () => {
    const { controller, port, applied } = world({ managed: ['bandwidth', 'massDelete'], adminIgnoreRules: ['*.pst', 'secrets/'] });
    const view = await controller.settings();
    expect(isSettingsView(view)).toBe(true);
    expect(view.managed).toEqual(['bandwidth', 'massDelete']);
    expect(view.editable).toEqual([]);
    expect(view.adminIgnoreRules).toEqual(['*.pst', 'secrets/']);
    expect((await controller.run({ type: 'update-settings', change: { bandwidth: { upBytesPerSecond: 1024 } } })).ok).toBe(false);
    expect(applied).toEqual([]);
    // Nothing enforced: no adminIgnoreRules key at all, bandwidth editable again.
    const plain = await world({ managed: [], adminIgnoreRules: [] }).controller.settings();
    expect(plain.adminIgnoreRules).toBeUndefined();
    expect(plain.editable).toEqual(['bandwidth']);
    expect(port.view().managed).toEqual(['bandwidth', 'massDelete']);
  });
});
