/**
 * Local discovery: walks the sync root and returns a LocalSnapshot (files and
 * folders with NFC core paths, size, mtime, inode and content MD5) plus the
 * item problems found on the way. It never changes anything on disk; the only
 * thing it writes is the hash cache (`replaceHashes`, after a complete scan).
 *
 * - The walk is iterative (a stack of folders, each read with `opendir`), so
 *   memory grows with the widest folder, not the depth or total file count.
 * - Symbolic links are never followed; they, special files, unreadable items
 *   and names that cannot be synced become item problems, never silent skips.
 * - A file is read only when the hash cache has no entry with the same
 *   (inode, size, mtime, ctime); reads run at most `hashConcurrency` at once,
 *   except small files, read synchronously while the disk answers fast
 *   (hashFile.ts hashSmallFileSync).
 * - `unsettled` lists paths whose local state is unknown this scan. The
 *   planner must treat them (and, for a folder, everything below) as "leave
 *   alone", never as deleted (SCENARIOS 36, 37).
 */
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import PQueue from 'p-queue';
import { ancestors } from '../../core/keys.js';
import type { LocalEntry, LocalSnapshot } from '../../core/model.js';
import { isCanonicalName, type LocalOs } from '../../core/names.js';
import { StratusError } from '../../core/StratusError.js';
import type { Logger } from '../logger.js';
import type { HashCache, HashCacheEntry } from '../ports.js';
import { hashSmallFileSync, hashStableFile, hasIdentity, isImplausibleTime, safeTimeMs, SMALL_FILE_BYTES, type HashOutcome } from './hashFile.js';
import { errnoCode } from './fsErrors.js';
import { ENGINE_TEMP_PREFIX } from './defaultIgnores.js';
import type { IgnoreRules } from './IgnoreRules.js';
import * as problems from './localProblems.js';
import { readFolder, type ListedChild } from './readFolder.js';

export interface LocalScanOptions {
  /** Absolute path of the sync root (may itself be a symlink to a folder; links below it are not followed). */
  readonly root: string;
  readonly os: LocalOs;
  readonly hashCache: HashCache;
  /** Loaded by the caller (`IgnoreRules.load(root)`) before the scan. */
  readonly ignore: IgnoreRules;
  readonly signal?: AbortSignal;
  readonly log?: Logger;
  /**
   * The disk treats names differing only in case as one (macOS, Windows). Two
   * such names can then only meet in a case-sensitive subfolder; the second is
   * reported as a `case-clash` instead of becoming a second entry.
   * @default false
   */
  readonly caseInsensitive?: boolean;
  /** Files hashed at once; each holds one 1 MiB buffer. @default 4 (minimum 1) */
  readonly hashConcurrency?: number;
  /** Read every file whatever the cache says: the periodic hash check (SCENARIOS 27). @default false */
  readonly rehashAll?: boolean;
}

export interface LocalScanStats {
  readonly files: number;
  readonly folders: number;
  /** Sum of the sizes of the files in the snapshot. */
  readonly bytes: number;
}

export interface LocalScanResult {
  readonly snapshot: LocalSnapshot;
  /** Files whose content was actually read this scan (cache misses). */
  readonly hashed: number;
  readonly stats: LocalScanStats;
  /**
   * Core paths that exist (or may) on disk but have no trustworthy entry:
   * unreadable or still changing files, folders that could not be listed,
   * symlinks and special files, items that vanished mid-scan. For a folder,
   * everything below it is unknown too. Never evidence of a delete.
   */
  readonly unsettled: ReadonlySet<string>;
  /**
   * Disk path (relative, `/`-separated) of each entry whose on-disk name is
   * not NFC, keyed by core path; empty on most disks. Needed to open such a
   * file on Linux, where the NFC path names a different (missing) file.
   */
  readonly diskPaths: ReadonlyMap<string, string>;
  /**
   * Disk paths (relative) of the engine's own download temp files
   * (`.stratus-tmp-*`) found in the folder: left by a process that died
   * mid-download, since only one engine runs per folder (SyncRootLock).
   */
  readonly leftoverTemps: readonly string[];
}

/** Hash tasks allowed to wait in the queue before the walk pauses, so a cold scan of 1M files stays bounded. */
const MAX_QUEUED_HASHES = 256;
/** Longest stretch the walk runs without giving the event loop a turn (checked between folders). */
const MAX_TURN_MS = 5;
/** Small files hashed synchronously (hashSmallFileSync) between two turns of the event loop. */
const SYNC_HASHES_PER_TURN = 256;

interface Folder {
  /** Core path ('' for the root). */
  readonly core: string;
  /** Relative path as named on disk (differs from `core` only for non-NFC names). */
  readonly disk: string;
}

function joinRel(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`;
}

/** Names already used in one folder, for clash detection. */
interface TakenNames {
  readonly exact: Set<string>;
  /** Case-folded NFC names; only filled on a case-insensitive disk. */
  readonly folded: Set<string>;
}

/** Walks the sync root once. Throws StratusError (fatal) for a missing or unreadable root, or the signal's reason on abort. */
export async function scanLocal(options: LocalScanOptions): Promise<LocalScanResult> {
  return new LocalScan(options).run();
}

class LocalScan {
  private readonly entries: LocalEntry[] = [];
  private readonly problems: problems.LocalProblem[] = [];
  private readonly unsettled = new Set<string>();
  private readonly diskPaths = new Map<string, string>();
  private readonly leftoverTemps: string[] = [];
  private readonly seenHashes: HashCacheEntry[] = [];
  private readonly queue: PQueue;
  private cache = new Map<string, HashCacheEntry>();
  private hashed = 0;
  private syncHashes = 0;
  private implausibleTimes = 0;
  /** First unexpected failure of a hash task (in practice only an abort). */
  private taskFailure: { readonly error: unknown } | undefined;

  constructor(private readonly options: LocalScanOptions) {
    this.queue = new PQueue({ concurrency: Math.max(1, options.hashConcurrency ?? 4) });
  }

  async run(): Promise<LocalScanResult> {
    const started = Date.now();
    const { signal } = this.options;
    signal?.throwIfAborted();
    await this.checkRoot();
    this.cache = await this.options.hashCache.loadHashes();
    try {
      await this.walk();
      await this.queue.onIdle();
    } finally {
      // On abort, drop waiting hashes; running ones stop at their next chunk.
      this.queue.clear();
    }
    if (this.taskFailure !== undefined) throw this.taskFailure.error;
    signal?.throwIfAborted();
    await this.options.hashCache.replaceHashes([...this.seenHashes, ...this.retainedHashes()]);
    return this.result(Date.now() - started);
  }

  private async checkRoot(): Promise<void> {
    const { root } = this.options;
    let rootStats: Stats;
    try {
      // stat, not lstat: a root that is itself a link to a folder is a common, deliberate setup.
      rootStats = await stat(root);
    } catch (cause) {
      const code = errnoCode(cause);
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw new StratusError(
          'sync-root-missing',
          `The sync folder ${root} does not exist (was it moved, or is a drive unmounted?). Nothing was changed.`,
          { severity: 'fatal', cause },
        );
      }
      throw this.rootUnreadable(code, cause);
    }
    if (!rootStats.isDirectory()) {
      throw new StratusError(
        'sync-root-not-a-folder',
        `The sync folder ${root} is a file, not a folder. Choose a folder to sync; nothing was changed.`,
        { severity: 'fatal' },
      );
    }
  }

  private rootUnreadable(code: string, cause: unknown): StratusError {
    return new StratusError(
      'sync-root-unreadable',
      `Stratus could not read the sync folder ${this.options.root} (${code}). Check that it is accessible; nothing was changed.`,
      { severity: 'fatal', cause },
    );
  }

  private async walk(): Promise<void> {
    const stack: Folder[] = [{ core: '', disk: '' }];
    let turnStarted = performance.now();
    for (let folder = stack.pop(); folder !== undefined; folder = stack.pop()) {
      // With the synchronous calls (fastFs.ts) a walk would otherwise never give the event loop a turn:
      // the remote listing running beside it could not send its next page request until the walk ends.
      if (performance.now() - turnStarted > MAX_TURN_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        turnStarted = performance.now();
      }
      this.options.signal?.throwIfAborted();
      if (this.taskFailure !== undefined) return;
      const children = await this.list(folder);
      const taken: TakenNames = { exact: new Set(), folded: new Set() };
      for (const child of children) {
        // Most names are decided synchronously; only a hash that must wait returns a promise.
        const visited = this.visit(folder, child, taken);
        const subfolder = visited instanceof Promise ? await visited : visited;
        if (subfolder !== undefined) stack.push(subfolder);
      }
    }
  }

  /** A folder's children; none when it cannot be listed (reported, unless it simply vanished). */
  private async list(folder: Folder): Promise<ListedChild[]> {
    try {
      return await readFolder(join(this.options.root, folder.disk));
    } catch (cause) {
      const code = errnoCode(cause);
      // Never an empty root snapshot for a root we could not read: that would look like "delete everything".
      if (folder.core === '') throw this.rootUnreadable(code, cause);
      this.unsettled.add(folder.core);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') this.problems.push(problems.unreadableProblem(folder.core, code, true));
      return [];
    }
  }

  /** Decides what one listed name becomes; returns the folder to descend into, if any (a promise only when it must wait). */
  private visit(parent: Folder, child: ListedChild, taken: TakenNames): Folder | undefined | Promise<undefined> {
    const { name, nfc, stat: statted } = child;
    const core = joinRel(parent.core, nfc);
    const disk = joinRel(parent.disk, name);
    const { ignore } = this.options;
    if (!('stats' in statted)) {
      if (ignore.isIgnored(core, 'file') || ignore.isIgnored(core, 'folder')) return undefined;
      this.statFailed(core, name, errnoCode(statted.error));
      return undefined;
    }
    const { stats } = statted;
    const isFolder = stats.isDirectory();
    if (stats.isFile() && name.startsWith(ENGINE_TEMP_PREFIX)) this.leftoverTemps.push(disk);
    if (ignore.isIgnored(core, isFolder ? 'folder' : 'file')) return undefined;

    const folded = this.options.caseInsensitive === true ? nfc.toLowerCase() : undefined;
    if (taken.exact.has(nfc) || (folded !== undefined && taken.folded.has(folded))) {
      // The survivor already holds this core path, so the loser must not mark it unsettled.
      this.problems.push(problems.nfcClashProblem(core, taken.exact.has(nfc) ? 'nfc' : 'case'));
      return undefined;
    }
    taken.exact.add(nfc);
    if (folded !== undefined) taken.folded.add(folded);

    if (stats.isSymbolicLink()) return this.unsyncable(problems.symlinkProblem(core));
    if (!isFolder && !stats.isFile()) return this.unsyncable(problems.specialFileProblem(core));
    if (!isCanonicalName(nfc, this.options.os)) {
      this.problems.push(problems.nonCanonicalNameProblem(core, isFolder));
      return undefined;
    }
    if (isFolder) {
      this.addEntry(this.entryFor(core, 'folder', stats), disk);
      return { core, disk };
    }
    return this.fileSeen(core, disk, stats)?.then(() => undefined);
  }

  private statFailed(core: string, name: string, code: string): void {
    if (code === 'ENOENT' && name.includes('\uFFFD')) {
      this.problems.push(problems.nameNotUtf8Problem(core));
    } else if (code === 'ENOENT') {
      // Listed a moment ago, gone now: an editor's delete + recreate looks like this, so not a delete (SCENARIOS 35).
      this.unsettled.add(core);
    } else {
      this.unsyncable(problems.unreadableProblem(core, code, false));
    }
  }

  private unsyncable(problem: problems.LocalProblem): undefined {
    this.problems.push(problem);
    this.unsettled.add(problem.path);
    return undefined;
  }

  private addEntry(entry: LocalEntry, disk: string): void {
    this.entries.push(entry);
    if (disk !== entry.path) this.diskPaths.set(entry.path, disk);
  }

  private entryFor(path: string, kind: 'file' | 'folder', stats: Stats, md5?: string): LocalEntry {
    const mtimeMs = safeTimeMs(stats.mtimeMs);
    if (isImplausibleTime(stats.mtimeMs)) this.implausibleTimes++;
    const size = kind === 'file' ? stats.size : 0;
    // 0 means "no file ID" on some Windows file systems (FAT): better none than a shared one.
    // (Written out rather than spread: this runs once per file of every scan.)
    if (stats.ino === 0) return md5 === undefined ? { path, kind, size, mtimeMs } : { path, kind, size, mtimeMs, md5 };
    return md5 === undefined ? { path, kind, size, mtimeMs, inode: stats.ino } : { path, kind, size, mtimeMs, inode: stats.ino, md5 };
  }

  /** Records a file (from the hash cache, or hashed now or later); a promise only when the walk must wait. */
  private fileSeen(core: string, disk: string, stats: Stats): Promise<void> | undefined {
    const cached = this.cache.get(core);
    if (this.options.rehashAll !== true && cached !== undefined && hasIdentity(cached, stats)) {
      this.addEntry(this.entryFor(core, 'file', stats, cached.md5), disk);
      this.seenHashes.push(cached);
      return undefined;
    }
    if (stats.size <= SMALL_FILE_BYTES) {
      const outcome = hashSmallFileSync(join(this.options.root, disk), stats);
      if (outcome !== undefined) {
        this.recordHash(core, disk, outcome);
        // A folder of many small files must not hold the event loop (Ctrl-C, timers) until it is done.
        if (++this.syncHashes % SYNC_HASHES_PER_TURN !== 0) return undefined;
        return new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.options.signal?.throwIfAborted());
      }
    }
    // Backpressure: pause the walk rather than queue a closure per file of a huge cold tree.
    if (this.queue.size >= MAX_QUEUED_HASHES) return this.queue.onSizeLessThan(MAX_QUEUED_HASHES / 2).then(() => this.enqueueHash(core, disk, stats));
    this.enqueueHash(core, disk, stats);
    return undefined;
  }

  private enqueueHash(core: string, disk: string, stats: Stats): void {
    const { signal } = this.options;
    void this.queue
      .add(() => this.hash(core, disk, stats), signal === undefined ? {} : { signal })
      .catch((error: unknown) => {
        this.taskFailure ??= { error };
      });
  }

  private async hash(core: string, disk: string, listed: Stats): Promise<void> {
    this.recordHash(core, disk, await hashStableFile(join(this.options.root, disk), listed, this.options.signal));
  }

  private recordHash(core: string, disk: string, outcome: HashOutcome): void {
    switch (outcome.kind) {
      case 'hashed': {
        this.hashed++;
        const { identity, md5 } = outcome;
        this.seenHashes.push({ path: core, ...identity, md5 });
        // The entry describes the stats the hash was verified against, not the (possibly older) listed ones.
        const entry = {
          path: core,
          kind: 'file',
          size: identity.size,
          mtimeMs: identity.mtimeMs,
          ...(identity.inode === 0 ? {} : { inode: identity.inode }),
          md5,
        } as const;
        this.addEntry(entry, disk);
        return;
      }
      case 'changing':
        this.hashed++;
        this.unsyncable(problems.changingProblem(core));
        return;
      case 'vanished':
        this.unsettled.add(core);
        return;
      case 'unreadable':
        this.unsyncable(problems.unreadableProblem(core, outcome.code, false));
        return;
    }
  }

  /** Old cache rows under unsettled paths: not seen, but not gone either, so worth keeping. */
  private retainedHashes(): HashCacheEntry[] {
    if (this.unsettled.size === 0) return [];
    const seen = new Set(this.seenHashes.map((entry) => entry.path));
    return [...this.cache.values()].filter(
      (entry) =>
        !seen.has(entry.path) &&
        (this.unsettled.has(entry.path) || ancestors(entry.path).some((folder) => this.unsettled.has(folder))),
    );
  }

  private result(elapsedMs: number): LocalScanResult {
    const entries = [...this.entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const stats = { files: 0, folders: 0, bytes: 0 };
    for (const entry of entries) {
      if (entry.kind === 'folder') stats.folders++;
      else {
        stats.files++;
        stats.bytes += entry.size;
      }
    }
    for (const problem of this.problems) this.options.log?.debug('local item problem', { path: problem.path, code: problem.code });
    if (this.implausibleTimes > 0) {
      this.options.log?.debug('files with implausible modification times kept as reported', { count: this.implausibleTimes });
    }
    this.options.log?.info('local scan finished', {
      ...stats,
      hashed: this.hashed,
      problems: this.problems.length,
      unsettled: this.unsettled.size,
      ms: elapsedMs,
    });
    return {
      snapshot: { entries: new Map(entries.map((entry) => [entry.path, entry])), problems: this.problems },
      hashed: this.hashed,
      stats,
      unsettled: this.unsettled,
      diskPaths: this.diskPaths,
      leftoverTemps: this.leftoverTemps,
    };
  }
}
