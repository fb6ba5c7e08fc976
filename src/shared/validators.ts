/**
 * Payload validators for everything that crosses the IPC bridge.
 *
 * The main process never trusts the renderer, and the renderer never trusts a
 * payload shape it did not check: both sides validate with these functions.
 */
import { ACTIVITY_LABELS, SYNC_STATE_LABELS, type ActivityKind, type AuthState, type StatusSnapshot, type SyncState } from './StratusApi.js';

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

export function isStatusSnapshot(value: unknown): value is StatusSnapshot {
  if (!isRecord(value)) return false;
  return (
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
