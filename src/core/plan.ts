/**
 * A Plan: what one sync run will do, as a value. Reconcile produces it, the
 * CLI prints it for --dry-run, tests assert on it, and the propagator executes
 * it phase by phase. Actions carry everything needed to check, at execution
 * time, that the world still looks as it did when the plan was made (ETags for
 * conditional writes, expected local size/mtime before a local delete).
 */
import type { SyncedEntry } from './model.js';

export interface LocalExpectation {
  readonly size: number;
  readonly mtimeMs: number;
}

export type Action =
  /** Upload a local file. Exactly one of ifMatch / ifNoneMatch guards the write. */
  | { readonly type: 'upload'; readonly path: string; readonly key: string; readonly size: number; readonly md5: string; readonly mtimeMs: number; readonly inode?: number; readonly ifMatch?: string; readonly ifNoneMatch?: true }
  | { readonly type: 'download'; readonly path: string; readonly key: string; readonly etag: string; readonly size: number; readonly md5?: string; readonly toPath?: string }
  | { readonly type: 'deleteRemote'; readonly path: string; readonly key: string; readonly etag: string }
  /** Local deletes go to the OS trash, and only if the file still matches `expected`. */
  | { readonly type: 'deleteLocal'; readonly path: string; readonly expected: LocalExpectation }
  | { readonly type: 'createRemoteFolder'; readonly path: string; readonly key: string }
  | { readonly type: 'createLocalFolder'; readonly path: string }
  /** Removes the `dir/` marker (no-op for implied folders). */
  | { readonly type: 'deleteRemoteFolder'; readonly path: string; readonly key: string; readonly etag: string }
  /** Removes the local folder only if it is empty when the action runs. */
  | { readonly type: 'deleteLocalFolder'; readonly path: string }
  /**
   * Server-side rename (copy + delete), no re-upload. With `local`, it mirrors a
   * local rename and the journal records the new path as synced; without, it
   * moves a server file aside for a conflict and the next run downloads it.
   */
  | { readonly type: 'moveRemote'; readonly path: string; readonly from: string; readonly fromKey: string; readonly key: string; readonly etag: string; readonly md5: string; readonly size: number; readonly local?: SyncedEntry['local'] }
  /**
   * Local rename mirroring a remote rename (`remote` is the object it mirrors, and
   * the journal records exactly that version), or making room for a conflict.
   */
  | { readonly type: 'moveLocal'; readonly path: string; readonly from: string; readonly expected: LocalExpectation; readonly reason: 'remote-rename' | 'conflict'; readonly remote?: { readonly key: string; readonly etag: string; readonly size: number } }
  /**
   * Both sides changed differently: the local file is renamed to `conflictPath`
   * (and uploaded there), then the remote version is downloaded to `path`.
   */
  | { readonly type: 'conflict'; readonly path: string; readonly conflictPath: string; readonly conflictKey: string; readonly key: string; readonly etag: string; readonly size: number; readonly expected: LocalExpectation }
  /** Both sides already agree: write the journal row only. */
  | { readonly type: 'record'; readonly path: string; readonly entry: SyncedEntry }
  /** Both sides gone (or the path is now ignored): drop the journal row. */
  | { readonly type: 'forget'; readonly path: string }
  /** A visible per-item problem: nothing is done for this path. */
  | { readonly type: 'problem'; readonly path: string; readonly code: string; readonly message: string };

export type ActionType = Action['type'];

/** A reason the whole plan must not run until the user confirms. */
export interface SafetyStop {
  /** `first-download`: a folder's first sync would download more than the FirstDownloadConfirmAboveMiB policy allows unasked. */
  readonly code: 'mass-delete' | 'local-root-empty' | 'remote-empty' | 'first-download';
  readonly direction: 'local' | 'remote';
  readonly count: number;
  /** At most 10 of the paths held back (deleted, or downloaded for `first-download`), sorted: what the user is shown before confirming. */
  readonly sample: readonly string[];
  /** `first-download`: the bytes the downloads total. */
  readonly bytes?: number;
  readonly message: string;
}

export interface Plan {
  /** Ordered by execution phase (see PHASES). */
  readonly actions: readonly Action[];
  readonly stop?: SafetyStop;
}

/**
 * Execution order. Local renames first (they make room), then local deletes
 * (free names for case-only renames and type changes), folders before their
 * contents, transfers, and remote deletes last so a failed transfer never
 * leaves the server with less than before.
 */
export const PHASES: readonly ActionType[][] = [
  ['problem', 'forget', 'record'],
  ['moveLocal'],
  ['deleteLocal'],
  ['deleteLocalFolder'],
  ['createLocalFolder', 'createRemoteFolder'],
  ['conflict', 'upload', 'download', 'moveRemote'],
  ['deleteRemote'],
  ['deleteRemoteFolder'],
];

export function phaseOf(type: ActionType): number {
  return PHASES.findIndex((phase) => phase.includes(type));
}

export interface PlanSummary {
  readonly uploads: number;
  readonly downloads: number;
  readonly deletedLocal: number;
  readonly deletedRemote: number;
  readonly moves: number;
  readonly conflicts: number;
  readonly problems: number;
}

export function summarize(plan: Plan): PlanSummary {
  const count = (...types: ActionType[]): number => plan.actions.filter((a) => types.includes(a.type)).length;
  return {
    uploads: count('upload', 'createRemoteFolder'),
    downloads: count('download', 'createLocalFolder'),
    deletedLocal: count('deleteLocal', 'deleteLocalFolder'),
    deletedRemote: count('deleteRemote', 'deleteRemoteFolder'),
    moves: count('moveLocal', 'moveRemote'),
    conflicts: count('conflict'),
    problems: count('problem'),
  };
}
