/**
 * The Stratus configuration file: where the app and the CLI find the bucket,
 * the S3 endpoint and the sign-in settings. JSON, versioned, no secrets (tokens
 * live in the OS vault; the `aws` mode uses the AWS SDK's own credential chain).
 *
 *   {
 *     "version": 1,
 *     "auth": "cognito",                       // or "aws"
 *     "region": "us-east-1",
 *     "bucket": "stratus",
 *     "endpoint": "http://127.0.0.1:4566",      // optional: any S3-compatible server
 *     "forcePathStyle": true,                  // optional: path-style addressing
 *     "prefix": "team/ada/",                   // aws mode only: the prefix to sync
 *     "folder": "/home/ada/Stratus",           // optional: local sync root
 *     "cognito": {                             // cognito mode only
 *       "issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC",
 *       "clientId": "…", "identityPoolId": "us-east-1:…",
 *       "redirectUri": "http://localhost:53682/callback",
 *       "identityEndpoint": "http://127.0.0.1:4567",   // optional: Cognito Identity endpoint
 *       "hostedUiBase": "https://auth.example.com"      // optional: for /logout when discovery lacks it
 *     },
 *     "deviceName": "ada-laptop",              // optional: in conflicted-copy names (1–100 characters); the host name when absent
 *     "bandwidth": { "upBytesPerSecond": 1048576, "downBytesPerSecond": 4194304 },   // optional, each direction too: no limit
 *     "massDelete": { "maxFiles": 500, "maxRatio": 0.5 },   // optional: the mass-delete rail (both fields; these are the defaults)
 *     "logLevel": "info"                       // optional: debug, info, warn or error
 *   }
 *
 * The preference fields (deviceName, bandwidth, massDelete, logLevel) are the
 * Settings screen's `Preferences` (StratusApi.ts), under the same names and
 * rules as `isPreferences`, so the app's settings file — a superset of this
 * one (src/main/settings/appSettings.ts) — works as a CLI config file. The
 * app-only keys it also holds (startAtLogin, notifications, pauseOnBattery,
 * useSystemBrowser, allowPlaintextTokenStorage) are accepted and ignored
 * here: they mean nothing to the CLI. Any other unknown key is ignored too.
 */
import type { LogLevel, Preferences } from './StratusApi.js';

export interface CognitoSettings {
  readonly issuer: string;
  readonly clientId: string;
  readonly identityPoolId: string;
  readonly redirectUri: string;
  readonly identityEndpoint?: string;
  readonly hostedUiBase?: string;
}

export interface StratusConfig {
  readonly version: 1;
  readonly auth: 'cognito' | 'aws';
  readonly region: string;
  readonly bucket: string;
  readonly endpoint?: string;
  readonly forcePathStyle?: boolean;
  readonly prefix?: string;
  readonly folder?: string;
  readonly cognito?: CognitoSettings;
  /** Shown in conflicted-copy names and the change marker. @default os.hostname() */
  readonly deviceName?: string;
  /** Bytes per second per direction; a direction absent: no limit. `--limit-up` / `--limit-down` win over it. */
  readonly bandwidth?: Preferences['bandwidth'];
  /** The mass-delete rail. @default { maxFiles: 500, maxRatio: 0.5 } (DEFAULT_MASS_DELETE) */
  readonly massDelete?: Preferences['massDelete'];
  /** Logs at this level and above (the CLI: JSON lines on stderr; `--verbose` means debug). */
  readonly logLevel?: LogLevel;
}

/** The mass-delete rail when the config names none (the engine's own defaults, core/safety.ts). */
export const DEFAULT_MASS_DELETE: NonNullable<Preferences['massDelete']> = { maxFiles: 500, maxRatio: 0.5 };

export type ConfigResult = { readonly ok: true; readonly config: StratusConfig } | { readonly ok: false; readonly errors: string[] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An absolute http(s) URL with a host: checked by shape, since this layer has no URL class. */
const HTTP_URL = /^https?:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?(\/[^\s]*)?$/;

function checkUrl(errors: string[], field: string, value: unknown, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value !== 'string') errors.push(`${field} must be a URL string`);
  else if (!HTTP_URL.test(value)) errors.push(`${field} must be an http(s) URL such as https://example.com, got "${value}"`);
}

function checkString(errors: string[], field: string, value: unknown, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value !== 'string' || value === '') errors.push(`${field} must be a non-empty string`);
}

/** S3 bucket naming rules (the subset that catches typos: length, charset, shape). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Largest bandwidth limit accepted (1 TiB/s, as `isPreferences`): anything above is a typo, not a limit. */
const MAX_RATE = 2 ** 40;
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const BANDWIDTH_KEYS = ['upBytesPerSecond', 'downBytesPerSecond'];

function shown(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/** The preference fields, by `isPreferences`'s rules, each problem in one line. */
function checkPreferences(errors: string[], value: Record<string, unknown>): void {
  const deviceName = value['deviceName'];
  if (deviceName !== undefined && (typeof deviceName !== 'string' || deviceName.trim() === '' || deviceName.length > 100)) {
    errors.push(`deviceName must be a name of 1 to 100 characters, got ${typeof deviceName === 'string' && deviceName.length > 100 ? `${deviceName.length} characters` : shown(deviceName)}`);
  }
  const bandwidth = value['bandwidth'];
  if (bandwidth !== undefined) {
    if (!isRecord(bandwidth)) {
      errors.push(`bandwidth must be an object like {"upBytesPerSecond": 1048576, "downBytesPerSecond": 4194304}, got ${shown(bandwidth)}`);
    } else {
      const unknown = Object.keys(bandwidth).filter((key) => !BANDWIDTH_KEYS.includes(key));
      if (unknown.length > 0) errors.push(`bandwidth has unknown keys ${unknown.map((k) => `"${k}"`).join(', ')}: use upBytesPerSecond and downBytesPerSecond`);
      for (const key of BANDWIDTH_KEYS) {
        const rate = bandwidth[key];
        if (rate !== undefined && !(Number.isSafeInteger(rate) && (rate as number) >= 1 && (rate as number) <= MAX_RATE)) {
          errors.push(`bandwidth.${key} must be a whole number of bytes per second from 1 to ${MAX_RATE} (leave it out for no limit), got ${shown(rate)}`);
        }
      }
    }
  }
  const massDelete = value['massDelete'];
  if (massDelete !== undefined) {
    if (!isRecord(massDelete)) {
      errors.push(`massDelete must be an object like {"maxFiles": 500, "maxRatio": 0.5}, got ${shown(massDelete)}`);
    } else {
      const files = massDelete['maxFiles'];
      const ratio = massDelete['maxRatio'];
      if (!(Number.isSafeInteger(files) && (files as number) >= 1)) errors.push(`massDelete.maxFiles must be a whole number of files, 1 or more, got ${shown(files)}`);
      if (!(typeof ratio === 'number' && ratio > 0 && ratio <= 1)) errors.push(`massDelete.maxRatio must be a number above 0 and at most 1 (0.5 = half the synced files), got ${shown(ratio)}`);
    }
  }
  const logLevel = value['logLevel'];
  if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel as LogLevel)) {
    errors.push(`logLevel must be one of ${LOG_LEVELS.map((l) => `"${l}"`).join(', ')}, got ${shown(logLevel)}`);
  }
}

/** Validates a parsed config file; every problem is listed, each in one line. */
export function parseStratusConfig(value: unknown): ConfigResult {
  const errors: string[] = [];
  if (!isRecord(value)) return { ok: false, errors: ['the config must be a JSON object'] };
  if (value['version'] !== 1) errors.push(`version must be 1, got ${JSON.stringify(value['version'])}`);
  if (value['auth'] !== 'cognito' && value['auth'] !== 'aws') errors.push('auth must be "cognito" or "aws"');
  checkString(errors, 'region', value['region'], true);
  checkString(errors, 'bucket', value['bucket'], true);
  if (typeof value['bucket'] === 'string' && !BUCKET_NAME.test(value['bucket'])) {
    errors.push(`bucket "${value['bucket']}" is not a valid S3 bucket name`);
  }
  checkUrl(errors, 'endpoint', value['endpoint'], false);
  if (value['forcePathStyle'] !== undefined && typeof value['forcePathStyle'] !== 'boolean') {
    errors.push('forcePathStyle must be true or false');
  }
  checkString(errors, 'folder', value['folder'], false);
  if (value['auth'] === 'aws') {
    checkString(errors, 'prefix', value['prefix'], true);
    if (typeof value['prefix'] === 'string' && (value['prefix'].startsWith('/') || !value['prefix'].endsWith('/'))) {
      errors.push('prefix must not start with "/" and must end with "/" (e.g. "team/ada/")');
    }
  }
  if (value['auth'] === 'cognito') {
    const cognito = value['cognito'];
    if (!isRecord(cognito)) {
      errors.push('cognito settings are required when auth is "cognito"');
    } else {
      checkUrl(errors, 'cognito.issuer', cognito['issuer'], true);
      checkString(errors, 'cognito.clientId', cognito['clientId'], true);
      checkString(errors, 'cognito.identityPoolId', cognito['identityPoolId'], true);
      checkUrl(errors, 'cognito.redirectUri', cognito['redirectUri'], true);
      checkUrl(errors, 'cognito.identityEndpoint', cognito['identityEndpoint'], false);
      checkUrl(errors, 'cognito.hostedUiBase', cognito['hostedUiBase'], false);
    }
  }
  checkPreferences(errors, value);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config: value as unknown as StratusConfig };
}
