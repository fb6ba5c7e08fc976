import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBinary, parse } from 'plist';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManagedPreferencesPolicySource, managedPreferencesFiles, type ConvertBinaryPlist } from '../../../src/engine/policy/ManagedPreferencesPolicySource.js';

const fixtures = join(import.meta.dirname, 'fixtures');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-macpolicy-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const neverConvert: ConvertBinaryPlist = () => Promise.reject(new Error('plutil must not be needed'));

describe('managedPreferencesFiles', () => {
  it('names the machine and per-user managed preferences of the app ID in electron-builder.yml', async () => {
    const appId = /^appId:\s*(\S+)/m.exec(await readFile(join(import.meta.dirname, '../../../electron-builder.yml'), 'utf8'))?.[1];
    expect(appId).toBe('io.stratus.desktop');
    expect(managedPreferencesFiles('ada')).toEqual({
      machine: `/Library/Managed Preferences/${appId ?? ''}.plist`,
      user: `/Library/Managed Preferences/ada/${appId ?? ''}.plist`,
    });
  });
});

describe('ManagedPreferencesPolicySource', () => {
  it('reads root keys as enforced and the Defaults dictionary as defaults from an XML plist', async () => {
    const layer = await new ManagedPreferencesPolicySource({ file: join(fixtures, 'mac-machine.plist'), convertBinary: neverConvert }).read();
    expect(layer.problems).toEqual([]);
    expect(layer.enforced).toEqual({
      CognitoRegion: 'eu-west-1',
      CognitoUserPoolId: 'eu-west-1_AbCdEfGhI',
      Bucket: 'acme-stratus',
      LockBackend: true,
      MinimumFreeDiskMiB: 1024,
      AdminIgnorePatterns: ['*.tmp', '.DS_Store'],
    });
    expect(layer.defaults).toEqual({ DefaultSyncFolder: '~/Acme Stratus', LoginInSystemBrowser: true });
  });

  it('drops wrong types (an integer for a boolean, a list with a number) with one problem line each', async () => {
    const file = join(fixtures, 'mac-user.plist');
    const layer = await new ManagedPreferencesPolicySource({ file, convertBinary: neverConvert }).read();
    expect(layer.enforced).toEqual({ Bucket: 'user-bucket', DisableAutoUpdate: true });
    expect(layer.defaults).toEqual({ NotificationLevel: 'off' });
    expect(layer.problems).toEqual([
      `${file}: StartAtLogin must be true or false, got number 1 (ignored)`,
      `${file}: LogLevel must be one of "error", "warn", "info", "debug", got the string "verbose" (ignored)`,
      `${file}: ProxyBypassList must be a list of strings, got a list (ignored)`,
    ]);
  });

  it('reads a binary plist as cfprefsd writes it', async () => {
    const xml = await readFile(join(fixtures, 'mac-machine.plist'), 'utf8');
    const file = join(dir, 'binary.plist');
    await writeFile(file, buildBinary(parse(xml)));
    expect((await readFile(file)).subarray(0, 6).toString('latin1')).toBe('bplist');
    const layer = await new ManagedPreferencesPolicySource({ file, convertBinary: neverConvert }).read();
    expect(layer.enforced['Bucket']).toBe('acme-stratus');
    expect(layer.defaults['LoginInSystemBrowser']).toBe(true);
  });

  it('falls back to plutil -convert xml1 for a binary plist its parser cannot read', async () => {
    const file = join(dir, 'odd.plist');
    await writeFile(file, Buffer.concat([Buffer.from('bplist00'), Buffer.from([0xff, 0xfe, 0x00])]));
    const converted: string[] = [];
    const plutil: ConvertBinaryPlist = async (path) => {
      converted.push(path);
      return readFile(join(fixtures, 'mac-machine.plist'), 'utf8');
    };
    const layer = await new ManagedPreferencesPolicySource({ file, convertBinary: plutil }).read();
    expect(converted).toEqual([file]);
    expect(layer.enforced['CognitoUserPoolId']).toBe('eu-west-1_AbCdEfGhI');
  });

  it('treats a missing file as not configured, and a damaged one as a problem that applies nothing', async () => {
    expect(await new ManagedPreferencesPolicySource({ file: join(dir, 'absent.plist') }).read()).toEqual({ enforced: {}, defaults: {}, problems: [] });
    const file = join(dir, 'damaged.plist');
    await writeFile(file, '<?xml version="1.0"?><plist version="1.0"><dict><key>Bucket</key>');
    const layer = await new ManagedPreferencesPolicySource({ file }).read();
    expect(layer.enforced).toEqual({});
    expect(layer.problems).toHaveLength(1);
    expect(layer.problems[0]).toMatch(/damaged\.plist: not a valid property list .*; none of its policies apply$/);
  });

  it('skips the profile\'s Payload keys that a custom-settings payload may leave in the managed file', async () => {
    const file = join(dir, 'payload.plist');
    await writeFile(
      file,
      '<?xml version="1.0"?><plist version="1.0"><dict><key>PayloadType</key><string>io.stratus.desktop</string><key>PayloadUUID</key><string>0EB24400-523E-4D5D-93A7-6F36711FF83F</string>' +
        '<key>PayloadVersion</key><integer>1</integer><key>Bucket</key><string>acme-stratus</string></dict></plist>',
    );
    expect(await new ManagedPreferencesPolicySource({ file }).read()).toEqual({ enforced: { Bucket: 'acme-stratus' }, defaults: {}, problems: [] });
  });

  it('reads afresh each time: a key the profile no longer sets stops applying', async () => {
    const file = join(dir, 'changing.plist');
    const source = new ManagedPreferencesPolicySource({ file });
    await writeFile(file, await readFile(join(fixtures, 'mac-machine.plist')));
    expect((await source.read()).enforced['LockBackend']).toBe(true);
    await writeFile(file, '<?xml version="1.0"?><plist version="1.0"><dict><key>Bucket</key><string>acme-stratus</string></dict></plist>');
    expect((await source.read()).enforced).toEqual({ Bucket: 'acme-stratus' });
  });
});
