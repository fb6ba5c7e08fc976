/**
 * The app's settings: defaults, per-field repair of a hand-edited file, the
 * connection validated by the CLI's own parseStratusConfig, and the JSON
 * schema as electron-store's validator (conf, ajv 2020) applies it.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Conf from 'conf';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PREFERENCES, readSettings, safetyPolicyFrom, SETTINGS_SCHEMA, settingsRecord } from '../../../src/main/settings/appSettings.js';
import { SettingsStore } from '../../../src/main/settings/SettingsStore.js';
import { parseStratusConfig } from '../../../src/shared/StratusConfig.js';

const cognitoConfig = {
  version: 1,
  auth: 'cognito',
  region: 'eu-west-1',
  bucket: 'stratus-data',
  cognito: {
    issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC',
    clientId: 'client',
    identityPoolId: 'eu-west-1:1234',
    redirectUri: 'http://localhost:53682/callback',
  },
} as const;

describe('readSettings', () => {
  it('gives the documented defaults for an empty store, with no connection', () => {
    const { settings, problems } = readSettings({});
    expect(settings).toEqual(DEFAULT_PREFERENCES);
    expect(settings.connection).toBeUndefined();
    expect(problems).toEqual([]);
    expect(DEFAULT_PREFERENCES).toMatchObject({ startAtLogin: true, notifications: true, logLevel: 'info', useSystemBrowser: false, allowPlaintextTokenStorage: false });
    expect(safetyPolicyFrom(settings)).toEqual({ maxDeletes: 500, maxDeleteRatio: 0.5 });
  });

  it('keeps every valid value', () => {
    const raw = {
      folder: '/home/ada/Stratus', deviceName: 'ada-laptop', startAtLogin: false, notifications: false,
      bandwidth: { upBytesPerSecond: 1_048_576, downBytesPerSecond: 4_194_304 }, pauseOnBattery: true,
      massDelete: { maxFiles: 50, maxRatio: 0.25 }, logLevel: 'debug', useSystemBrowser: true, allowPlaintextTokenStorage: true,
      ...cognitoConfig,
    };
    const { settings, problems } = readSettings(raw);
    expect(problems).toEqual([]);
    expect(settings).toMatchObject({ folder: '/home/ada/Stratus', deviceName: 'ada-laptop', startAtLogin: false, bandwidth: { upBytesPerSecond: 1_048_576, downBytesPerSecond: 4_194_304 }, massDelete: { maxFiles: 50, maxRatio: 0.25 }, logLevel: 'debug' });
    expect(settings.connection).toEqual(cognitoConfig);
    // Written back flat, the record is itself a valid CLI config file.
    expect(settingsRecord(settings)).toEqual(raw);
    expect(parseStratusConfig(settingsRecord(settings)).ok).toBe(true);
  });

  it('replaces each broken value by its default and says which, keeping the rest', () => {
    const { settings, problems } = readSettings({
      startAtLogin: 'yes', bandwidth: { upBytesPerSecond: -5, downBytesPerSecond: 100 }, massDelete: { maxFiles: 0, maxRatio: 0.3 },
      logLevel: 'loud', deviceName: '', notifications: false,
    });
    expect(settings.startAtLogin).toBe(true);
    expect(settings.notifications).toBe(false);
    expect(settings.bandwidth).toEqual({ downBytesPerSecond: 100 });
    expect(settings.massDelete).toEqual({ maxFiles: 500, maxRatio: 0.3 });
    expect(settings.logLevel).toBe('info');
    expect(settings.deviceName).toBeUndefined();
    expect(problems).toHaveLength(5);
    for (const field of ['startAtLogin', 'bandwidth.upBytesPerSecond', 'massDelete.maxFiles', 'logLevel', 'deviceName']) {
      expect(problems.some((line) => line.startsWith(field))).toBe(true);
    }
  });

  it('validates the connection with the CLI config validator, not a copy of it', () => {
    const { settings, problems } = readSettings({ ...cognitoConfig, bucket: 'Not_A_Bucket', cognito: { clientId: 'x' } });
    expect(settings.connection).toBeUndefined();
    const cli = parseStratusConfig({ ...cognitoConfig, bucket: 'Not_A_Bucket', cognito: { clientId: 'x' } });
    expect(cli.ok).toBe(false);
    expect(problems).toEqual(cli.ok ? [] : cli.errors.map((line) => `connection: ${line}`));
  });

  it('never throws on something that is not an object', () => {
    expect(readSettings(null).settings).toEqual(DEFAULT_PREFERENCES);
    expect(readSettings([1]).problems).toHaveLength(1);
  });
});

describe('SETTINGS_SCHEMA under electron-store\'s validator (conf)', () => {
  async function store(initial?: unknown): Promise<{ conf: () => Conf<Record<string, unknown>>; file: string }> {
    const cwd = await mkdtemp(join(tmpdir(), 'stratus-settings-'));
    const file = join(cwd, 'settings.json');
    if (initial !== undefined) await writeFile(file, JSON.stringify(initial));
    return { conf: () => new Conf<Record<string, unknown>>({ cwd, configName: 'settings', projectName: 'stratus-test', schema: SETTINGS_SCHEMA as never }), file };
  }

  it('fills a new store with the schema defaults, equal to DEFAULT_PREFERENCES', async () => {
    const { conf } = await store();
    expect(readSettings(conf().store).settings).toEqual(DEFAULT_PREFERENCES);
  });

  it('accepts a full valid record (preferences and connection)', async () => {
    const { conf, file } = await store();
    const record = settingsRecord(readSettings({ folder: '/x', bandwidth: { upBytesPerSecond: 10 }, ...cognitoConfig }).settings);
    conf().store = record;
    expect(readSettings(JSON.parse(await readFile(file, 'utf8'))).settings.connection).toEqual(cognitoConfig);
  });

  it('refuses to write wrong types and out-of-range values', async () => {
    const { conf } = await store();
    const c = conf();
    expect(() => c.set('startAtLogin', 'yes')).toThrow(/schema/i);
    expect(() => c.set('bandwidth', { upBytesPerSecond: 0 })).toThrow(/schema/i);
    expect(() => c.set('massDelete', { maxFiles: 10, maxRatio: 2 })).toThrow(/schema/i);
    expect(() => c.set('logLevel', 'loud')).toThrow(/schema/i);
    expect(() => c.set('auth', 'password')).toThrow(/schema/i);
  });

  it('rejects a hand-edited file with a broken value (which the app then moves aside and repairs)', async () => {
    const { conf } = await store({ notifications: 'sometimes' });
    expect(() => conf()).toThrow(/schema/i);
  });
});

describe('SettingsStore', () => {
  function memory(initial: unknown = {}): { store: SettingsStore; written: Record<string, unknown>[] } {
    let stored = initial;
    const written: Record<string, unknown>[] = [];
    const store = new SettingsStore({
      read: () => stored,
      write: (record) => {
        stored = record;
        written.push(record);
      },
    });
    return { store, written };
  }

  it('writes a change, fires onDidChange once with the new value, and ignores a no-op', () => {
    const { store, written } = memory();
    const seen: boolean[] = [];
    store.onDidChange((s) => seen.push(s.notifications));
    store.update({ notifications: false });
    store.update({ notifications: false });
    expect(seen).toEqual([false]);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ notifications: false });
  });

  it('refuses an invalid change and keeps the old value', () => {
    const { store, written } = memory();
    expect(() => store.update({ massDelete: { maxFiles: -1, maxRatio: 0.5 } })).toThrow(/massDelete\.maxFiles/);
    expect(store.current.massDelete.maxFiles).toBe(500);
    expect(written).toEqual([]);
  });

  it('reports what was wrong with the stored settings', () => {
    const { store } = memory({ logLevel: 'loud' });
    expect(store.problems).toEqual(['logLevel must be one of debug, info, warn, error; using info']);
  });
});
