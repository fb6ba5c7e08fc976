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
export type SyncState = 'idle' | 'syncing' | 'paused' | 'offline' | 'error';

/** What the status window and tray show. Contains no secrets by construction. */
export interface StatusSnapshot {
  readonly version: 1;
  readonly auth: AuthState;
  /** Display name of the signed-in user (e.g. email); absent when signed out. */
  readonly account?: string;
  readonly sync: SyncState;
  /** Local folder being synced; absent until configured. */
  readonly folder?: string;
  /** ISO 8601 time of the last completed sync run. */
  readonly lastSyncAt?: string;
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
