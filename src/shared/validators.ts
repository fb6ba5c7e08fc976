/**
 * Payload validators for everything that crosses the IPC bridge.
 *
 * The main process never trusts the renderer, and the renderer never trusts a
 * payload shape it did not check: both sides validate with these functions.
 */
import { ACTIVITY_LABELS, SYNC_STATE_LABELS, type ActivityKind, type AuthState, type CommandResult, type IgnorePreview, type Preferences, type SettingsView, type StatusSnapshot, type StratusCommand, type SyncState } from './StratusApi.js';

const AUTH_STATES: readonly AuthState[] = ['signed-out', 'signing-in', 'signed-in'];
const SYNC_STATES = Object.keys(SYNC_STATE_LABELS) as readonly SyncState[];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(record: Record<string, unknown>, key: string): boolean {
  return record[key] === undefined || typeof record[key] === 'string';
}

function isActivityEntry(value: unknown): boolean {
  return (
    isRecord(value) &&
    typeof value['path'] === 'string' &&
    Object.hasOwn(ACTIVITY_LABELS, value['kind'] as ActivityKind) &&
    typeof value['at'] === 'string' &&
    optionalString(value, 'failed')
  );
}

function optionalNumber(record: Record<string, unknown>, key: string): boolean {
  const v = record[key];
  return v === undefined || (typeof v === 'number' && Number.isFinite(v) && v >= 0);
}

function isCount(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isStringList(value: unknown, max: number): boolean {
  return Array.isArray(value) && value.length <= max && value.every((v) => typeof v === 'string');
}

function isConflictVersion(value: unknown): boolean {
  return isRecord(value) && typeof value['path'] === 'string' && isCount(value['size']) && typeof value['modifiedAt'] === 'string' && optionalString(value, 'device');
}

function isAttentionItem(value: unknown): boolean {
  if (!isRecord(value) || typeof value['path'] !== 'string' || typeof value['message'] !== 'string') return false;
  switch (value['kind']) {
    case 'error':
      return typeof value['retrying'] === 'boolean' && (value['attempts'] === undefined || isCount(value['attempts'])) && optionalString(value, 'nextAttemptAt');
    case 'conflict':
      return isConflictVersion(value['here']) && isConflictVersion(value['other']) && typeof value['at'] === 'string';
    default:
      return false;
  }
}

function isDeleteRail(value: unknown): boolean {
  return (
    isRecord(value) &&
    ['mass-delete', 'local-root-empty', 'remote-empty', 'first-download'].includes(value['code'] as string) &&
    (value['bytes'] === undefined || isCount(value['bytes'])) &&
    (value['direction'] === 'local' || value['direction'] === 'remote') &&
    isCount(value['count']) &&
    isStringList(value['sample'], 10) &&
    typeof value['message'] === 'string'
  );
}

function isTransferProgress(value: unknown): boolean {
  return (
    isRecord(value) && isCount(value['done']) && isCount(value['total']) && isCount(value['bytesLeft']) &&
    optionalNumber(value, 'bytesPerSecond') && optionalNumber(value, 'etaSeconds') && isStringList(value['current'], 8) &&
    (value['next'] === undefined || isStringList(value['next'], 8))
  );
}

function isAccountInfo(value: unknown): boolean {
  return (
    isRecord(value) && typeof value['bucket'] === 'string' && typeof value['prefix'] === 'string' &&
    optionalString(value, 'user') && optionalString(value, 'identityId') && optionalString(value, 'endpoint') &&
    (value['usedBytes'] === undefined || isCount(value['usedBytes'])) && (value['usedFiles'] === undefined || isCount(value['usedFiles']))
  );
}

export function isStatusSnapshot(value: unknown): value is StatusSnapshot {
  if (!isRecord(value)) return false;
  return (
    (value['attention'] === undefined || (Array.isArray(value['attention']) && value['attention'].length <= 100 && value['attention'].every(isAttentionItem))) &&
    (value['rail'] === undefined || isDeleteRail(value['rail'])) &&
    (value['progress'] === undefined || isTransferProgress(value['progress'])) &&
    optionalString(value, 'pausedUntil') &&
    (value['location'] === undefined || isAccountInfo(value['location'])) &&
    (value['canOpenFiles'] === undefined || typeof value['canOpenFiles'] === 'boolean') &&
    (value['setup'] === undefined || isSetupState(value['setup'])) &&
    value['version'] === 1 &&
    AUTH_STATES.includes(value['auth'] as AuthState) &&
    SYNC_STATES.includes(value['sync'] as SyncState) &&
    optionalString(value, 'account') &&
    optionalString(value, 'folder') &&
    optionalString(value, 'lastCheckAt') &&
    (value['recent'] === undefined || (Array.isArray(value['recent']) && value['recent'].length <= 50 && value['recent'].every(isActivityEntry))) &&
    (value['pending'] === undefined || (Number.isSafeInteger(value['pending']) && (value['pending'] as number) >= 0)) &&
    optionalString(value, 'message')
  );
}

/** The status shown before anything is configured or signed in. */
export function initialStatus(): StatusSnapshot {
  return { version: 1, auth: 'signed-out', sync: 'checking' };
}

/** Longest path a command may name (the key mapping's own limit is far below). */
const MAX_COMMAND_PATH = 4096;

function isCommandPath(value: unknown): boolean {
  // Relative, '/'-separated, no '..' or empty segments, no NUL: a path inside the sync folder and nothing else.
  if (typeof value !== 'string' || value === '' || value.length > MAX_COMMAND_PATH || value.includes('\0')) return false;
  return value.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/** Checks a command from the other side of a transport; paths must stay inside the sync folder. */
export function isStratusCommand(value: unknown): value is StratusCommand {
  if (!isRecord(value)) return false;
  switch (value['type']) {
    case 'pause': {
      const m = value['minutes'];
      return m === undefined || (Number.isSafeInteger(m) && (m as number) > 0 && (m as number) <= 7 * 24 * 60);
    }
    case 'resume': case 'sync-now': case 'confirm-deletes': case 'restore-deletes': case 'confirm-download':
      return true;
    case 'retry-now':
      return value['path'] === undefined || isCommandPath(value['path']);
    case 'resolve-conflict':
      return isCommandPath(value['path']) && ['here', 'other', 'both'].includes(value['keep'] as string);
    case 'ignore-path': case 'open-path': case 'show-in-folder':
      return isCommandPath(value['path']);
    case 'sign-in': case 'sign-out': case 'open-logs':
      return true;
    case 'update-settings':
      return isPreferences(value['change']);
    case 'set-ignore-rules':
      return typeof value['text'] === 'string' && value['text'].length <= MAX_IGNORE_TEXT;
    case 'choose-folder': {
      const path = value['path'];
      // An absolute path on the syncing computer (POSIX, or a Windows drive or UNC path); the receiver checks it further.
      const absolute = typeof path === 'string' && path.length <= MAX_COMMAND_PATH && !path.includes('\0') && (path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\'));
      return (path === undefined || absolute) && (value['merge'] === undefined || typeof value['merge'] === 'boolean');
    }
    default:
      return false;
  }
}

/** An http(s) address without spaces or control characters (the hosted UI); nothing else is ever opened. */
function isWebUrl(value: unknown): boolean {
  return typeof value === 'string' && value.length <= 8192 && /^https?:\/\/[^\s\u0000-\u001f]+$/i.test(value);
}

export function isCommandResult(value: unknown): value is CommandResult {
  return (
    isRecord(value) && typeof value['ok'] === 'boolean' && optionalString(value, 'message') && optionalString(value, 'confirm') &&
    (value['url'] === undefined || isWebUrl(value['url']))
  );
}

function isSetupState(value: unknown): boolean {
  return (
    isRecord(value) && ['sign-in', 'choose-folder', 'first-sync', 'done'].includes(value['step'] as string) &&
    optionalString(value, 'suggestedFolder') && optionalString(value, 'machine')
  );
}

/** Longest `.stratusignore` accepted from a face (a rules file, not a file list). */
export const MAX_IGNORE_TEXT = 64 * 1024;

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'];
const PREFERENCE_KEYS = new Set(['folder', 'deviceName', 'startAtLogin', 'notifications', 'bandwidth', 'pauseOnBattery', 'massDelete', 'logLevel', 'useSystemBrowser']);
/** Largest bandwidth limit accepted (1 TiB/s): anything above is a typo, not a limit. */
const MAX_RATE = 2 ** 40;

function isRate(value: unknown): boolean {
  return value === undefined || (Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= MAX_RATE);
}

function optionalBoolean(record: Record<string, unknown>, key: string): boolean {
  return record[key] === undefined || typeof record[key] === 'boolean';
}

/** Preferences (all optional); unknown keys are refused, so a typo never passes silently. */
export function isPreferences(value: unknown): value is Preferences {
  if (!isRecord(value) || !Object.keys(value).every((k) => PREFERENCE_KEYS.has(k))) return false;
  const bandwidth = value['bandwidth'];
  const massDelete = value['massDelete'];
  const deviceName = value['deviceName'];
  return (
    (value['folder'] === undefined || (typeof value['folder'] === 'string' && value['folder'] !== '')) &&
    (deviceName === undefined || (typeof deviceName === 'string' && deviceName.trim() !== '' && deviceName.length <= 100)) &&
    optionalBoolean(value, 'startAtLogin') && optionalBoolean(value, 'notifications') &&
    optionalBoolean(value, 'pauseOnBattery') && optionalBoolean(value, 'useSystemBrowser') &&
    (bandwidth === undefined || (isRecord(bandwidth) && Object.keys(bandwidth).every((k) => k === 'upBytesPerSecond' || k === 'downBytesPerSecond') &&
      isRate(bandwidth['upBytesPerSecond']) && isRate(bandwidth['downBytesPerSecond']))) &&
    (massDelete === undefined || (isRecord(massDelete) && Number.isSafeInteger(massDelete['maxFiles']) && (massDelete['maxFiles'] as number) >= 1 &&
      typeof massDelete['maxRatio'] === 'number' && massDelete['maxRatio'] > 0 && massDelete['maxRatio'] <= 1)) &&
    (value['logLevel'] === undefined || LOG_LEVELS.includes(value['logLevel'] as string))
  );
}

function isKeyList(value: unknown): boolean {
  return Array.isArray(value) && value.every((k) => typeof k === 'string' && PREFERENCE_KEYS.has(k));
}

export function isSettingsView(value: unknown): value is SettingsView {
  return (
    isRecord(value) && isPreferences(value['values']) && isKeyList(value['editable']) && isKeyList(value['managed']) &&
    typeof value['ignoreRules'] === 'string' && optionalString(value, 'logsFolder') &&
    (value['adminIgnoreRules'] === undefined || isStringList(value['adminIgnoreRules'], 10_000)) &&
    (value['sources'] === undefined || (isRecord(value['sources']) && Object.entries(value['sources']).every(([k, v]) => PREFERENCE_KEYS.has(k) && typeof v === 'string')))
  );
}

export function isIgnorePreview(value: unknown): value is IgnorePreview {
  return isRecord(value) && isCount(value['hidden']) && isStringList(value['sample'], 20) && isStringList(value['problems'], 1000);
}
