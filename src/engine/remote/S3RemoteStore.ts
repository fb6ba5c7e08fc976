/**
 * S3RemoteStore: the RemoteStore port over one user's prefix in an S3 bucket
 * (AWS, the sandbox, or an S3-compatible server such as Ceph RGW).
 *
 * - list: every object under the prefix (ListObjectsV2, no delimiter), or an
 *   error — never a silently partial listing (SCENARIOS 38).
 * - upload: single PutObject below `multipartThreshold` (the file read into
 *   memory and checked against the engine's MD5, Content-MD5 so the server
 *   verifies the bytes), multipart via lib-storage above it; both carry
 *   `md5chksum`/`mtime` metadata (rclone's names) and the caller's
 *   If-Match / If-None-Match, so a concurrent remote change is a 412
 *   (`remote-changed`), never an overwrite (SCENARIOS 29).
 * - download: GetObject into a new 0600 temp file, verified by length and MD5,
 *   fsynced; removed on any failure (SCENARIOS 32).
 * - copy / delete / createFolderMarker: conditional where the server allows.
 *
 * Every failure leaves as a StratusError (see s3Errors.ts). Emits log lines
 * only for things worth knowing later: server quirks detected, files that
 * changed under an upload, metadata that disagrees with the bytes.
 */
import { open, rm, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand,
  type GetObjectCommandOutput, type ListObjectsV2CommandOutput, type S3Client,
} from '@aws-sdk/client-s3';
import { unquoteEtag } from '../../core/model.js';
import { isStratusError, StratusError } from '../../core/StratusError.js';
import type { Logger } from '../logger.js';
import type {
  DownloadRequest, RemoteObject, RemoteObjectInfo, RemoteStore, UploadRequest, WriteConditions,
} from '../ports.js';
import { FileContentChangedError, receiveToFile } from './fileStreams.js';
import {
  isNotFound, isNotImplemented, isPreconditionFailed, toStratusError, type RemoteOperation,
} from './s3Errors.js';
import { choosePartSize, copySource, decodeListedKey, MAX_SINGLE_PUT, MIN_PART_SIZE, quoteEtag, readMetadata } from './s3Metadata.js';
import {
  changedSince, checkDownload, fileChangedError, putMultipart, putSingle, statForUpload, type UploadTarget,
} from './s3Transfers.js';

const MiB = 1024 * 1024;
const EMPTY_MD5_BASE64 = '1B2M2Y8AsgTpgAmY7PhCfg==';

export interface S3RemoteStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** The user's prefix, ending with '/' (e.g. `us-east-1:<uuid>/`); '' for a whole bucket. Every key must start with it. */
  readonly prefix: string;
  /** Files of this size or larger are uploaded in parts. @default 16 MiB (at most 5 GiB, S3's PutObject limit) */
  readonly multipartThreshold?: number;
  /** Preferred part size, grown so a file needs at most 10,000 parts. @default 8 MiB (at least 5 MiB) */
  readonly partSize?: number;
  /** Parts in flight per upload; memory per upload ≈ (queueSize + 1) × partSize. @default 4 */
  readonly queueSize?: number;
  readonly log?: Logger;
}

function sendOptions(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal };
}

/** Local file-system failures while writing a download (as opposed to the network ones). */
function isLocalWriteError(err: unknown): boolean {
  const syscall = (err as { syscall?: unknown } | null)?.syscall;
  return typeof syscall === 'string' && ['open', 'write', 'fsync', 'fdatasync', 'close'].includes(syscall);
}

export class S3RemoteStore implements RemoteStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly multipartThreshold: number;
  private readonly transfers: UploadTarget;
  private readonly log: Logger | undefined;
  /** Ceph RGW refuses a quoted If-Match on writes even when it matches; learnt on the first such 412. */
  private ifMatchQuoted = true;
  private endpoint: Promise<string> | undefined;

  constructor(options: S3RemoteStoreOptions) {
    if (options.prefix !== '' && !options.prefix.endsWith('/')) throw new RangeError('prefix must end with "/"');
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix;
    this.multipartThreshold = Math.min(options.multipartThreshold ?? 16 * MiB, MAX_SINGLE_PUT);
    const partSize = options.partSize ?? 8 * MiB;
    if (partSize < MIN_PART_SIZE) throw new RangeError('partSize must be at least 5 MiB (S3\'s minimum part size)');
    this.transfers = { client: this.client, bucket: this.bucket, partSize, queueSize: Math.max(1, options.queueSize ?? 4) };
    this.log = options.log;
  }

  async *list(signal?: AbortSignal): AsyncGenerator<RemoteObject> {
    let token: string | undefined;
    const seenTokens = new Set<string>();
    let page = 0;
    do {
      let out: ListObjectsV2CommandOutput;
      try {
        out = await this.client.send(new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix,
          // Keys with control characters cannot travel in XML unless S3 url-encodes them (SCENARIOS 21).
          EncodingType: 'url',
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }), sendOptions(signal));
      } catch (err) {
        throw await this.listFailed(err, page);
      }
      page += 1;
      for (const item of out.Contents ?? []) {
        if (item.Key === undefined) throw this.listBroken('the server listed an object without a key', page);
        const key = decodeListedKey(item.Key, out.EncodingType);
        if (!key.startsWith(this.prefix)) {
          throw this.listBroken(`the server listed "${key}", which is outside the prefix it was asked for`, page);
        }
        yield { key, size: item.Size ?? 0, etag: unquoteEtag(item.ETag ?? '') };
      }
      if (out.IsTruncated === true) {
        const next = out.NextContinuationToken;
        // A truncated page without a way to continue would silently end the listing: refuse it.
        if (next === undefined || next === '') throw this.listBroken('the server truncated a page without a continuation token', page);
        if (seenTokens.has(next)) throw this.listBroken('the server repeated a continuation token', page);
        seenTokens.add(next);
        token = next;
      } else {
        token = undefined;
      }
    } while (token !== undefined);
  }

  async head(key: string, signal?: AbortSignal): Promise<RemoteObjectInfo | undefined> {
    this.assertOwnKey(key);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), sendOptions(signal));
      return { key, size: out.ContentLength ?? 0, etag: unquoteEtag(out.ETag ?? ''), ...readMetadata(out.Metadata) };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw await this.fail(err, 'head', key);
    }
  }

  async upload(request: UploadRequest): Promise<{ readonly etag: string }> {
    this.assertOwnKey(request.key);
    if (request.size >= this.multipartThreshold) this.assertUploadable(request);
    const before = await statForUpload(request);
    let etag: string;
    try {
      etag = await this.withIfMatchStyle(request.key, request.ifMatch, async (ifMatch) => {
        if (request.size < this.multipartThreshold) return putSingle(this.transfers, request, ifMatch);
        await this.preflight(request);
        return putMultipart(this.transfers, request, ifMatch);
      });
    } catch (err) {
      if (err instanceof FileContentChangedError) throw fileChangedError(request, err);
      if (request.signal?.aborted === true) throw await this.fail(err, 'upload', request.key);
      // BadDigest and friends are what a file rewritten mid-read looks like from the server's side.
      if (await changedSince(request.filePath, before)) throw fileChangedError(request, err);
      throw await this.fail(err, 'upload', request.key);
    }
    if (await changedSince(request.filePath, before)) {
      // The bytes we sent matched the scanned MD5, but the file moved on since: the object is written, not "synced".
      this.log?.warn('file changed after its upload was written', { key: request.key });
      throw fileChangedError(request, undefined);
    }
    return { etag: etag === '' ? await this.etagAfterWrite(request.key, request.signal) : etag };
  }

  async download(request: DownloadRequest): Promise<RemoteObjectInfo> {
    this.assertOwnKey(request.key);
    let out: GetObjectCommandOutput;
    try {
      out = await this.client.send(new GetObjectCommand({
        Bucket: this.bucket,
        Key: request.key,
        ...(request.ifMatch === undefined ? {} : { IfMatch: quoteEtag(request.ifMatch) }),
      }), sendOptions(request.signal));
    } catch (err) {
      throw await this.fail(err, 'download', request.key);
    }
    const body = out.Body;
    if (!(body instanceof Readable)) {
      throw new StratusError('remote-error', `The storage server sent no readable body for "${request.key}".`, { severity: 'item' });
    }
    let file: FileHandle | undefined;
    let created = false;
    try {
      // 'wx': never write through an existing file (or a symlink planted under the temp name).
      file = await open(request.toFile, 'wx', 0o600);
      created = true;
      const received = await receiveToFile(body, file, {
        ...(request.signal === undefined ? {} : { signal: request.signal }),
        ...(request.onProgress === undefined ? {} : { onBytes: request.onProgress }),
      });
      await file.close();
      file = undefined;
      checkDownload(request.key, out, received, this.log);
      const meta = readMetadata(out.Metadata);
      return {
        key: request.key,
        size: received.bytes,
        etag: unquoteEtag(out.ETag ?? ''),
        md5: received.md5,
        ...(meta.mtimeMs === undefined ? {} : { mtimeMs: meta.mtimeMs }),
      };
    } catch (err) {
      body.destroy();
      await file?.close().catch(() => undefined);
      // Only a file this call created is removed: an existing one under the temp name is not ours.
      if (created) await rm(request.toFile, { force: true }).catch(() => undefined);
      if (isStratusError(err)) throw err;
      if (isLocalWriteError(err) && request.signal?.aborted !== true) {
        const code = (err as { code?: unknown }).code;
        throw new StratusError(
          code === 'ENOSPC' ? 'disk-full' : 'local-write-failed',
          code === 'ENOSPC'
            ? `The disk is full: "${request.key}" could not be downloaded. Free some space and Stratus will try again.`
            : `Could not write the download of "${request.key}" to "${request.toFile}" (${String(code)}).`,
          { severity: 'item', cause: err },
        );
      }
      throw await this.fail(err, 'download', request.key);
    }
  }

  async copy(fromKey: string, toKey: string, conditions: WriteConditions & { readonly sourceEtag?: string } = {}): Promise<{ readonly etag: string }> {
    this.assertOwnKey(fromKey);
    this.assertOwnKey(toKey);
    const send = async (ifNoneMatch: boolean): Promise<string> => {
      const out = await this.client.send(new CopyObjectCommand({
        Bucket: this.bucket,
        Key: toKey,
        CopySource: copySource(this.bucket, fromKey),
        MetadataDirective: 'COPY',
        ...(conditions.sourceEtag === undefined ? {} : { CopySourceIfMatch: quoteEtag(conditions.sourceEtag) }),
        ...(conditions.ifMatch === undefined ? {} : { IfMatch: this.ifMatchHeader(conditions.ifMatch) }),
        ...(ifNoneMatch ? { IfNoneMatch: '*' } : {}),
      }));
      return unquoteEtag(out.CopyObjectResult?.ETag ?? '');
    };
    let etag: string;
    try {
      etag = await send(conditions.ifNoneMatch === true);
    } catch (err) {
      if (!(conditions.ifNoneMatch === true && isNotImplemented(err))) throw await this.fail(err, 'copy', fromKey);
      // Server without conditional copies: check, then copy. A write to toKey between the two is overwritten.
      this.log?.warn('server does not support If-None-Match on CopyObject; checking first instead', { key: toKey });
      if ((await this.head(toKey)) !== undefined) throw this.remoteChanged(toKey);
      try {
        etag = await send(false);
      } catch (retryErr) {
        throw await this.fail(retryErr, 'copy', fromKey);
      }
    }
    return { etag: etag === '' ? await this.etagAfterWrite(toKey) : etag };
  }

  async delete(key: string, conditions: { readonly ifMatch?: string } = {}): Promise<void> {
    this.assertOwnKey(key);
    const { ifMatch } = conditions;
    try {
      await this.withIfMatchStyle(key, ifMatch, (header) => this.client.send(new DeleteObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ...(header === undefined ? {} : { IfMatch: header }),
      })));
    } catch (err) {
      // Already gone is what the caller wanted (S3 answers 404 to If-Match on a missing key).
      if (ifMatch !== undefined && isNotFound(err)) return;
      if (!(ifMatch !== undefined && isNotImplemented(err))) throw await this.fail(err, 'delete', key);
      // Servers without conditional deletes (AWS before 2024, many S3-compatibles): compare, then delete.
      // Race: a write that lands between this HEAD and the DELETE is deleted unseen (a versioned bucket keeps it).
      this.log?.warn('server does not support If-Match on DeleteObject; comparing first instead', { key });
      const current = await this.head(key);
      if (current === undefined) return;
      if (current.etag !== ifMatch) throw this.remoteChanged(key);
      try {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
      } catch (retryErr) {
        throw await this.fail(retryErr, 'delete', key);
      }
    }
  }

  async createFolderMarker(key: string): Promise<{ readonly etag: string }> {
    this.assertOwnKey(key);
    if (!key.endsWith('/')) throw new StratusError('invalid-key', `A folder marker key must end with "/": "${key}".`, { severity: 'fatal' });
    try {
      const out = await this.client.send(new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: Buffer.alloc(0),
        ContentLength: 0,
        ContentMD5: EMPTY_MD5_BASE64,
        IfNoneMatch: '*',
      }));
      const etag = unquoteEtag(out.ETag ?? '');
      return { etag: etag === '' ? await this.etagAfterWrite(key) : etag };
    } catch (err) {
      // Someone (or an earlier run) already made it: a marker has no content, so theirs is as good as ours.
      if (isPreconditionFailed(err)) {
        const existing = await this.head(key);
        if (existing !== undefined) return { etag: existing.etag };
      }
      throw await this.fail(err, 'folder-marker', key);
    }
  }

  /**
   * A large conditional upload whose condition is already false would send
   * gigabytes only to get 412 at Complete: check first. The condition on
   * Complete still decides; this HEAD only saves the wasted transfer.
   */
  private async preflight(request: UploadRequest): Promise<void> {
    if (request.ifMatch === undefined && request.ifNoneMatch !== true) return;
    let current: RemoteObjectInfo | undefined;
    try {
      current = await this.head(request.key, request.signal);
    } catch {
      // E.g. AWS answers 403 instead of 404 to a HEAD when the policy's ListBucket is prefix-conditioned: undecided, let Complete decide.
      return;
    }
    if (request.ifNoneMatch === true && current !== undefined) throw this.remoteChanged(request.key);
    if (request.ifMatch !== undefined && current !== undefined && current.etag !== request.ifMatch) throw this.remoteChanged(request.key);
  }

  // ── conditions and results ────────────────────────────────────────────────

  private ifMatchHeader(etag: string): string {
    return this.ifMatchQuoted ? quoteEtag(etag) : etag;
  }

  /**
   * Runs a write conditioned on `ifMatch`, quoted as S3 documents. Ceph RGW
   * (measured on 16.2) answers 412 to a quoted If-Match even when it matches
   * and accepts the bare ETag: if a 412 comes back while HEAD shows exactly
   * the expected ETag, switch this store to bare ETags and try once more.
   */
  private async withIfMatchStyle<T>(key: string, ifMatch: string | undefined, write: (header: string | undefined) => Promise<T>): Promise<T> {
    if (ifMatch === undefined) return write(undefined);
    const quoted = this.ifMatchQuoted;
    try {
      return await write(this.ifMatchHeader(ifMatch));
    } catch (err) {
      if (!quoted || !isPreconditionFailed(err)) throw err;
      const current = await this.head(key).catch(() => undefined);
      if (current?.etag !== ifMatch) throw err;
      this.ifMatchQuoted = false;
      this.log?.warn('server refused a matching quoted If-Match; sending bare ETags from now on', { key });
      return write(this.ifMatchHeader(ifMatch));
    }
  }

  /** The ETag of an object just written, for servers that do not return it (Ceph's CompleteMultipartUpload). */
  private async etagAfterWrite(key: string, signal?: AbortSignal): Promise<string> {
    const info = await this.head(key, signal);
    if (info === undefined || info.etag === '') {
      throw new StratusError('remote-error', `The storage server accepted "${key}" but reports no ETag for it.`, { severity: 'item' });
    }
    return info.etag;
  }

  // ── errors ────────────────────────────────────────────────────────────────

  private assertOwnKey(key: string): void {
    // A key outside the prefix is a bug upstream; refusing it keeps every write inside the user's prefix.
    if (!key.startsWith(this.prefix) || key.length === this.prefix.length) {
      throw new StratusError('key-outside-prefix', `Refusing to touch "${key}": it is not inside "${this.prefix}".`, { severity: 'fatal' });
    }
  }

  /** Beyond 10,000 parts of S3's largest part size there is no way to upload a file at all. */
  private assertUploadable(request: UploadRequest): void {
    try {
      choosePartSize(request.size, this.transfers.partSize);
    } catch (err) {
      throw new StratusError('file-too-large', `"${request.filePath}" is larger than S3 can store in one object.`, { severity: 'item', cause: err });
    }
  }

  private remoteChanged(key: string): StratusError {
    return new StratusError('remote-changed', `"${key}" changed on the server since Stratus last looked at it; nothing was overwritten.`, { severity: 'item' });
  }

  private async listFailed(err: unknown, pagesRead: number): Promise<StratusError> {
    const mapped = await this.fail(err, 'list');
    if (mapped.code === 'aborted') return mapped;
    return new StratusError(
      'remote-list-failed',
      `Listing "${this.prefix}" in bucket "${this.bucket}" failed after ${pagesRead} page(s): ${mapped.message} No remote deletes are inferred from an incomplete listing.`,
      { severity: 'fatal', cause: mapped },
    );
  }

  /** The server answered, but broke the listing contract: trusting the rest could hide objects (and infer deletes). */
  private listBroken(reason: string, pagesRead: number): StratusError {
    return new StratusError(
      'remote-list-failed',
      `Listing "${this.prefix}" in bucket "${this.bucket}" stopped after ${pagesRead} page(s): ${reason}. No remote deletes are inferred from an incomplete listing.`,
      { severity: 'fatal' },
    );
  }

  private async fail(err: unknown, operation: RemoteOperation, key?: string): Promise<StratusError> {
    return toStratusError(err, {
      operation,
      bucket: this.bucket,
      prefix: this.prefix,
      ...(key === undefined ? {} : { key }),
      endpoint: await this.endpointLabel(),
    });
  }

  /** Host[:port] of the endpoint, for "can't reach" messages (never a URL with a query: those can hold signatures). */
  private endpointLabel(): Promise<string> {
    this.endpoint ??= (async () => {
      try {
        const endpoint = await this.client.config.endpoint?.();
        if (endpoint !== undefined) return `${endpoint.hostname}${endpoint.port === undefined ? '' : `:${endpoint.port}`}`;
        return `s3.${await this.client.config.region()}.amazonaws.com`;
      } catch {
        return 'the configured endpoint';
      }
    })();
    return this.endpoint;
  }
}
