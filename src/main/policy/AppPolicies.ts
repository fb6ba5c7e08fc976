/**
 * The desktop app's side of managed configuration (issue 9): reads the
 * policies (the PolicySources composition.ts gets once from
 * platformPolicySources) at start, whenever the Settings screen asks, and
 * every 5 minutes, and resolves the app's settings against the last read with
 * the engine's precedence (resolveSettings). Nothing older than the last read
 * is kept: a policy the admin removed stops applying at the next read.
 *
 *   app setting          policy setting(s)
 *   bandwidth         ↔  uploadLimitKiBps / downloadLimitKiBps (KiB/s ↔ bytes/s)
 *   massDelete        ↔  massDeleteMaxFiles / massDeleteMaxPercent (percent ↔ ratio)
 *   notifications     ↔  notificationLevel ('off' when the switch is off, unless enforced)
 *   startAtLogin, logLevel, folder (DefaultSyncFolder/LockSyncFolder)
 *   useSystemBrowser  ↔  LoginInSystemBrowser; deviceName has no policy
 *
 * The settings store fills built-in defaults on read, so a stored value equal
 * to the built-in default counts as "not set by the user" and a policy default
 * applies over it (the store cannot tell the two apart).
 *
 * Enforced backend policies override the connection the config file gives;
 * with enough of them (region, bucket, and the Cognito ids) no file is needed.
 * Read problems go to the log. Emits `onDidChange` after a read that changed
 * what the policies say. Plain Node: tested with a fake PolicySource.
 */
import { Emitter, type Disposable, type Event } from '../../core/Emitter.js';
import type { Logger } from '../../engine/logger.js';
import type { PolicySources } from '../../engine/policy/platformPolicySources.js';
import { EMPTY_LAYER, readPolicySet, type PolicySet, type PolicyValue } from '../../engine/policy/PolicySource.js';
import { managedPreferences } from '../../engine/policy/managedPreferences.js';
import { resolveSettings, sameValue, type ResolvedSetting, type ResolvedSettings, type SettingValues } from '../../engine/policy/resolveSettings.js';
import type { PreferenceKey } from '../../shared/StratusApi.js';
import { parseStratusConfig, type StratusConfig } from '../../shared/StratusConfig.js';
import { DEFAULT_PREFERENCES, type AppSettings, type LogLevel } from '../settings/appSettings.js';
import type { NotificationLevel } from '../notificationPlanner.js';
import { networkSettingsOf } from '../../engine/net/networkSettingsOf.js';
import type { NetworkSettings } from '../../engine/net/proxySettings.js';

/** What the app applies from the policies, for one set of user settings. */
export interface AppPolicyView {
  /** The user's settings with every policy value applied (what the app uses). */
  readonly effective: AppSettings;
  /** Preferences the user cannot change: "Managed by your organization". */
  readonly managed: readonly PreferenceKey[];
  readonly notificationLevel: NotificationLevel;
  /** AdminIgnorePatterns (enforced only), applied before `.stratusignore`. */
  readonly adminIgnorePatterns: readonly string[];
  /** DefaultSyncFolder (enforced or a default, `~` expanded): the folder the first run offers. */
  readonly suggestedFolder?: string;
  /** ProxyUrl, ProxyBypassList, ExtraCaCertificates: how the engine process reaches the network. */
  readonly network: NetworkSettings;
  /** SkipFirstRunTour: the first run still signs in and chooses the folder, but explains nothing. */
  readonly skipFirstRunTour: boolean;
  /** The LoginHint policy, sent to the hosted UI. */
  readonly loginHint?: string;
  /** MinimumFreeDiskMiB in bytes, when a policy sets it (the engine's own floor otherwise). */
  readonly minFreeBytes?: number;
  /** FirstDownloadConfirmAboveMiB in bytes, when a policy sets it (never asks otherwise). */
  readonly firstDownloadConfirmBytes?: number;
  /** DisableAutoUpdate and UpdateChannel, for the updater (updates/updatePolicy.ts). */
  readonly updates: { readonly disableAutoUpdate: boolean; readonly updateChannel: 'latest' | 'beta' };
}

export interface PolicyConnection {
  /** The connection to use: the given one with enforced backend policies over it, or one built from the policies. */
  readonly connection?: StratusConfig;
  /** True when a policy changed or made the connection. */
  readonly byPolicy: boolean;
  readonly problems: readonly string[];
}

export interface AppPolicyTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface AppPoliciesOptions {
  readonly sources: PolicySources;
  /** The user's home folder (`~` and `%USERPROFILE%` in DefaultSyncFolder). */
  readonly home: string;
  readonly log?: Logger;
  /** @default globalThis timers */
  readonly timers?: AppPolicyTimers;
  /** @default 5 min */
  readonly intervalMs?: number;
}

const KiB = 1024;
const EMPTY_SET: PolicySet = { machine: EMPTY_LAYER, user: EMPTY_LAYER };

function expandHome(path: string, home: string): string {
  if (path === '~' || path.startsWith('~/') || path.startsWith('~\\')) return home + path.slice(1);
  return path.replace(/^%USERPROFILE%/i, home);
}

/** The app's settings as policy settings (camelCase), the built-in defaults left out (see the header). */
export function userSettingValues(settings: AppSettings): SettingValues {
  const values: Record<string, PolicyValue> = {};
  const { bandwidth, massDelete } = settings;
  if (bandwidth.upBytesPerSecond !== undefined) values['uploadLimitKiBps'] = Math.max(1, Math.round(bandwidth.upBytesPerSecond / KiB));
  if (bandwidth.downBytesPerSecond !== undefined) values['downloadLimitKiBps'] = Math.max(1, Math.round(bandwidth.downBytesPerSecond / KiB));
  if (massDelete.maxFiles !== DEFAULT_PREFERENCES.massDelete.maxFiles) values['massDeleteMaxFiles'] = massDelete.maxFiles;
  if (massDelete.maxRatio !== DEFAULT_PREFERENCES.massDelete.maxRatio) values['massDeleteMaxPercent'] = Math.max(1, Math.round(massDelete.maxRatio * 100));
  if (!settings.notifications) values['notificationLevel'] = 'off';
  if (settings.startAtLogin !== DEFAULT_PREFERENCES.startAtLogin) values['startAtLogin'] = settings.startAtLogin;
  if (settings.useSystemBrowser !== DEFAULT_PREFERENCES.useSystemBrowser) values['useSystemBrowser'] = settings.useSystemBrowser;
  if (settings.logLevel !== DEFAULT_PREFERENCES.logLevel) values['logLevel'] = settings.logLevel;
  if (settings.folder !== undefined) values['folder'] = settings.folder;
  return values;
}

function resolveFor(policies: PolicySet, settings: AppSettings, home: string): ResolvedSettings {
  const trim = (p: string): string => p.replace(/[\\/]+$/, '');
  return resolveSettings({ policies, user: userSettingValues(settings) }, {
    sameValue: (setting, given, locked) =>
      setting === 'folder' && typeof given === 'string' && typeof locked === 'string'
        ? trim(expandHome(given, home)) === trim(expandHome(locked, home))
        : sameValue(given, locked),
  });
}

/** Set by a policy (enforced, a policy default, or held by a lock): the value the app uses instead of its own. */
function fromPolicy(r: ResolvedSetting | undefined): PolicyValue | undefined {
  if (r === undefined || r.value === null) return undefined;
  return r.source === 'policy' || r.source === 'policy-default' || r.locked ? r.value : undefined;
}

/** The app's settings resolved against `policies` (pure). */
export function resolveAppSettings(policies: PolicySet, settings: AppSettings, home: string): AppPolicyView {
  const { settings: r } = resolveFor(policies, settings, home);
  const num = (name: string): number | undefined => {
    const v = fromPolicy(r[name]);
    return typeof v === 'number' ? v : undefined;
  };
  const bool = (name: string, mine: boolean): boolean => {
    const v = fromPolicy(r[name]);
    return typeof v === 'boolean' ? v : mine;
  };
  const locked = (name: string): boolean => r[name]?.locked === true;

  const up = num('uploadLimitKiBps');
  const down = num('downloadLimitKiBps');
  const bandwidth = {
    ...(up !== undefined ? { upBytesPerSecond: up * KiB } : settings.bandwidth.upBytesPerSecond === undefined ? {} : { upBytesPerSecond: settings.bandwidth.upBytesPerSecond }),
    ...(down !== undefined ? { downBytesPerSecond: down * KiB } : settings.bandwidth.downBytesPerSecond === undefined ? {} : { downBytesPerSecond: settings.bandwidth.downBytesPerSecond }),
  };
  const maxFiles = num('massDeleteMaxFiles');
  const maxPercent = num('massDeleteMaxPercent');
  const massDelete = {
    maxFiles: maxFiles ?? settings.massDelete.maxFiles,
    maxRatio: maxPercent === undefined ? settings.massDelete.maxRatio : maxPercent / 100,
  };
  const levelValue = r['notificationLevel']?.value;
  const level: NotificationLevel = typeof levelValue === 'string' ? (levelValue as NotificationLevel) : 'all';
  // Off by the user's switch unless the organization enforces a level.
  const notificationLevel: NotificationLevel = !settings.notifications && !locked('notificationLevel') ? 'off' : level;
  const logValue = fromPolicy(r['logLevel']);
  const folderValue = locked('folder') ? fromPolicy(r['folder']) : undefined;
  const folder = typeof folderValue === 'string' ? expandHome(folderValue, home) : settings.folder;
  const adminValue = r['adminIgnorePatterns'];
  const suggested = fromPolicy(r['folder']);
  const effective: AppSettings = {
    ...settings,
    ...(folder === undefined ? {} : { folder }),
    bandwidth,
    massDelete,
    notifications: locked('notificationLevel') ? level !== 'off' : settings.notifications,
    startAtLogin: bool('startAtLogin', settings.startAtLogin),
    useSystemBrowser: bool('useSystemBrowser', settings.useSystemBrowser),
    logLevel: typeof logValue === 'string' ? (logValue as LogLevel) : settings.logLevel,
  };
  const managed = managedPreferences(r);
  return {
    effective,
    managed,
    notificationLevel,
    adminIgnorePatterns: adminValue?.source === 'policy' && Array.isArray(adminValue.value) ? adminValue.value : [],
    ...(typeof suggested === 'string' ? { suggestedFolder: expandHome(suggested, home) } : {}),
    network: networkSettingsOf(r),
    skipFirstRunTour: fromPolicy(r['skipFirstRunTour']) === true,
    ...(typeof fromPolicy(r['loginHint']) === 'string' && fromPolicy(r['loginHint']) !== '' ? { loginHint: fromPolicy(r['loginHint']) as string } : {}),
    ...(num('minimumFreeDiskMiB') === undefined ? {} : { minFreeBytes: (num('minimumFreeDiskMiB') ?? 0) * 1024 * KiB }),
    ...(num('firstDownloadConfirmAboveMiB') === undefined ? {} : { firstDownloadConfirmBytes: (num('firstDownloadConfirmAboveMiB') ?? 0) * 1024 * KiB }),
    updates: {
      disableAutoUpdate: r['disableAutoUpdate']?.value === true,
      updateChannel: r['updateChannel']?.value === 'beta' ? 'beta' : 'latest',
    },
  };
}

const BACKEND_SETTINGS = ['region', 'bucket', 'endpoint', 'cognitoUserPoolId', 'cognitoAppClientId', 'cognitoHostedUiDomain', 'cognitoIdentityPoolId', 'cognitoRedirectPort'];

/**
 * The connection with the backend policies over `base` (pure). Enforced values
 * (and, with LockBackend, "not set") replace the file's; a config file is the
 * user's whole connection, so policy defaults only fill around enforced values
 * or make the connection when there is no file. The Cognito block is derived
 * as the CLI does (policyCheck fillCognito). AllowAwsAuthMode false refuses
 * auth "aws"; an enforced user pool makes a file's "aws" connection Cognito
 * only with LockBackend or without a file (the CLI lets "aws" be chosen too).
 */
export function policyConnection(policies: PolicySet, base: StratusConfig | undefined): PolicyConnection {
  const { settings: r } = resolveSettings({ policies });
  const lockBackend = r['lockBackend']?.value === true;
  const enforced = BACKEND_SETTINGS.filter((s) => r[s]?.source === 'policy');
  const given = BACKEND_SETTINGS.filter((s) => r[s]?.source === 'policy' || r[s]?.source === 'policy-default');
  const awsRefused = ['the policy AllowAwsAuthMode = false set by your organization forbids auth "aws" (the AWS credential chain), and the policies name no Cognito user pool to sign in to'];
  // The app's "aws" mode has the CLI's risk (any credentials, any prefix): the same policy governs it.
  if (!lockBackend && enforced.length === 0 && base?.auth === 'aws' && r['allowAwsAuthMode']?.value === false && given.length === 0) return { byPolicy: true, problems: awsRefused };
  if (!lockBackend && enforced.length === 0 && (base !== undefined || given.length === 0)) return { ...(base === undefined ? {} : { connection: base }), byPolicy: false, problems: [] };

  const str = (setting: string): string | undefined => {
    const v = r[setting];
    // An enforced value or a lock wins; a policy default only fills what the base does not give.
    return typeof v?.value === 'string' && v.source !== 'default' ? v.value : undefined;
  };
  const overrides = (setting: string): boolean => r[setting]?.source === 'policy' || lockBackend || base === undefined;
  const raw: Record<string, unknown> = lockBackend ? { version: 1 } : { ...(base ?? { version: 1 }) };
  if (lockBackend && base?.forcePathStyle !== undefined) raw['forcePathStyle'] = base.forcePathStyle;
  for (const [setting, field] of [['region', 'region'], ['bucket', 'bucket'], ['endpoint', 'endpoint']] as const) {
    const value = str(setting);
    if (overrides(setting)) {
      if (value !== undefined) raw[field] = value;
      else if (lockBackend) delete raw[field];
    } else if (raw[field] === undefined && value !== undefined) raw[field] = value;
  }
  if (raw['endpoint'] !== undefined && raw['forcePathStyle'] === undefined) raw['forcePathStyle'] = true;

  const poolId = str('cognitoUserPoolId');
  const clientId = str('cognitoAppClientId');
  const identityPoolId = str('cognitoIdentityPoolId');
  const domain = str('cognitoHostedUiDomain');
  const cognitoByPolicy = poolId !== undefined || clientId !== undefined || identityPoolId !== undefined || domain !== undefined;
  const baseCognito = lockBackend ? undefined : base?.cognito;
  if (cognitoByPolicy) {
    const region = typeof raw['region'] === 'string' ? raw['region'] : poolId?.split('_')[0];
    const port = r['cognitoRedirectPort'];
    const redirectUri = typeof port?.value === 'number' ? `http://localhost:${port.value}/callback` : undefined;
    const policyCognito: Record<string, unknown> = {
      ...(poolId === undefined || region === undefined ? {} : { issuer: `https://cognito-idp.${region}.amazonaws.com/${poolId}` }),
      ...(clientId === undefined ? {} : { clientId }),
      ...(identityPoolId === undefined ? {} : { identityPoolId }),
      // The built-in port only where nothing else gives one (a lock holds it even to the built-in one).
      ...(redirectUri === undefined || (port?.source === 'default' && !lockBackend) ? {} : { redirectUri }),
      ...(domain === undefined ? {} : { hostedUiBase: domain }),
    };
    // Enforced ids replace the file's; defaults only fill the gaps.
    const enforcedCognito = enforced.some((s) => s.startsWith('cognito'));
    const cognito = enforcedCognito || baseCognito === undefined ? { ...baseCognito, ...policyCognito } : { ...policyCognito, ...baseCognito };
    if (cognito['redirectUri'] === undefined && redirectUri !== undefined) cognito['redirectUri'] = redirectUri;
    raw['cognito'] = cognito;
    if (base === undefined || lockBackend || base.auth === 'cognito' || r['allowAwsAuthMode']?.value === false) {
      raw['auth'] = 'cognito';
      delete raw['prefix'];
    }
  } else if (lockBackend) {
    if (base?.auth === 'cognito') return { byPolicy: true, problems: ['the policy LockBackend is set but the policies name no Cognito user pool: only your organization\'s backend may be used'] };
    raw['auth'] = base?.auth ?? 'cognito';
    if (base?.prefix !== undefined) raw['prefix'] = base.prefix;
  }
  if (raw['auth'] === 'aws' && r['allowAwsAuthMode']?.value === false) {
    return { byPolicy: true, problems: awsRefused };
  }
  const parsed = parseStratusConfig(raw);
  if (parsed.ok) return { connection: parsed.config, byPolicy: true, problems: [] };
  const problems = parsed.errors.map((line) => `the backend policies do not make a usable connection: ${line}`);
  // Enforced values cannot fall back to another backend; defaults alone can.
  if (lockBackend || enforced.length > 0) return { byPolicy: true, problems };
  return { ...(base === undefined ? {} : { connection: base }), byPolicy: false, problems };
}

export class AppPolicies implements Disposable {
  private set: PolicySet = EMPTY_SET;
  private timer: unknown;
  /** The problems logged at the last read: the same ones are not logged again every 5 minutes. */
  private loggedProblems = '';
  private readonly timers: AppPolicyTimers;
  private readonly didChange = new Emitter<void>();
  /** After a read that changed what the policies say. */
  readonly onDidChange: Event<void> = this.didChange.event;

  constructor(private readonly o: AppPoliciesOptions) {
    this.timers = o.timers ?? { setInterval: (fn, ms) => setInterval(fn, ms), clearInterval: (h) => clearInterval(h as NodeJS.Timeout) };
  }

  /** The policies as last read (empty before the first read). */
  get policies(): PolicySet {
    return this.set;
  }

  /** Reads the policies afresh (never throws: a reader that fails counts as "no policies" and is logged). */
  async refresh(): Promise<PolicySet> {
    let next: PolicySet;
    try {
      next = await readPolicySet(this.o.sources);
    } catch (err) {
      this.o.log?.warn('the policies could not be read', { error: err instanceof Error ? err.message : String(err) });
      next = EMPTY_SET;
    }
    const problems = [...next.machine.problems, ...next.user.problems];
    if (problems.join('\n') !== this.loggedProblems) for (const problem of problems) this.o.log?.warn('a policy was not applied', { problem });
    this.loggedProblems = problems.join('\n');
    const changed = JSON.stringify(strip(next)) !== JSON.stringify(strip(this.set));
    this.set = next;
    if (changed) this.didChange.fire();
    return next;
  }

  /** First read, then one every `intervalMs`. */
  async start(): Promise<void> {
    await this.refresh();
    if (this.timer === undefined) {
      this.timer = this.timers.setInterval(() => void this.refresh(), this.o.intervalMs ?? 5 * 60_000);
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  /** `settings` resolved against the last read. */
  resolve(settings: AppSettings): AppPolicyView {
    return resolveAppSettings(this.set, settings, this.o.home);
  }

  /** The connection to use, from the last read (see policyConnection); problems are logged. */
  connection(base: StratusConfig | undefined): PolicyConnection {
    const result = policyConnection(this.set, base);
    for (const problem of result.problems) this.o.log?.warn('the backend policies were not applied', { problem });
    return result;
  }

  dispose(): void {
    if (this.timer !== undefined) this.timers.clearInterval(this.timer);
    this.timer = undefined;
    this.didChange.dispose();
  }
}

const LEVEL_ORDER: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Whether a log line (the logger's JSON, `"level"` its second field) is at `level` or above; a line without one is kept. */
export function logLineAllowed(line: string, level: LogLevel): boolean {
  const match = /"level":"(debug|info|warn|error)"/.exec(line);
  return match?.[1] === undefined || LEVEL_ORDER[match[1] as LogLevel] >= LEVEL_ORDER[level];
}

function strip(set: PolicySet): unknown {
  return { machine: [set.machine.enforced, set.machine.defaults], user: [set.user.enforced, set.user.defaults] };
}
