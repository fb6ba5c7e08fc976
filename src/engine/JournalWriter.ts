/**
 * JournalWriter: the Propagator's synced-state rows, committed in groups.
 * Each row is handed over only after its item's action succeeded (as before);
 * rows are then committed together in one journal transaction (`batch`) once
 * `maxRows` are waiting, `maxDelayMs` after the first waiting row, at the end
 * of each phase and at the end of the run. One transaction per item cost a
 * WAL append of whole pages per file (issue 4: 10,000 uploads → 10,000
 * commits).
 *
 * Why this is safe: a row not yet committed when the process dies is the same
 * as a row a power loss drops (see the Journal port): the next run finds both
 * sides present (or both absent) with no row and compares them afresh by
 * content, which records identical content and never deletes or duplicates it.
 * Rows of one item (a move's forget and put) are always committed together.
 *
 * Emits nothing; a failed commit (the journal's disk failing) is thrown from
 * the next put/forget/flush, as a fatal StratusError.
 */
import type { SyncedEntry } from '../core/model.js';
import type { Journal } from './ports.js';

export interface JournalWriterOptions {
  /** Rows committed in one transaction. @default 256 */
  readonly maxRows?: number;
  /** Longest a finished item's row waits for its commit. @default 1000 */
  readonly maxDelayMs?: number;
}

export class JournalWriter {
  /** Path → the row to put, or null to forget it; the last change to a path wins. */
  private pending = new Map<string, SyncedEntry | null>();
  private timer: NodeJS.Timeout | undefined;
  private committing: Promise<void> = Promise.resolve();
  private failure: { readonly error: unknown } | undefined;
  private readonly maxRows: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly journal: Pick<Journal, 'batch'>,
    options: JournalWriterOptions = {},
  ) {
    this.maxRows = Math.max(1, options.maxRows ?? 256);
    this.maxDelayMs = options.maxDelayMs ?? 1000;
  }

  /** Records the synced state of `entry.path` (its action succeeded). */
  put(entry: SyncedEntry): Promise<void> {
    return this.change([entry], []);
  }

  forget(path: string): Promise<void> {
    return this.change([], [path]);
  }

  /** Several rows of one item, committed in the same transaction (e.g. a move). */
  change(put: readonly SyncedEntry[], forget: readonly string[]): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure.error);
    for (const path of forget) this.pending.set(path, null);
    for (const entry of put) this.pending.set(entry.path, entry);
    if (this.pending.size >= this.maxRows) return this.flush();
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush().catch(() => undefined); // kept in `failure`, thrown by the next call
    }, this.maxDelayMs);
    // The run flushes at its end anyway; a waiting commit alone must not keep the process alive.
    this.timer.unref();
    return Promise.resolve();
  }

  /** Commits every waiting row; resolves once they are in the journal. */
  flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.failure !== undefined) return Promise.reject(this.failure.error);
    if (this.pending.size === 0) return this.committing;
    const rows = this.pending;
    this.pending = new Map();
    const put: SyncedEntry[] = [];
    const forget: string[] = [];
    for (const [path, entry] of rows) {
      if (entry === null) forget.push(path);
      else put.push(entry);
    }
    // Commits run one after another, in order, so a later change to a path always wins.
    this.committing = this.committing.then(() => this.journal.batch({ put, forget })).catch((error: unknown) => {
      this.failure ??= { error };
      throw error;
    });
    return this.committing;
  }
}
