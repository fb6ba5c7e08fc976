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
 * - prepare: measures what the server really does with those conditions,
 *   ETags, checksums and pagination (capabilities.ts), once per endpoint and
 *   bucket, cached in the journal; WriteGuard then sends each precondition
 *   only where it is honoured and compares by HEAD where it is not.
 *
 * Every failure leaves as a StratusError (see s3Errors.ts). Emits log lines
 * only for things worth knowing later: server quirks detected, files that
 * changed under an upload, metadata that disagrees with the bytes.
 */
import { open, rm, stat, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand,
  type ListObjectsV2CommandInput, type ListObjectsV2CommandOutput, type S3Client,
} from '@aws-sdk/client-s3';
import type { DeserializeMiddleware } from '@smithy/types';
import { unquoteEtag } from '../../core/model.js';
import { isStratusError, StratusError } from '../../core/StratusError.js';
import type { Logger } from '../logger.js';
import type {
  BandwidthLimits, DownloadRequest, MultipartJournal, RemoteCache, RemoteObject, RemoteObjectInfo, RemoteStore, UploadRequest, WriteConditions,
} from '../ports.js';
import type { CapabilitySet, EndpointCapabilities } from './capabilities.js';
import { CapabilityState, remoteChangedError } from './CapabilityState.js';
import { hostLabelOf, serverIdOf } from './endpointNames.js';
import { FileContentChangedError, receiveToFile, type ReceiveResult } from './fileStreams.js';
import { LeanGet } from './leanGet.js';
import { splitListContents, type ListedContent } from './listContents.js';
import {
  isNotFound, isNotImplemented, isPreconditionFailed, toStratusError, type RemoteOperation,
} from './s3Errors.js';
import { LeanPut, type LeanPutAgents } from './leanPut.js';
import { RateLimiter } from './RateLimiter.js';
import { cleanStaleUploads, putResumable } from './resumableUpload.js';
import { WriteGuard } from './WriteGuard.js';
import { choosePartSize, copySource, decodeListedKey, MAX_SINGLE_PUT, MIN_PART_SIZE, quoteEtag, readMetadata } from './s3Metadata.js';
import {
  changedSince, checkDownload, type DownloadAnswer, fileChangedError, putMultipart, putSingle, statForUpload, type SentConditions, type UploadTarget,
} from './s3Transfers.js';

const MiB = 1024 * 1024;
/**
 * Objects listed at least this large are fetched with the lean GET where it applies (a connection
 * of their own: below this, reusing the SDK's pooled connections costs less than the receive saves).
 */
const LEAN_GET_MIN_BYTES = 8 * MiB;
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
  /**
   * Files of this size or larger are uploaded by the resumable path (progress
   * kept in the journal given to `prepare`, resumed with ListParts after any
   * failure or restart) instead of lib-storage. @default 64 MiB
   */
  readonly resumableThreshold?: number;
  /** Multipart uploads under the prefix that no journal knows are aborted once this old (another device may own a younger one). @default 7 days */
  readonly staleUploadAgeMs?: number;
  /** How often `prepare` asks the server for abandoned multipart uploads. @default 24 h */
  readonly staleUploadCheckMs?: number;
  /** Bandwidth limits in bytes per second; undefined: unlimited. Changeable later with `setBandwidthLimits`. */
  readonly bandwidth?: BandwidthLimits;
  /**
   * Names the server in the capability cache key. @default from the client:
   * `<scheme>://<host>[:port]` of its endpoint, or `https://s3.<region>.amazonaws.com`
   */
  readonly endpoint?: string;
  /** Measure the server again when the cached capabilities are older than this. @default 30 days */
  readonly capabilityMaxAgeMs?: number;
  /** Capabilities this user's other folders measured (machineCapabilityCache.ts); without it, each folder's journal only. */
  readonly machineCache?: Pick<RemoteCache, 'get' | 'set'>;
  /**
   * The agents the client's request handler uses: given, small files (≤ 1 MiB) are sent with a lean
   * PutObject on them (leanPut.ts) when the endpoint is a path-style custom one; absent, always the SDK
   * (tests that watch PutObject through SDK middleware leave it out).
   */
  readonly directAgents?: LeanPutAgents;
  readonly log?: Logger;
}

const META_UPLOAD_CLEANUP = 'multipart.lastServerCleanup';

function sendOptions(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal };
}

/** Local file-system failures while writing a download (as opposed to the network ones). */
function isLocalWriteError(err: unknown): boolean {
  const syscall = (err as { syscall?: unknown } | null)?.syscall;
  return typeof syscall === 'string' && ['open', 'write', 'fsync', 'fdatasync', 'close'].includes(syscall);
}

/**
 * Reads the `<Contents>` of the page `command` receives with listContents.ts
 * (a 200 answer only, after the SDK's retries and its check for an error in a
 * 200 body) and hands the SDK the page without them. Issue 4, scenario (c):
 * ≈ 0.4 s of SDK XML work per 10,000 listed objects saved.
 */
function readContentsFast(command: ListObjectsV2Command): { contents: readonly ListedContent[] } {
  const state: { contents: readonly ListedContent[] } = { contents: [] };
  const middleware: DeserializeMiddleware<ListObjectsV2CommandInput, ListObjectsV2CommandOutput> = (next) => async (args) => {
    // Each attempt starts afresh: a retried request must not keep an earlier attempt's objects.
    state.contents = [];
    const result = await next(args);
    const response = result.response as { statusCode?: unknown; body?: unknown };
    if (response.statusCode !== 200) return result;
    const bytes = await bodyBytes(response.body);
    const split = splitListContents(bytes.toString('utf8'));
    if (split === undefined) {
      response.body = bytes;
    } else {
      state.contents = split.contents;
      response.body = Buffer.from(split.rest, 'utf8');
    }
    return result;
  };
  command.middlewareStack.addRelativeTo(middleware, { relation: 'after', toMiddleware: 'deserializerMiddleware', name: 'stratusListContents', override: true });
  return state;
}

async function bodyBytes(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  return Buffer.concat(chunks);
}

export class S3RemoteStore implements RemoteStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly multipartThreshold: number;
  private readonly transfers: UploadTarget;
  private readonly log: Logger | undefined;
  private readonly capabilityState: CapabilityState;
  private readonly guard: WriteGuard;
  private endpoint: Promise<string> | undefined;
  private endpointId: Promise<string> | undefined;
  private readonly resumableThreshold: number;
  private readonly staleUploadAgeMs: number;
  private readonly staleUploadCheckMs: number;
  private uploads: MultipartJournal | undefined;
  private readonly upLimit = new RateLimiter();
  private readonly downLimit = new RateLimiter();
  private readonly leanGet: LeanGet | undefined;

  constructor(options: S3RemoteStoreOptions) {
    if (options.prefix !== '' && !options.prefix.endsWith('/')) throw new RangeError('prefix must end with "/"');
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix;
    this.multipartThreshold = Math.min(options.multipartThreshold ?? 16 * MiB, MAX_SINGLE_PUT);
    const partSize = options.partSize ?? 8 * MiB;
    if (partSize < MIN_PART_SIZE) throw new RangeError('partSize must be at least 5 MiB (S3\'s minimum part size)');
    const lean = options.directAgents === undefined ? undefined : new LeanPut(this.client, this.bucket, options.directAgents);
    this.transfers = {
      client: this.client, bucket: this.bucket, partSize, queueSize: Math.max(1, options.queueSize ?? 4),
      pace: (bytes, signal) => this.upLimit.take(bytes, signal),
      ...(lean === undefined ? {} : { lean }),
    };
    this.leanGet = lean === undefined ? undefined : new LeanGet(lean);
    this.resumableThreshold = Math.max(options.resumableThreshold ?? 64 * MiB, this.multipartThreshold);
    this.staleUploadAgeMs = options.staleUploadAgeMs ?? 7 * 24 * 3600_000;
    this.staleUploadCheckMs = options.staleUploadCheckMs ?? 24 * 3600_000;
    if (options.bandwidth !== undefined) this.setBandwidthLimits(options.bandwidth);
    this.log = options.log;
    const configuredEndpoint = options.endpoint;
    this.capabilityState = new CapabilityState({
      client: this.client,
      bucket: this.bucket,
      prefix: this.prefix,
      endpoint: () => (configuredEndpoint === undefined ? this.serverId() : Promise.resolve(configuredEndpoint)),
      errorContext: async () => ({ bucket: this.bucket, prefix: this.prefix, endpoint: await this.endpointLabel() }),
      ...(options.capabilityMaxAgeMs === undefined ? {} : { maxAgeMs: options.capabilityMaxAgeMs }),
      ...(options.machineCache === undefined ? {} : { machineCache: options.machineCache }),
      ...(options.log === undefined ? {} : { log: options.log }),
    });
    this.guard = new WriteGuard({ capabilities: this.capabilityState, head: (key, signal) => this.head(key, signal) });
  }

  /**
   * Measures the server's capabilities on first contact with this endpoint and
   * bucket (or loads them from `cache`, where they are kept between runs).
   * Without it the store assumes AWS's documented behaviour, with runtime
   * checks for the quirks it can recognise from an answer.
   */
  async prepare(cache: RemoteCache, signal?: AbortSignal): Promise<void> {
    await this.capabilityState.prepare(cache, signal);
    this.uploads = cache.uploads;
    if (this.uploads !== undefined) await this.cleanUploads(cache, this.uploads, signal);
  }

  /** Bytes per second per direction; undefined lifts a limit. Applies to transfers already running. */
  setBandwidthLimits(limits: BandwidthLimits): void {
    this.upLimit.setRate(limits.uploadBytesPerSecond);
    this.downLimit.setRate(limits.downloadBytesPerSecond);
  }

  /**
   * Abandoned multipart uploads cost storage: recorded ones whose file changed
   * or vanished are aborted on every run (a few local stats); once a day the
   * server is asked for unknown ones under the prefix (one request per 1,000).
   */
  private async cleanUploads(cache: RemoteCache, uploads: MultipartJournal, signal?: AbortSignal): Promise<void> {
    const now = Date.now();
    const last = Number(await cache.get(META_UPLOAD_CLEANUP) ?? 0);
    const askServer = !(now - last < this.staleUploadCheckMs && last <= now);
    const result = await cleanStaleUploads({ ...this.transfers, journal: uploads, ...(this.log === undefined ? {} : { log: this.log }) }, {
      prefix: this.prefix,
      askServer,
      staleAfterMs: this.staleUploadAgeMs,
      now,
      stillCurrent: async (record) => {
        try {
          const info = await stat(record.filePath);
          return info.size === record.size && info.mtimeMs === record.mtimeMs && info.ino === record.inode;
        } catch {
          return false;
        }
      },
      ...(signal === undefined ? {} : { signal }),
    });
    if (askServer) await cache.set(META_UPLOAD_CLEANUP, String(now));
    if (result.aborted + result.forgotten > 0) this.log?.info('cleaned up multipart uploads', result);
  }

  /** What requests are currently shaped by (AWS's documented behaviour until prepare measured otherwise). */
  get capabilities(): CapabilitySet {
    return this.capabilityState.current;
  }

  /** The measured record in use, if prepare found or made one. */
  get measuredCapabilities(): EndpointCapabilities | undefined {
    return this.capabilityState.probed;
  }

  listingMode(): string {
    return this.capabilityState.current.listPagination;
  }

  async *list(signal?: AbortSignal): AsyncGenerator<RemoteObject> {
    let token: string | undefined;
    // Servers whose continuation tokens do not lead on (measured by prepare) are paged with start-after instead.
    const byStartAfter = this.listingMode() === 'continuation-broken';
    let startAfter: string | undefined;
    const seenTokens = new Set<string>();
    let page = 0;
    do {
      let out: ListObjectsV2CommandOutput;
      const command = new ListObjectsV2Command({
        Bucket: this.bucket,
        Prefix: this.prefix,
        // Keys with control characters cannot travel in XML unless S3 url-encodes them (SCENARIOS 21).
        EncodingType: 'url',
        ...(token === undefined || byStartAfter ? {} : { ContinuationToken: token }),
        ...(startAfter === undefined ? {} : { StartAfter: startAfter }),
      });
      const fast = readContentsFast(command);
      try {
        out = await this.client.send(command, sendOptions(signal));
      } catch (err) {
        throw await this.listFailed(err, page);
      }
      page += 1;
      let lastKey: string | undefined;
      // The objects read by listContents.ts, then any the SDK parsed (all of them when the page was not in the plain shape).
      const items: { Key?: string | undefined; Size?: number | undefined; ETag?: string | undefined }[] = fast.contents.map((c) => ({ Key: c.key, Size: c.size, ETag: c.etag }));
      for (const item of out.Contents ?? []) items.push(item);
      for (const item of items) {
        if (item.Key === undefined) throw this.listBroken('the server listed an object without a key', page);
        const key = decodeListedKey(item.Key, out.EncodingType);
        if (!key.startsWith(this.prefix)) {
          throw this.listBroken(`the server listed "${key}", which is outside the prefix it was asked for`, page);
        }
        lastKey = key;
        yield { key, size: item.Size ?? 0, etag: unquoteEtag(item.ETag ?? '') };
      }
      if (out.IsTruncated === true && byStartAfter) {
        // A truncated page must move the listing forward, or it would loop (or end) with objects unseen.
        if (lastKey === undefined || (startAfter !== undefined && Buffer.compare(Buffer.from(lastKey), Buffer.from(startAfter)) <= 0)) throw this.listBroken('the server truncated a page without moving forward', page);
        startAfter = lastKey;
        token = lastKey;
      } else if (out.IsTruncated === true) {
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
      const multipart = request.size >= this.multipartThreshold;
      const uploads = this.uploads;
      etag = await this.guard.write(multipart ? 'multipart' : 'put', request.key, request, async (sent, recheck) => {
        if (!multipart) return putSingle(this.transfers, request, sent);
        await this.preflight(request, sent);
        if (uploads === undefined || request.size < this.resumableThreshold) return putMultipart(this.transfers, request, sent, recheck);
        const outcome = await putResumable(
          { ...this.transfers, journal: uploads, ...(this.log === undefined ? {} : { log: this.log }) }, request, before, sent, recheck,
        );
        return outcome.etag;
      }, request.signal);
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
    let file: FileHandle | undefined;
    let created = false;
    let body: Readable | undefined;
    try {
      // 'wx': never write through an existing file (or a symlink planted under the temp name).
      file = await open(request.toFile, 'wx', 0o600);
      created = true;
      const fetched = await this.fetchTo(request, file, (b) => {
        body = b;
      });
      await file.close();
      file = undefined;
      const { out, received } = fetched;
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
      body?.destroy();
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

  /**
   * GetObject into `file`: a large object on a plain-http path-style endpoint through the lean
   * GET (leanGet.ts), anything else — and whatever that path does not carry — through the SDK.
   * `onBody` is given the SDK's body stream so the caller can destroy it on failure.
   */
  private async fetchTo(
    request: DownloadRequest, file: FileHandle, onBody: (body: Readable) => void,
  ): Promise<{ readonly out: DownloadAnswer; readonly received: ReceiveResult }> {
    const ifMatch = request.ifMatch === undefined ? undefined : quoteEtag(request.ifMatch);
    const leanGet = this.leanGet;
    const lean = leanGet !== undefined && (request.size ?? 0) >= LEAN_GET_MIN_BYTES
      ? await leanGet.download({
        key: request.key,
        ...(ifMatch === undefined ? {} : { ifMatch }),
        ...(request.signal === undefined ? {} : { signal: request.signal }),
        ...(request.onProgress === undefined ? {} : { onBytes: request.onProgress }),
        paced: () => this.downLimit.bytesPerSecond !== undefined,
        pace: (bytes, signal) => this.downLimit.take(bytes, signal),
      }, file)
      : undefined;
    if (lean !== undefined && lean !== 'fallback') return lean;
    const out = await this.client.send(new GetObjectCommand({
      Bucket: this.bucket,
      Key: request.key,
      ...(ifMatch === undefined ? {} : { IfMatch: ifMatch }),
    }), sendOptions(request.signal));
    const body = out.Body;
    if (!(body instanceof Readable)) {
      throw new StratusError('remote-error', `The storage server sent no readable body for "${request.key}".`, { severity: 'item' });
    }
    onBody(body);
    if (lean === 'fallback') leanGet?.fallbackWorked();
    const received = await receiveToFile(body, file, {
      ...(request.signal === undefined ? {} : { signal: request.signal }),
      ...(request.onProgress === undefined ? {} : { onBytes: request.onProgress }),
      pace: (bytes, signal) => this.downLimit.take(bytes, signal),
      ...(out.ContentLength === undefined ? {} : { expectedBytes: out.ContentLength }),
    });
    return { out, received };
  }

  async copy(fromKey: string, toKey: string, conditions: WriteConditions & { readonly sourceEtag?: string } = {}): Promise<{ readonly etag: string }> {
    this.assertOwnKey(fromKey);
    this.assertOwnKey(toKey);
    const { sourceEtag } = conditions;
    let etag: string;
    try {
      etag = await this.guard.write('copy', toKey, conditions, async (sent) => {
        // Read per attempt: a NotImplemented on the first attempt switches the second to comparing.
        const sendsSource = this.capabilityState.current.conditionalCopy === 'honoured';
        if (sourceEtag !== undefined && !sendsSource) {
          // A server that ignores copy conditions would copy a newer source unseen: compare first (race: see WriteGuard).
          const source = await this.head(fromKey);
          if (source === undefined) throw new StratusError('remote-missing', `"${fromKey}" no longer exists on the server.`, { severity: 'item' });
          if (source.etag !== sourceEtag) throw remoteChangedError(fromKey);
        }
        const out = await this.client.send(new CopyObjectCommand({
          Bucket: this.bucket,
          Key: toKey,
          CopySource: copySource(this.bucket, fromKey),
          MetadataDirective: 'COPY',
          ...(sourceEtag === undefined || !sendsSource ? {} : { CopySourceIfMatch: quoteEtag(sourceEtag) }),
          ...(sent.ifMatch === undefined ? {} : { IfMatch: sent.ifMatch }),
          ...(sent.ifNoneMatch === true ? { IfNoneMatch: '*' } : {}),
        }));
        return unquoteEtag(out.CopyObjectResult?.ETag ?? '');
      });
    } catch (err) {
      throw await this.fail(err, 'copy', fromKey);
    }
    return { etag: etag === '' ? await this.etagAfterWrite(toKey) : etag };
  }

  async delete(key: string, conditions: { readonly ifMatch?: string } = {}): Promise<void> {
    this.assertOwnKey(key);
    const { ifMatch } = conditions;
    try {
      await this.guard.delete(key, ifMatch, (sent) => this.client.send(new DeleteObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ...(sent.ifMatch === undefined ? {} : { IfMatch: sent.ifMatch }),
      })));
    } catch (err) {
      // Already gone is what the caller wanted (S3 answers 404 to If-Match on a missing key).
      if (ifMatch !== undefined && isNotFound(err)) return;
      throw await this.fail(err, 'delete', key);
    }
  }

  async createFolderMarker(key: string): Promise<{ readonly etag: string }> {
    this.assertOwnKey(key);
    if (!key.endsWith('/')) throw new StratusError('invalid-key', `A folder marker key must end with "/": "${key}".`, { severity: 'fatal' });
    try {
      const out = await this.guard.write('put', key, { ifNoneMatch: true }, (sent: SentConditions) => this.client.send(new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: Buffer.alloc(0),
        ContentLength: 0,
        ContentMD5: EMPTY_MD5_BASE64,
        ...(sent.ifNoneMatch === true ? { IfNoneMatch: '*' } : {}),
      })));
      const etag = unquoteEtag(out.ETag ?? '');
      return { etag: etag === '' ? await this.etagAfterWrite(key) : etag };
    } catch (err) {
      // Someone (or an earlier run) already made it: a marker has no content, so theirs is as good as ours.
      if (isPreconditionFailed(err) || (isStratusError(err) && err.code === 'remote-changed')) {
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
  private async preflight(request: UploadRequest, sent: SentConditions): Promise<void> {
    // Conditions not sent were already compared by WriteGuard, just now.
    if (sent.ifMatch === undefined && sent.ifNoneMatch !== true) return;
    let current: RemoteObjectInfo | undefined;
    try {
      current = await this.head(request.key, request.signal);
    } catch {
      // E.g. AWS answers 403 instead of 404 to a HEAD when the policy's ListBucket is prefix-conditioned: undecided, let Complete decide.
      return;
    }
    if (request.ifNoneMatch === true && current !== undefined) throw remoteChangedError(request.key);
    if (request.ifMatch !== undefined && current !== undefined && current.etag !== request.ifMatch) throw remoteChangedError(request.key);
  }

  // ── conditions and results ────────────────────────────────────────────────

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
    // A header the server took when measured and refuses now: it changed (an upgrade, a new proxy); measure again next run.
    if (isNotImplemented(err)) await this.capabilityState.invalidate(`NotImplemented on ${operation}`);
    return toStratusError(err, {
      operation,
      bucket: this.bucket,
      prefix: this.prefix,
      ...(key === undefined ? {} : { key }),
      endpoint: await this.endpointLabel(),
    });
  }
  private serverId(): Promise<string> {
    this.endpointId ??= serverIdOf(this.client);
    return this.endpointId;
  }

  private endpointLabel(): Promise<string> {
    this.endpoint ??= hostLabelOf(this.client);
    return this.endpoint;
  }
}
