/**
 * fileStreams: the byte pipes S3RemoteStore puts between a local file and an
 * S3 request.
 *
 *  - readVerifiedFile: a small file (below the multipart threshold) read into
 *    memory and checked against the MD5 the engine computed, for one PUT.
 *  - verifiedFileStream: reads exactly the `size` bytes a multipart upload
 *    announced, hashes them, and fails at the end (before the stream ends) if
 *    the file held other bytes than the engine's MD5 — so the upload fails
 *    before CompleteMultipartUpload is ever sent.
 *  - receiveToFile: writes a response body into a new file (O_EXCL, 0600),
 *    counting and hashing as it goes, and fsyncs before resolving.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { pipeline as pipelineCallback, Readable, Transform, type TransformCallback } from 'node:stream';

/** Thrown by verifiedFileStream when the file no longer matches what the engine hashed. */
export class FileContentChangedError extends Error {
  override readonly name = 'FileContentChangedError';
}

/**
 * Reads exactly `size` bytes of `filePath` and checks their MD5. Throws
 * FileContentChangedError when the file is shorter or holds other bytes.
 */
export async function readVerifiedFile(filePath: string, size: number, md5: string): Promise<Buffer> {
  const data = Buffer.alloc(size);
  const file = await open(filePath, 'r');
  try {
    let offset = 0;
    while (offset < size) {
      const { bytesRead } = await file.read(data, offset, size - offset, offset);
      if (bytesRead === 0) throw new FileContentChangedError(`read ${offset} bytes, expected ${size}`);
      offset += bytesRead;
    }
  } finally {
    await file.close();
  }
  if (createHash('md5').update(data).digest('hex') !== md5) throw new FileContentChangedError('content MD5 differs from the scanned one');
  return data;
}

export interface VerifiedStreamOptions {
  readonly size: number;
  /** Hex MD5 the bytes must have. */
  readonly md5: string;
  /** Called with the running count of bytes read. */
  readonly onBytes?: (bytesRead: number) => void;
}

export function verifiedFileStream(filePath: string, options: VerifiedStreamOptions): Readable {
  const hash = createHash('md5');
  let count = 0;
  const check = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      hash.update(chunk);
      count += chunk.length;
      options.onBytes?.(count);
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      if (count !== options.size) {
        callback(new FileContentChangedError(`read ${count} bytes, expected ${options.size}`));
        return;
      }
      const digest = hash.digest('hex');
      callback(digest === options.md5 ? null : new FileContentChangedError('content MD5 differs from the scanned one'));
    },
  });
  // `end` bounds the read: a file that grew meanwhile must not push extra bytes past Content-Length.
  const source = options.size === 0 ? Readable.from([]) : createReadStream(filePath, { start: 0, end: options.size - 1 });
  // Errors (ENOENT, EACCES, the check above) destroy both ends; the consumer sees them on `check`.
  pipelineCallback(source, check, () => undefined);
  return check;
}

export interface ReceiveResult {
  readonly bytes: number;
  /** Hex MD5 of what was written. */
  readonly md5: string;
}

/** Bytes gathered from the body before they go to the disk in one writev. */
const WRITE_BATCH_BYTES = 1024 * 1024;
/** Received but not yet written bytes at which reading pauses until the write in flight is done. */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;

/** Writes all of `chunks` at the file's current position (writev may write less than asked). */
async function writeAll(file: FileHandle, chunks: Buffer[]): Promise<void> {
  let rest = chunks;
  while (rest.length > 0) {
    const { bytesWritten } = await file.writev(rest);
    let skip = bytesWritten;
    const next: Buffer[] = [];
    for (const chunk of rest) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      next.push(skip > 0 ? chunk.subarray(skip) : chunk);
      skip = 0;
    }
    if (bytesWritten === 0 && next.length > 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO', syscall: 'write' });
    rest = next;
  }
}

/**
 * Streams `body` into the already-open `file` and fsyncs it. Does not close
 * or remove the file: the caller owns it (and removes it on failure).
 *
 * Chunks are hashed as they arrive and written in batches of about 1 MiB, one
 * batch in flight while the next is received and hashed (at most 8 MiB held).
 * Issue 4, scenario (b) down, 512 MiB: one awaited write per socket chunk
 * (tens of thousands) → a few hundred writevs overlapping the MD5.
 */
export async function receiveToFile(
  body: Readable,
  file: FileHandle,
  options: {
    readonly signal?: AbortSignal;
    readonly onBytes?: (bytes: number) => void;
    /** Waits after each chunk while a download bandwidth limit is exceeded (reading pauses: TCP backpressure). */
    readonly pace?: (bytes: number, signal?: AbortSignal) => Promise<void>;
  },
): Promise<ReceiveResult> {
  const hash = createHash('md5');
  let bytes = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  /** The one write in flight (batches are written strictly one after another, in order). */
  let inFlight: Promise<void> | undefined;
  let writing = false;
  let writeError: { readonly error: unknown } | undefined;
  const flush = (): void => {
    const batch = pending;
    pending = [];
    pendingBytes = 0;
    writing = true;
    inFlight = writeAll(file, batch).then(
      () => {
        writing = false;
      },
      (error: unknown) => {
        writing = false;
        writeError ??= { error };
      },
    );
  };
  // Aborting destroys the body, which ends the loop below with an AbortError.
  const onAbort = (): void => {
    body.destroy(Object.assign(new Error('Download aborted.'), { name: 'AbortError' }));
  };
  options.signal?.throwIfAborted();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (writeError !== undefined) throw writeError.error;
      hash.update(chunk);
      pending.push(chunk);
      pendingBytes += chunk.length;
      bytes += chunk.length;
      options.onBytes?.(bytes);
      if (options.pace !== undefined) await options.pace(chunk.length, options.signal);
      if (pendingBytes >= WRITE_BATCH_BYTES) {
        // Backpressure: while a write runs, keep receiving until MAX_PENDING_BYTES, then wait for it.
        if (writing && pendingBytes >= MAX_PENDING_BYTES) await inFlight;
        if (!writing) flush();
      }
    }
    await inFlight;
    if (pendingBytes > 0 && writeError === undefined) flush();
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    // The caller closes (and may remove) the file next: no write may still be running then.
    await inFlight;
  }
  if (writeError !== undefined) throw writeError.error;
  // The caller renames the file into place next: its bytes must be on disk first (SCENARIOS 32/33).
  await file.sync();
  return { bytes, md5: hash.digest('hex') };
}
