/**
 * The message protocol between the app's main process and the engine process
 * (an Electron utilityProcess: plain Node, crash-isolated from the UI; issue 8).
 * Structured-clone-safe DTOs only; both sides validate what they receive with
 * the functions below. The engine process never learns anything about windows,
 * and main never touches the journal: the journal is the truth, so an engine
 * process that dies loses nothing — main starts a new one.
 */
import type { CommandResult, Preferences, StatusSnapshot, StratusCommand } from './StratusApi.js';
import { isCommandResult, isPreferences, isStatusSnapshot, isStratusCommand } from './validators.js';

/** AWS credentials for the engine's S3 client (never logged; sent over the private port only). */
export interface StaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Temporary credentials the host renews (the `credentials` message). */
export interface EngineCredentials extends StaticCredentials {
  /** ISO 8601: when they stop working (the host sends new ones well before then). */
  readonly expiration?: string;
}

/** Where and as whom the engine syncs (no secrets beyond what S3 needs, sent over the private port only). */
export interface EngineSettings {
  /** Absolute path of the sync folder. */
  readonly folder: string;
  readonly bucket: string;
  readonly region: string;
  /** An S3-compatible endpoint; AWS when absent. */
  readonly endpoint?: string;
  readonly forcePathStyle?: boolean;
  /** The user's prefix, ending with '/'. */
  readonly prefix: string;
  /** Static credentials; without them the engine uses the AWS SDK's default chain (environment, profile). */
  readonly credentials?: StaticCredentials;
  /** Shown in conflicted-copy names. */
  readonly deviceName?: string;
  /** Watch timings (tests shorten them). */
  readonly debounceMs?: number;
  readonly pollMs?: number;
  /** Bytes per second per direction; absent: no limit. Changed live by an `update-settings` command. */
  readonly bandwidth?: Preferences['bandwidth'];
  /** The mass-delete rail's thresholds (core/safety.ts). */
  readonly maxDeletes?: number;
  readonly maxDeleteRatio?: number;
  /** Downloads never leave less free space than this (the MinimumFreeDiskMiB policy). */
  readonly minFreeBytes?: number;
  /** A first sync downloading more than this stops and asks (the FirstDownloadConfirmAboveMiB policy). */
  readonly firstDownloadConfirmBytes?: number;
  /**
   * Network (the ProxyUrl, ProxyBypassList and ExtraCaCertificates policies):
   * an http(s):// proxy for every request (absent: HTTPS_PROXY of the engine's
   * environment, or none), hosts that bypass it (NO_PROXY syntax), and a PEM
   * file of CAs to trust besides the OS store (src/engine/net).
   */
  readonly proxyUrl?: string;
  readonly proxyBypassList?: readonly string[];
  readonly extraCaCertificates?: string;
  /** Ignore patterns the organization enforces (policy AdminIgnorePatterns), applied before `.stratusignore`. */
  readonly adminIgnorePatterns?: readonly string[];
}

export type HostToEngine =
  | { readonly type: 'start'; readonly settings: EngineSettings }
  | { readonly type: 'pause' }
  | { readonly type: 'resume' }
  | { readonly type: 'retry-now'; readonly paths?: readonly string[] }
  /** A user's command from the UI (the engine answers with `command-result` and the same id). */
  | { readonly type: 'command'; readonly id: number; readonly command: StratusCommand }
  /**
   * Fresh temporary credentials (cognito mode: main holds the sign-in and the
   * identity pool; it sends new credentials before the old ones expire). The
   * engine uses them for every request from now on, in place of
   * `settings.credentials`.
   */
  | { readonly type: 'credentials'; readonly credentials: EngineCredentials }
  | { readonly type: 'stop' };

export type EngineToHost =
  /** Sent after `start` and after every change. */
  | { readonly type: 'status'; readonly status: StatusSnapshot }
  /** The engine cannot run with these settings (no such bucket, folder missing…): restarting will not help. */
  | { readonly type: 'fatal'; readonly code: string; readonly message: string }
  | { readonly type: 'command-result'; readonly id: number; readonly result: CommandResult }
  /** Answer to `stop`: everything is closed, the process may exit. */
  | { readonly type: 'stopped' };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optional(record: Record<string, unknown>, key: string, type: 'string' | 'number' | 'boolean'): boolean {
  return record[key] === undefined || typeof record[key] === type;
}

function isStaticCredentials(c: unknown): c is StaticCredentials {
  return isRecord(c) && typeof c['accessKeyId'] === 'string' && typeof c['secretAccessKey'] === 'string' && optional(c, 'sessionToken', 'string');
}

function isOptionalStringList(value: unknown): boolean {
  return value === undefined || (Array.isArray(value) && value.every((item) => typeof item === 'string'));
}

export function isEngineCredentials(c: unknown): c is EngineCredentials {
  return isStaticCredentials(c) && isRecord(c) && optional(c, 'expiration', 'string');
}

export function isEngineSettings(value: unknown): value is EngineSettings {
  if (!isRecord(value)) return false;
  const c = value['credentials'];
  const credentialsOk = c === undefined || isStaticCredentials(c);
  return (
    typeof value['folder'] === 'string' && typeof value['bucket'] === 'string' && typeof value['region'] === 'string' &&
    typeof value['prefix'] === 'string' && optional(value, 'endpoint', 'string') && optional(value, 'forcePathStyle', 'boolean') &&
    optional(value, 'deviceName', 'string') && optional(value, 'debounceMs', 'number') && optional(value, 'pollMs', 'number') && credentialsOk &&
    optional(value, 'maxDeletes', 'number') && optional(value, 'maxDeleteRatio', 'number') && optional(value, 'minFreeBytes', 'number') && optional(value, 'firstDownloadConfirmBytes', 'number') &&
    optional(value, 'proxyUrl', 'string') && optional(value, 'extraCaCertificates', 'string') && isOptionalStringList(value['proxyBypassList']) &&
    (value['adminIgnorePatterns'] === undefined || (Array.isArray(value['adminIgnorePatterns']) && value['adminIgnorePatterns'].every((p) => typeof p === 'string'))) &&
    (value['bandwidth'] === undefined || isPreferences({ bandwidth: value['bandwidth'] }))
  );
}

export function isHostToEngine(value: unknown): value is HostToEngine {
  if (!isRecord(value)) return false;
  switch (value['type']) {
    case 'start': return isEngineSettings(value['settings']);
    case 'pause': case 'resume': case 'stop': return true;
    case 'command': return Number.isSafeInteger(value['id']) && isStratusCommand(value['command']);
    case 'credentials': return isEngineCredentials(value['credentials']);
    case 'retry-now': {
      const paths = value['paths'];
      return paths === undefined || (Array.isArray(paths) && paths.every((p) => typeof p === 'string'));
    }
    default: return false;
  }
}

export function isEngineToHost(value: unknown): value is EngineToHost {
  if (!isRecord(value)) return false;
  switch (value['type']) {
    case 'status': return isStatusSnapshot(value['status']);
    case 'fatal': return typeof value['code'] === 'string' && typeof value['message'] === 'string';
    case 'command-result': return Number.isSafeInteger(value['id']) && isCommandResult(value['result']);
    case 'stopped': return true;
    default: return false;
  }
}
