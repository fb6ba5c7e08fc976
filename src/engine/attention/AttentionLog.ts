/**
 * What waits for the user ("Needs attention", issue 8), kept across restarts:
 * the conflicts a run settled by keeping both versions, and for each failed
 * item whether Stratus retries it by itself or it needs the user (the retry
 * table keeps only the message). `items()` turns this, the retry rows and what
 * is on disk into the list the status window shows: errors first, then
 * conflicts. A conflict whose either file is gone was resolved by hand and is
 * dropped.
 *
 * Emits nothing. Every change is a read-modify-write of one journal meta
 * value, serialized here so a run's end and a command never lose each other's
 * change. Persisted as meta `attention` (JSON, versioned):
 *
 *   { "version": 1,
 *     "conflicts": [ { "path": "notes.txt",                    original name: the cloud's version
 *                      "copyPath": "notes (conflicted copy laptop 2026-11-22 062000).txt",
 *                                                              this computer's version
 *                      "at": "2026-11-22T06:20:00.000Z" } ],   when the run kept both
 *     "errors": { "docs/a.txt": { "code": "access-denied", "retrying": false } } }
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AttentionItem, ConflictVersion } from '../../shared/StratusApi.js';
import type { Journal, RetryRecord } from '../ports.js';
import type { ItemError } from '../SyncResult.js';

const META_KEY = 'attention';
/** The contract's limit on the list. */
export const ATTENTION_LIMIT = 100;

export interface ConflictRecord {
  readonly path: string;
  readonly copyPath: string;
  /** ISO 8601. */
  readonly at: string;
}

interface ErrorKind {
  readonly code: string;
  readonly retrying: boolean;
}

interface AttentionState {
  version: 1;
  conflicts: ConflictRecord[];
  errors: Record<string, ErrorKind>;
}

/** Size and mtime of both files of a conflict as last shown: a resolution applies only to what the user saw. */
export interface ShownConflict {
  readonly here: { readonly size: number; readonly mtimeMs: number };
  readonly other: { readonly size: number; readonly mtimeMs: number };
}

export type AttentionJournal = Pick<Journal, 'getMeta' | 'setMeta' | 'loadRetries' | 'clearRetry'>;

function emptyState(): AttentionState {
  return { version: 1, conflicts: [], errors: {} };
}

function parseState(text: string | undefined): AttentionState {
  if (text === undefined) return emptyState();
  try {
    const value = JSON.parse(text) as Partial<AttentionState>;
    // An unknown version is read as empty rather than misread; it is only what waits for the user.
    if (value.version !== 1) return emptyState();
    return { version: 1, conflicts: Array.isArray(value.conflicts) ? value.conflicts : [], errors: value.errors ?? {} };
  } catch {
    return emptyState();
  }
}

/** Codes of ItemErrors that have no retry row behind them (the Propagator's own bookkeeping). */
const NOT_RECORDED = new Set(['waiting-to-retry', 'remote-changed', 'local-changed', 'remote-missing']);

export class AttentionLog {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly shown = new Map<string, ShownConflict>();

  constructor(private readonly journal: AttentionJournal) {}

  /** Conflicts recorded, newest last. */
  async conflicts(): Promise<ConflictRecord[]> {
    await this.chain;
    return (await this.load()).conflicts;
  }

  /**
   * After a run: records the conflicts it settled, remembers whether each
   * failed item retries by itself, and drops retry rows of paths the run
   * no longer planned anything for (the file was deleted, or both sides now
   * agree): their error would otherwise wait in the list forever. Paths the
   * scan could not settle keep theirs.
   */
  recordRun(run: {
    readonly conflicts: readonly ConflictRecord[];
    readonly errors: readonly ItemError[];
    readonly planned?: ReadonlySet<string>;
    readonly unsettled?: ReadonlySet<string>;
  }): Promise<void> {
    return this.update(async (state) => {
      const copies = new Set(run.conflicts.map((c) => c.copyPath));
      state.conflicts = [...state.conflicts.filter((c) => !copies.has(c.copyPath)), ...run.conflicts];
      for (const e of run.errors) if (!NOT_RECORDED.has(e.code)) state.errors[e.path] = { code: e.code, retrying: e.retrying };
      const retries = await this.journal.loadRetries();
      if (run.planned !== undefined) {
        for (const path of retries.keys()) {
          if (run.planned.has(path) || run.unsettled?.has(path) === true) continue;
          await this.journal.clearRetry(path);
          retries.delete(path);
        }
      }
      for (const path of Object.keys(state.errors)) if (!retries.has(path)) delete state.errors[path];
    });
  }

  /** Forgets a conflict, named by its copy (both files stay as they are). */
  forgetConflict(copyPath: string): Promise<void> {
    this.shown.delete(copyPath);
    return this.update((state) => {
      state.conflicts = state.conflicts.filter((c) => c.copyPath !== copyPath);
    });
  }

  /** Forgets the error of `path` and of everything below it, retry rows included. */
  forgetErrors(path: string): Promise<void> {
    return this.update(async (state) => {
      const under = (p: string): boolean => p === path || p.startsWith(`${path}/`);
      for (const p of (await this.journal.loadRetries()).keys()) if (under(p)) await this.journal.clearRetry(p);
      for (const p of Object.keys(state.errors)) if (under(p)) delete state.errors[p];
    });
  }

  /** What the list last showed for the conflict kept as `copyPath` (undefined: not shown by this engine). */
  shownConflict(copyPath: string): ShownConflict | undefined {
    return this.shown.get(copyPath);
  }

  /**
   * The "Needs attention" list: errors (those needing the user first), then
   * conflicts (newest first), at most {@link ATTENTION_LIMIT}. `device` is this
   * computer's name, shown on its version of each conflict.
   */
  async items(root: string, device: string): Promise<AttentionItem[]> {
    await this.chain;
    const retries = [...(await this.journal.loadRetries()).values()];
    const state = await this.load();
    const errors = retries
      .map((r) => errorItem(r, state.errors[r.path]))
      .sort((a, b) => Number(a.retrying) - Number(b.retrying) || compare(a.path, b.path));
    const items: AttentionItem[] = errors.slice(0, ATTENTION_LIMIT);
    const gone: string[] = [];
    for (const record of [...state.conflicts].reverse()) {
      if (items.length >= ATTENTION_LIMIT) break;
      const here = await version(root, record.copyPath, true);
      const other = await version(root, record.path, false);
      if (here === undefined || other === undefined) {
        gone.push(record.copyPath);
        continue;
      }
      this.shown.set(record.copyPath, { here: here.stamp, other: other.stamp });
      items.push({
        kind: 'conflict',
        path: record.path,
        message: `"${record.path}" was changed on this computer and in the cloud. Both versions were kept: this computer's is "${record.copyPath}".`,
        here: { ...here.version, device },
        other: other.version,
        at: record.at,
      });
    }
    if (gone.length > 0) {
      const dropped = new Set(gone);
      await this.update((s) => {
        s.conflicts = s.conflicts.filter((c) => !dropped.has(c.copyPath));
      });
    }
    return items;
  }

  private async load(): Promise<AttentionState> {
    return parseState(await this.journal.getMeta(META_KEY));
  }

  /** One read-modify-write at a time, in call order. */
  private update(change: (state: AttentionState) => void | Promise<void>): Promise<void> {
    const next = this.chain.then(async () => {
      const state = await this.load();
      await change(state);
      await this.journal.setMeta(META_KEY, JSON.stringify(state));
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}

function errorItem(r: RetryRecord, kind: ErrorKind | undefined): Extract<AttentionItem, { kind: 'error' }> {
  return {
    kind: 'error',
    path: r.path,
    message: r.lastError,
    // A row from before this was recorded is retried by the next run, like any due row.
    retrying: kind?.retrying ?? true,
    attempts: r.attempts,
    ...(r.nextAttemptAt > 0 ? { nextAttemptAt: new Date(r.nextAttemptAt).toISOString() } : {}),
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One side of a conflict as it is on disk; undefined when it is gone (or this computer's copy is no longer a file). */
async function version(
  root: string,
  path: string,
  mustBeFile: boolean,
): Promise<{ readonly version: ConflictVersion; readonly stamp: ShownConflict['here'] } | undefined> {
  const st = await lstat(join(root, ...path.split('/'))).catch(() => undefined);
  if (st === undefined || (mustBeFile && !st.isFile()) || (!st.isFile() && !st.isDirectory())) return undefined;
  const size = st.isFile() ? st.size : 0;
  return { version: { path, size, modifiedAt: new Date(st.mtimeMs).toISOString() }, stamp: { size, mtimeMs: st.mtimeMs } };
}
