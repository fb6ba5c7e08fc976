/**
 * MultipartStore: pending multipart uploads and their parts, on disk next to the
 * bucket's objects so they survive a restart like AWS's do. Layout:
 *
 *   buckets/<bucket>/uploads/<uploadId>/upload.json        UploadRecord (version 1)
 *   buckets/<bucket>/uploads/<uploadId>/part-<n>.json      PartRecord (version 1), commit point of a part
 *   buckets/<bucket>/uploads/<uploadId>/part-<n>.<random>.data
 *
 * Completing validates the part list the way S3 does (ascending order, known
 * parts with matching ETags, every part but the last at least 5 MiB), joins the
 * parts into one temp file and commits it through ObjectStore with the
 * multipart ETag: hex(MD5(concatenated binary part MD5s)) + "-" + part count.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TEMP_PREFIX, TempFile, writeFileAtomic } from './AtomicFile.js';
import type { NewObject, ObjectRecord, ObjectStore, Precondition } from './ObjectStore.js';
import { s3Error } from './S3Error.js';

export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PART_NUMBER = 10_000;

export interface UploadRecord {
  readonly version: 1;
  readonly uploadId: string;
  readonly key: string;
  readonly initiated: number;
  readonly contentType: string;
  readonly userMetadata: Readonly<Record<string, string>>;
  readonly systemMetadata: Readonly<Record<string, string>>;
  /** Access key that started the upload (reported as Initiator/Owner). */
  readonly initiator: string;
}

export interface PartRecord {
  readonly version: 1;
  readonly partNumber: number;
  readonly etag: string;
  readonly size: number;
  readonly lastModified: number;
  readonly checksums: Readonly<Record<string, string>>;
  readonly dataFile: string;
}

interface Upload {
  readonly record: UploadRecord;
  readonly bucket: string;
  readonly dir: string;
  readonly parts: Map<number, PartRecord>;
}

export interface CompletedPart {
  readonly partNumber: number;
  readonly etag: string;
}

const UPLOAD_ID = /^[A-Za-z0-9_-]{16,128}$/;

/** `"abc"` and `abc` name the same ETag; clients send both. */
export function normalizeEtag(etag: string): string {
  const trimmed = etag.trim();
  return trimmed.startsWith('"') && trimmed.endsWith('"') && trimmed.length >= 2 ? trimmed.slice(1, -1) : trimmed;
}

export class MultipartStore {
  private readonly uploads = new Map<string, Upload>();

  private constructor(private readonly objects: ObjectStore, private readonly now: () => number) {}

  static async open(objects: ObjectStore, now: () => number): Promise<MultipartStore> {
    const store = new MultipartStore(objects, now);
    for (const { name } of objects.listBuckets()) {
      const root = join(objects.bucketDir(name), 'uploads');
      for (const uploadId of await readdir(root).catch(() => [] as string[])) {
        const upload = await loadUpload(name, join(root, uploadId));
        if (upload) store.uploads.set(uploadId, upload);
        else await rm(join(root, uploadId), { recursive: true, force: true });
      }
    }
    return store;
  }

  async create(bucket: string, fields: Omit<UploadRecord, 'version' | 'uploadId' | 'initiated'>): Promise<UploadRecord> {
    const uploadId = randomBytes(36).toString('base64url');
    const dir = join(this.objects.bucketDir(bucket), 'uploads', uploadId);
    await mkdir(dir, { recursive: true });
    const record: UploadRecord = { version: 1, uploadId, initiated: this.now(), ...fields };
    await writeFileAtomic(join(dir, 'upload.json'), JSON.stringify(record));
    this.uploads.set(uploadId, { record, bucket, dir, parts: new Map() });
    return record;
  }

  /** The upload, checked against the bucket and key the request names. */
  get(bucket: string, key: string, uploadId: string): Upload {
    const upload = UPLOAD_ID.test(uploadId) ? this.uploads.get(uploadId) : undefined;
    if (!upload || upload.bucket !== bucket || upload.record.key !== key) {
      throw s3Error('NoSuchUpload', undefined, { UploadId: uploadId });
    }
    return upload;
  }

  listUploads(bucket: string): UploadRecord[] {
    return [...this.uploads.values()].filter((u) => u.bucket === bucket).map((u) => u.record);
  }

  hasUploads(bucket: string): boolean {
    return [...this.uploads.values()].some((u) => u.bucket === bucket);
  }

  listParts(upload: Upload): PartRecord[] {
    return [...upload.parts.values()].sort((a, b) => a.partNumber - b.partNumber);
  }

  async createPartTemp(upload: Upload): Promise<TempFile> {
    return TempFile.create(upload.dir);
  }

  /** Publishes a sealed temp file as part `partNumber`, replacing an earlier upload of it. */
  async commitPart(upload: Upload, partNumber: number, temp: TempFile, fields: Omit<PartRecord, 'version' | 'partNumber' | 'lastModified' | 'dataFile'>): Promise<PartRecord> {
    return this.objects.withLock(`upload\n${upload.record.uploadId}`, async () => {
      if (!this.uploads.has(upload.record.uploadId)) throw s3Error('NoSuchUpload', undefined, { UploadId: upload.record.uploadId });
      const previous = upload.parts.get(partNumber);
      const part: PartRecord = {
        version: 1,
        partNumber,
        ...fields,
        lastModified: Math.floor(this.now() / 1000) * 1000,
        dataFile: `part-${partNumber}.${randomBytes(8).toString('hex')}.data`,
      };
      await temp.renameTo(join(upload.dir, part.dataFile));
      await writeFileAtomic(join(upload.dir, `part-${partNumber}.json`), JSON.stringify(part));
      upload.parts.set(partNumber, part);
      if (previous) await rm(join(upload.dir, previous.dataFile), { force: true });
      return part;
    });
  }

  partPath(upload: Upload, part: PartRecord): string {
    return join(upload.dir, part.dataFile);
  }

  async complete(upload: Upload, requested: readonly CompletedPart[], check: Precondition): Promise<ObjectRecord> {
    const { uploadId, key } = upload.record;
    return this.objects.withLock(`upload\n${uploadId}`, async () => {
      if (!this.uploads.has(uploadId)) throw s3Error('NoSuchUpload', undefined, { UploadId: uploadId });
      const parts = this.validate(upload, requested);
      const temp = await this.objects.createTemp(upload.bucket, key);
      const md5s: Buffer[] = [];
      let size = 0;
      try {
        for (const part of parts) {
          for await (const chunk of createReadStream(this.partPath(upload, part), { highWaterMark: 1024 * 1024 })) {
            await temp.write(chunk as Buffer);
          }
          md5s.push(Buffer.from(normalizeEtag(part.etag), 'hex'));
          size += part.size;
        }
        await temp.seal();
        const fields: NewObject = {
          size,
          etag: `"${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${parts.length}"`,
          contentType: upload.record.contentType,
          userMetadata: upload.record.userMetadata,
          systemMetadata: upload.record.systemMetadata,
          checksums: {},
          partsCount: parts.length,
        };
        const record = await this.objects.commit(upload.bucket, key, temp, fields, check);
        this.uploads.delete(uploadId);
        await rm(upload.dir, { recursive: true, force: true });
        return record;
      } catch (err) {
        await temp.discard();
        throw err;
      }
    });
  }

  async abort(upload: Upload): Promise<void> {
    await this.objects.withLock(`upload\n${upload.record.uploadId}`, async () => {
      this.uploads.delete(upload.record.uploadId);
      await rm(upload.dir, { recursive: true, force: true });
    });
  }

  private validate(upload: Upload, requested: readonly CompletedPart[]): PartRecord[] {
    if (requested.length === 0) throw s3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema. You must specify at least one part.');
    const parts: PartRecord[] = [];
    let previousNumber = 0;
    for (const { partNumber, etag } of requested) {
      if (partNumber <= previousNumber) throw s3Error('InvalidPartOrder');
      previousNumber = partNumber;
      const part = upload.parts.get(partNumber);
      if (!part || normalizeEtag(part.etag) !== normalizeEtag(etag)) {
        throw s3Error('InvalidPart', undefined, { UploadId: upload.record.uploadId, PartNumber: String(partNumber), ETag: etag });
      }
      parts.push(part);
    }
    parts.forEach((part, i) => {
      if (i < parts.length - 1 && part.size < MIN_PART_SIZE) {
        throw s3Error('EntityTooSmall', undefined, {
          ProposedSize: String(part.size),
          MinSizeAllowed: String(MIN_PART_SIZE),
          PartNumber: String(part.partNumber),
          ETag: part.etag,
        });
      }
    });
    return parts;
  }
}

async function loadUpload(bucket: string, dir: string): Promise<Upload | undefined> {
  let record: UploadRecord;
  try {
    record = JSON.parse(await readFile(join(dir, 'upload.json'), 'utf8')) as UploadRecord;
  } catch {
    return undefined; // Creation never committed.
  }
  if (record.version !== 1) return undefined;
  const upload: Upload = { record, bucket, dir, parts: new Map() };
  const names = await readdir(dir);
  for (const name of names) {
    if (!/^part-\d+\.json$/.test(name)) continue;
    try {
      const part = JSON.parse(await readFile(join(dir, name), 'utf8')) as PartRecord;
      if (part.version === 1) upload.parts.set(part.partNumber, part);
    } catch {
      // Unreadable part sidecar: the part counts as never uploaded.
    }
  }
  const referenced = new Set([...upload.parts.values()].map((p) => p.dataFile));
  for (const name of names) {
    if (name.startsWith(TEMP_PREFIX) || (name.endsWith('.data') && !referenced.has(name))) {
      await rm(join(dir, name), { force: true });
    }
  }
  return upload;
}
