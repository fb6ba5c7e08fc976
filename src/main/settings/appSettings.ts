/**
 * The desktop app's settings: their shape, JSON schema, defaults and the one
 * validator every read goes through (`readSettings`). No electron import, so
 * all of it is tested in plain Node; ElectronSettingsStore.ts keeps them in
 * electron-store (`<userData>/settings.json`) with this schema.
 *
 * The file is a superset of the CLI's config file (src/shared/StratusConfig.ts):
 * the connection fields (version, auth, region, bucket, endpoint,
 * forcePathStyle, prefix, folder, cognito) sit at the top level under the same
 * names and are validated by the same `parseStratusConfig`, so
 * `stratus --config <userData>/settings.json …` reads the same connection, and
 * the app-only fields below use the names a CLI config file would use:
 *
 *   {
 *     "version": 1, "auth": "cognito", "region": "…", "bucket": "…", "cognito": { … },   // StratusConfig
 *     "folder": "/home/ada/Stratus",
 *     "deviceName": "ada-laptop",                 // optional: conflicted-copy names; the host name when absent
 *     "startAtLogin": true,
 *     "notifications": true,                      // off means off for every kind
 *     "bandwidth": { "upBytesPerSecond": 1048576, "downBytesPerSecond": 4194304 },   // each optional: no limit
 *     "pauseOnBattery": false,
 *     "massDelete": { "maxFiles": 500, "maxRatio": 0.5 },   // core/safety.ts's rail
 *     "logLevel": "info",
 *     "useSystemBrowser": false,                  // sign in in the system browser instead of the login window
 *     "allowPlaintextTokenStorage": false         // Linux without a keyring: keep the sign-in in a 0600 file
 *   }
 *
 * No secrets, ever: tokens live in SafeStorageTokenVault, AWS credentials in memory.
 */
import { parseStratusConfig, type StratusConfig } from '../../shared/StratusConfig.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export interface BandwidthSettings {
  /** Bytes per second; absent means no limit. */
  readonly upBytesPerSecond?: number;
  readonly downBytesPerSecond?: number;
}

export interface MassDeleteSettings {
  /** More deletes than this in one run stop and ask. @default 500 */
  readonly maxFiles: number;
  /** More than this share of the synced files (above 10 deletes) stops and asks. @default 0.5 */
  readonly maxRatio: number;
}

/** The app's own preferences (everything but the connection). */
export interface AppPreferences {
  /** Absolute path of the sync folder; absent until chosen (first run). */
  readonly folder?: string;
  readonly deviceName?: string;
  /** @default true */
  readonly startAtLogin: boolean;
  /** @default true */
  readonly notifications: boolean;
  /** @default {} (no limits) */
  readonly bandwidth: BandwidthSettings;
  /** @default false */
  readonly pauseOnBattery: boolean;
  readonly massDelete: MassDeleteSettings;
  /** @default 'info' */
  readonly logLevel: LogLevel;
  /** @default false */
  readonly useSystemBrowser: boolean;
  /** @default false */
  readonly allowPlaintextTokenStorage: boolean;
}

/** Keys of the connection part: StratusConfig's, minus `folder` (a preference of its own). */
export const CONNECTION_KEYS = ['version', 'auth', 'region', 'bucket', 'endpoint', 'forcePathStyle', 'prefix', 'cognito'] as const;

export const DEFAULT_PREFERENCES: AppPreferences = {
  startAtLogin: true,
  notifications: true,
  bandwidth: {},
  pauseOnBattery: false,
  massDelete: { maxFiles: 500, maxRatio: 0.5 },
  logLevel: 'info',
  useSystemBrowser: false,
  allowPlaintextTokenStorage: false,
};

/** Largest bandwidth limit accepted (1 TiB/s): anything above is a typo, not a limit. */
const MAX_RATE = 2 ** 40;

/**
 * The JSON schema electron-store validates the file with (ajv, draft 2020-12:
 * the `properties` of the root object). It checks types and ranges; the
 * connection's rules (bucket names, URLs, cognito for auth "cognito") are
 * `parseStratusConfig`'s, not repeated here.
 */
export const SETTINGS_SCHEMA = {
  version: { type: 'integer', const: 1 },
  auth: { enum: ['cognito', 'aws'] },
  region: { type: 'string' },
  bucket: { type: 'string' },
  endpoint: { type: 'string' },
  forcePathStyle: { type: 'boolean' },
  prefix: { type: 'string' },
  cognito: { type: 'object' },
  folder: { type: 'string', minLength: 1 },
  deviceName: { type: 'string', minLength: 1, maxLength: 100 },
  startAtLogin: { type: 'boolean', default: DEFAULT_PREFERENCES.startAtLogin },
  notifications: { type: 'boolean', default: DEFAULT_PREFERENCES.notifications },
  bandwidth: {
    type: 'object',
    properties: {
      upBytesPerSecond: { type: 'integer', minimum: 1, maximum: MAX_RATE },
      downBytesPerSecond: { type: 'integer', minimum: 1, maximum: MAX_RATE },
    },
    additionalProperties: false,
    default: {},
  },
  pauseOnBattery: { type: 'boolean', default: DEFAULT_PREFERENCES.pauseOnBattery },
  massDelete: {
    type: 'object',
    properties: {
      maxFiles: { type: 'integer', minimum: 1 },
      maxRatio: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    },
    required: ['maxFiles', 'maxRatio'],
    additionalProperties: false,
    default: DEFAULT_PREFERENCES.massDelete,
  },
  logLevel: { enum: LOG_LEVELS, default: DEFAULT_PREFERENCES.logLevel },
  useSystemBrowser: { type: 'boolean', default: DEFAULT_PREFERENCES.useSystemBrowser },
  allowPlaintextTokenStorage: { type: 'boolean', default: DEFAULT_PREFERENCES.allowPlaintextTokenStorage },
} as const;

/** The whole settings file, as read. */
export interface AppSettings extends AppPreferences {
  /** The validated connection; absent when the file has none (or a broken one: see `problems`). */
  readonly connection?: StratusConfig;
}

export interface SettingsRead {
  readonly settings: AppSettings;
  /** One line per value that was ignored (and replaced by its default), naming the field. */
  readonly problems: readonly string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRate(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= MAX_RATE;
}

/**
 * Reads a settings object (the store's contents, or a file someone edited):
 * every valid value is kept, every invalid one is replaced by its default and
 * named in `problems`. Never throws.
 */
export function readSettings(raw: unknown): SettingsRead {
  const problems: string[] = [];
  const r = isRecord(raw) ? raw : {};
  if (!isRecord(raw)) problems.push('the settings are not a JSON object; using the defaults');
  const bool = (key: keyof AppPreferences & string, fallback: boolean): boolean => {
    const v = r[key];
    if (v === undefined) return fallback;
    if (typeof v === 'boolean') return v;
    problems.push(`${key} must be true or false; using ${String(fallback)}`);
    return fallback;
  };
  const text = (key: 'folder' | 'deviceName', max: number): string | undefined => {
    const v = r[key];
    if (v === undefined) return undefined;
    if (typeof v === 'string' && v.trim() !== '' && v.length <= max) return v;
    problems.push(`${key} must be a non-empty string; ignored`);
    return undefined;
  };

  const folder = text('folder', 4096);
  const deviceName = text('deviceName', 100);

  let bandwidth: BandwidthSettings = {};
  if (r['bandwidth'] !== undefined) {
    const b = r['bandwidth'];
    if (!isRecord(b)) problems.push('bandwidth must be an object like {"upBytesPerSecond": 1048576}; no limits used');
    else {
      const up = b['upBytesPerSecond'];
      const down = b['downBytesPerSecond'];
      if (up !== undefined && !isRate(up)) problems.push('bandwidth.upBytesPerSecond must be a whole number of bytes per second (1 or more); no upload limit used');
      if (down !== undefined && !isRate(down)) problems.push('bandwidth.downBytesPerSecond must be a whole number of bytes per second (1 or more); no download limit used');
      bandwidth = { ...(isRate(up) ? { upBytesPerSecond: up } : {}), ...(isRate(down) ? { downBytesPerSecond: down } : {}) };
    }
  }

  let massDelete = DEFAULT_PREFERENCES.massDelete;
  if (r['massDelete'] !== undefined) {
    const m = r['massDelete'];
    const files = isRecord(m) ? m['maxFiles'] : undefined;
    const ratio = isRecord(m) ? m['maxRatio'] : undefined;
    const filesOk = Number.isSafeInteger(files) && (files as number) >= 1;
    const ratioOk = typeof ratio === 'number' && ratio > 0 && ratio <= 1;
    if (!filesOk) problems.push(`massDelete.maxFiles must be a whole number of files (1 or more); using ${DEFAULT_PREFERENCES.massDelete.maxFiles}`);
    if (!ratioOk) problems.push(`massDelete.maxRatio must be a number above 0 and at most 1; using ${DEFAULT_PREFERENCES.massDelete.maxRatio}`);
    massDelete = {
      maxFiles: filesOk ? (files as number) : DEFAULT_PREFERENCES.massDelete.maxFiles,
      maxRatio: ratioOk ? ratio : DEFAULT_PREFERENCES.massDelete.maxRatio,
    };
  }

  let logLevel = DEFAULT_PREFERENCES.logLevel;
  if (r['logLevel'] !== undefined) {
    if (LOG_LEVELS.includes(r['logLevel'] as LogLevel)) logLevel = r['logLevel'] as LogLevel;
    else problems.push(`logLevel must be one of ${LOG_LEVELS.join(', ')}; using ${logLevel}`);
  }

  const { connection, problems: connectionProblems } = readConnection(r);
  problems.push(...connectionProblems);

  return {
    settings: {
      ...(folder === undefined ? {} : { folder }),
      ...(deviceName === undefined ? {} : { deviceName }),
      startAtLogin: bool('startAtLogin', DEFAULT_PREFERENCES.startAtLogin),
      notifications: bool('notifications', DEFAULT_PREFERENCES.notifications),
      bandwidth,
      pauseOnBattery: bool('pauseOnBattery', DEFAULT_PREFERENCES.pauseOnBattery),
      massDelete,
      logLevel,
      useSystemBrowser: bool('useSystemBrowser', DEFAULT_PREFERENCES.useSystemBrowser),
      allowPlaintextTokenStorage: bool('allowPlaintextTokenStorage', DEFAULT_PREFERENCES.allowPlaintextTokenStorage),
      ...(connection === undefined ? {} : { connection }),
    },
    problems,
  };
}

/**
 * The connection part of a settings object or CLI config file: absent when
 * none of its fields is there, else `parseStratusConfig`'s verdict (problems
 * prefixed so a person knows it is about the connection).
 */
export function readConnection(raw: Readonly<Record<string, unknown>>): { connection?: StratusConfig; problems: string[] } {
  const present = CONNECTION_KEYS.filter((key) => key !== 'version' && raw[key] !== undefined);
  if (present.length === 0) return { problems: [] };
  const candidate: Record<string, unknown> = { version: 1 };
  for (const key of CONNECTION_KEYS) if (raw[key] !== undefined) candidate[key] = raw[key];
  const parsed = parseStratusConfig(candidate);
  if (!parsed.ok) return { problems: parsed.errors.map((line) => `connection: ${line}`) };
  return { connection: parsed.config, problems: [] };
}

/** The flat object to write for `settings` (the inverse of readSettings for valid settings). */
export function settingsRecord(settings: AppSettings): Record<string, unknown> {
  const { connection, ...preferences } = settings;
  const flat: Record<string, unknown> = { ...preferences };
  if (connection !== undefined) {
    for (const key of CONNECTION_KEYS) {
      const value = (connection as unknown as Record<string, unknown>)[key];
      if (value !== undefined) flat[key] = value;
    }
  }
  return flat;
}

/** The safety policy the engine applies from the mass-delete setting (core/safety.ts's names). */
export function safetyPolicyFrom(settings: Pick<AppPreferences, 'massDelete'>): { readonly maxDeletes: number; readonly maxDeleteRatio: number } {
  return { maxDeletes: settings.massDelete.maxFiles, maxDeleteRatio: settings.massDelete.maxRatio };
}
