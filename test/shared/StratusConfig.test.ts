import { describe, expect, it } from 'vitest';
import { parseStratusConfig } from '../../src/shared/StratusConfig.js';
import { isPreferences } from '../../src/shared/validators.js';

const cognito = {
  version: 1,
  auth: 'cognito',
  region: 'eu-west-1',
  bucket: 'acme-stratus',
  cognito: {
    issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf',
    clientId: '3n4b5urk1ft4fl3mg5e62d9ado',
    identityPoolId: 'eu-west-1:4a5b6c7d-0000-4000-8000-000000000000',
    redirectUri: 'http://localhost:53682/callback',
  },
};

describe('parseStratusConfig', () => {
  it('accepts a cognito config and an aws-mode config with an S3-compatible endpoint', () => {
    expect(parseStratusConfig(cognito)).toMatchObject({ ok: true });
    expect(
      parseStratusConfig({ version: 1, auth: 'aws', region: 'us-east-1', bucket: 'data', prefix: 'team/ada/', endpoint: 'http://127.0.0.1:7480', forcePathStyle: true }),
    ).toMatchObject({ ok: true });
  });

  it('lists every problem, each in words a person can act on', () => {
    const result = parseStratusConfig({ version: 2, auth: 'aws', region: '', bucket: 'Bad_Bucket', prefix: '/abs', endpoint: 'ftp://x' });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors).toEqual([
        'version must be 1, got 2',
        'region must be a non-empty string',
        'bucket "Bad_Bucket" is not a valid S3 bucket name',
        'endpoint must be an http(s) URL such as https://example.com, got "ftp://x"',
        'prefix must not start with "/" and must end with "/" (e.g. "team/ada/")',
      ]);
    }
  });

  it('requires the cognito block in cognito mode and checks its URLs', () => {
    expect(parseStratusConfig({ ...cognito, cognito: undefined })).toEqual({
      ok: false,
      errors: ['cognito settings are required when auth is "cognito"'],
    });
    const bad = parseStratusConfig({ ...cognito, cognito: { ...cognito.cognito, redirectUri: 'localhost:53682/callback' } });
    expect(bad.ok).toBe(false);
  });

  it('rejects something that is not an object', () => {
    expect(parseStratusConfig('{"version":1}')).toEqual({ ok: false, errors: ['the config must be a JSON object'] });
  });

  it('accepts the preferences the CLI uses, and ignores the app-only keys of the app settings file', () => {
    const appSettingsFile = {
      ...cognito,
      folder: '/home/ada/Stratus',
      deviceName: 'ada-laptop',
      bandwidth: { upBytesPerSecond: 1_048_576, downBytesPerSecond: 2 ** 40 },
      massDelete: { maxFiles: 1, maxRatio: 1 },
      logLevel: 'warn',
      startAtLogin: true,
      notifications: false,
      pauseOnBattery: true,
      useSystemBrowser: true,
      allowPlaintextTokenStorage: false,
    };
    const result = parseStratusConfig(appSettingsFile);
    expect(result).toMatchObject({ ok: true, config: { deviceName: 'ada-laptop', massDelete: { maxFiles: 1, maxRatio: 1 }, logLevel: 'warn' } });
    // An empty bandwidth object means no limits; one direction alone is fine.
    expect(parseStratusConfig({ ...cognito, bandwidth: {} }).ok).toBe(true);
    expect(parseStratusConfig({ ...cognito, bandwidth: { downBytesPerSecond: 1 } }).ok).toBe(true);
  });

  it('says what is wrong with each preference in one line, by the Settings screen\'s rules', () => {
    const result = parseStratusConfig({
      ...cognito,
      deviceName: '   ',
      bandwidth: { upBytesPerSecond: 1.5, downBytesPerSecond: 2 ** 40 + 1, sideways: 3 },
      massDelete: { maxFiles: 0, maxRatio: 1.5 },
      logLevel: 'verbose',
    });
    expect(result).toEqual({
      ok: false,
      errors: [
        'deviceName must be a name of 1 to 100 characters, got "   "',
        'bandwidth has unknown keys "sideways": use upBytesPerSecond and downBytesPerSecond',
        'bandwidth.upBytesPerSecond must be a whole number of bytes per second from 1 to 1099511627776 (leave it out for no limit), got 1.5',
        'bandwidth.downBytesPerSecond must be a whole number of bytes per second from 1 to 1099511627776 (leave it out for no limit), got 1099511627777',
        'massDelete.maxFiles must be a whole number of files, 1 or more, got 0',
        'massDelete.maxRatio must be a number above 0 and at most 1 (0.5 = half the synced files), got 1.5',
        'logLevel must be one of "debug", "info", "warn", "error", got "verbose"',
      ],
    });
  });

  it('refuses a preference of the wrong shape, a too long device name, and a rail missing one of its limits', () => {
    const result = parseStratusConfig({ ...cognito, deviceName: 'x'.repeat(101), bandwidth: 1024, massDelete: { maxFiles: 10 }, logLevel: 3 });
    expect(result).toEqual({
      ok: false,
      errors: [
        'deviceName must be a name of 1 to 100 characters, got 101 characters',
        'bandwidth must be an object like {"upBytesPerSecond": 1048576, "downBytesPerSecond": 4194304}, got 1024',
        'massDelete.maxRatio must be a number above 0 and at most 1 (0.5 = half the synced files), got nothing',
        'logLevel must be one of "debug", "info", "warn", "error", got 3',
      ],
    });
    expect(parseStratusConfig({ ...cognito, massDelete: [500, 0.5] })).toEqual({
      ok: false,
      errors: ['massDelete must be an object like {"maxFiles": 500, "maxRatio": 0.5}, got [500,0.5]'],
    });
  });

  it('agrees with isPreferences on every preference value it accepts or refuses', () => {
    const values: Record<string, unknown[]> = {
      deviceName: ['a', 'x'.repeat(100), 'x'.repeat(101), '', ' ', 7],
      bandwidth: [{}, { upBytesPerSecond: 1 }, { upBytesPerSecond: 0 }, { downBytesPerSecond: 2 ** 40 }, { downBytesPerSecond: 2 ** 40 + 1 }, { other: 1 }, null],
      massDelete: [{ maxFiles: 1, maxRatio: 1 }, { maxFiles: 1, maxRatio: 0 }, { maxFiles: 0.5, maxRatio: 0.5 }, { maxRatio: 0.5 }, 'x'],
      logLevel: ['debug', 'info', 'warn', 'error', 'trace', ''],
    };
    for (const [key, list] of Object.entries(values)) {
      for (const value of list) {
        expect({ key, value, ok: parseStratusConfig({ ...cognito, [key]: value }).ok }).toEqual({ key, value, ok: isPreferences({ [key]: value }) });
      }
    }
  });
});
