/**
 * Managed policies as the desktop app sees them (issue 9), with a fake
 * PolicySource: precedence over the stored settings (a locked bandwidth is
 * shown, marked managed and refused), a policy removed by the admin stops
 * applying at the next read, the backend from policies alone, the
 * notification level, admin ignore patterns reaching the engine, re-reads
 * every 5 minutes and read problems in the log.
 */
import { describe, expect, it } from 'vitest';
import { Emitter } from '../../../src/core/Emitter.js';
import type { Logger } from '../../../src/engine/logger.js';
import { EMPTY_LAYER, type PolicyLayer, type PolicySet, type PolicySource } from '../../../src/engine/policy/PolicySource.js';
import { AppController, type EngineHandle } from '../../../src/main/AppController.js';
import { AppPolicies, logLineAllowed, policyConnection, resolveAppSettings, type AppPolicyTimers } from '../../../src/main/policy/AppPolicies.js';
import { SettingsStore } from '../../../src/main/settings/SettingsStore.js';
import { settingsView } from '../../../src/main/settings/settingsView.js';
import { StatusService } from '../../../src/main/StatusService.js';
import type { EngineSettings } from '../../../src/shared/EngineProtocol.js';
import type { CommandResult, StatusSnapshot, StratusCommand } from '../../../src/shared/StratusApi.js';
import type { StratusConfig } from '../../../src/shared/StratusConfig.js';

/** A policy source whose content the test changes between reads, as an admin would. */
class FakePolicySource implements PolicySource {
  readonly location = '/etc/stratus/policy.json';
  reads = 0;
  constructor(public layer: Partial<PolicyLayer> = {}) {}
  read(): Promise<PolicyLayer> {
    this.reads += 1;
    return Promise.resolve({ enforced: {}, defaults: {}, problems: [], ...this.layer });
  }
}

class FakeIntervals implements AppPolicyTimers {
  readonly pending = new Map<number, { fn: () => void; ms: number }>();
  private next = 1;
  setInterval(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { fn, ms });
    return id;
  }
  clearInterval(handle: unknown): void {
    this.pending.delete(handle as number);
  }
}

class FakeEngine implements EngineHandle {
  readonly emitter = new Emitter<StatusSnapshot>();
  readonly onDidChangeStatus = this.emitter.event;
  readonly current: StatusSnapshot;
  readonly commands: StratusCommand[] = [];
  stopped = false;
  constructor(readonly settings: EngineSettings) {
    this.current = { version: 1, auth: 'signed-in', sync: 'up-to-date', folder: settings.folder };
  }
  start(): void {}
  stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }
  run(command: StratusCommand): Promise<CommandResult> {
    this.commands.push(command);
    return Promise.resolve({ ok: true });
  }
  setCredentials(): void {}
}

function memoryLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const put = (message: string, fields?: object): void => {
    lines.push(`${message} ${JSON.stringify(fields ?? {})}`);
  };
  return { lines, debug: put, info: put, warn: put, error: put };
}

const aws: StratusConfig = { version: 1, auth: 'aws', region: 'us-east-1', bucket: 'team-bucket', prefix: 'team/ada/' };
const set = (machine: Partial<PolicyLayer>, user: Partial<PolicyLayer> = {}): PolicySet => ({ machine: { ...EMPTY_LAYER, ...machine }, user: { ...EMPTY_LAYER, ...user } });

function world(layer: Partial<PolicyLayer>, stored: Record<string, unknown> = {}) {
  let record: unknown = { folder: '/home/ada/Stratus', ...stored };
  const settings = new SettingsStore({ read: () => record, write: (r) => { record = r; } });
  const source = new FakePolicySource(layer);
  const timers = new FakeIntervals();
  const log = memoryLog();
  const policies = new AppPolicies({ sources: { machine: source }, home: '/home/ada', log, timers });
  const engines: FakeEngine[] = [];
  const status = new StatusService();
  const created: string[] = [];
  const controller = new AppController({
    connection: aws, noConnectionMessage: 'none', settings, status, home: '/home/ada', machine: 'ada-laptop', policies,
    dialogs: { pickFolder: () => Promise.resolve(undefined), confirmMerge: () => Promise.resolve(true), tellFirstRunDone: () => undefined },
    folders: {
      inspect: () => Promise.resolve({ kind: 'missing' }),
      create: (folder) => {
        created.push(folder);
        return Promise.resolve();
      },
    },
    createEngine: (s) => {
      const engine = new FakeEngine(s);
      engines.push(engine);
      return engine;
    },
  });
  const view = () => {
    const policy = policies.resolve(settings.current);
    return settingsView(settings.current, '', '/logs', policy);
  };
  return { settings, source, timers, log, policies, controller, engines, view, status, created };
}

describe('app settings under policies', () => {
  it('shows a locked bandwidth as managed and refuses to change it, in words', async () => {
    const w = world({ enforced: { UploadLimitKiBps: 512 } }, { bandwidth: { upBytesPerSecond: 10 * 1024 * 1024 } });
    await w.policies.start();
    const view = w.view();
    expect(view.values.bandwidth).toEqual({ upBytesPerSecond: 512 * 1024 });
    expect(view.managed).toEqual(['bandwidth']);
    expect(view.editable).not.toContain('bandwidth');
    const refused = await w.controller.updatePreferences({ bandwidth: { upBytesPerSecond: 1024 } });
    expect(refused).toEqual({ ok: false, message: 'Managed by your organization: bandwidth cannot be changed here.' });
    // The stored value is untouched: it applies again once the policy goes.
    expect(w.settings.current.bandwidth).toEqual({ upBytesPerSecond: 10 * 1024 * 1024 });
    // Other settings can still be changed.
    expect((await w.controller.updatePreferences({ pauseOnBattery: true })).ok).toBe(true);
  });

  it('starts the engine with the policy values and the admin ignore patterns', async () => {
    const w = world({ enforced: { DownloadLimitKiBps: 100, MassDeleteMaxFiles: 20, AdminIgnorePatterns: ['*.pst'] }, defaults: { MassDeleteMaxPercent: 10 } });
    await w.policies.start();
    await w.controller.start();
    expect(w.engines).toHaveLength(1);
    expect(w.engines[0]?.settings).toMatchObject({ bandwidth: { downBytesPerSecond: 100 * 1024 }, maxDeletes: 20, maxDeleteRatio: 0.1, adminIgnorePatterns: ['*.pst'] });
    expect(w.view().adminIgnoreRules).toEqual(['*.pst']);
  });

  it('stops applying a policy the admin removed at the next read, and restarts the engine without it', async () => {
    const w = world({ enforced: { MassDeleteMaxFiles: 20, AdminIgnorePatterns: ['*.pst'] } });
    await w.policies.start();
    await w.controller.start();
    const changed: number[] = [];
    w.policies.onDidChange(() => {
      changed.push(1);
      void w.controller.policiesChanged();
    });
    expect(w.view().managed).toEqual(['massDelete']);
    w.source.layer = {};
    await w.policies.refresh();
    await new Promise((resolve) => setImmediate(resolve));
    expect(changed).toEqual([1]);
    const view = w.view();
    expect(view.managed).toEqual([]);
    expect(view.values.massDelete).toEqual({ maxFiles: 500, maxRatio: 0.5 });
    expect(view.adminIgnoreRules).toBeUndefined();
    expect(w.engines.map((e) => e.stopped)).toEqual([true, false]);
    expect(w.engines[1]?.settings.maxDeletes).toBe(500);
    expect(w.engines[1]?.settings.adminIgnorePatterns).toBeUndefined();
  });

  it('reads again every 5 minutes and logs read problems', async () => {
    const w = world({ problems: ['/etc/stratus/policy.json: Bucket must be a string; ignored'] });
    await w.policies.start();
    expect([...w.timers.pending.values()].map((t) => t.ms)).toEqual([5 * 60_000]);
    expect(w.log.lines.some((l) => l.includes('Bucket must be a string'))).toBe(true);
    w.source.layer = { enforced: { LogLevel: 'debug' }, problems: ['/etc/stratus/policy.json: Bucket must be a string; ignored'] };
    for (const t of w.timers.pending.values()) t.fn();
    await new Promise((resolve) => setImmediate(resolve));
    expect(w.source.reads).toBe(2);
    expect(w.log.lines.filter((l) => l.includes('Bucket must be a string'))).toHaveLength(1);
    expect(w.view()).toMatchObject({ values: { logLevel: 'debug' }, managed: ['logLevel'] });
    w.policies.dispose();
    expect(w.timers.pending.size).toBe(0);
  });

  it('lets a user value win over a policy default, and a policy default over the built-in one', () => {
    const stored = new SettingsStore({ read: () => ({ startAtLogin: false }), write: () => undefined }).current;
    const policies = set({ defaults: { StartAtLogin: true, LoginInSystemBrowser: true, UploadLimitKiBps: 64 } });
    const view = resolveAppSettings(policies, stored, '/home/ada');
    expect(view.effective.startAtLogin).toBe(false);
    expect(view.effective.useSystemBrowser).toBe(true);
    expect(view.effective.bandwidth).toEqual({ upBytesPerSecond: 64 * 1024 });
    expect(view.managed).toEqual([]);
  });

  it('hands the proxy and the extra CA certificates to the engine process', () => {
    const stored = new SettingsStore({ read: () => ({}), write: () => undefined }).current;
    const view = resolveAppSettings(set({ enforced: { ProxyUrl: 'http://proxy.acme.example:3128', ProxyBypassList: ['.internal', '10.0.0.0/8'], ExtraCaCertificates: '/etc/acme/ca.pem' } }), stored, '/home/ada');
    expect(view.network).toEqual({ proxyUrl: 'http://proxy.acme.example:3128', proxyBypassList: ['.internal', '10.0.0.0/8'], extraCaCertificates: '/etc/acme/ca.pem' });
    expect(resolveAppSettings(set({}), stored, '/home/ada').network).toEqual({});
  });

  it('gives the sign-in its LoginHint and the engine MinimumFreeDiskMiB and FirstDownloadConfirmAboveMiB in bytes', () => {
    const stored = new SettingsStore({ read: () => ({}), write: () => undefined }).current;
    const view = resolveAppSettings(set({ enforced: { MinimumFreeDiskMiB: 1024 }, defaults: { LoginHint: 'ada@acme.example', FirstDownloadConfirmAboveMiB: 2048 } }), stored, '/home/ada');
    expect(view.loginHint).toBe('ada@acme.example');
    expect(view.minFreeBytes).toBe(1024 * 1024 * 1024);
    expect(view.firstDownloadConfirmBytes).toBe(2048 * 1024 * 1024);
    expect(view.skipFirstRunTour).toBe(false);
    expect(resolveAppSettings(set({ defaults: { SkipFirstRunTour: true } }), stored, '/home/ada').skipFirstRunTour).toBe(true);
    const none = resolveAppSettings(set({}), stored, '/home/ada');
    expect(none.loginHint).toBeUndefined();
    expect(none.minFreeBytes).toBeUndefined();
    expect(none.firstDownloadConfirmBytes).toBeUndefined();
  });

  it('gives the updater DisableAutoUpdate and UpdateChannel (off and latest when not set)', () => {
    const stored = new SettingsStore({ read: () => ({}), write: () => undefined }).current;
    expect(resolveAppSettings(set({}), stored, '/home/ada').updates).toEqual({ disableAutoUpdate: false, updateChannel: 'latest' });
    expect(resolveAppSettings(set({ enforced: { DisableAutoUpdate: true }, defaults: { UpdateChannel: 'beta' } }), stored, '/home/ada').updates)
      .toEqual({ disableAutoUpdate: true, updateChannel: 'beta' });
  });

  it('machine policy beats user policy', () => {
    const stored = new SettingsStore({ read: () => ({}), write: () => undefined }).current;
    const view = resolveAppSettings(set({ enforced: { LogLevel: 'warn' } }, { enforced: { LogLevel: 'debug' } }), stored, '/home/ada');
    expect(view.effective.logLevel).toBe('warn');
  });

  it('locks the folder to DefaultSyncFolder with LockSyncFolder, ~ expanded', () => {
    const stored = new SettingsStore({ read: () => ({ folder: '/elsewhere' }), write: () => undefined }).current;
    const view = resolveAppSettings(set({ enforced: { LockSyncFolder: true }, defaults: { DefaultSyncFolder: '~/Acme' } }), stored, '/home/ada');
    expect(view.effective.folder).toBe('/home/ada/Acme');
    expect(view.managed).toEqual(['folder']);
  });
});

describe('the sync folder under policies', () => {
  it('with LockSyncFolder, offers only the organization\'s folder and syncs it once chosen', async () => {
    const w = world({ enforced: { LockSyncFolder: true, DefaultSyncFolder: '~/Acme' } });
    await w.policies.start();
    await w.controller.start();
    // The stored folder is not the locked one: nothing syncs until the organization's folder is set up.
    expect(w.engines).toEqual([]);
    expect(w.status.current.setup).toMatchObject({ step: 'choose-folder', suggestedFolder: '/home/ada/Acme' });
    expect(await w.controller.updatePreferences({ folder: '/tmp/mine' })).toEqual({ ok: false, message: 'Managed by your organization: folder cannot be changed here.' });
    // Whatever the picker would return, the locked folder is the one used.
    expect(await w.controller.chooseFolder('/tmp/mine', false)).toEqual({ ok: true });
    expect(w.created).toEqual(['/home/ada/Acme']);
    expect(w.engines.map((e) => e.settings.folder)).toEqual(['/home/ada/Acme']);
  });

  it('offers a DefaultSyncFolder default at the first run without locking it', async () => {
    let record: unknown = {};
    const settings = new SettingsStore({ read: () => record, write: (r) => { record = r; } });
    const policies = resolveAppSettings(set({ defaults: { DefaultSyncFolder: '~/Work/Stratus' } }), settings.current, '/home/ada');
    expect(policies.suggestedFolder).toBe('/home/ada/Work/Stratus');
    expect(policies.managed).toEqual([]);
  });
});

describe('notification level under policies', () => {
  const stored = (notifications: boolean) => new SettingsStore({ read: () => ({ notifications }), write: () => undefined }).current;
  it('is off when the user turned notifications off and nothing is enforced', () => {
    expect(resolveAppSettings(set({ defaults: { NotificationLevel: 'errors' } }), stored(false), '/h').notificationLevel).toBe('off');
  });
  it('follows a policy default while the switch is on', () => {
    expect(resolveAppSettings(set({ defaults: { NotificationLevel: 'errors' } }), stored(true), '/h').notificationLevel).toBe('errors');
    expect(resolveAppSettings(set({}), stored(true), '/h').notificationLevel).toBe('all');
  });
  it('follows an enforced level whatever the switch says, and shows notifications as managed', () => {
    const view = resolveAppSettings(set({ enforced: { NotificationLevel: 'attention' } }), stored(false), '/h');
    expect(view.notificationLevel).toBe('attention');
    expect(view.effective.notifications).toBe(true);
    expect(view.managed).toEqual(['notifications']);
  });
});

describe('the backend from policies', () => {
  const cognitoPolicies = {
    CognitoRegion: 'eu-west-1', CognitoUserPoolId: 'eu-west-1_AbCdEfGhI', CognitoAppClientId: 'client123', CognitoIdentityPoolId: 'eu-west-1:1234-abcd',
    CognitoHostedUiDomain: 'https://auth.acme.example', Bucket: 'acme-stratus', LockBackend: true,
  };

  it('makes the whole connection from policies alone: no config file needed', () => {
    const result = policyConnection(set({ enforced: cognitoPolicies }), undefined);
    expect(result.problems).toEqual([]);
    expect(result.byPolicy).toBe(true);
    expect(result.connection).toEqual({
      version: 1, auth: 'cognito', region: 'eu-west-1', bucket: 'acme-stratus',
      cognito: {
        issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI', clientId: 'client123', identityPoolId: 'eu-west-1:1234-abcd',
        redirectUri: 'http://localhost:53682/callback', hostedUiBase: 'https://auth.acme.example',
      },
    });
  });

  it('overrides the config file\'s backend with the enforced one (LockBackend drops its endpoint and prefix)', () => {
    const file: StratusConfig = { ...aws, endpoint: 'http://minio.home:9000', forcePathStyle: true };
    const result = policyConnection(set({ enforced: { ...cognitoPolicies, CognitoRedirectPort: 49152 } }), file);
    expect(result.connection).toMatchObject({ auth: 'cognito', region: 'eu-west-1', bucket: 'acme-stratus', cognito: { redirectUri: 'http://localhost:49152/callback' } });
    expect(result.connection?.endpoint).toBeUndefined();
    expect(result.connection?.prefix).toBeUndefined();
  });

  it('replaces only what is enforced without LockBackend', () => {
    const result = policyConnection(set({ enforced: { Bucket: 'acme-stratus' } }), aws);
    expect(result.connection).toEqual({ ...aws, bucket: 'acme-stratus' });
  });

  it('keeps the file\'s redirect port when the policies enforce the pool but not the port', () => {
    const file: StratusConfig = {
      version: 1, auth: 'cognito', region: 'eu-west-1', bucket: 'team-bucket',
      cognito: { issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Old', clientId: 'old', identityPoolId: 'eu-west-1:old', redirectUri: 'http://localhost:49000/callback' },
    };
    const result = policyConnection(set({ enforced: { CognitoUserPoolId: 'eu-west-1_New', CognitoAppClientId: 'new' } }), file);
    expect(result.connection?.cognito).toEqual({
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_New', clientId: 'new', identityPoolId: 'eu-west-1:old', redirectUri: 'http://localhost:49000/callback',
    });
  });

  it('refuses auth "aws" when AllowAwsAuthMode is false', () => {
    const result = policyConnection(set({ enforced: { AllowAwsAuthMode: false } }), aws);
    expect(result.connection).toBeUndefined();
    expect(result.problems[0]).toMatch(/AllowAwsAuthMode/);
    expect(policyConnection(set({}), aws).connection).toEqual(aws);
  });

  it('leaves the file\'s connection alone without backend policies, and uses none when the enforced ones are not enough', () => {
    expect(policyConnection(set({ enforced: { LogLevel: 'debug' } }), aws)).toEqual({ connection: aws, byPolicy: false, problems: [] });
    const broken = policyConnection(set({ enforced: { Bucket: 'acme-stratus', LockBackend: true } }), undefined);
    expect(broken.connection).toBeUndefined();
    expect(broken.problems.length).toBeGreaterThan(0);
  });
});

describe('log level filter', () => {
  it('keeps lines at or above the level', () => {
    expect(logLineAllowed('{"time":"t","level":"debug","module":"app","msg":"x"}', 'info')).toBe(false);
    expect(logLineAllowed('{"time":"t","level":"warn","module":"app","msg":"x"}', 'info')).toBe(true);
    expect(logLineAllowed('{"time":"t","level":"debug","module":"app","msg":"x"}', 'debug')).toBe(true);
  });
});
