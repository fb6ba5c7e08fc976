/**
 * Propagate: executes a Plan, phase by phase (core/plan.ts PHASES), through a
 * bounded pool of workers, and hands each item's journal row over only after
 * its action succeeded (JournalWriter commits them in groups). Every action first checks that the world still looks as it did
 * when the plan was made: remote writes are conditional on ETags, local
 * deletes and renames on the expected size and mtime, downloads never replace
 * a file that changed since the scan. A failed item gets a retry row (backoff
 * with jitter) and never aborts the run; only a fatal error (e.g. the journal's
 * disk failing) does.
 *
 * Tells its caller as each user-visible item starts (with the bytes it moves)
 * and finishes (onStart / onItem); returns counts, item errors and whether
 * another run should follow (something changed underneath this one).
 */
import { randomUUID } from 'node:crypto';
import { lstat, mkdir, readdir, rename, rm, rmdir, stat, statfs, utimes } from 'node:fs/promises';
import { quickStat } from './local/fastFs.js';
import { dirname, join } from 'node:path';
import { caseFoldKey, pathToKey } from '../core/keys.js';
import type { SyncedEntry } from '../core/model.js';
import type { LocalOs } from '../core/names.js';
import { PHASES, type Action, type Plan } from '../core/plan.js';
import { StratusError, isStratusError } from '../core/StratusError.js';
import { md5File } from './local/hashFile.js';
import { ENGINE_TEMP_PREFIX, type IgnoreRules } from './local/IgnoreRules.js';
import type { Logger } from './logger.js';
import { JournalWriter } from './JournalWriter.js';
import type { Journal, RemoteObjectInfo, RemoteStore, RetryRecord } from './ports.js';
import { isRetryable, retryAfterMs } from './remote/s3Errors.js';
import { nextAttemptDelayMs } from './retryPolicy.js';
import { formatBytes } from '../shared/format.js';
import type { CompletedItem, ItemActivity, ItemError, StartedItem, SyncCounts } from './SyncResult.js';

export interface PropagatorOptions {
  readonly root: string;
  readonly prefix: string;
  readonly os: LocalOs;
  readonly remote: RemoteStore;
  readonly journal: Journal;
  /** The journal as it was when the plan was made. */
  readonly synced: ReadonlyMap<string, SyncedEntry>;
  /** On-disk relative path for core paths whose disk name is not NFC (from the scan). */
  readonly diskPaths: ReadonlyMap<string, string>;
  readonly ignore: IgnoreRules;
  /** Moves a file to the OS trash (local deletes are recoverable). */
  readonly trash: (absolutePath: string) => Promise<void>;
  readonly log: Logger;
  /** Transfers in flight. @default 8 */
  readonly concurrency?: number;
  /** Downloads that would leave less free space than this are refused (SCENARIOS 41). @default 256 MiB */
  readonly minFreeBytes?: number;
  readonly signal?: AbortSignal;
  /** Told about every item that moved something (or failed to), as it finishes. */
  readonly onItem?: (item: CompletedItem) => void;
  /** Told as each such item starts, with the bytes it moves. */
  readonly onStart?: (item: StartedItem) => void;
  readonly now?: () => number;
  readonly random?: () => number;
}

export interface PropagateOutcome {
  readonly counts: SyncCounts;
  readonly errors: ItemError[];
  readonly runAgain: boolean;
  /** Epoch ms of the earliest automatic retry of an item that failed or is waiting (undefined: none). */
  readonly nextRetryAt?: number;
}

/** What each action is, to the user (Activity); absent: bookkeeping the user never sees. */
const ACTIVITY: Partial<Record<Action['type'], ItemActivity>> = {
  upload: 'uploaded',
  download: 'downloaded',
  deleteRemote: 'deleted-remotely',
  deleteLocal: 'deleted-here',
  createRemoteFolder: 'folder-created',
  createLocalFolder: 'folder-created',
  deleteRemoteFolder: 'folder-deleted',
  deleteLocalFolder: 'folder-deleted',
  moveRemote: 'moved',
  moveLocal: 'moved',
  conflict: 'conflict',
};

/**
 * The user-visible item an action is, or undefined for bookkeeping. A conflict
 * is named by its original path and says where this computer's version went.
 */
function itemOf(a: Action): Omit<CompletedItem, 'failure'> | undefined {
  const activity = ACTIVITY[a.type];
  if (activity === undefined) return undefined;
  switch (a.type) {
    case 'upload':
    case 'download':
      return { path: a.path, activity, bytes: a.size };
    case 'conflict':
      return { path: a.path, activity, conflictPath: a.conflictPath, bytes: a.size + a.expected.size };
    case 'moveLocal':
      return a.reason === 'conflict' ? { path: a.from, activity: 'conflict', conflictPath: a.path } : { path: a.path, activity };
    default:
      return { path: a.path, activity };
  }
}

/** The user-visible items of a plan, in order (the header's "N of M" and what is still pending). */
export function plannedItems(actions: readonly Action[]): string[] {
  const paths: string[] = [];
  for (const a of actions) {
    const item = itemOf(a);
    if (item !== undefined) paths.push(item.path);
  }
  return paths;
}

/** Bytes the actions move (the header's "bytes left" at the start of a run). */
export function plannedBytes(actions: readonly Action[]): number {
  let bytes = 0;
  for (const a of actions) if (a.type === 'upload' || a.type === 'download' || a.type === 'conflict') bytes += itemOf(a)?.bytes ?? 0;
  return bytes;
}

/** Codes that mean "the world moved since planning": the next plan resolves them, no backoff needed. */
const REPLAN_CODES = new Set(['remote-changed', 'local-changed', 'remote-missing']);

function localChanged(path: string): StratusError {
  return new StratusError('local-changed', `"${path}" changed on this computer while Stratus was syncing it; it will be synced on the next pass.`, {
    severity: 'soft',
    path,
  });
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

export class Propagator {
  private readonly counts = { uploaded: 0, downloaded: 0, deletedLocal: 0, deletedRemote: 0, moved: 0, conflicts: 0, errors: 0 };
  private readonly errors: ItemError[] = [];
  private runAgain = false;
  private nextRetryAt: number | undefined;
  private readonly now: () => number;
  private readonly random: () => number;

  /** Synced-state rows of finished items, committed in groups (JournalWriter). */
  private readonly rows: JournalWriter;

  constructor(private readonly o: PropagatorOptions) {
    this.rows = new JournalWriter(o.journal);
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
  }

  async run(plan: Plan): Promise<PropagateOutcome> {
    const retries = await this.o.journal.loadRetries();
    try {
      for (const phase of PHASES) {
        const actions: Action[] = [];
        for (const action of plan.actions) {
          if (!phase.includes(action.type)) continue;
          const retry = retries.get(action.path);
          if (retry !== undefined && retry.nextAttemptAt > this.now() && action.type !== 'problem') {
            this.errors.push({ path: action.path, code: 'waiting-to-retry', message: `Waiting to retry "${action.path}": ${retry.lastError}`, retrying: true });
            this.retryAt(retry.nextAttemptAt);
            continue;
          }
          actions.push(action);
        }
        if (actions.length === 0) continue;
        // Folder deletions depend on their children going first, and renames may free
        // names other renames need: those phases run one at a time, in plan order.
        const sequential = phase.includes('deleteLocalFolder') || phase.includes('deleteRemoteFolder') || phase.includes('moveLocal');
        await this.runPhase(actions, sequential ? 1 : (this.o.concurrency ?? 8), retries);
        await this.rows.flush();
        this.o.signal?.throwIfAborted();
      }
    } catch (err) {
      // Items that succeeded before a fatal error or an abort keep their rows; the run's own error is what is reported.
      await this.rows.flush().catch(() => undefined);
      throw err;
    }
    this.counts.errors = this.errors.filter((e) => e.code !== 'waiting-to-retry').length;
    return { counts: { ...this.counts }, errors: this.errors, runAgain: this.runAgain, ...(this.nextRetryAt === undefined ? {} : { nextRetryAt: this.nextRetryAt }) };
  }

  /**
   * Runs one phase's actions with at most `concurrency` in flight, in plan
   * order. Workers take the next action when they finish one, so only the
   * actions in flight exist as promises (not one queued task per file of a
   * 10,000-file first sync). A fatal error stops the phase: no new action
   * starts, the ones running finish, then it is thrown.
   */
  private async runPhase(actions: readonly Action[], concurrency: number, retries: ReadonlyMap<string, RetryRecord>): Promise<void> {
    let next = 0;
    let fatal: { readonly error: unknown } | undefined;
    const worker = async (): Promise<void> => {
      for (let action = actions[next++]; action !== undefined; action = actions[next++]) {
        if (fatal !== undefined || this.o.signal?.aborted === true) return;
        const retry = retries.get(action.path);
        try {
          try {
            const item = this.o.onStart === undefined ? undefined : itemOf(action);
            if (item !== undefined) this.o.onStart?.({ path: item.path, bytes: item.bytes ?? 0 });
            await this.execute(action);
            if (retry !== undefined) await this.o.journal.clearRetry(action.path);
            this.tell(action);
          } catch (err) {
            if (isStratusError(err) && err.severity === 'fatal') throw err;
            const failure = await this.fail(action, err, retry?.attempts ?? 0);
            this.tell(action, failure);
          }
        } catch (err) {
          fatal ??= { error: err };
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, actions.length) }, worker));
    if (fatal !== undefined) throw fatal.error;
  }

  /** The item's activity for the user, or undefined for bookkeeping (record, forget) and problems (reported as errors). */
  private tell(action: Action, failure?: CompletedItem['failure']): void {
    if (this.o.onItem === undefined) return;
    const item = itemOf(action);
    if (item === undefined) return;
    this.o.onItem(failure === undefined ? item : { ...item, failure });
  }

  private async fail(action: Action, err: unknown, attempts: number): Promise<CompletedItem['failure']> {
    const error = isStratusError(err)
      ? err
      : new StratusError('local-error', `Could not sync "${action.path}": ${err instanceof Error ? err.message : String(err)}`, { cause: err, path: action.path });
    if (REPLAN_CODES.has(error.code)) {
      this.runAgain = true;
      this.errors.push({ path: action.path, code: error.code, message: error.message, retrying: true });
      return { code: error.code, message: error.message, retrying: true };
    }
    const retrying = isRetryable(error);
    const delay = nextAttemptDelayMs(attempts + 1, this.random, { atLeastMs: retryAfterMs(error) ?? 0 });
    await this.o.journal.putRetry({ path: action.path, attempts: attempts + 1, nextAttemptAt: this.now() + delay, lastError: error.message });
    this.errors.push({ path: action.path, code: error.code, message: error.message, retrying });
    if (retrying) this.retryAt(this.now() + delay);
    this.o.log.warn('item failed', { path: action.path, code: error.code, attempts: attempts + 1 });
    return { code: error.code, message: error.message, retrying };
  }

  private retryAt(at: number): void {
    this.nextRetryAt = this.nextRetryAt === undefined ? at : Math.min(this.nextRetryAt, at);
  }

  private abs(path: string): string {
    const disk = this.o.diskPaths.get(path) ?? path;
    return join(this.o.root, ...disk.split('/'));
  }

  private async execute(a: Action): Promise<void> {
    const { remote } = this.o;
    switch (a.type) {
      case 'problem':
        this.errors.push({ path: a.path, code: a.code, message: a.message, retrying: false });
        return;
      case 'forget':
        return this.rows.forget(a.path);
      case 'record':
        return this.rows.put(a.entry);
      case 'upload': {
        await this.upload(a.path, a.key, a.md5, { size: a.size, mtimeMs: a.mtimeMs }, a.ifMatch === undefined ? { ifNoneMatch: true } : { ifMatch: a.ifMatch });
        this.counts.uploaded++;
        return;
      }
      case 'download': {
        await this.download(a.path, a.key, a.etag, a.size);
        this.counts.downloaded++;
        return;
      }
      case 'deleteRemote':
      case 'deleteRemoteFolder': {
        await this.deleteRemote(a.key, a.etag);
        await this.rows.forget(a.path);
        if (a.type === 'deleteRemote') this.counts.deletedRemote++;
        return;
      }
      case 'deleteLocal': {
        const file = this.abs(a.path);
        await this.expectLocal(a.path, file, a.expected);
        await this.o.trash(file);
        await this.rows.forget(a.path);
        this.counts.deletedLocal++;
        return;
      }
      case 'createRemoteFolder': {
        const { etag } = await remote.createFolderMarker(a.key);
        await this.rows.put(this.folderEntry(a.path, a.key, etag));
        return;
      }
      case 'createLocalFolder': {
        const dir = this.abs(a.path);
        const existing = await lstat(dir).catch(() => undefined);
        if (existing !== undefined && !existing.isDirectory()) throw localChanged(a.path);
        await mkdir(dir, { recursive: true });
        const key = pathToKey(a.path, this.o.prefix, this.o.os, true);
        await this.rows.put(this.folderEntry(a.path, key.ok ? key.key : '', ''));
        return;
      }
      case 'deleteLocalFolder':
        return this.deleteLocalFolder(a.path);
      case 'moveRemote': {
        await remote.copy(a.fromKey, a.key, { sourceEtag: a.etag, ifNoneMatch: true });
        const info = await remote.head(a.key);
        if (a.local !== undefined && info !== undefined) {
          await this.rows.put({ path: a.path, kind: 'file', local: a.local, remote: { key: a.key, etag: info.etag, size: info.size }, md5: a.md5 });
        }
        // Only after the copy is recorded: if this delete fails, the next run sees the old
        // key as locally deleted and removes it; nothing is downloaded twice.
        await this.deleteRemote(a.fromKey, a.etag);
        await this.rows.forget(a.from);
        this.counts.moved++;
        return;
      }
      case 'moveLocal': {
        const from = this.abs(a.from);
        const to = this.abs(a.path);
        await this.expectLocal(a.from, from, a.expected);
        // A case-only rename (`Foo` → `foo`) on a case-insensitive disk finds `from` under
        // `to`; rename() handles it, so only a different file in the way is a change.
        const caseOnly = caseFoldKey(a.from) === caseFoldKey(a.path);
        if (!caseOnly && (await exists(to))) throw localChanged(a.path);
        await mkdir(dirname(to), { recursive: true });
        await rename(from, to);
        const put: SyncedEntry[] = [];
        if (a.remote !== undefined) {
          const st = await stat(to);
          const md5 = this.o.synced.get(a.from)?.md5;
          put.push({ path: a.path, kind: 'file', local: { size: st.size, mtimeMs: st.mtimeMs, inode: st.ino }, remote: a.remote, ...(md5 === undefined ? {} : { md5 }) });
        }
        await this.rows.change(put, [a.from]);
        this.counts.moved++;
        return;
      }
      case 'conflict':
        return this.conflict(a);
    }
  }

  private folderEntry(path: string, key: string, etag: string): SyncedEntry {
    return { path, kind: 'folder', local: { size: 0, mtimeMs: 0 }, remote: { key, etag, size: 0 } };
  }

  /** Throws local-changed unless the file still has the size and mtime the plan saw. */
  private async expectLocal(path: string, file: string, expected: { size: number; mtimeMs: number }): Promise<void> {
    const st = await lstat(file).catch(() => undefined);
    if (st === undefined || !st.isFile() || st.size !== expected.size || st.mtimeMs !== expected.mtimeMs) throw localChanged(path);
  }

  private async upload(path: string, key: string, md5: string, expected: { size: number; mtimeMs: number }, conditions: { ifMatch?: string; ifNoneMatch?: true }): Promise<void> {
    const file = this.abs(path);
    const st = await quickStat(file, false).catch(() => undefined);
    if (st === undefined || !st.isFile() || st.size !== expected.size || st.mtimeMs !== expected.mtimeMs) throw localChanged(path);
    const { etag } = await this.o.remote.upload({
      key,
      filePath: file,
      size: st.size,
      md5,
      mtimeMs: st.mtimeMs,
      ...conditions,
      ...(this.o.signal === undefined ? {} : { signal: this.o.signal }),
    });
    await this.rows.put({
      path,
      kind: 'file',
      local: { size: st.size, mtimeMs: st.mtimeMs, inode: st.ino },
      remote: { key, etag, size: st.size },
      md5,
    });
  }

  /**
   * Downloads into a temp file in the destination folder, then renames it into
   * place: a half-written file never appears under the real name (SCENARIOS 32).
   */
  private async download(path: string, key: string, etag: string, size: number): Promise<RemoteObjectInfo> {
    const dest = this.abs(path);
    const dir = dirname(dest);
    await mkdir(dir, { recursive: true });
    await this.ensureSpace(path, dir, size);
    const temp = join(dir, `${ENGINE_TEMP_PREFIX}${randomUUID()}`);
    try {
      const info = await this.o.remote.download({ key, ifMatch: etag, toFile: temp, size, ...(this.o.signal === undefined ? {} : { signal: this.o.signal }) });
      await this.assertReplaceable(path, dest);
      if (info.mtimeMs !== undefined && Number.isFinite(info.mtimeMs) && info.mtimeMs > 0) {
        const seconds = info.mtimeMs / 1000;
        await utimes(temp, seconds, seconds);
      }
      await rename(temp, dest);
      const st = await stat(dest);
      await this.rows.put({
        path,
        kind: 'file',
        local: { size: st.size, mtimeMs: st.mtimeMs, inode: st.ino },
        remote: { key, etag: info.etag, size: info.size },
        ...(info.md5 === undefined ? {} : { md5: info.md5 }),
      });
      return info;
    } finally {
      await rm(temp, { force: true });
    }
  }

  /** A download may replace only a file that is as the journal last saw it. */
  private async assertReplaceable(path: string, dest: string): Promise<void> {
    const st = await lstat(dest).catch(() => undefined);
    if (st === undefined) return;
    const synced = this.o.synced.get(path);
    if (st.isFile() && synced !== undefined && synced.kind === 'file' && st.size === synced.local.size && st.mtimeMs === synced.local.mtimeMs) return;
    throw localChanged(path);
  }

  private async ensureSpace(path: string, dir: string, size: number): Promise<void> {
    const floor = this.o.minFreeBytes ?? 256 * 1024 * 1024;
    const fs = await statfs(dir).catch(() => undefined);
    if (fs === undefined) return;
    const free = Number(fs.bavail) * Number(fs.bsize);
    if (free - size < floor) {
      throw new StratusError(
        'disk-full',
        `Not enough free space to download "${path}" (${formatBytes(size)} needed, ${formatBytes(free)} free; Stratus keeps ${formatBytes(floor)} free). Free some space and it will be downloaded.`,
        { severity: 'item', path },
      );
    }
  }

  private async deleteRemote(key: string, etag: string): Promise<void> {
    try {
      await this.o.remote.delete(key, etag === '' ? {} : { ifMatch: etag });
    } catch (err) {
      // Already gone is what we wanted.
      if (isStratusError(err) && err.code === 'remote-missing') return;
      throw err;
    }
  }

  /** Removes an empty folder; OS junk files (ignored anyway) do not keep it alive. */
  private async deleteLocalFolder(path: string): Promise<void> {
    const dir = this.abs(path);
    try {
      await rmdir(dir);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT') {
        await this.rows.forget(path);
        return;
      }
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      const children = await readdir(dir, { withFileTypes: true });
      const junk = children.every((c) => c.isFile() && this.o.ignore.isIgnored(`${path}/${c.name}`, 'file') && !this.o.ignore.isEngineFile(`${path}/${c.name}`));
      // Unsynced content inside: keep the folder (its new files are uploaded in this run).
      if (!junk) return;
      for (const child of children) await rm(join(dir, child.name), { force: true });
      await rmdir(dir);
    }
    await this.rows.forget(path);
  }

  /**
   * Both sides changed: the local version moves aside under the conflicted-copy
   * name, the server's version takes the original name, and the copy is uploaded.
   * If anything fails midway, the local version is already safe under its new name.
   */
  private async conflict(a: Extract<Action, { type: 'conflict' }>): Promise<void> {
    const src = this.abs(a.path);
    const copy = this.abs(a.conflictPath);
    await this.expectLocal(a.path, src, a.expected);
    if (await exists(copy)) throw localChanged(a.conflictPath);
    await rename(src, copy);
    await this.rows.forget(a.path);
    this.counts.conflicts++;
    await this.download(a.path, a.key, a.etag, a.size);
    const st = await stat(copy);
    const md5 = await md5File(copy, this.o.signal);
    await this.upload(a.conflictPath, a.conflictKey, md5, { size: st.size, mtimeMs: st.mtimeMs }, { ifNoneMatch: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}

