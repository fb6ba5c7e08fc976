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

/** One version of a file in a conflict, as the resolver shows it (side by side). */
export interface ConflictVersion {
  /** Path inside the sync folder of the file holding this version. */
  readonly path: string;
  readonly size: number;
  /** ISO 8601 modification time. */
  readonly modifiedAt: string;
  /** Which device wrote it, when known ("this computer" is decided by the viewer from `here`). */
  readonly device?: string;
}

/**
 * Something that needs the user (the "Needs attention" list):
 *   - `error`: an item that could not be synced, with the reason in plain words;
 *     `retrying` when Stratus tries again by itself (at `nextAttemptAt`);
 *   - `conflict`: both sides changed; both versions were kept — `here` is this
 *     computer's version (under the conflicted-copy name), `other` the version
 *     from the cloud (under the original name). Columns are never swapped:
 *     `here` is always this computer's.
 */
export type AttentionItem =
  | {
      readonly kind: 'error';
      readonly path: string;
      readonly message: string;
      readonly retrying: boolean;
      readonly attempts?: number;
      /** ISO 8601. */
      readonly nextAttemptAt?: string;
    }
  | {
      readonly kind: 'conflict';
      /** The original path (holds the cloud's version). */
      readonly path: string;
      readonly message: string;
      readonly here: ConflictVersion;
      readonly other: ConflictVersion;
      /** ISO 8601: when the conflict was found. */
      readonly at: string;
    };

/**
 * A fired safety rail: nothing happened; the user confirms or restores. The
 * delete rails (mass-delete, an emptied side) stop before deleting; the
 * first-download rail (policy FirstDownloadConfirmAboveMiB) stops a first sync
 * before downloading more than the organization allows unasked — confirm only.
 */
export interface DeleteRail {
  readonly code: 'mass-delete' | 'local-root-empty' | 'remote-empty' | 'first-download';
  /** `remote`: files would be deleted in the cloud; `local`: on this computer (downloaded to it, for first-download). */
  readonly direction: 'local' | 'remote';
  readonly count: number;
  /** A few of the paths held back (at most 10). */
  readonly sample: readonly string[];
  /** first-download: the bytes the downloads total. */
  readonly bytes?: number;
  readonly message: string;
}

/** What is moving now (during `syncing`). */
export interface TransferProgress {
  /** Items done / planned in this run. */
  readonly done: number;
  readonly total: number;
  /** Bytes of planned transfers not yet done. */
  readonly bytesLeft: number;
  /** Bytes per second, once measured over a few seconds. */
  readonly bytesPerSecond?: number;
  /** Seconds left, only once the rate is steady. */
  readonly etaSeconds?: number;
  /** Paths being transferred right now (at most 8). */
  readonly current: readonly string[];
  /** Paths still pending in this run, next first (at most 8). */
  readonly next?: readonly string[];
}

/** Where the files go (the Account screen). No secrets. */
export interface AccountInfo {
  readonly user?: string;
  readonly identityId?: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly endpoint?: string;
  /** Bytes stored under the prefix at the last completed check. */
  readonly usedBytes?: number;
  readonly usedFiles?: number;
}

/**
 * The first-run flow (issue 8): Sign in → choose the folder → first sync →
 * done. `suggestedFolder` is the default (a new empty folder under the home
 * folder); `machine` names the computer the folder is on (the status page may
 * be viewed from another one).
 */
export interface SetupState {
  readonly step: 'sign-in' | 'choose-folder' | 'first-sync' | 'done';
  readonly suggestedFolder?: string;
  readonly machine?: string;
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
  /** Every item waiting for the user or for a retry (at most 100, errors first). */
  readonly attention?: readonly AttentionItem[];
  /** Set while a safety rail holds deletes back (state `stopped-confirm-deletes`). */
  readonly rail?: DeleteRail;
  /** Set while files move (state `syncing`). */
  readonly progress?: TransferProgress;
  /** ISO 8601 end of a timed pause; absent when paused until resumed or not paused. */
  readonly pausedUntil?: string;
  readonly location?: AccountInfo;
  /** What this face can do: the status page of a headless machine cannot open files on the viewer's desktop. */
  readonly canOpenFiles?: boolean;
  /** Set during the first-run flow. */
  readonly setup?: SetupState;
}

/** Log levels, most verbose first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * The preferences the Settings screen shows. The names are the config file's
 * (the CLI's `--config` file and the app's settings file use the same keys),
 * so every setting is reachable from both.
 */
export interface Preferences {
  /** Absolute path of the sync folder. */
  readonly folder?: string;
  /** Shown in conflicted-copy names; the host name when absent. */
  readonly deviceName?: string;
  readonly startAtLogin?: boolean;
  readonly notifications?: boolean;
  /** Bytes per second per direction; absent: no limit. */
  readonly bandwidth?: { readonly upBytesPerSecond?: number; readonly downBytesPerSecond?: number };
  readonly pauseOnBattery?: boolean;
  /** The mass-delete rail: more deletes than `maxFiles`, or than `maxRatio` of the synced files, stop and ask. */
  readonly massDelete?: { readonly maxFiles: number; readonly maxRatio: number };
  readonly logLevel?: LogLevel;
  /** Sign in in the system browser instead of the app's login window. */
  readonly useSystemBrowser?: boolean;
}

export type PreferenceKey = keyof Preferences;

/** The Settings screen's data: values, what can be changed here, and what an administrator enforced. */
export interface SettingsView {
  readonly values: Preferences;
  /** What this face can change (the rest is shown read-only, with `sources` saying where it is set). */
  readonly editable: readonly PreferenceKey[];
  /** Enforced by the organization's policy: read-only, "Managed by your organization". */
  readonly managed: readonly PreferenceKey[];
  /** Where a value comes from when it cannot be changed here ("the config file …", "--limit-up"). */
  readonly sources?: { readonly [K in PreferenceKey]?: string };
  /** The text of `.stratusignore` in the sync folder ('' when there is none). */
  readonly ignoreRules: string;
  /** Ignore patterns the organization enforces (policy AdminIgnorePatterns): shown read-only above the editor. */
  readonly adminIgnoreRules?: readonly string[];
  /** Shown with "Open logs folder" (app only). */
  readonly logsFolder?: string;
}

/** What a `.stratusignore` text would hide in the sync folder (the editor's preview). */
export interface IgnorePreview {
  /** Files and folders it would hide (a hidden folder counts once, its contents not). */
  readonly hidden: number;
  /** Some of them (at most 20), sorted. */
  readonly sample: readonly string[];
  /** Lines that are not valid rules, with why. */
  readonly problems: readonly string[];
}

/**
 * What the user can ask for, on either face (app IPC, status-page WebSocket).
 * Each is validated on arrival (`isStratusCommand`); paths are paths inside the
 * sync folder and never leave it.
 */
export type StratusCommand =
  /** Pause for `minutes` (30, 60…) or, without it, until resumed. */
  | { readonly type: 'pause'; readonly minutes?: number }
  | { readonly type: 'resume' }
  | { readonly type: 'sync-now' }
  /** Retry one waiting item now (or all of them without `path`). */
  | { readonly type: 'retry-now'; readonly path?: string }
  /** A fired rail: go ahead with the deletes. */
  | { readonly type: 'confirm-deletes' }
  /** Answers a first-download stop: the next run downloads what it showed. */
  | { readonly type: 'confirm-download' }
  /** A fired rail: bring the files back instead (download or upload them again). */
  | { readonly type: 'restore-deletes' }
  /** `here`: keep this computer's version under the original name; `other`: keep the cloud's; `both`: keep both files. */
  | { readonly type: 'resolve-conflict'; readonly path: string; readonly keep: 'here' | 'other' | 'both' }
  /** Add the path to .stratusignore (it stops syncing; nothing is deleted). */
  | { readonly type: 'ignore-path'; readonly path: string }
  /** App only (`canOpenFiles`): open the file, or show it in the file manager. */
  | { readonly type: 'open-path'; readonly path: string }
  | { readonly type: 'show-in-folder'; readonly path: string }
  /** Starts signing in (the app opens its login window; the status page gets the URL to open). */
  | { readonly type: 'sign-in' }
  | { readonly type: 'sign-out' }
  /**
   * First run: sync this folder (an absolute path on the syncing computer; the
   * app may omit it to show the system's folder picker). A folder that is not
   * empty is refused with `confirm` until sent again with `merge: true`.
   */
  | { readonly type: 'choose-folder'; readonly path?: string; readonly merge?: boolean }
  /** Changes some preferences (only editable, unmanaged ones; the rest is refused as a whole). */
  | { readonly type: 'update-settings'; readonly change: Preferences }
  /** Replaces `.stratusignore` in the sync folder (nothing is deleted: newly ignored paths just stop syncing). */
  | { readonly type: 'set-ignore-rules'; readonly text: string }
  /** App only: opens the logs folder. */
  | { readonly type: 'open-logs' };

export type StratusCommandType = StratusCommand['type'];

/** The answer to a command: done, or why not in plain words. */
export interface CommandResult {
  readonly ok: boolean;
  readonly message?: string;
  /** `sign-in` on the status page: the hosted UI address to open (http or https only). */
  readonly url?: string;
  /** A question to ask before sending the command again with its confirmation (e.g. `merge`). */
  readonly confirm?: string;
}

export interface StratusApi {
  /** Current status; resolves once main has answered. */
  getStatus(): Promise<StatusSnapshot>;
  /** Subscribes to status changes; returns the function that unsubscribes. */
  onDidChangeStatus(listener: (status: StatusSnapshot) => void): () => void;
  /** Carries out one command; resolves with its result (never rejects for a refused command). */
  run(command: StratusCommand): Promise<CommandResult>;
  /** The Settings screen's data. */
  getSettings(): Promise<SettingsView>;
  /** What a `.stratusignore` text would hide, before it is saved. */
  previewIgnore(text: string): Promise<IgnorePreview>;
}

/** IPC channel names: the only strings main and preload use to talk. */
export const IpcChannels = {
  getStatus: 'stratus:get-status',
  statusChanged: 'stratus:status-changed',
  run: 'stratus:run',
  getSettings: 'stratus:get-settings',
  previewIgnore: 'stratus:preview-ignore',
} as const;
export type IpcChannel = (typeof IpcChannels)[keyof typeof IpcChannels];
