/**
 * s3Transfers: the byte-moving halves of S3RemoteStore's upload and download
 * — one PutObject, one lib-storage multipart upload, the local-file identity
 * checks around an upload, and the verification of a downloaded body. The
 * store wraps them with conditions (WriteGuard) and error mapping.
 */
import { quickStat } from '../local/fastFs.js';
import { CompleteMultipartUploadCommand, PutObjectCommand, type S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { isPlainMd5Etag, unquoteEtag } from '../../core/model.js';
import { StratusError } from '../../core/StratusError.js';
import type { Logger } from '../logger.js';
import type { UploadRequest } from '../ports.js';
import { readVerifiedFile, verifiedFileStream, type ReceiveResult } from './fileStreams.js';
import type { LeanPut } from './leanPut.js';
import { choosePartSize, md5HexToBase64, readMetadata, uploadMetadata } from './s3Metadata.js';

export interface UploadTarget {
  readonly client: S3Client;
  readonly bucket: string;
  /** Preferred part size (grown for huge files). */
  readonly partSize: number;
  /** Parts in flight. */
  readonly queueSize: number;
  /** Waits until `bytes` may be sent under the upload bandwidth limit (absent: no limit). */
  readonly pace?: (bytes: number, signal?: AbortSignal) => Promise<void>;
  /** Sends small PutObjects without the SDK's middleware (leanPut.ts); absent: always the SDK. */
  readonly lean?: LeanPut;
}

/** Files up to this size go through the lean PutObject (when there is one); larger ones through the SDK. */
export const LEAN_PUT_MAX = 1024 * 1024;

/** The write conditions actually sent: the store drops the ones its server ignores (and compares first instead). */
export interface SentConditions {
  /** The If-Match header value, in the spelling the server honours. */
  readonly ifMatch?: string;
  readonly ifNoneMatch?: boolean;
}

/** What identifies one version of a local file cheaply. */
export interface FileIdentity {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

/**
 * One PutObject with the file in memory (it is below the multipart threshold, so memory stays bounded by
 * concurrency × threshold). Not a stream, on purpose: the SDK wraps stream bodies in aws-chunked encoding
 * (which some S3-compatibles refuse), never retries them, and re-emits a read error on a stream nobody
 * listens to — an uncaught exception that would take the engine down.
 * Returns the unquoted ETag ('' when the server sent none).
 */
export async function putSingle(target: UploadTarget, request: UploadRequest, conditions: SentConditions): Promise<string> {
  const body = await readVerifiedFile(request.filePath, request.size, request.md5);
  await target.pace?.(request.size, request.signal);
  let triedLean = false;
  if (target.lean !== undefined && request.size <= LEAN_PUT_MAX) {
    const etag = await target.lean.put({
      key: request.key,
      body,
      contentMd5: md5HexToBase64(request.md5),
      metadata: uploadMetadata(request.md5, request.mtimeMs),
      ...(conditions.ifMatch === undefined ? {} : { ifMatch: conditions.ifMatch }),
      ...(conditions.ifNoneMatch === true ? { ifNoneMatch: true } : {}),
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    });
    if (etag !== undefined) {
      request.onProgress?.(request.size);
      return etag;
    }
    // Any other answer: the same request through the SDK, which retries and maps errors.
    triedLean = true;
  }
  const out = await target.client.send(new PutObjectCommand({
    Bucket: target.bucket,
    Key: request.key,
    Body: body,
    ContentLength: request.size,
    // The server recomputes the MD5 and refuses the object (BadDigest) if the bytes arrive damaged.
    ContentMD5: md5HexToBase64(request.md5),
    Metadata: uploadMetadata(request.md5, request.mtimeMs),
    ...(conditions.ifMatch === undefined ? {} : { IfMatch: conditions.ifMatch }),
    ...(conditions.ifNoneMatch === true ? { IfNoneMatch: '*' } : {}),
  }), request.signal === undefined ? {} : { abortSignal: request.signal });
  if (triedLean) target.lean?.fallbackWorked();
  request.onProgress?.(request.size);
  return unquoteEtag(out.ETag ?? '');
}

/**
 * Multipart through lib-storage's Upload. In @aws-sdk/lib-storage 3.1169 the
 * params (`...this.params`) are spread into CompleteMultipartUploadCommand,
 * so IfMatch / IfNoneMatch reach CompleteMultipartUpload and a concurrent
 * write still fails with 412; Upload aborts the multipart upload on any
 * failure. ContentMD5 is deliberately absent: Upload spreads the params into
 * every UploadPart too, where a whole-file MD5 would be a wrong part digest.
 * Parts are integrity-checked by the SDK's default CRC32 instead, and the
 * whole file by verifiedFileStream before Complete is ever sent.
 * Returns the unquoted ETag: '' from Ceph RGW, whose Complete answer has an empty one.
 */
export async function putMultipart(
  target: UploadTarget, request: UploadRequest, conditions: SentConditions, beforeComplete: () => Promise<void> = () => Promise.resolve(),
): Promise<string> {
  const partSize = choosePartSize(request.size, target.partSize);
  const body = verifiedFileStream(request.filePath, { size: request.size, md5: request.md5 });
  // Upload reads the body through an async iterator, which surfaces its errors; this only keeps a late one from going unhandled.
  body.on('error', () => undefined);
  // Aborting through the body (not Upload's own controller): Upload then fails like on any read error and
  // awaits AbortMultipartUpload before done() rejects, so no orphaned upload outlives this call.
  const onAbort = (): void => {
    body.destroy(Object.assign(new Error('Upload aborted.'), { name: 'AbortError' }));
  };
  request.signal?.throwIfAborted();
  request.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const upload = new Upload({
      client: withHooks(target, beforeComplete, request.signal),
      queueSize: target.queueSize,
      partSize,
      leavePartsOnError: false,
      params: {
        Bucket: target.bucket,
        Key: request.key,
        Body: body,
        ContentLength: request.size,
        Metadata: uploadMetadata(request.md5, request.mtimeMs),
        ...(conditions.ifMatch === undefined ? {} : { IfMatch: conditions.ifMatch }),
        ...(conditions.ifNoneMatch === true ? { IfNoneMatch: '*' } : {}),
      },
    });
    const { onProgress } = request;
    if (onProgress !== undefined) {
      upload.on('httpUploadProgress', (progress) => {
        if (progress.loaded !== undefined) onProgress(progress.loaded);
      });
    }
    const out = await upload.done();
    return unquoteEtag(out.ETag ?? '');
  } finally {
    request.signal?.removeEventListener('abort', onAbort);
    body.destroy();
  }
}

/**
 * The client, with `hook` awaited before each CompleteMultipartUpload it
 * sends: lib-storage sends Complete through `client.send` and offers no event
 * before it, and Complete is the request that changes the object, so this is
 * where a HEAD-compare for a server that ignores conditions on Complete goes.
 * A throwing hook fails the upload, which lib-storage then aborts. Each
 * UploadPart first waits for the bandwidth limit, if there is one.
 */
function withHooks(upload: UploadTarget, hook: () => Promise<void>, signal: AbortSignal | undefined): S3Client {
  const { pace } = upload;
  return new Proxy(upload.client, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver) as unknown;
      return async (command: unknown, ...rest: unknown[]) => {
        if (command instanceof CompleteMultipartUploadCommand) await hook();
        if (pace !== undefined && command instanceof UploadPartCommand) {
          // lib-storage leaves ContentLength unset on parts; the part is a buffer of its bytes.
          const body: unknown = command.input.Body;
          await pace(body instanceof Uint8Array ? body.byteLength : command.input.ContentLength ?? 0, signal);
        }
        return (target.send as (...args: unknown[]) => Promise<unknown>)(command, ...rest);
      };
    },
  });
}

export function fileChangedError(request: UploadRequest, cause: unknown): StratusError {
  return new StratusError(
    'file-changed-during-upload',
    `"${request.filePath}" changed while it was being uploaded; Stratus uploads it again once it stops changing.`,
    { severity: 'soft', cause },
  );
}

/** Stats the file before an upload; throws file-changed-during-upload when it is not the file the engine hashed. */
export async function statForUpload(request: UploadRequest): Promise<FileIdentity> {
  let info: FileIdentity | undefined;
  try {
    info = await quickStat(request.filePath, true);
  } catch (err) {
    throw fileChangedError(request, err);
  }
  if (info === undefined) throw fileChangedError(request, undefined);
  // The engine hashed a file of this size and mtime; anything else means the MD5 it gave us is stale.
  if (info.size !== request.size || Math.abs(info.mtimeMs - request.mtimeMs) >= 1) throw fileChangedError(request, undefined);
  return info;
}

export async function changedSince(filePath: string, before: FileIdentity): Promise<boolean> {
  try {
    const after = await quickStat(filePath, true);
    return after === undefined || after.size !== before.size || after.mtimeMs !== before.mtimeMs || after.ino !== before.ino;
  } catch {
    return true; // Deleted or replaced meanwhile.
  }
}

/** The fields of a GetObject answer a download checks and records (the SDK's output has them; so does leanGet.ts's). */
export interface DownloadAnswer {
  readonly ContentLength?: number | undefined;
  readonly ETag?: string | undefined;
  readonly Metadata?: Record<string, string> | undefined;
  readonly ServerSideEncryption?: string | undefined;
  readonly SSECustomerAlgorithm?: string | undefined;
}

/**
 * Checks a downloaded body: its length against Content-Length, its MD5
 * against a plain-MD5 ETag (authoritative: the server computed it over the
 * bytes) or, for multipart/encrypted objects, against md5chksum metadata.
 * Throws download-corrupt.
 */
export function checkDownload(key: string, out: DownloadAnswer, received: ReceiveResult, log: Logger | undefined): void {
  const corrupt = (what: string): StratusError => new StratusError(
    'download-corrupt',
    `The download of "${key}" was damaged (${what}); Stratus will download it again.`,
    { severity: 'item' },
  );
  if (out.ContentLength !== undefined && received.bytes !== out.ContentLength) {
    throw corrupt(`received ${received.bytes} of ${out.ContentLength} bytes`);
  }
  const etag = unquoteEtag(out.ETag ?? '');
  // SSE-KMS and SSE-C ETags look like MD5s but are not.
  const encrypted = out.SSECustomerAlgorithm !== undefined || (out.ServerSideEncryption ?? '').startsWith('aws:kms');
  const etagIsMd5 = isPlainMd5Etag(etag) && !encrypted;
  const { md5 } = readMetadata(out.Metadata);
  if (etagIsMd5 && etag !== received.md5) throw corrupt('content MD5 differs from the ETag');
  if (!etagIsMd5 && md5 !== undefined && md5 !== received.md5) throw corrupt('content MD5 differs from its md5chksum metadata');
  if (etagIsMd5 && md5 !== undefined && md5 !== received.md5) {
    log?.warn('md5chksum metadata disagrees with the verified content', { key });
  }
}
