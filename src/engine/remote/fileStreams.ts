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

/**
 * Streams `body` into the already-open `file` and fsyncs it. Does not close
 * or remove the file: the caller owns it (and removes it on failure).
 */
export async function receiveToFile(
  body: Readable,
  file: FileHandle,
  options: { readonly signal?: AbortSignal; readonly onBytes?: (bytes: number) => void },
): Promise<ReceiveResult> {
  const hash = createHash('md5');
  let bytes = 0;
  // Aborting destroys the body, which ends the loop below with an AbortError.
  const onAbort = (): void => {
    body.destroy(Object.assign(new Error('Download aborted.'), { name: 'AbortError' }));
  };
  options.signal?.throwIfAborted();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      hash.update(chunk);
      let offset = 0;
      while (offset < chunk.length) {
        const { bytesWritten } = await file.write(chunk, offset, chunk.length - offset);
        offset += bytesWritten;
      }
      bytes += chunk.length;
      options.onBytes?.(bytes);
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  // The caller renames the file into place next: its bytes must be on disk first (SCENARIOS 32/33).
  await file.sync();
  return { bytes, md5: hash.digest('hex') };
}
