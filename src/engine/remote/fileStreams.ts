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
 *  - DownloadSink / receiveToFile: write a response body into a new file
 *    (O_EXCL, 0600), counting and hashing it (on a hash worker) as it goes,
 *    and fsync before resolving.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { pipeline as pipelineCallback, Readable, Transform, type TransformCallback } from 'node:stream';
import { hashPool, inlineMd5Stream, SharedBufferPool, type HashStream } from '../hash/hashPool.js';
import { fastCallsEnabled, timedSync } from '../local/fastFs.js';

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
  if (size <= QUICK_READ_MAX && fastCallsEnabled()) {
    // A small file from a fast disk: open, read and close synchronously (fastFs.ts: the promise calls cost more CPU).
    timedSync(() => readWholeSync(filePath, data));
  } else {
    await readWhole(filePath, data);
  }
  if (createHash('md5').update(data).digest('hex') !== md5) throw new FileContentChangedError('content MD5 differs from the scanned one');
  return data;
}

/** Files up to this size are read synchronously while the disk is fast. */
const QUICK_READ_MAX = 64 * 1024;

function readWholeSync(filePath: string, data: Buffer): void {
  const fd = openSync(filePath, 'r');
  try {
    let offset = 0;
    while (offset < data.length) {
      const bytesRead = readSync(fd, data, offset, data.length - offset, offset);
      if (bytesRead === 0) throw new FileContentChangedError(`read ${offset} bytes, expected ${data.length}`);
      offset += bytesRead;
    }
  } finally {
    closeSync(fd);
  }
}

async function readWhole(filePath: string, data: Buffer): Promise<void> {
  const size = data.length;
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

/** Bytes gathered from the body (copied into one shared buffer) before they go to the disk in one write. */
const WRITE_BATCH_BYTES = 1024 * 1024;
/** Batches in flight (being written and hashed); reading pauses while all are out (at most 8 MiB held). */
const MAX_BATCHES = 8;
/**
 * A download flushes what it has written every this many bytes, in the background (issue 4, (b) down:
 * the fsync of a 512 MiB file before its rename took ≈ 0.45 s at the end; flushed behind the receive, the
 * last fsync writes at most this much).
 */
const FLUSH_EVERY_BYTES = 32 * 1024 * 1024;
/** Bodies announced smaller than this are hashed on the main thread in ordinary buffers (no worker round trip, no shared memory). */
const WORKER_HASH_MIN_BYTES = 1024 * 1024;
/** Smallest batch buffer for such a body. */
const MIN_BATCH_BYTES = 64 * 1024;

/** Writes all of `data` at `position` (a write may write less than asked). */
async function writeAllAt(file: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await file.write(data, done, data.length - done, position + done);
    if (bytesWritten === 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO', syscall: 'write' });
    done += bytesWritten;
  }
}

/**
 * DownloadSink: where a download's bytes go — 1 MiB shared batches, each full
 * batch written at its offset and hashed on a hash worker (hashPool.ts) at the
 * same time, while the next batch fills (at most 8 batches out). The MD5 stream
 * gets the batches in order, so the digest is the MD5 of the bytes in body
 * order, without the main thread's MD5 (issue 4, scenario (b) down, 512 MiB:
 * the main thread's MD5 and the socket competed for one core). A body announced
 * below 1 MiB is hashed on the main thread, in one small ordinary buffer.
 *
 * Bytes come in two ways: `copyIn` (a chunk a stream gave) or `space` +
 * `commit` (a socket reads straight into the batch: leanGet.ts).
 */
export class DownloadSink {
  private readonly hash: HashStream;
  private readonly batches: SharedBufferPool;
  private readonly out = new Set<Promise<void>>();
  private failure: { readonly error: unknown } | undefined;
  /** The batch being filled, and how much of it is. */
  private batch: Buffer | undefined;
  private filled = 0;
  /** File offset of the batch being filled. */
  private batchAt = 0;
  private flushedTo = 0;
  private flushing: Promise<void> | undefined;
  private received = 0;

  /** @param batchCount batches out at most (default 8): bounds the memory held, and how far the disk and hash may lag. */
  constructor(private readonly file: FileHandle, expectedBytes?: number, batchCount = MAX_BATCHES) {
    const small = expectedBytes !== undefined && expectedBytes < WORKER_HASH_MIN_BYTES;
    this.hash = small ? inlineMd5Stream() : hashPool().md5Stream();
    this.batches = small
      ? new SharedBufferPool(Math.max(MIN_BATCH_BYTES, expectedBytes ?? 0), batchCount, false)
      : new SharedBufferPool(WRITE_BATCH_BYTES, batchCount);
  }

  /** Bytes taken so far. */
  get bytes(): number {
    return this.received;
  }

  /** Throws what a background write, flush or hash failed with, if any did. */
  throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }

  /**
   * The free part of the batch being filled (a free batch is taken if none is);
   * undefined while every batch is out — `ready()` then waits for one. Bytes put
   * there count once `commit` is called; the region must not be written after.
   */
  space(): Buffer | undefined {
    this.batch ??= this.batches.tryTake();
    return this.batch?.subarray(this.filled);
  }

  /** Resolves once `space()` has room. */
  async ready(): Promise<void> {
    this.batch ??= await this.batches.take();
  }

  /** `n` bytes were put at the start of the last `space()`. */
  commit(n: number): void {
    const batch = this.batch;
    if (batch === undefined || n > batch.length - this.filled) throw new RangeError('commit beyond the space given');
    this.filled += n;
    this.received += n;
    if (this.filled === batch.length) this.dispatch();
  }

  /** Copies `chunk` in, waiting (the caller reads no more meanwhile) while every batch is out. */
  async copyIn(chunk: Buffer): Promise<void> {
    let from = 0;
    while (from < chunk.length) {
      let space = this.space();
      if (space === undefined) {
        await this.ready();
        space = this.space() as Buffer;
      }
      const n = Math.min(chunk.length - from, space.length);
      chunk.copy(space, 0, from, from + n);
      from += n;
      this.commit(n);
    }
  }

  /** Writes and hashes the rest, waits for every write, fsyncs: the MD5 and count of all bytes taken. */
  async finish(): Promise<ReceiveResult> {
    if (this.failure === undefined) this.dispatch();
    await this.settle();
    if (this.failure !== undefined) {
      this.hash.drop();
      throw this.failure.error;
    }
    const md5 = (await this.hash.digest()).toString('hex');
    // The caller renames the file into place next: its bytes must be on disk first (SCENARIOS 32/33).
    await this.file.sync();
    return { bytes: this.received, md5 };
  }

  /** Drops the hash and waits for the writes already started (the caller then closes and removes the file). */
  async abandon(): Promise<void> {
    this.hash.drop();
    await this.settle();
  }

  private async settle(): Promise<void> {
    if (this.batch !== undefined) this.batches.give(this.batch);
    this.batch = undefined;
    this.filled = 0;
    // The caller closes (and may remove) the file next: no write may still be running then.
    await Promise.all(this.out);
    await this.flushing;
  }

  private dispatch(): void {
    const full = this.batch;
    if (full === undefined || this.filled === 0) return;
    const data = full.subarray(0, this.filled);
    // Both read the batch; it is reused only once both are done with it.
    const job: Promise<void> = Promise.all([writeAllAt(this.file, data, this.batchAt), this.hash.update(data)]).then(
      () => undefined,
      (error: unknown) => {
        this.failure ??= { error };
      },
    ).finally(() => {
      this.out.delete(job);
      this.batches.give(full);
    });
    this.out.add(job);
    this.batchAt += this.filled;
    this.batch = undefined;
    this.filled = 0;
    this.flushBehind();
  }

  /**
   * Large bodies are flushed to disk in the background as they arrive (fdatasync every
   * FLUSH_EVERY_BYTES, one at a time), so the fsync the rename needs at the end has only the tail left.
   */
  private flushBehind(): void {
    if (this.flushing !== undefined || this.batchAt - this.flushedTo < FLUSH_EVERY_BYTES) return;
    this.flushedTo = this.batchAt;
    this.flushing = this.file.datasync().then(
      () => undefined,
      (error: unknown) => {
        this.failure ??= { error };
      },
    ).finally(() => {
      this.flushing = undefined;
    });
  }
}

/**
 * Streams `body` into the already-open `file` (through a DownloadSink) and
 * fsyncs it. Does not close or remove the file: the caller owns it (and
 * removes it on failure).
 */
export async function receiveToFile(
  body: Readable,
  file: FileHandle,
  options: {
    readonly signal?: AbortSignal;
    readonly onBytes?: (bytes: number) => void;
    /** Waits after each chunk while a download bandwidth limit is exceeded (reading pauses: TCP backpressure). */
    readonly pace?: (bytes: number, signal?: AbortSignal) => Promise<void>;
    /** The length the server announced, if any: chooses where to hash (a longer body is still received whole). */
    readonly expectedBytes?: number;
  },
): Promise<ReceiveResult> {
  const sink = new DownloadSink(file, options.expectedBytes);
  // Aborting destroys the body, which ends the loop below with an AbortError.
  const onAbort = (): void => {
    body.destroy(Object.assign(new Error('Download aborted.'), { name: 'AbortError' }));
  };
  options.signal?.throwIfAborted();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      sink.throwIfFailed();
      // Backpressure: with every batch out, copyIn waits (the body is not read meanwhile) for one to come back.
      await sink.copyIn(chunk);
      options.onBytes?.(sink.bytes);
      if (options.pace !== undefined) await options.pace(chunk.length, options.signal);
    }
  } catch (err) {
    await sink.abandon();
    throw err;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  return sink.finish();
}
