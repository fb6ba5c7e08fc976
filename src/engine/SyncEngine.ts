/**
 * The SyncEngine: one sync folder against one remote prefix. A run is
 * discovery (local scan and remote listing, side by side) → reconcile (the
 * pure planner) → propagate (Propagator) → commit (journal rows per item).
 * Discovery never transfers; a failed or partial listing throws before any
 * plan exists, so it can never be read as "everything was deleted".
 *
 * Owns the sync folder while open: the lock file and the journal live in
 * `<root>/.stratus/` (never synced). Emits one info log line per run, the
 * run's phases and each item as it starts and finishes. Also answers the
 * status window's "Needs attention" (issue 8): the list (attention), resolving
 * a conflict, ignoring a path and answering a fired safety rail; commands that
 * touch files wait for a running run, as a second run would.
 */
import { hostname } from 'node:os';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import PQueue from 'p-queue';
import { Emitter, type Event } from '../core/Emitter.js';
import type { RemoteEntry, RemoteSnapshot, SyncedEntry } from '../core/model.js';
import type { ActionType } from '../core/plan.js';
import type { LocalOs } from '../core/names.js';
import { summarize } from '../core/plan.js';
import { reconcile } from '../core/reconcile.js';
import { buildRemoteSnapshot, type ListedObject } from '../core/remoteSnapshot.js';
import { StratusError, isStratusError } from '../core/StratusError.js';
import type { AttentionItem, CommandResult, IgnorePreview } from '../shared/StratusApi.js';
import { AttentionLog, type ConflictRecord } from './attention/AttentionLog.js';
import { appendIgnoreRule, refuseIgnorePath } from './attention/ignoreRule.js';
import { RailAnswer, type RailChoice } from './attention/RailAnswer.js';
import { resolveConflictOnDisk, type ConflictChoice } from './attention/resolveConflict.js';
import { enterHeapPhase } from './heapGrowth.js';
import { SqliteJournal } from './journal/SqliteJournal.js';
import { facePreview, previewIgnoreRules, saveIgnoreRules } from './local/ignoreEditor.js';
import { ENGINE_FOLDER, IGNORE_FILE_NAME, IgnoreRules } from './local/IgnoreRules.js';
import { scanLocal, type LocalScanResult } from './local/LocalScanner.js';
import { createLoggerFactory, type Logger } from './logger.js';
import { matchesMultipartEtag } from './multipartEtag.js';
import type { BandwidthLimits, Journal, RemoteStore, RetryRecord } from './ports.js';
import { plannedBytes, plannedItems, Propagator, type PropagateOutcome } from './Propagator.js';
import { SyncRootLock } from './SyncRootLock.js';
import { describeCounts, type CompletedItem, type StartedItem, type SyncCounts, type SyncResult } from './SyncResult.js';

export interface SyncLocation {
  readonly endpoint?: string;
  readonly bucket: string;
  readonly prefix: string;
}

export interface SyncEngineOptions {
  /** The sync folder; must exist. */
  readonly root: string;
  readonly remote: RemoteStore;
  /** Where the folder syncs to; recorded in the journal so a folder is never silently re-pointed. */
  readonly location: SyncLocation;
  /** Shown in conflicted-copy names. @default os.hostname() */
  readonly deviceName?: string;
  /** Transfers in flight. @default 8 */
  readonly concurrency?: number;
  readonly log?: Logger;
  /** Local deletes go here. @default the OS trash (the `trash` package) */
  readonly trash?: (absolutePath: string) => Promise<void>;
  /** Downloads never leave less free space than this. @default 256 MiB */
  readonly minFreeBytes?: number;
  /** The mass-delete rail (core/safety.ts): more deletes than this in one run stop and ask. @default 500 */
  readonly maxDeletes?: number;
  /** …or more than this share of the synced files (above 10 deletes). @default 0.5 */
  readonly maxDeleteRatio?: number;
  /** Ignore patterns the organization enforces (policy AdminIgnorePatterns); no `.stratusignore` rule undoes them. @default [] */
  readonly adminIgnorePatterns?: readonly string[];
  /** The folder's first sync stops and asks when its downloads total more bytes than this (policy FirstDownloadConfirmAboveMiB). @default never asks */
  readonly firstDownloadConfirmBytes?: number;
}

export interface RunOptions {
  /** Plan only: print what would happen, change nothing. */
  readonly dryRun?: boolean;
  /** The user confirmed deletes beyond the safety threshold. */
  readonly confirmDeletes?: boolean;
  /** The user confirmed a large first download (`--confirm-download`). */
  readonly confirmDownload?: boolean;
  readonly signal?: AbortSignal;
}

export interface EngineStatus {
  readonly root: string;
  readonly location?: SyncLocation;
  readonly syncedFiles: number;
  readonly syncedFolders: number;
  readonly retries: readonly RetryRecord[];
  readonly lastRun?: { readonly at: string; readonly counts: SyncCounts; readonly stopped?: string };
}

const JOURNAL_FILE = 'journal.db';
/** The actions a "restore" answer to a safety rail turns into copies. */
const DELETES: ReadonlySet<ActionType> = new Set(['deleteLocal', 'deleteRemote', 'deleteLocalFolder', 'deleteRemoteFolder']);
const META_LOCATION = 'location';
const META_LAST_RUN = 'lastRun';

export function localOs(platform: NodeJS.Platform = process.platform): LocalOs {
  return platform === 'win32' ? 'windows' : platform === 'darwin' ? 'darwin' : 'linux';
}

async function requireFolder(root: string): Promise<void> {
  const st = await stat(root).catch(() => undefined);
  if (st === undefined) {
    throw new StratusError('sync-root-missing', `The sync folder ${root} does not exist (was it moved, or is a drive unmounted?). Nothing was changed.`, { severity: 'fatal' });
  }
  if (!st.isDirectory()) {
    throw new StratusError('sync-root-not-a-folder', `${root} is a file, not a folder; choose a folder to sync.`, { severity: 'fatal' });
  }
}

/** Whether this disk folds letter case: create one name, look for the other. */
async function probeCaseInsensitive(engineDir: string): Promise<boolean> {
  const probe = join(engineDir, 'CaseProbe.tmp');
  await writeFile(probe, '');
  try {
    return (await stat(join(engineDir, 'caseprobe.tmp')).catch(() => undefined)) !== undefined;
  } finally {
    await rm(probe, { force: true });
  }
}

/**
 * The same bucket and prefix: the endpoint may change (a regional URL, a server
 * that moved to another port) without the data being different. A truly
 * different server with the same names is caught by the empty-remote rail.
 */
function sameLocation(a: SyncLocation, b: SyncLocation): boolean {
  return a.bucket === b.bucket && a.prefix === b.prefix;
}

function describeLocation(l: SyncLocation): string {
  return `s3://${l.bucket}/${l.prefix}${l.endpoint === undefined ? '' : ` at ${l.endpoint}`}`;
}

/**
 * Where a run is (events by tense: `onDidChangePhase` fires as each begins).
 * `discovering`: scanning the folder and listing the prefix — the UI says
 * "Checking" and never "Up to date"; `transferring`: the plan is made and
 * `actions` items, moving `bytes` in all, are being carried out.
 */
export type EnginePhase =
  | { readonly phase: 'discovering' }
  | {
      readonly phase: 'transferring';
      /** Plan actions, bookkeeping included. */
      readonly actions: number;
      /** Bytes the transfers move. */
      readonly bytes?: number;
      /** User-visible items (what Activity will list), and the first 50 of their paths in plan order. */
      readonly items?: number;
      readonly upcoming?: readonly string[];
    };

export class SyncEngine {
  private running: Promise<unknown> = Promise.resolve();
  private readonly phaseEmitter = new Emitter<EnginePhase>();
  readonly onDidChangePhase: Event<EnginePhase> = this.phaseEmitter.event;
  private readonly itemEmitter = new Emitter<CompletedItem>();
  /** Every item that was uploaded, downloaded, deleted, moved or conflicted (or failed to be), as it finishes. */
  readonly onDidCompleteItem: Event<CompletedItem> = this.itemEmitter.event;
  private readonly startEmitter = new Emitter<StartedItem>();
  /** Each of those items as it starts, with the bytes it moves (0 when it transfers nothing). */
  readonly onDidStartItem: Event<StartedItem> = this.startEmitter.event;
  private readonly attentionLog: AttentionLog;
  private readonly rail = new RailAnswer();

  private constructor(
    private readonly options: SyncEngineOptions,
    private readonly root: string,
    private readonly journal: Journal,
    private readonly lock: SyncRootLock,
    private readonly os: LocalOs,
    private readonly caseInsensitive: boolean,
    private readonly log: Logger,
  ) {
    this.attentionLog = new AttentionLog(journal);
  }

  private get deviceName(): string {
    return this.options.deviceName ?? hostname();
  }

  private get trash(): (absolutePath: string) => Promise<void> {
    return this.options.trash ?? moveToOsTrash;
  }

  static async open(options: SyncEngineOptions): Promise<SyncEngine> {
    const root = resolve(options.root);
    await requireFolder(root);
    const engineDir = join(root, ENGINE_FOLDER);
    await mkdir(engineDir, { recursive: true, mode: 0o700 });
    const lock = await SyncRootLock.acquire(engineDir, root);
    let journal: Journal | undefined;
    try {
      journal = await SqliteJournal.open(join(engineDir, JOURNAL_FILE));
      const recorded = await journal.getMeta(META_LOCATION);
      const previous = recorded === undefined ? undefined : (JSON.parse(recorded) as SyncLocation);
      // A folder is bound to its bucket and prefix once something was synced; before
      // that (e.g. a first run with a mistyped bucket) the new location simply replaces it.
      if (previous !== undefined && !sameLocation(previous, options.location) && (await journal.loadSynced()).size > 0) {
        throw new StratusError(
          'sync-root-other-location',
          `${root} is already synced with ${describeLocation(previous)}, not ${describeLocation(options.location)}. Choose another folder (or remove ${engineDir} to start over with this one).`,
          { severity: 'fatal' },
        );
      }
      await journal.setMeta(META_LOCATION, JSON.stringify({ version: 1, ...options.location }));
      const caseInsensitive = await probeCaseInsensitive(engineDir);
      const log = options.log ?? createLoggerFactory({ write: () => undefined })('engine');
      return new SyncEngine(options, root, journal, lock, localOs(), caseInsensitive, log);
    } catch (err) {
      await journal?.close();
      await lock.release();
      throw err;
    }
  }

  /** Reads the status without taking the lock (works while another process syncs). */
  static async readStatus(rootPath: string): Promise<EngineStatus> {
    const root = resolve(rootPath);
    await requireFolder(root);
    const file = join(root, ENGINE_FOLDER, JOURNAL_FILE);
    if ((await stat(file).catch(() => undefined)) === undefined) return { root, syncedFiles: 0, syncedFolders: 0, retries: [] };
    const journal = await SqliteJournal.open(file);
    try {
      const synced = await journal.loadSynced();
      const location = await journal.getMeta(META_LOCATION);
      const lastRun = await journal.getMeta(META_LAST_RUN);
      const entries = [...synced.values()];
      return {
        root,
        ...(location === undefined ? {} : { location: JSON.parse(location) as SyncLocation }),
        syncedFiles: entries.filter((e) => e.kind === 'file').length,
        syncedFolders: entries.filter((e) => e.kind === 'folder').length,
        retries: [...(await journal.loadRetries()).values()],
        ...(lastRun === undefined ? {} : { lastRun: JSON.parse(lastRun) as NonNullable<EngineStatus['lastRun']> }),
      };
    } finally {
      await journal.close();
    }
  }

  /** One sync pass. Runs never overlap: a second call waits for the first. */
  /**
   * "Retry now": makes the items waiting for their backoff (all, or those in
   * `paths`) due at once; their attempt counts are kept. The next run tries
   * them. Returns how many were waiting.
   */
  async retryNow(paths?: readonly string[]): Promise<number> {
    const only = paths === undefined ? undefined : new Set(paths);
    let changed = 0;
    for (const record of (await this.journal.loadRetries()).values()) {
      if (only !== undefined && !only.has(record.path)) continue;
      await this.journal.putRetry({ ...record, nextAttemptAt: 0 });
      changed += 1;
    }
    return changed;
  }

  /** Bandwidth limits in bytes per second (undefined: unlimited), applied to transfers already running too. */
  setBandwidthLimits(limits: BandwidthLimits): void {
    this.options.remote.setBandwidthLimits?.(limits);
  }

  runOnce(options: RunOptions = {}): Promise<SyncResult> {
    return this.exclusive(() => this.run(options));
  }

  /** What waits for the user: errors (from the retry rows) first, then conflicts; at most 100. */
  attention(): Promise<AttentionItem[]> {
    return this.attentionLog.items(this.root, this.deviceName);
  }

  /**
   * Resolves a recorded conflict (see attention/resolveConflict.ts): only
   * trash and rename, never a delete. The next run carries the result to the
   * cloud. Refused when no conflict is recorded for `path` or its files changed.
   */
  resolveConflict(path: string, keep: ConflictChoice): Promise<CommandResult> {
    return this.exclusive(async () => {
      const record = (await this.attentionLog.conflicts()).findLast((c) => c.path === path);
      if (record === undefined) return { ok: false, message: `No conflict is recorded for "${path}".` };
      const shown = this.attentionLog.shownConflict(record.copyPath);
      const { result, forget } = await resolveConflictOnDisk({ root: this.root, record, keep, trash: this.trash, ...(shown === undefined ? {} : { shown }) });
      if (forget) await this.attentionLog.forgetConflict(record.copyPath);
      this.log.info('conflict resolved', { path, keep, ok: result.ok });
      return result;
    });
  }

  /** Stops syncing `path`: one exact line in .stratusignore, and its error is forgotten. Nothing is deleted. */
  ignorePath(path: string): Promise<CommandResult> {
    return this.exclusive(async () => {
      const refused = refuseIgnorePath(path);
      if (refused !== undefined) return { ok: false, message: refused };
      let added: boolean;
      try {
        added = await appendIgnoreRule(this.root, path);
      } catch (err) {
        return { ok: false, message: `Could not add "${path}" to .stratusignore (${err instanceof Error ? err.message : String(err)}); it is still synced.` };
      }
      await this.attentionLog.forgetErrors(path);
      return { ok: true, message: added ? `"${path}" is no longer synced (added to .stratusignore). Nothing was deleted.` : `"${path}" was already in .stratusignore.` };
    });
  }

  /** The `.stratusignore` text in the sync folder ('' when there is none). */
  async ignoreRules(): Promise<string> {
    return readFile(join(this.root, IGNORE_FILE_NAME), 'utf8').catch(() => '');
  }

  /** What `text` as `.stratusignore` would hide, beyond the built-in defaults. */
  previewIgnore(text: string): Promise<IgnorePreview> {
    return previewIgnoreRules(this.root, text, { caseInsensitive: this.caseInsensitive, adminPatterns: this.options.adminIgnorePatterns ?? [] }).then(facePreview);
  }

  /** Saves `.stratusignore` (refused when the rules cannot be read); the next run applies it. Nothing is deleted. */
  setIgnoreRules(text: string): Promise<CommandResult> {
    return this.exclusive(async () => {
      const preview = await this.previewIgnore(text);
      if (preview.problems.length > 0) return { ok: false, message: `These rules cannot be used: ${preview.problems.join(' ')}` };
      try {
        await saveIgnoreRules(this.root, text);
      } catch (err) {
        return { ok: false, message: `Could not save .stratusignore (${err instanceof Error ? err.message : String(err)}); the old rules still apply.` };
      }
      return { ok: true, message: preview.hidden === 0 ? 'Saved. These rules hide nothing in the folder now.' : `Saved. ${preview.hidden} item${preview.hidden === 1 ? '' : 's'} will no longer sync; nothing was deleted.` };
    });
  }

  /**
   * Answers the last safety rail a run stopped at, for the next run only:
   * `confirm` lets through at most the deletes that were shown (more stops
   * again); `restore` copies the files back instead of deleting them.
   */
  answerRail(choice: RailChoice, about?: 'deletes' | 'download'): CommandResult {
    return this.rail.choose(choice, about);
  }

  /** Runs `work` after any run or command in progress; they never overlap. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.running.then(work);
    this.running = run.catch(() => undefined);
    return run;
  }

  private async run(options: RunOptions): Promise<SyncResult> {
    const started = Date.now();
    this.phaseEmitter.fire({ phase: 'discovering' });
    enterHeapPhase('discovery');
    const { remote, location } = this.options;
    const ignore = await IgnoreRules.load(this.root, { caseInsensitive: this.caseInsensitive, adminPatterns: this.options.adminIgnorePatterns ?? [] });
    // The capability probe of a server this folder has not met yet is ≈ 30 requests in ≈ 15 round trips
    // (≈ 0.2 s on loopback, more over a WAN): it runs beside the listing and the scan and is awaited
    // before anything is written (issue 4, every first sync). A dry run writes nothing to the server,
    // not even the probe's scratch keys.
    const prepared = options.dryRun === true || remote.prepare === undefined
      ? Promise.resolve()
      : remote.prepare({ get: (k) => this.journal.getMeta(k), set: (k, v) => this.journal.setMeta(k, v), uploads: this.journal }, options.signal);
    // A probe that fails, fails the run (no such bucket, bad credentials, no network): the scan stops
    // at once instead of walking the whole folder first, and the probe's error is the one reported.
    const scanning = new AbortController();
    const stopScan = (): void => scanning.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', stopScan, { once: true });
    prepared.catch(() => scanning.abort());
    // The listing is a chain of requests answered one after another, the longest part of discovery
    // (issue 4, re-sync of 10,000 files): it starts first, and the journal and the scan are read while
    // its pages come in. Marked handled at once, so a failed listing is never an unhandled rejection
    // while the scan runs; it is thrown where it is awaited below.
    const listedWith = remote.listingMode?.();
    let listingDone = collect(remote.list(options.signal));
    listingDone.catch(() => undefined);
    let synced = await this.journal.loadSynced();
    let scan: Awaited<ReturnType<typeof scanLocal>>;
    try {
      scan = await scanLocal({
        root: this.root,
        os: this.os,
        hashCache: this.journal,
        ignore,
        caseInsensitive: this.caseInsensitive,
        log: this.log,
        signal: scanning.signal,
      });
    } catch (err) {
      // Stopped by a failed probe: its error, not the scan's abort.
      if (scanning.signal.aborted && options.signal?.aborted !== true) await prepared;
      throw err;
    } finally {
      options.signal?.removeEventListener('abort', stopScan);
    }
    if (options.dryRun !== true) await this.removeLeftoverTemps(scan.leftoverTemps);
    const byKey = new Map<string, SyncedEntry>();
    for (const entry of synced.values()) byKey.set(entry.remote.key, entry);
    await prepared;
    if (remote.listingMode?.() !== listedWith) {
      // The probe found that this server pages differently from how the listing began (e.g. broken
      // continuation tokens): whatever that listing returned, or however it failed, list again.
      this.log.info('listing again with the pagination the server was measured to support', { mode: remote.listingMode?.() });
      listingDone = collect(remote.list(options.signal));
    }
    const listing = await listingDone;
    const internal = `${location.prefix}${ENGINE_FOLDER}/`;
    const listed = buildRemoteSnapshot(listing, {
      prefix: location.prefix,
      os: this.os,
      // A multipart or SSE-KMS ETag is no content MD5; the journal knows the MD5 of versions it synced.
      md5ForEtag: (key, etag) => {
        const known = byKey.get(key);
        return known !== undefined && known.remote.etag === etag ? known.md5 : undefined;
      },
      isInternalKey: (key) => key.startsWith(internal),
    });
    const remoteSnapshot = await this.learnRemoteMd5s(listed, scan, synced, options.signal);
    const dryRun = options.dryRun === true;
    // The user's answer to the last rail applies to this run only (a dry run leaves it for the next).
    const answer = dryRun ? undefined : this.rail.take();
    const now = new Date();
    const planWith = (rows: ReadonlyMap<string, SyncedEntry>) =>
      reconcile(
        { local: scan.snapshot, remote: remoteSnapshot, synced: rows },
        {
          prefix: location.prefix,
          os: this.os,
          caseInsensitive: this.caseInsensitive,
          deviceName: this.deviceName,
          now,
          unsettled: scan.unsettled,
          // The scan left out every ignored path (same rules, same kind), so its entries need no second look.
          isIgnored: (path, kind) => !scan.snapshot.entries.has(path) && ignore.isIgnored(path, kind),
          ...(options.confirmDeletes === undefined ? {} : { confirmDeletes: options.confirmDeletes }),
          ...(this.options.maxDeletes === undefined ? {} : { maxDeletes: this.options.maxDeletes }),
          ...(this.options.maxDeleteRatio === undefined ? {} : { maxDeleteRatio: this.options.maxDeleteRatio }),
          ...(answer?.choice === 'confirm' && answer.code !== 'first-download' ? { confirmedStop: { direction: answer.direction, count: answer.count } } : {}),
          ...(answer?.choice === 'confirm' && answer.code === 'first-download' ? { confirmedDownload: { count: answer.count, bytes: answer.bytes } } : {}),
          ...(this.options.firstDownloadConfirmBytes === undefined ? {} : { firstDownloadConfirmBytes: this.options.firstDownloadConfirmBytes }),
          ...(options.confirmDownload === true ? { confirmDownload: true } : {}),
        },
      );
    let plan = planWith(synced);
    if (answer?.choice === 'restore') {
      // Without its journal row a path deleted on one side is a file new on the other: it is copied back.
      const restored = plan.actions.filter((a) => DELETES.has(a.type)).map((a) => a.path);
      if (restored.length > 0) {
        await this.journal.batch({ forget: restored });
        synced = await this.journal.loadSynced();
        plan = planWith(synced);
        this.log.info('restoring files instead of deleting them', { count: restored.length });
      }
    }
    const remoteUsage = dryRun ? undefined : usageOf(listing, internal);
    if (!dryRun) this.rail.ranWith(plan.stop);
    if (dryRun || plan.stop !== undefined) {
      const s = summarize(plan);
      const counts: SyncCounts = { uploaded: 0, downloaded: 0, deletedLocal: 0, deletedRemote: 0, moved: 0, conflicts: 0, errors: s.problems };
      if (plan.stop !== undefined && !dryRun) await this.recordRun(counts, plan.stop.code);
      if (plan.stop !== undefined) this.log.warn('sync stopped by a safety rail', { code: plan.stop.code, direction: plan.stop.direction, count: plan.stop.count });
      return {
        dryRun, plan, counts, errors: [], ...(plan.stop === undefined ? {} : { stopped: plan.stop }), runAgain: false,
        ...(remoteUsage === undefined ? {} : { remoteUsage }), durationMs: Date.now() - started,
      };
    }
    const items = plannedItems(plan.actions);
    this.phaseEmitter.fire({ phase: 'transferring', actions: plan.actions.length, bytes: plannedBytes(plan.actions), items: items.length, upcoming: items.slice(0, 50) });
    const conflicts: ConflictRecord[] = [];
    const propagator = new Propagator({
      root: this.root,
      prefix: location.prefix,
      os: this.os,
      remote,
      journal: this.journal,
      synced,
      diskPaths: scan.diskPaths,
      ignore,
      trash: this.trash,
      log: this.log,
      ...(this.options.concurrency === undefined ? {} : { concurrency: this.options.concurrency }),
      ...(this.options.minFreeBytes === undefined ? {} : { minFreeBytes: this.options.minFreeBytes }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onItem: (item) => {
        if (item.activity === 'conflict' && item.conflictPath !== undefined && item.failure === undefined) {
          conflicts.push({ path: item.path, copyPath: item.conflictPath, at: now.toISOString() });
        }
        this.itemEmitter.fire(item);
      },
      onStart: (item) => this.startEmitter.fire(item),
    });
    enterHeapPhase('transfer');
    let outcome: PropagateOutcome;
    try {
      outcome = await propagator.run(plan);
    } catch (err) {
      // The conflicted copies made before a fatal error or an abort are on disk: the user must still hear of them.
      await this.attentionLog.recordRun({ conflicts, errors: [] }).catch(() => undefined);
      throw err;
    }
    await this.attentionLog.recordRun({ conflicts, errors: outcome.errors, planned: new Set(plan.actions.map((a) => a.path)), unsettled: scan.unsettled });
    await this.recordRun(outcome.counts);
    this.log.info(describeCounts(outcome.counts), { durationMs: Date.now() - started, scanned: scan.stats.files, hashed: scan.hashed, listed: listing.length });
    return {
      dryRun, plan, counts: outcome.counts, errors: outcome.errors, runAgain: outcome.runAgain,
      ...(outcome.nextRetryAt === undefined ? {} : { nextRetryAt: outcome.nextRetryAt }),
      ...(remoteUsage === undefined ? {} : { remoteUsage }),
      durationMs: Date.now() - started,
    };
  }

  /**
   * Learns the content MD5 of remote files whose ETag is not one (multipart,
   * SSE-KMS) where "same content?" must be decided: a local file exists at the
   * path and the remote version is not the one the journal knows. One HEAD each,
   * for the few paths that need it; never for the whole listing.
   */
  private async learnRemoteMd5s(snapshot: RemoteSnapshot, scan: LocalScanResult, synced: ReadonlyMap<string, SyncedEntry>, signal?: AbortSignal): Promise<RemoteSnapshot> {
    const needed = [...snapshot.entries.values()].filter((r) => {
      if (r.kind !== 'file' || r.md5 !== undefined) return false;
      const local = scan.snapshot.entries.get(r.path);
      const s = synced.get(r.path);
      return local?.kind === 'file' && (s === undefined || s.remote.etag !== r.etag);
    });
    if (needed.length === 0) return snapshot;
    const entries = new Map(snapshot.entries);
    const queue = new PQueue({ concurrency: 8 });
    await Promise.all(
      needed.map((r) =>
        queue.add(async () => {
          const info = await this.options.remote.head(r.key, signal);
          if (info?.md5 !== undefined && info.etag === r.etag) {
            entries.set(r.path, { ...r, md5: info.md5 } satisfies RemoteEntry);
            return;
          }
          // No MD5 metadata (another tool uploaded it): compare the multipart ETag itself.
          const local = scan.snapshot.entries.get(r.path);
          const disk = join(this.root, ...(scan.diskPaths.get(r.path) ?? r.path).split('/'));
          if (local?.md5 !== undefined && local.size === r.size && (await matchesMultipartEtag(disk, r.size, r.etag, signal))) {
            entries.set(r.path, { ...r, md5: local.md5 } satisfies RemoteEntry);
          }
        }),
      ),
    );
    return { entries, problems: snapshot.problems };
  }

  /** Half-written downloads of a process that died (SCENARIOS 32): never renamed into place, so only garbage. */
  private async removeLeftoverTemps(paths: readonly string[]): Promise<void> {
    for (const path of paths) {
      try {
        await rm(join(this.root, ...path.split('/')), { force: true });
        this.log.info('removed a download left unfinished by an earlier run', { path });
      } catch (err) {
        this.log.warn('could not remove an unfinished download', { path, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  private async recordRun(counts: SyncCounts, stopped?: string): Promise<void> {
    const lastRun = { at: new Date().toISOString(), counts, ...(stopped === undefined ? {} : { stopped }) };
    await this.journal.setMeta(META_LAST_RUN, JSON.stringify(lastRun));
  }

  async close(): Promise<void> {
    await this.running;
    this.phaseEmitter.dispose();
    this.itemEmitter.dispose();
    this.startEmitter.dispose();
    await this.journal.close();
    await this.lock.release();
  }
}

/** Files and bytes under the prefix per a listing, without the engine's own keys and folder markers. */
function usageOf(listing: readonly ListedObject[], internalPrefix: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const o of listing) {
    if (o.key.endsWith('/') || o.key.startsWith(internalPrefix)) continue;
    files += 1;
    bytes += o.size;
  }
  return { files, bytes };
}

async function collect(objects: AsyncIterable<ListedObject>): Promise<ListedObject[]> {
  const out: ListedObject[] = [];
  for await (const object of objects) out.push(object);
  return out;
}

/** Local deletes go to the OS trash, so a wrong delete is one click from undone. */
async function moveToOsTrash(absolutePath: string): Promise<void> {
  const { default: trash } = await import('trash');
  try {
    await trash(absolutePath, { glob: false });
  } catch (err) {
    throw new StratusError('trash-failed', `Could not move ${absolutePath} to the trash; it was left in place.`, {
      severity: 'item',
      cause: isStratusError(err) ? err.cause : err,
    });
  }
}
