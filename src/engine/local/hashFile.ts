/**
 * Content hashing of one local file for discovery: streaming MD5 (1 MiB reads,
 * so memory stays flat for any file size) plus a stability check, so a file
 * that is being written while we read it is never recorded with a hash of
 * half-old, half-new bytes (SCENARIOS 28, 35).
 *
 * Emits nothing; returns an outcome the scanner turns into an entry, an item
 * problem, or an "unsettled" path. Only an abort is thrown.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, createReadStream, lstatSync, openSync, readSync, type Stats } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { md5FileWithParts, PART_HASHED_MIN_BYTES } from '../hash/partHashes.js';
import { fastCallsEnabled, timedSync } from './fastFs.js';
import { errnoCode } from './fsErrors.js';

/** Read size: large enough that syscalls do not dominate, small enough for 4 parallel hashes to stay at a few MiB. */
export const HASH_CHUNK_BYTES = 1024 * 1024;
/** Smallest read buffer: a stream allocates a fresh buffer of its full size per read, which for 1 MiB costs more than hashing a small file. */
const MIN_CHUNK_BYTES = 64 * 1024;

/** The stat fields the hash cache keys on: any change in them means the content may have changed. */
export interface FileIdentity {
  readonly inode: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

export type HashOutcome =
  | { readonly kind: 'hashed'; readonly md5: string; readonly identity: FileIdentity }
  /** Still changing after a second read. */
  | { readonly kind: 'changing' }
  /** Gone, or no longer a regular file, since it was listed (e.g. an editor's delete + recreate). */
  | { readonly kind: 'vanished' }
  | { readonly kind: 'unreadable'; readonly code: string };

/** Ten years: beyond that an mtime is a broken clock or a corrupt entry, but still a stable value. */
const TEN_YEARS_MS = 10 * 365.25 * 24 * 3600 * 1000;

/**
 * A time the disk reported, made safe to store and compare: a non-finite value
 * (NaN from a corrupt entry) becomes 0. Negative and far-future values are kept
 * as reported: they are stable, so comparing them with the journal's copy does
 * not cause endless re-uploads (SCENARIOS 25).
 */
export function safeTimeMs(value: number): number {
  return Number.isFinite(value) ? value : 0;
}

/** True for an mtime a person would call wrong (before 1970 or over ten years ahead); used for logging only. */
export function isImplausibleTime(ms: number, now = Date.now()): boolean {
  return !Number.isFinite(ms) || ms < 0 || ms > now + TEN_YEARS_MS;
}

export function identityOf(stats: Stats): FileIdentity {
  return {
    inode: stats.ino,
    size: stats.size,
    mtimeMs: safeTimeMs(stats.mtimeMs),
    ctimeMs: safeTimeMs(stats.ctimeMs),
  };
}

export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.inode === b.inode && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/** sameIdentity(a, identityOf(stats)) without building the identity (the scanner asks once per cached file). */
export function hasIdentity(a: FileIdentity, stats: Stats): boolean {
  return a.inode === stats.ino && a.size === stats.size && a.mtimeMs === safeTimeMs(stats.mtimeMs) && a.ctimeMs === safeTimeMs(stats.ctimeMs);
}

/**
 * Hex MD5 of a file's content, read in chunks of at most 1 MiB (a file of
 * PART_HASHED_MIN_BYTES or more: in part-sized pieces on the hash workers, see
 * partHashes.ts). Throws the fs error, or the signal's reason on abort.
 * @param sizeHint expected size: a small file gets a buffer just big enough (min 64 KiB), not 1 MiB.
 */
export async function md5File(absPath: string, signal?: AbortSignal, sizeHint = HASH_CHUNK_BYTES): Promise<string> {
  // A file the upload will send in resumable parts: hashed on the hash workers, whole and per part (partHashes.ts).
  if (sizeHint >= PART_HASHED_MIN_BYTES) return md5FileWithParts(absPath, sizeHint, signal);
  const hash = createHash('md5');
  const highWaterMark = Math.min(HASH_CHUNK_BYTES, Math.max(MIN_CHUNK_BYTES, sizeHint + 1));
  const stream = createReadStream(absPath, { highWaterMark });
  // Breaking out of (or throwing inside) for-await destroys the stream, closing the file.
  for await (const chunk of stream) {
    signal?.throwIfAborted();
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/** Errors meaning "this path is no longer the regular file we listed". */
const VANISHED = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

/**
 * Files up to this size are read whole into a reused buffer, synchronously while
 * the disk answers fast (fastFs.ts), else asynchronously. Why: a read stream per file costs a
 * fresh 64 KiB buffer and a few promise round trips; for 10,000 small files that
 * churned ≈ 640 MB of short-lived buffers, which left the process's malloc heap
 * tens of MB larger for the rest of the run (issue 4, first sync of 10,000 ×
 * 4 KiB). Small enough that one read never holds the event loop for long.
 */
export const SMALL_FILE_BYTES = 64 * 1024;
/** The synchronous reads' buffer: one byte more than a small file may have, so growth while reading is seen. */
let smallBuffer: Buffer | undefined;
/** O_NONBLOCK: a regular file swapped for a FIFO after the lstat must not block the thread in open(). */
const SYNC_OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** Buffers of SMALL_FILE_BYTES + 1 for the asynchronous small-file reads, kept for reuse (at most one per hash in flight). */
const spareBuffers: Buffer[] = [];

/** MD5 of a file of at most SMALL_FILE_BYTES in one pooled buffer, no stream; undefined if it holds more by now. */
async function md5SmallFile(absPath: string): Promise<string | undefined> {
  const buffer = spareBuffers.pop() ?? Buffer.allocUnsafe(SMALL_FILE_BYTES + 1);
  try {
    const file = await open(absPath, 'r');
    let length = 0;
    try {
      for (;;) {
        const { bytesRead } = await file.read(buffer, length, buffer.length - length, null);
        if (bytesRead === 0) break;
        length += bytesRead;
        if (length === buffer.length) return undefined;
      }
    } finally {
      await file.close();
    }
    return createHash('md5').update(buffer.subarray(0, length)).digest('hex');
  } finally {
    if (spareBuffers.length < 16) spareBuffers.push(buffer);
  }
}

/** MD5 of a file of at most SMALL_FILE_BYTES, read synchronously; undefined if it holds more by now. */
function md5SmallFileSync(absPath: string): string | undefined {
  const buffer = (smallBuffer ??= Buffer.allocUnsafe(SMALL_FILE_BYTES + 1));
  const fd = openSync(absPath, SYNC_OPEN_FLAGS);
  let length = 0;
  try {
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length === buffer.length) return undefined;
    }
  } finally {
    closeSync(fd);
  }
  return createHash('md5').update(buffer.subarray(0, length)).digest('hex');
}

/**
 * hashStableFile for a small file with synchronous calls (same checks, same
 * outcomes). Undefined means "use hashStableFile": the file is (or became)
 * larger than SMALL_FILE_BYTES, or the disk turned out slow (fastFs.ts).
 */
export function hashSmallFileSync(absPath: string, listed: Stats): HashOutcome | undefined {
  let before = listed;
  for (let attempt = 0; attempt < 2; attempt++) {
    if (!fastCallsEnabled()) return undefined;
    try {
      if (attempt > 0) before = timedSync(() => lstatSync(absPath));
      if (!before.isFile()) return { kind: 'vanished' };
      if (before.size > SMALL_FILE_BYTES) return undefined;
      const md5 = timedSync(() => md5SmallFileSync(absPath));
      const after = timedSync(() => lstatSync(absPath));
      if (!after.isFile()) return { kind: 'vanished' };
      const identity = identityOf(after);
      if (md5 !== undefined && sameIdentity(identityOf(before), identity)) return { kind: 'hashed', md5, identity };
    } catch (error) {
      const code = errnoCode(error);
      if (VANISHED.has(code)) return { kind: 'vanished' };
      return { kind: 'unreadable', code };
    }
  }
  return { kind: 'changing' };
}

/**
 * Hashes a file and checks its identity did not change while it was read
 * (compared by lstat before and after, so a replacement by rename is caught as
 * well as an in-place write). A change means one more attempt with fresh
 * stats; a second change gives up with `changing`.
 *
 * @param listed the stats the scanner saw, used as "before" for the first
 *   attempt to save a syscall; if they are stale the first attempt simply fails.
 */
export async function hashStableFile(
  absPath: string,
  listed: Stats,
  signal: AbortSignal | undefined,
): Promise<HashOutcome> {
  let before = listed;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      if (attempt > 0) before = await lstat(absPath);
      if (!before.isFile()) return { kind: 'vanished' };
      // A small file in one pooled buffer: a read stream would cost a fresh 64 KiB buffer per file.
      const md5 = before.size <= SMALL_FILE_BYTES ? await md5SmallFile(absPath) : await md5File(absPath, signal, before.size);
      signal?.throwIfAborted();
      const after = await lstat(absPath);
      if (!after.isFile()) return { kind: 'vanished' };
      const identity = identityOf(after);
      if (md5 !== undefined && sameIdentity(identityOf(before), identity)) return { kind: 'hashed', md5, identity };
    } catch (error) {
      if (signal?.aborted === true) throw signal.reason;
      const code = errnoCode(error);
      if (VANISHED.has(code)) return { kind: 'vanished' };
      return { kind: 'unreadable', code };
    }
  }
  return { kind: 'changing' };
}
