/**
 * The IPC contract between the renderer and the main process.
 *
 * The renderer sees exactly one global, `window.stratus`, of type `StratusApi`,
 * exposed by the preload through contextBridge. Every value crossing the bridge
 * is a plain, structured-clone-safe DTO defined here; nothing here imports from
 * another layer, so main, preload, renderer and tests agree by construction.
 */

/** Persisted/transported states are string unions, never numeric enums. */
export type AuthState = 'signed-out' | 'signing-in' | 'signed-in';

/**
 * What the user is told about their files (issue 8; tests and docs use the
 * labels). The rule every anchor's users ask for: `up-to-date` only after a
 * completed check that left nothing pending, `checking` while discovery runs.
 */
export type SyncState =
  | 'checking'
  | 'up-to-date'
  | 'syncing'
  | 'paused'
  | 'offline'
  | 'sign-in-required'
  | 'needs-attention'
  | 'stopped-confirm-deletes';

export const SYNC_STATE_LABELS: Readonly<Record<SyncState, string>> = {
  checking: 'Checking',
  'up-to-date': 'Up to date',
  syncing: 'Syncing',
  paused: 'Paused',
  offline: 'Offline',
  'sign-in-required': 'Sign in required',
  'needs-attention': 'Needs attention',
  'stopped-confirm-deletes': 'Stopped: confirm deletes',
};

/** What happened to one item, as the Activity list names it. */
export type ActivityKind =
  | 'uploaded' | 'downloaded' | 'deleted-here' | 'deleted-remotely' | 'moved' | 'conflict' | 'folder-created' | 'folder-deleted';

export const ACTIVITY_LABELS: Readonly<Record<ActivityKind, string>> = {
  uploaded: 'Uploaded',
  downloaded: 'Downloaded',
  'deleted-here': 'Deleted on this computer',
  'deleted-remotely': 'Deleted in the cloud',
  moved: 'Moved',
  conflict: 'Conflict: both versions kept',
  'folder-created': 'Folder created',
  'folder-deleted': 'Folder deleted',
};

/** One recent item (newest first in `StatusSnapshot.recent`). */
export interface ActivityEntry {
  /** Path inside the sync folder, `/`-separated. */
  readonly path: string;
  readonly kind: ActivityKind;
  /** ISO 8601. */
  readonly at: string;
  /** Set when it failed: the reason in plain words. */
  readonly failed?: string;
}

/** What the status window and tray show. Contains no secrets by construction. */
export interface StatusSnapshot {
  readonly version: 1;
  readonly auth: AuthState;
  /** Display name of the signed-in user (e.g. email); absent when signed out. */
  readonly account?: string;
  readonly sync: SyncState;
  /** Local folder being synced; absent until configured. */
  readonly folder?: string;
  /** ISO 8601 time of the last completed check (a run that scanned, listed and finished); always shown. */
  readonly lastCheckAt?: string;
  /** Items waiting for an automatic retry or for the user (errors, conflicts, a fired rail). */
  readonly pending?: number;
  /** The most recent items (at most 50, newest first). */
  readonly recent?: readonly ActivityEntry[];
  /** A sentence a person can act on, when something needs attention. */
  readonly message?: string;
}

export interface StratusApi {
  /** Current status; resolves once main has answered. */
  getStatus(): Promise<StatusSnapshot>;
  /** Subscribes to status changes; returns the function that unsubscribes. */
  onDidChangeStatus(listener: (status: StatusSnapshot) => void): () => void;
}

/** IPC channel names: the only strings main and preload use to talk. */
export const IpcChannels = {
  getStatus: 'stratus:get-status',
  statusChanged: 'stratus:status-changed',
} as const;
export type IpcChannel = (typeof IpcChannels)[keyof typeof IpcChannels];
