/**
 * What one sync run reports: the CLI prints it (`--json` verbatim), the app
 * shows it, and the run's one info log line is made from it.
 */
import type { Plan, SafetyStop } from '../core/plan.js';
import type { ActivityKind } from '../shared/StratusApi.js';

export interface ItemError {
  readonly path: string;
  readonly code: string;
  readonly message: string;
  /** Will be retried automatically (backoff) rather than needing the user. */
  readonly retrying: boolean;
}

/** What the user sees happen to one item (Activity); bookkeeping-only actions are not items. */
export type ItemActivity = ActivityKind;

/** An item starts (events by tense: SyncEngine.onDidStartItem); `bytes` is what it moves, 0 when it transfers nothing. */
export interface StartedItem {
  readonly path: string;
  readonly bytes: number;
}

/** One item finished (events by tense: SyncEngine.onDidCompleteItem), or failed with a reason. */
export interface CompletedItem {
  /** For a conflict, the original path (it holds the cloud's version). */
  readonly path: string;
  readonly activity: ItemActivity;
  /** A conflict: where this computer's version was kept (the conflicted copy). */
  readonly conflictPath?: string;
  /** Bytes the item moves (transfers only; a conflict counts its download and its upload). */
  readonly bytes?: number;
  /** Set when it failed: the error code and the sentence to show. */
  readonly failure?: { readonly code: string; readonly message: string; readonly retrying: boolean };
}

export interface SyncCounts {
  readonly uploaded: number;
  readonly downloaded: number;
  readonly deletedLocal: number;
  readonly deletedRemote: number;
  readonly moved: number;
  readonly conflicts: number;
  readonly errors: number;
}

export interface SyncResult {
  readonly dryRun: boolean;
  readonly plan: Plan;
  readonly counts: SyncCounts;
  readonly errors: readonly ItemError[];
  /** Set when a safety rail stopped the run before anything happened. */
  readonly stopped?: SafetyStop;
  /** Something changed underneath the run (e.g. a 412): another run should follow soon. */
  readonly runAgain: boolean;
  /** Epoch ms when the earliest item waiting for an automatic retry is due (absent: nothing waits). */
  readonly nextRetryAt?: number;
  /** What the prefix holds per this run's listing (the engine's own keys and folder markers left out); absent for dry runs. */
  readonly remoteUsage?: { readonly files: number; readonly bytes: number };
  readonly durationMs: number;
}

/** "12 up, 3 down, 1 conflict, 0 errors" — the one line per run. */
export function describeCounts(c: SyncCounts): string {
  const parts = [`${c.uploaded} up`, `${c.downloaded} down`];
  if (c.deletedLocal + c.deletedRemote > 0) parts.push(`${c.deletedLocal} deleted here`, `${c.deletedRemote} deleted remotely`);
  if (c.moved > 0) parts.push(`${c.moved} moved`);
  parts.push(`${c.conflicts} conflict${c.conflicts === 1 ? '' : 's'}`, `${c.errors} error${c.errors === 1 ? '' : 's'}`);
  return parts.join(', ');
}
