/**
 * Ports: the interfaces the engine's adapters implement with real I/O (in
 * src/engine) and tests implement in memory. The core itself never performs
 * I/O; the SyncEngine passes what these return into the pure planner.
 */
import type { SyncedEntry } from '../core/model.js';

/** A listed object, as ListObjectsV2 reports it. */
export interface RemoteObject {
  readonly key: string;
  readonly size: number;
  /** Unquoted. */
  readonly etag: string;
}

/** What HeadObject tells beyond a listing. */
export interface RemoteObjectInfo extends RemoteObject {
  /** Hex content MD5 from our metadata (or rclone's `md5chksum`), when present. */
  readonly md5?: string;
  /** `mtime` metadata (seconds, rclone-compatible), converted to ms. */
  readonly mtimeMs?: number;
}

export interface WriteConditions {
  /** Write only if the current object has this (unquoted) ETag. */
  readonly ifMatch?: string;
  /** Write only if no object exists under the key. */
  readonly ifNoneMatch?: true;
}

export interface UploadRequest extends WriteConditions {
  readonly key: string;
  /** Absolute local file path to read from. */
  readonly filePath: string;
  readonly size: number;
  /** Hex MD5 of the content; stored as metadata and checked by the server (Content-MD5) where possible. */
  readonly md5: string;
  readonly mtimeMs: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (bytesSent: number) => void;
}

export interface DownloadRequest {
  readonly key: string;
  /** Only succeed if the object still has this ETag (a concurrent change is detected). */
  readonly ifMatch?: string;
  /** Absolute path of a temp file to write; the caller renames it into place. */
  readonly toFile: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (bytesReceived: number) => void;
  /** The object's size as listed, if known: a hint for how to fetch it (the answer's length is what counts). */
  readonly size?: number;
}

/** Small persistent strings a RemoteStore may keep what it learnt about its server in (the journal's meta table). */
export interface RemoteCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  /** Where resumable multipart uploads keep their progress; without it large uploads restart after a failure. */
  readonly uploads?: MultipartJournal;
}

/**
 * One multipart upload in progress, recorded before its first part is sent
 * so a restarted engine resumes it (ListParts) instead of sending it again.
 * It belongs to one version of one local file: (size, mtime, inode, MD5).
 */
export interface MultipartUploadRecord {
  /** Full S3 key; at most one upload in progress per key. */
  readonly key: string;
  readonly uploadId: string;
  /** Absolute path of the local file being uploaded. */
  readonly filePath: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly inode: number;
  /** Hex MD5 of the whole file (stored as metadata on the object). */
  readonly md5: string;
  readonly partSize: number;
  /** Epoch ms of CreateMultipartUpload. */
  readonly createdAt: number;
}

/** A part the server acknowledged. */
export interface UploadedPart {
  readonly partNumber: number;
  /** Unquoted. */
  readonly etag: string;
  readonly size: number;
}

/** The journal's record of multipart uploads in progress (see MultipartUploadRecord). */
export interface MultipartJournal {
  loadMultipartUploads(): Promise<MultipartUploadRecord[]>;
  /** The record for `key` and its acknowledged parts, or undefined. */
  loadMultipartUpload(key: string): Promise<{ readonly upload: MultipartUploadRecord; readonly parts: UploadedPart[] } | undefined>;
  /** Records a new upload, replacing any earlier record for the same key (and its parts). */
  beginMultipartUpload(record: MultipartUploadRecord): Promise<void>;
  /** Records one acknowledged part of the upload `uploadId` (ignored if that upload is no longer recorded). */
  putMultipartPart(key: string, uploadId: string, part: UploadedPart): Promise<void>;
  forgetMultipartUpload(key: string): Promise<void>;
}

/** The S3 prefix of one user, as the engine sees it. Keys passed in and out are full keys. */
export interface RemoteStore {
  /**
   * Called once per run, while discovery runs and before anything is
   * written: a store that must learn how its server behaves (S3RemoteStore
   * probes conditional writes, ETags, checksums, pagination) does it here,
   * keeping the result in `cache` between runs. `list` may run meanwhile.
   */
  prepare?(cache: RemoteCache, signal?: AbortSignal): Promise<void>;
  /**
   * How `list` pages now (what `prepare` has measured so far). A listing
   * started while `prepare` ran is redone when this changed meanwhile.
   */
  listingMode?(): string;
  /** Every object under the prefix, paginated internally; throws if any page fails (never a partial list). */
  list(signal?: AbortSignal): AsyncIterable<RemoteObject>;
  head(key: string, signal?: AbortSignal): Promise<RemoteObjectInfo | undefined>;
  upload(request: UploadRequest): Promise<{ readonly etag: string }>;
  /** Resolves with the object's info once the whole body is on disk in `toFile`. */
  download(request: DownloadRequest): Promise<RemoteObjectInfo>;
  /** Server-side copy (used for renames); returns the new ETag. */
  copy(fromKey: string, toKey: string, conditions?: WriteConditions & { readonly sourceEtag?: string }): Promise<{ readonly etag: string }>;
  delete(key: string, conditions?: { readonly ifMatch?: string }): Promise<void>;
  /** Zero-byte `dir/` folder marker. */
  createFolderMarker(key: string): Promise<{ readonly etag: string }>;
  /** Bandwidth limits for the transfers of this store (running ones included); a store without limits omits it. */
  setBandwidthLimits?(limits: BandwidthLimits): void;
}

/** Bytes per second per direction; undefined means unlimited. */
export interface BandwidthLimits {
  readonly uploadBytesPerSecond?: number | undefined;
  readonly downloadBytesPerSecond?: number | undefined;
}

/** Retry bookkeeping for one path (see the retry queue). Persisted states are string unions. */
export interface RetryRecord {
  readonly path: string;
  readonly attempts: number;
  /** Epoch ms before which the item is not tried again. */
  readonly nextAttemptAt: number;
  readonly lastError: string;
}

/**
 * The journal of the last synced state. A resolved write survives a killed process;
 * a power loss may drop the last few (WAL, synchronous=NORMAL), which only makes
 * the next run compare those paths afresh: identical content is recorded, never
 * deleted or duplicated.
 */
export interface Journal extends HashCache, MultipartJournal {
  /** Every synced entry, keyed by path. */
  loadSynced(): Promise<Map<string, SyncedEntry>>;
  /** Records (or replaces) the synced state of one path; written only after its action succeeded. */
  putSynced(entry: SyncedEntry): Promise<void>;
  forgetSynced(path: string): Promise<void>;
  /** Atomically applies many changes (e.g. a folder move). */
  batch(changes: { readonly put?: readonly SyncedEntry[]; readonly forget?: readonly string[] }): Promise<void>;
  loadRetries(): Promise<Map<string, RetryRecord>>;
  putRetry(record: RetryRecord): Promise<void>;
  clearRetry(path: string): Promise<void>;
  /** Small versioned key/value settings (e.g. endpoint capabilities, sync-root id). */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  close(): Promise<void>;
}

/** Cached content hash of one local file, valid while (inode, size, mtime, ctime) are unchanged. */
export interface HashCacheEntry {
  readonly path: string;
  readonly inode: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  /** Hex MD5 of the content. */
  readonly md5: string;
}

/** Persistent hash cache so an unchanged file is never read twice (lives in the journal database). */
export interface HashCache {
  loadHashes(): Promise<Map<string, HashCacheEntry>>;
  /** Replaces the whole cache with what the last full scan saw (drops vanished paths). */
  replaceHashes(entries: Iterable<HashCacheEntry>): Promise<void>;
}
