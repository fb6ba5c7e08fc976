import { describe, expect, it } from 'vitest';
import type { PolicyLayer, PolicySet, PolicyValues } from '../../../src/engine/policy/PolicySource.js';
import { LOCKS, resolveSettings, type SettingValues } from '../../../src/engine/policy/resolveSettings.js';
import { POLICIES, policyNamed } from '../../../src/shared/policies.js';

function layer(enforced: PolicyValues = {}, defaults: PolicyValues = {}): PolicyLayer {
  return { enforced, defaults, problems: [] };
}

function policies(machine: PolicyLayer = layer(), user: PolicyLayer = layer()): PolicySet {
  return { machine, user };
}

interface Row {
  readonly name: string;
  readonly machine?: [PolicyValues, PolicyValues];
  readonly user?: [PolicyValues, PolicyValues];
  readonly flag?: string;
  readonly userSetting?: string;
  readonly expected: { value: string | null; source: string; locked: boolean };
}

// Every level of the precedence, alone and against each level below it, for the bucket setting (policy Bucket).
const ROWS: readonly Row[] = [
  { name: 'nothing set: no built-in default', expected: { value: null, source: 'default', locked: false } },
  { name: 'user default only', user: [{}, { Bucket: 'u-def' }], expected: { value: 'u-def', source: 'policy-default', locked: false } },
  { name: 'machine default beats user default', machine: [{}, { Bucket: 'm-def' }], user: [{}, { Bucket: 'u-def' }], expected: { value: 'm-def', source: 'policy-default', locked: false } },
  { name: 'user setting beats policy defaults', machine: [{}, { Bucket: 'm-def' }], userSetting: 'mine', expected: { value: 'mine', source: 'user', locked: false } },
  { name: 'flag beats user setting and defaults', machine: [{}, { Bucket: 'm-def' }], userSetting: 'mine', flag: 'flag', expected: { value: 'flag', source: 'flag', locked: false } },
  { name: 'enforced user policy beats flag', user: [{ Bucket: 'u-enf' }, {}], flag: 'flag', userSetting: 'mine', expected: { value: 'u-enf', source: 'policy', locked: true } },
  { name: 'enforced machine policy beats enforced user policy (HKLM over HKCU)', machine: [{ Bucket: 'm-enf' }, {}], user: [{ Bucket: 'u-enf' }, {}], expected: { value: 'm-enf', source: 'policy', locked: true } },
  { name: 'enforced user policy beats a machine default', machine: [{}, { Bucket: 'm-def' }], user: [{ Bucket: 'u-enf' }, {}], expected: { value: 'u-enf', source: 'policy', locked: true } },
  { name: 'enforced machine policy beats everything', machine: [{ Bucket: 'm-enf' }, { Bucket: 'm-def' }], user: [{ Bucket: 'u-enf' }, { Bucket: 'u-def' }], flag: 'flag', userSetting: 'mine', expected: { value: 'm-enf', source: 'policy', locked: true } },
  { name: 'a user default never locks', user: [{}, { Bucket: 'u-def' }], flag: 'flag', expected: { value: 'flag', source: 'flag', locked: false } },
];

describe('resolveSettings precedence', () => {
  it.each(ROWS)('$name', (row) => {
    const set = policies(layer(...(row.machine ?? [{}, {}])), layer(...(row.user ?? [{}, {}])));
    const flags: SettingValues = row.flag === undefined ? {} : { bucket: row.flag };
    const user: SettingValues = row.userSetting === undefined ? {} : { bucket: row.userSetting };
    const { settings } = resolveSettings({ policies: set, flags, user });
    expect({ value: settings['bucket']?.value, source: settings['bucket']?.source, locked: settings['bucket']?.locked }).toEqual(row.expected);
  });

  it('gives every policy setting, with the built-in default when nothing is set', () => {
    const { settings, conflicts } = resolveSettings({ policies: policies() });
    expect(Object.keys(settings).sort()).toEqual(POLICIES.map((p) => p.setting).sort());
    expect(conflicts).toEqual([]);
    expect(settings['massDeleteMaxFiles']).toEqual({ value: 500, source: 'default', locked: false });
    expect(settings['folder']).toEqual({ value: '~/Stratus', source: 'default', locked: false });
    expect(settings['endpoint']).toEqual({ value: null, source: 'default', locked: false });
  });

  it('lets the user override a default-only policy, and uses it when the user does not', () => {
    const set = policies(layer({}, { UpdateChannel: 'beta', DefaultSyncFolder: '~/Acme' }));
    expect(resolveSettings({ policies: set }).settings['updateChannel']).toEqual({ value: 'beta', source: 'policy-default', locked: false, policy: 'UpdateChannel' });
    const overridden = resolveSettings({ policies: set, user: { updateChannel: 'latest' }, flags: { folder: '/data/mine' } });
    expect(overridden.settings['updateChannel']).toEqual({ value: 'latest', source: 'user', locked: false });
    expect(overridden.settings['folder']).toEqual({ value: '/data/mine', source: 'flag', locked: false });
    expect(overridden.conflicts).toEqual([]);
  });

  it('forgets a policy the admin removed: the next resolution falls back to the user', () => {
    const user: SettingValues = { bucket: 'mine' };
    const before = resolveSettings({ policies: policies(layer({ Bucket: 'acme' })), user });
    expect(before.settings['bucket']).toMatchObject({ value: 'acme', source: 'policy', locked: true });
    const after = resolveSettings({ policies: policies(layer({})), user });
    expect(after.settings['bucket']).toEqual({ value: 'mine', source: 'user', locked: false });
    expect(after.conflicts).toEqual([]);
  });

  it('resolves an HKLM/HKCU conflict for machine, also when HKCU has a lock HKLM turns off', () => {
    const set = policies(layer({ Bucket: 'm', LockBackend: false }), layer({ Bucket: 'u', LockBackend: true, LogLevel: 'debug' }));
    const { settings } = resolveSettings({ policies: set, flags: { endpoint: 'http://minio:9000' } });
    expect(settings['bucket']?.value).toBe('m');
    expect(settings['lockBackend']).toMatchObject({ value: false, source: 'policy' });
    // Not locked: HKLM's LockBackend = false wins over HKCU's true.
    expect(settings['endpoint']).toEqual({ value: 'http://minio:9000', source: 'flag', locked: false });
    // What only HKCU sets still applies.
    expect(settings['logLevel']).toMatchObject({ value: 'debug', source: 'policy', locked: true });
  });
});

describe('resolveSettings conflicts', () => {
  it('reports a flag or user value that differs from an enforced policy, and not one that agrees', () => {
    const set = policies(layer({ Bucket: 'acme-stratus', CognitoRegion: 'eu-west-1' }));
    const { conflicts } = resolveSettings({ policies: set, flags: { bucket: 'other', region: 'eu-west-1' }, user: { bucket: 'acme-stratus' } });
    expect(conflicts).toEqual([{ setting: 'bucket', source: 'flag', given: 'other', policy: 'Bucket', policyValue: 'acme-stratus' }]);
  });

  it('with LockBackend, locks every backend setting, even one no policy sets, and reports any other value', () => {
    const set = policies(layer({ LockBackend: true, Bucket: 'acme-stratus', CognitoUserPoolId: 'eu-west-1_Abc' }, { CognitoRegion: 'eu-west-1' }));
    const flags: SettingValues = { bucket: 'acme-stratus', endpoint: 'http://minio:9000', region: 'us-east-1', folder: '/data' };
    const user: SettingValues = { cognitoUserPoolId: 'us-east-1_Other', cognitoAppClientId: 'client', cognitoRedirectPort: 53682 };
    const { settings, conflicts } = resolveSettings({ policies: set, flags, user });
    expect(settings['endpoint']).toEqual({ value: null, source: 'default', locked: true, policy: 'LockBackend' });
    expect(settings['region']).toEqual({ value: 'eu-west-1', source: 'policy-default', locked: true, policy: 'LockBackend' });
    expect(settings['cognitoRedirectPort']).toEqual({ value: 53682, source: 'default', locked: true, policy: 'LockBackend' });
    // The folder is not a backend setting.
    expect(settings['folder']).toEqual({ value: '/data', source: 'flag', locked: false });
    expect(conflicts).toEqual([
      { setting: 'region', source: 'flag', given: 'us-east-1', policy: 'LockBackend', policyValue: true },
      { setting: 'cognitoUserPoolId', source: 'user', given: 'us-east-1_Other', policy: 'CognitoUserPoolId', policyValue: 'eu-west-1_Abc' },
      { setting: 'cognitoAppClientId', source: 'user', given: 'client', policy: 'LockBackend', policyValue: true },
      { setting: 'endpoint', source: 'flag', given: 'http://minio:9000', policy: 'LockBackend', policyValue: true },
    ]);
  });

  it('locks exactly the backend settings with LockBackend and the folder with LockSyncFolder', () => {
    const set = policies(layer({ LockBackend: true, LockSyncFolder: true }));
    const { settings } = resolveSettings({ policies: set });
    const locked = Object.entries(settings).filter(([, r]) => r.locked && r.source !== 'policy').map(([setting]) => setting).sort();
    const expected = [...(LOCKS['LockBackend'] ?? []), ...(LOCKS['LockSyncFolder'] ?? [])].map((name) => policyNamed(name)?.setting).sort();
    expect(locked).toEqual(expected);
    expect(expected).toEqual(['bucket', 'cognitoAppClientId', 'cognitoHostedUiDomain', 'cognitoIdentityPoolId', 'cognitoRedirectPort', 'cognitoUserPoolId', 'endpoint', 'folder', 'region']);
  });

  it('a LockBackend = false or a LockBackend only as a user value locks nothing', () => {
    const off = resolveSettings({ policies: policies(layer({ LockBackend: false })), flags: { endpoint: 'http://minio:9000' } });
    expect(off.settings['endpoint']).toMatchObject({ source: 'flag', locked: false });
    expect(off.conflicts).toEqual([]);
    const userValue = resolveSettings({ policies: policies(), user: { lockBackend: true }, flags: { endpoint: 'http://minio:9000' } });
    expect(userValue.settings['endpoint']).toMatchObject({ source: 'flag', locked: false });
  });

  it('with LockSyncFolder, the folder is DefaultSyncFolder, compared through the caller\'s sameValue', () => {
    const set = policies(layer({ LockSyncFolder: true }, { DefaultSyncFolder: '~/Acme' }));
    const sameFolder = (setting: string, given: unknown, locked: unknown): boolean => setting === 'folder' && String(locked).replace('~', '/home/ada') === given;
    const ok = resolveSettings({ policies: set, flags: { folder: '/home/ada/Acme' } }, { sameValue: sameFolder });
    expect(ok.settings['folder']).toEqual({ value: '~/Acme', source: 'policy-default', locked: true, policy: 'LockSyncFolder' });
    expect(ok.conflicts).toEqual([]);
    const other = resolveSettings({ policies: set, flags: { folder: '/tmp/x' } }, { sameValue: sameFolder });
    expect(other.conflicts).toEqual([{ setting: 'folder', source: 'flag', given: '/tmp/x', policy: 'LockSyncFolder', policyValue: true }]);
  });

  it('compares lists by their items', () => {
    const set = policies(layer({ ProxyBypassList: ['.internal', 'localhost'] }));
    expect(resolveSettings({ policies: set, user: { proxyBypassList: ['.internal', 'localhost'] } }).conflicts).toEqual([]);
    expect(resolveSettings({ policies: set, user: { proxyBypassList: ['.internal'] } }).conflicts).toHaveLength(1);
  });
});
