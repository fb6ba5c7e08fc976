/**
 * What the CLI prints, as pure functions of engine values: the plan of a dry
 * run (one line per action, in the plan's execution order), the one-line
 * summary of a run, the `--json` object of `sync` and `status`, and the
 * human status report. No I/O; commands decide which stream gets what.
 */
import type { Action, ActionType, Plan } from '../core/plan.js';
import type { EngineStatus, SyncLocation } from '../engine/SyncEngine.js';
import { describeCounts, type SyncCounts, type SyncResult } from '../engine/SyncResult.js';

/** Verbs of the plan listing; record/forget only touch the journal, so a dry run does not list them. */
const VERB: Readonly<Record<ActionType, string | undefined>> = {
  upload: 'upload',
  download: 'download',
  deleteRemote: 'delete-remote',
  deleteLocal: 'delete-local',
  createRemoteFolder: 'mkdir-remote',
  createLocalFolder: 'mkdir-local',
  deleteRemoteFolder: 'rmdir-remote',
  deleteLocalFolder: 'rmdir-local',
  moveRemote: 'move-remote',
  moveLocal: 'move-local',
  conflict: 'conflict',
  problem: 'problem',
  record: undefined,
  forget: undefined,
};
const VERB_WIDTH = Math.max(...Object.values(VERB).map((v) => v?.length ?? 0)) + 2;

function actionDetail(action: Action): string {
  switch (action.type) {
    case 'moveRemote':
    case 'moveLocal':
      return `${action.from} -> ${action.path}`;
    case 'download':
      return action.toPath === undefined ? action.path : `${action.path} -> ${action.toPath}`;
    case 'conflict':
      return `${action.path} (this computer's version kept as "${action.conflictPath}")`;
    case 'problem':
      return `${action.path}: ${action.message}`;
    default:
      return action.path;
  }
}

/** `upload         docs/a.txt`: one line per action that changes something, in execution order. */
export function planLines(plan: Plan): string[] {
  const lines: string[] = [];
  for (const action of plan.actions) {
    const verb = VERB[action.type];
    if (verb !== undefined) lines.push(`${verb.padEnd(VERB_WIDTH)}${actionDetail(action)}`);
  }
  return lines;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * What a run of `plan` would count, the way the engine counts a real run
 * (files only; folder markers are not transfers; a problem is an error), so a
 * dry run and the run after it report the same numbers.
 */
export function plannedCounts(plan: Plan): SyncCounts {
  const n = (...types: ActionType[]): number => plan.actions.filter((a) => types.includes(a.type)).length;
  return {
    uploaded: n('upload'),
    downloaded: n('download'),
    deletedLocal: n('deleteLocal'),
    deletedRemote: n('deleteRemote'),
    moved: n('moveLocal', 'moveRemote'),
    conflicts: n('conflict'),
    errors: n('problem'),
  };
}

/** The last line of a dry run, in the same words as a real run's summary. */
export function planSummary(plan: Plan): string {
  return `dry run: would do ${describeCounts(plannedCounts(plan))}; nothing was changed`;
}

export function describeLocation(location: SyncLocation): string {
  return `s3://${location.bucket}/${location.prefix}${location.endpoint === undefined ? '' : ` at ${location.endpoint}`}`;
}

/** The line after a real run: "synced /x with s3://b/p/: 3 up, 0 down, 0 conflicts, 0 errors (1.2 s)". */
export function runSummary(folder: string, location: SyncLocation, result: SyncResult): string {
  return `synced ${folder} with ${describeLocation(location)}: ${describeCounts(result.counts)} (${(result.durationMs / 1000).toFixed(1)} s)`;
}

export interface SyncJson {
  readonly uploaded: number;
  readonly downloaded: number;
  readonly deletedLocal: number;
  readonly deletedRemote: number;
  readonly conflicts: number;
  readonly errors: number;
  readonly moved: number;
  readonly stopped?: { readonly code: string; readonly direction: string; readonly count: number; readonly message: string; readonly sample: readonly string[] };
  readonly items: readonly { readonly path: string; readonly code: string; readonly message: string }[];
  readonly durationMs: number;
  readonly dryRun: boolean;
  /** Dry runs only: the plan, one entry per listed action (as `planLines` shows them). */
  readonly actions?: readonly { readonly action: string; readonly path: string; readonly from?: string }[];
}

/**
 * `sync --json`. In a dry run nothing happened, so the counts are what the
 * plan would do (the engine reports zeros), and `actions` lists the plan.
 */
export function syncJson(result: SyncResult): SyncJson {
  const stopped = result.stopped === undefined
    ? {}
    : { stopped: { code: result.stopped.code, direction: result.stopped.direction, count: result.stopped.count, message: result.stopped.message, sample: result.stopped.sample } };
  const items = result.errors.map((e) => ({ path: e.path, code: e.code, message: e.message }));
  if (result.dryRun) {
    const c = plannedCounts(result.plan);
    const actions = result.plan.actions.flatMap((a) => {
      const verb = VERB[a.type];
      if (verb === undefined) return [];
      return [{ action: verb, path: a.path, ...('from' in a ? { from: a.from } : {}) }];
    });
    const problems = result.plan.actions.flatMap((a) => (a.type === 'problem' ? [{ path: a.path, code: a.code, message: a.message }] : []));
    return {
      uploaded: c.uploaded, downloaded: c.downloaded, deletedLocal: c.deletedLocal, deletedRemote: c.deletedRemote,
      conflicts: c.conflicts, errors: c.errors, moved: c.moved, ...stopped, items: [...items, ...problems],
      durationMs: result.durationMs, dryRun: true, actions,
    };
  }
  const c = result.counts;
  return {
    uploaded: c.uploaded, downloaded: c.downloaded, deletedLocal: c.deletedLocal, deletedRemote: c.deletedRemote,
    conflicts: c.conflicts, errors: c.errors, moved: c.moved, ...stopped, items, durationMs: result.durationMs, dryRun: false,
  };
}

/** `status --json`: the engine's status with times as ISO strings. */
export function statusJson(status: EngineStatus): Record<string, unknown> {
  return {
    folder: status.root,
    location: status.location ?? null,
    syncedFiles: status.syncedFiles,
    syncedFolders: status.syncedFolders,
    retries: status.retries.map((r) => ({ path: r.path, attempts: r.attempts, nextAttemptAt: new Date(r.nextAttemptAt).toISOString(), lastError: r.lastError })),
    lastRun: status.lastRun ?? null,
  };
}

/** The human status report, one fact per line. */
export function statusLines(status: EngineStatus): string[] {
  const lines = [
    `folder:     ${status.root}`,
    `location:   ${status.location === undefined ? 'not synced yet' : describeLocation(status.location)}`,
    `synced:     ${plural(status.syncedFiles, 'file')}, ${plural(status.syncedFolders, 'folder')}`,
  ];
  const run = status.lastRun;
  if (run === undefined) lines.push('last run:   never');
  else lines.push(`last run:   ${run.at}: ${run.stopped === undefined ? describeCounts(run.counts) : `stopped by a safety rail (${run.stopped}); nothing was changed`}`);
  lines.push(`retries:    ${status.retries.length === 0 ? 'none pending' : `${status.retries.length} pending`}`);
  for (const r of status.retries) {
    lines.push(`  ${r.path}: ${plural(r.attempts, 'attempt')}, next ${new Date(r.nextAttemptAt).toISOString()}, last error: ${r.lastError}`);
  }
  return lines;
}
