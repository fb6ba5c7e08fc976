import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRegQuery, RegistryPolicySource, type RunRegQuery } from '../../../src/engine/policy/RegistryPolicySource.js';

const fixtures = join(import.meta.dirname, 'fixtures');

/** Runs "reg query" against fixture outputs, as reg.exe would answer for each hive; a hive without a fixture is a missing key. */
function fakeReg(outputs: Partial<Record<string, string>>, calls: string[] = []): RunRegQuery {
  return (key) => {
    calls.push(key);
    const output = outputs[key];
    if (output !== undefined) return Promise.resolve(output);
    // What execFile rejects with when reg.exe exits 1.
    return Promise.reject(Object.assign(new Error('Command failed: reg query'), { code: 1, stderr: 'ERROR: The system was unable to find the specified registry key or value.\r\n' }));
  };
}

async function fixture(name: string): Promise<string> {
  return readFile(join(fixtures, name), 'utf8');
}

describe('parseRegQuery', () => {
  it('reads keys, subkeys and values of "reg query /s" output, CRLF and all', async () => {
    const keys = parseRegQuery(await fixture('reg-hklm.txt'));
    expect(keys.map((k) => k.path)).toEqual(['', 'AdminIgnorePatterns', 'Defaults']);
    expect(keys[0]?.values).toContainEqual({ name: 'LockBackend', type: 'REG_DWORD', data: '0x1' });
    expect(keys[0]?.values).toContainEqual({ name: 'DefaultSyncFolder', type: 'REG_EXPAND_SZ', data: '%USERPROFILE%\\Stratus' });
  });

  it('keeps an empty string value', () => {
    const keys = parseRegQuery('\r\nHKEY_CURRENT_USER\\SOFTWARE\\Policies\\Stratus\r\n    LoginHint    REG_SZ    \r\n');
    expect(keys[0]?.values).toEqual([{ name: 'LoginHint', type: 'REG_SZ', data: '' }]);
  });
});

describe('RegistryPolicySource', () => {
  it('reads enforced values, DWORDs, multi-strings, list subkeys in numeric order, and Defaults from HKLM', async () => {
    const calls: string[] = [];
    const source = new RegistryPolicySource('HKLM', fakeReg({ 'HKLM\\SOFTWARE\\Policies\\Stratus': await fixture('reg-hklm.txt') }, calls));
    const layer = await source.read();
    expect(calls).toEqual(['HKLM\\SOFTWARE\\Policies\\Stratus']);
    expect(layer.problems).toEqual([]);
    expect(layer.enforced).toEqual({
      CognitoRegion: 'eu-west-1',
      Bucket: 'acme-stratus',
      LockBackend: true,
      CognitoRedirectPort: 0xd1f2,
      MassDeleteMaxFiles: 1000,
      UpdateChannel: 'latest',
      ProxyBypassList: ['.internal', 'localhost', '10.0.0.0/8'],
      DefaultSyncFolder: '%USERPROFILE%\\Stratus',
      AdminIgnorePatterns: ['*.tmp', '~$*', 'desktop.ini', 'Thumbs.db'],
    });
    expect(layer.defaults).toEqual({ NotificationLevel: 'attention', StartAtLogin: false });
  });

  it('drops values of the wrong type, out of range, unknown or not allowed as a default, one problem line each', async () => {
    const source = new RegistryPolicySource('HKCU', fakeReg({ 'HKCU\\SOFTWARE\\Policies\\Stratus': await fixture('reg-hkcu.txt') }));
    const layer = await source.read();
    expect(layer.enforced).toEqual({ Bucket: 'user-bucket', LogLevel: 'debug', LockBackend: false });
    expect(layer.defaults).toEqual({ NotificationLevel: 'errors' });
    const problems = layer.problems.join('\n');
    expect(layer.problems).toHaveLength(8);
    for (const name of ['StartAtLogin', 'UploadLimitKiBps', 'NoSuchPolicy', 'SkipFirstRunTour', 'LoginHint', 'ExtraCaCertificates', 'DisableAutoUpdate', 'UpdateChannel']) {
      expect(problems).toContain(name);
    }
    expect(problems).toContain('HKCU\\SOFTWARE\\Policies\\Stratus: StartAtLogin must be true or false (a DWORD of 1 or 0), got the string "yes" (ignored)');
    expect(problems).toContain('UploadLimitKiBps must be an integer from 1 to 1073741824, got number 0');
    expect(problems).toContain('DisableAutoUpdate can only be enforced, not a default');
  });

  it('matches policy names case-insensitively, as the registry does', async () => {
    const output = '\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Stratus\r\n    bucket    REG_SZ    acme\r\n';
    const layer = await new RegistryPolicySource('HKLM', fakeReg({ 'HKLM\\SOFTWARE\\Policies\\Stratus': output })).read();
    expect(layer.enforced).toEqual({ Bucket: 'acme' });
  });

  it('treats a missing key (reg.exe exit code 1) as not configured', async () => {
    const layer = await new RegistryPolicySource('HKCU', fakeReg({})).read();
    expect(layer).toEqual({ enforced: {}, defaults: {}, problems: [] });
  });

  it('says so when reg.exe cannot run, and applies nothing', async () => {
    const broken: RunRegQuery = () => Promise.reject(Object.assign(new Error('spawn C:\\Windows\\System32\\reg.exe ENOENT'), { code: 'ENOENT' }));
    const layer = await new RegistryPolicySource('HKLM', broken).read();
    expect(layer.enforced).toEqual({});
    expect(layer.problems).toEqual(['HKLM\\SOFTWARE\\Policies\\Stratus: cannot read the policies (spawn C:\\Windows\\System32\\reg.exe ENOENT); none of them apply']);
  });

  it('reads afresh each time: a value the admin removed is gone at the next read', async () => {
    const outputs: Partial<Record<string, string>> = { 'HKLM\\SOFTWARE\\Policies\\Stratus': await fixture('reg-hklm.txt') };
    const source = new RegistryPolicySource('HKLM', fakeReg(outputs));
    expect((await source.read()).enforced['Bucket']).toBe('acme-stratus');
    outputs['HKLM\\SOFTWARE\\Policies\\Stratus'] = '\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Stratus\r\n    CognitoRegion    REG_SZ    eu-west-1\r\n';
    expect((await source.read()).enforced).toEqual({ CognitoRegion: 'eu-west-1' });
    delete outputs['HKLM\\SOFTWARE\\Policies\\Stratus'];
    expect(await source.read()).toEqual({ enforced: {}, defaults: {}, problems: [] });
  });
});
