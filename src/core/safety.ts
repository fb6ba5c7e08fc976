/**
 * Safety rails that run on a finished plan, before anything happens
 * (SCENARIOS 37–39, 42). They never change the plan; they stop it with a
 * message naming the direction and the count, until the user confirms:
 *   - an empty local snapshot against a non-empty journal (sync folder emptied
 *     or a drive not mounted) must not turn into "delete everything remotely";
 *   - an empty remote listing against a non-empty journal (bucket or prefix
 *     replaced) must not turn into "delete everything locally";
 *   - more deletes in one direction than the threshold (default: over 500
 *     files, or over half of the synced files once more than 10 are involved).
 * Renames are moves, not deletes, so a renamed folder never trips the guard.
 * A stop carries a sorted sample of the paths it held back, and a stop the
 * user confirmed lets deletes in its direction through only up to the count
 * they were shown: a larger delete stops again with the new numbers.
 *
 * One more rail asks before a large first download (issue 9, the policy
 * FirstDownloadConfirmAboveMiB): a folder's first sync — its journal holds no
 * synced row yet, as on a new computer joining an account that already holds
 * data — whose downloads total more than the threshold stops the whole run
 * before anything moves (the user may have picked the wrong folder or account,
 * or lack the disk space; half a first sync is the hardest state to undo).
 * Confirming lets through at most the files and bytes shown; once the first
 * sync has recorded anything, it never asks again.
 */
import type { ReconcileInput } from './reconcile.js';
import type { Action, SafetyStop } from './plan.js';

export interface SafetyPolicy {
  /** The user confirmed this run's deletes (`--confirm-deletes`). */
  readonly confirmDeletes?: boolean;
  /**
   * The user confirmed a stop they were shown: deletes in `direction` go ahead
   * while there are at most `count` of them (never more than they saw); the
   * other direction is checked as usual.
   */
  readonly confirmedStop?: { readonly direction: 'local' | 'remote'; readonly count: number };
  /** @default 500 */
  readonly maxDeletes?: number;
  /** @default 0.5 */
  readonly maxDeleteRatio?: number;
  /** The ratio rule applies only above this many deletes, so deleting 2 of 3 files just works. @default 10 */
  readonly ratioFloor?: number;
  /** A first sync downloading more bytes than this stops and asks; absent: never asks. */
  readonly firstDownloadConfirmBytes?: number;
  /** The user confirmed this run's first download (`--confirm-download`). */
  readonly confirmDownload?: boolean;
  /** The user confirmed a first-download stop they were shown: at most this many files and bytes go ahead unasked. */
  readonly confirmedDownload?: { readonly count: number; readonly bytes: number };
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

/** How many held-back paths a stop names. */
const SAMPLE_SIZE = 10;

/** The first paths in code-unit order (locale-free, so every machine shows the same ones). */
function sampleOf(paths: readonly string[]): string[] {
  return [...paths].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)).slice(0, SAMPLE_SIZE);
}

const MiB = 1024 * 1024;

/** The first-download rail: undefined when it does not apply or the user already said yes. */
function checkFirstDownload(actions: readonly Action[], input: ReconcileInput, policy: SafetyPolicy): SafetyStop | undefined {
  const limit = policy.firstDownloadConfirmBytes;
  if (limit === undefined || policy.confirmDownload === true || input.synced.size > 0) return undefined;
  const paths: string[] = [];
  let bytes = 0;
  for (const a of actions) {
    if (a.type === 'download' || a.type === 'conflict') {
      paths.push(a.path);
      bytes += a.size;
    }
  }
  if (bytes <= limit) return undefined;
  const confirmed = policy.confirmedDownload;
  if (confirmed !== undefined && paths.length <= confirmed.count && bytes <= confirmed.bytes) return undefined;
  const mib = Math.ceil(bytes / MiB).toLocaleString('en-US');
  return {
    code: 'first-download',
    direction: 'local',
    count: paths.length,
    sample: sampleOf(paths),
    bytes,
    message:
      `This first sync would download ${plural(paths.length, 'file')} (${mib} MiB) to this computer, more than the ` +
      `${Math.floor(limit / MiB).toLocaleString('en-US')} MiB your organization lets it download without asking. ` +
      'Nothing was transferred. Check the folder and the free disk space, then run again with --confirm-download to go ahead.',
  };
}

export function checkSafety(actions: readonly Action[], input: ReconcileInput, policy: SafetyPolicy): SafetyStop | undefined {
  const download = checkFirstDownload(actions, input, policy);
  if (download !== undefined) return download;
  if (policy.confirmDeletes === true) return undefined;
  const syncedFiles = [...input.synced.values()].filter((s) => s.kind === 'file').length;
  const deleted = { remote: [] as string[], local: [] as string[] };
  for (const a of actions) {
    if (a.type === 'deleteRemote') deleted.remote.push(a.path);
    else if (a.type === 'deleteLocal') deleted.local.push(a.path);
  }
  const remoteDeletes = deleted.remote.length;
  const localDeletes = deleted.local.length;
  const confirmed = (direction: 'local' | 'remote'): boolean =>
    policy.confirmedStop?.direction === direction && deleted[direction].length <= policy.confirmedStop.count;

  if (syncedFiles > 0 && input.local.entries.size === 0 && remoteDeletes > 0 && !confirmed('remote')) {
    return {
      code: 'local-root-empty',
      direction: 'remote',
      count: remoteDeletes,
      sample: sampleOf(deleted.remote),
      message:
        `The sync folder is empty, but it held ${plural(syncedFiles, 'synced file')}. Stratus stopped instead of ` +
        `deleting ${plural(remoteDeletes, 'file')} on the server. If you emptied the folder on purpose, run again with --confirm-deletes.`,
    };
  }
  if (syncedFiles > 0 && input.remote.entries.size === 0 && localDeletes > 0 && !confirmed('local')) {
    return {
      code: 'remote-empty',
      direction: 'local',
      count: localDeletes,
      sample: sampleOf(deleted.local),
      message:
        `The server has no files under your prefix, but it held ${plural(syncedFiles, 'synced file')} (was the bucket ` +
        `replaced or emptied?). Stratus stopped instead of deleting ${plural(localDeletes, 'file')} on this computer. ` +
        'If that is intended, run again with --confirm-deletes.',
    };
  }
  const maxDeletes = policy.maxDeletes ?? 500;
  const ratio = policy.maxDeleteRatio ?? 0.5;
  const floor = policy.ratioFloor ?? 10;
  for (const [direction, count] of [['remote', remoteDeletes], ['local', localDeletes]] as const) {
    const tooMany = count > maxDeletes || (count > floor && count > syncedFiles * ratio);
    if (tooMany && !confirmed(direction)) {
      const where = direction === 'remote' ? 'on the server' : 'on this computer';
      return {
        code: 'mass-delete',
        direction,
        count,
        sample: sampleOf(deleted[direction]),
        message:
          `This run would delete ${plural(count, 'file')} ${where} (of ${plural(syncedFiles, 'synced file')}). ` +
          'Stratus stopped to ask first. Check the folder, then run again with --confirm-deletes to go ahead.',
      };
    }
  }
  return undefined;
}
