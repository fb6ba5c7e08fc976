/**
 * partHashes: the scan's MD5 of a large file, computed together with the MD5
 * of each of its multipart-upload parts, so that the upload can prove it sends
 * the scanned bytes without hashing the whole file a second time.
 *
 * Why (issue 4, scenario (b), one 512 MiB file): the scan hashed the file once
 * (its MD5 is the content hash the engine compares and stores), and the
 * resumable upload hashed it twice more — the whole file again, to be sure it
 * sends the version the engine scanned, and each part for its Content-MD5. The
 * second whole-file pass ran while the server was busy taking the parts, on a
 * machine where both share two cores.
 *
 * Here the scan reads the file once, in part-sized pieces, and one hash worker
 * computes the whole-file MD5 while another computes each part's MD5 over the
 * same bytes (same wall time as one MD5 on an idle second core). The pair is
 * kept in memory for the upload (`scannedPartMd5s`). The upload then sends
 * each part with the scan's MD5 of it as Content-MD5 and accepts it when the
 * server's part ETag (the MD5 of what it stored) or the part's own MD5 equals
 * it (resumableUpload.ts, sendScanned): when every part matches, the bytes sent
 * are, part by part, the bytes whose whole-file MD5 the scan computed — as
 * strong a proof as hashing the whole file again (both rest on MD5 being
 * collision-free), and a changed part fails before Complete is ever sent.
 *
 * The record is only a cache: no record (an MD5 the journal's hash cache
 * supplied, another part size, a restarted process) means the upload hashes
 * the whole file as before.
 */
import { open } from 'node:fs/promises';
import { choosePartSize } from '../remote/s3Metadata.js';
import { hashPool, SharedBufferPool } from './hashPool.js';

const MiB = 1024 * 1024;

/** The part size S3RemoteStore uses by default (its `partSize` option); grown for huge files by choosePartSize. */
export const DEFAULT_PART_SIZE = 8 * MiB;
/** Files this large get part MD5s from the scan: S3RemoteStore's default `resumableThreshold`, where putResumable takes over. */
export const PART_HASHED_MIN_BYTES = 64 * MiB;
/** Records kept (the most recent scans); a record is ≈ 16 bytes per part. */
const MAX_RECORDS = 64;
/** Part buffers in flight per file: one being read, one per hash worker. */
const BUFFERS = 3;

interface PartRecord {
  readonly size: number;
  /** Hex MD5 of the whole file. */
  readonly md5: string;
  readonly partSize: number;
  /** MD5 of part n at index n - 1. */
  readonly parts: readonly Buffer[];
}

const records = new Map<string, PartRecord>();

function remember(path: string, record: PartRecord): void {
  records.delete(path);
  records.set(path, record);
  while (records.size > MAX_RECORDS) {
    const oldest = records.keys().next();
    if (oldest.done === true) break;
    records.delete(oldest.value);
  }
}

/**
 * The MD5 of each part of `path` as the scan read it, when the scan computed
 * them in the same pass as `md5` over a file of `size` bytes cut in parts of
 * `partSize`; otherwise undefined.
 */
export function scannedPartMd5s(path: string, size: number, md5: string, partSize: number): readonly Buffer[] | undefined {
  const record = records.get(path);
  if (record === undefined || record.size !== size || record.md5 !== md5 || record.partSize !== partSize) return undefined;
  return record.parts;
}

/** Forgets every record (tests). */
export function forgetPartMd5s(): void {
  records.clear();
}

/**
 * Hex MD5 of the whole content of `absPath` (read to its end, whatever size it
 * has by then), with the part MD5s recorded for the upload. Throws the fs
 * error, or the signal's reason on abort.
 * @param sizeHint the size the caller listed: chooses the part size.
 */
export async function md5FileWithParts(absPath: string, sizeHint: number, signal?: AbortSignal): Promise<string> {
  let partSize: number;
  try {
    partSize = choosePartSize(sizeHint, DEFAULT_PART_SIZE);
  } catch {
    partSize = DEFAULT_PART_SIZE; // Too large for S3 at all: the upload refuses it; the hash is still right.
  }
  const pool = hashPool();
  const whole = pool.md5Stream();
  const buffers = new SharedBufferPool(partSize, BUFFERS);
  const parts: Promise<Buffer | undefined>[] = [];
  const pending = new Set<Promise<void>>();
  /** A failed update of the whole-file hash: its digest would be wrong, so the call fails. */
  const state: { wholeFailed?: { readonly error: unknown } } = {};
  let partsFailed = false;
  let size = 0;
  const settle = async (): Promise<void> => {
    await Promise.all(pending);
  };
  const file = await open(absPath, 'r');
  try {
    for (;;) {
      signal?.throwIfAborted();
      if (state.wholeFailed !== undefined) throw state.wholeFailed.error;
      const buffer = await buffers.take();
      let length = 0;
      try {
        while (length < partSize) {
          const { bytesRead } = await file.read(buffer, length, partSize - length, size + length);
          if (bytesRead === 0) break;
          length += bytesRead;
        }
      } catch (err) {
        buffers.give(buffer);
        throw err;
      }
      if (length === 0) {
        buffers.give(buffer);
        break;
      }
      size += length;
      const bytes = buffer.subarray(0, length);
      // The whole-file stream gets the parts in file order; each part's MD5 goes to whichever worker is free.
      const wholeDone = whole.update(bytes).catch((error: unknown) => {
        state.wholeFailed ??= { error };
      });
      const partDone = pool.digest(bytes, ['md5']).then((d) => d.md5, () => {
        partsFailed = true;
        return undefined;
      });
      parts.push(partDone);
      // The buffer is read again only after both hashes are done with it.
      const both: Promise<void> = Promise.all([wholeDone, partDone]).then(() => {
        pending.delete(both);
        buffers.give(buffer);
      });
      pending.add(both);
      if (length < partSize) break;
    }
  } catch (err) {
    await settle();
    whole.drop();
    throw err;
  } finally {
    await file.close().catch(() => undefined);
  }
  await settle();
  // (Read through a cast: TypeScript keeps the loop's narrowing across the awaits above.)
  const failedUpdate = state.wholeFailed as { readonly error: unknown } | undefined;
  if (failedUpdate !== undefined) {
    whole.drop();
    throw failedUpdate.error;
  }
  const md5 = (await whole.digest()).toString('hex');
  const partMd5s = await Promise.all(parts);
  if (!partsFailed && partMd5s.every((p): p is Buffer => p !== undefined)) {
    remember(absPath, { size, md5, partSize, parts: partMd5s });
  }
  return md5;
}
