/**
 * ObjectStore: buckets and objects on disk, with an in-memory index per bucket.
 *
 * Keys are never used as file names (they may hold any character and be 1024
 * bytes long); a key's files are named after SHA-256(key) and the key itself
 * lives in the sidecar. Layout under `dataDir`:
 *
 *   buckets/<bucket>/bucket.json                  {"version":1,"name":"stratus","createdAt":1700000000000}
 *   buckets/<bucket>/objects/<h0h1>/<sha256>.json  sidecar, ObjectRecord below (the commit point)
 *   buckets/<bucket>/objects/<h0h1>/<sha256>.<random>.data   the object's bytes
 *   buckets/<bucket>/uploads/…                    multipart uploads (see MultipartStore)
 *
 * A write renames a fully written, fsynced data file under a fresh name, then
 * atomically replaces the sidecar, then deletes the previous data file. So a
 * crash at any point leaves the old or the new object whole; data files no
 * sidecar names are swept at start. Commits of one key are serialised, which
 * is also what makes conditional writes (If-Match / If-None-Match) atomic.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { TEMP_PREFIX, TempFile, writeFileAtomic } from './AtomicFile.js';
import { KeyIndex, type ListPage, type ListQuery } from './KeyIndex.js';
import { s3Error } from './S3Error.js';

/** Sidecar JSON of one object (format version 1). */
export interface ObjectRecord {
  readonly version: 1;
  readonly key: string;
  readonly size: number;
  /** Quoted, as sent in the ETag header: `"<md5 hex>"` or `"<hex>-<parts>"`. */
  readonly etag: string;
  /** Epoch ms, whole seconds (S3 keeps second precision). */
  readonly lastModified: number;
  readonly contentType: string;
  /** `x-amz-meta-*` headers, lower-cased names without the prefix. */
  readonly userMetadata: Readonly<Record<string, string>>;
  /** Stored standard headers: cache-control, content-disposition, content-encoding, content-language, expires. */
  readonly systemMetadata: Readonly<Record<string, string>>;
  /** Flexible checksums verified at upload, algorithm → base64. */
  readonly checksums: Readonly<Record<string, string>>;
  readonly partsCount?: number;
  /** Name of the data file, in the sidecar's directory. */
  readonly dataFile: string;
}

export type NewObject = Omit<ObjectRecord, 'version' | 'key' | 'lastModified' | 'dataFile'>;

export interface BucketInfo {
  readonly name: string;
  readonly createdAt: number;
}

interface Bucket extends BucketInfo {
  readonly dir: string;
  readonly index: KeyIndex<ObjectRecord>;
}

/** Runs before a commit or delete with the key's current record; throws to refuse. */
export type Precondition = (current: ObjectRecord | undefined) => void;

/** S3's bucket naming rules (general purpose buckets), minus the IP-address form. */
export function isValidBucketName(name: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) && !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name);
}

function keyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export class ObjectStore {
  private readonly buckets = new Map<string, Bucket>();
  private readonly locks = new Map<string, Promise<void>>();
  private readonly madeDirs = new Set<string>();

  private constructor(readonly dataDir: string, private readonly now: () => number) {}

  /** Opens (or initialises) a data directory and rebuilds every index from the sidecars. */
  static async open(dataDir: string, now: () => number): Promise<ObjectStore> {
    const store = new ObjectStore(dataDir, now);
    await mkdir(join(dataDir, 'buckets'), { recursive: true });
    for (const name of await readdir(join(dataDir, 'buckets'))) {
      if (!isValidBucketName(name)) continue;
      const dir = join(dataDir, 'buckets', name);
      let info: BucketInfo;
      try {
        info = JSON.parse(await readFile(join(dir, 'bucket.json'), 'utf8')) as BucketInfo;
      } catch {
        continue; // A bucket whose creation never committed.
      }
      const bucket: Bucket = { name, createdAt: info.createdAt, dir, index: new KeyIndex() };
      bucket.index.load(await loadObjects(join(dir, 'objects')));
      store.buckets.set(name, bucket);
    }
    return store;
  }

  listBuckets(): BucketInfo[] {
    return [...this.buckets.values()]
      .map(({ name, createdAt }) => ({ name, createdAt }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  hasBucket(name: string): boolean {
    return this.buckets.has(name);
  }

  bucketDir(name: string): string {
    return this.bucket(name).dir;
  }

  /** @returns false when the bucket already existed. */
  async createBucket(name: string): Promise<boolean> {
    if (!isValidBucketName(name)) throw s3Error('InvalidBucketName', undefined, { BucketName: name });
    return this.withLock(`bucket\n${name}`, async () => {
      if (this.buckets.has(name)) return false;
      const dir = join(this.dataDir, 'buckets', name);
      await mkdir(join(dir, 'objects'), { recursive: true });
      const createdAt = this.now();
      await writeFileAtomic(join(dir, 'bucket.json'), JSON.stringify({ version: 1, name, createdAt }));
      this.buckets.set(name, { name, createdAt, dir, index: new KeyIndex() });
      return true;
    });
  }

  /** Removes an empty bucket; `hasUploads` lets the caller veto while uploads are pending. */
  async deleteBucket(name: string, hasUploads: boolean): Promise<void> {
    const bucket = this.bucket(name);
    if (bucket.index.size > 0 || hasUploads) throw s3Error('BucketNotEmpty', undefined, { BucketName: name });
    this.buckets.delete(name);
    await rm(join(bucket.dir, 'bucket.json'), { force: true });
    await rm(bucket.dir, { recursive: true, force: true });
  }

  get(bucketName: string, key: string): ObjectRecord | undefined {
    return this.bucket(bucketName).index.get(key);
  }

  list(bucketName: string, query: ListQuery): ListPage<ObjectRecord> {
    return this.bucket(bucketName).index.list(query);
  }

  dataPath(bucketName: string, record: ObjectRecord): string {
    return join(this.objectDir(bucketName, record.key), record.dataFile);
  }

  /** A temp file in the key's own directory, so the final rename is atomic. */
  async createTemp(bucketName: string, key: string): Promise<TempFile> {
    const dir = this.objectDir(bucketName, key);
    if (!this.madeDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.madeDirs.add(dir);
    }
    return TempFile.create(dir);
  }

  /**
   * Publishes a sealed temp file as the object's new content. `check` runs under
   * the key's lock with the current record, so two conditional writers never both win.
   */
  async commit(bucketName: string, key: string, temp: TempFile, fields: NewObject, check?: Precondition): Promise<ObjectRecord> {
    const bucket = this.bucket(bucketName);
    const hash = keyHash(key);
    const dir = this.objectDir(bucketName, key);
    return this.withLock(`object\n${bucketName}\n${key}`, async () => {
      const current = bucket.index.get(key);
      check?.(current);
      const record: ObjectRecord = {
        version: 1,
        key,
        ...fields,
        lastModified: Math.floor(this.now() / 1000) * 1000,
        dataFile: `${hash}.${randomBytes(8).toString('hex')}.data`,
      };
      await temp.renameTo(join(dir, record.dataFile));
      try {
        await writeFileAtomic(join(dir, `${hash}.json`), JSON.stringify(record));
      } catch (err) {
        await unlink(join(dir, record.dataFile)).catch(() => undefined);
        throw err;
      }
      bucket.index.set(key, record);
      // Readers that already opened the old file keep reading it; later ones see the new record.
      if (current) await unlink(join(dir, current.dataFile)).catch(() => undefined);
      return record;
    });
  }

  /** Deletes a key; returns the removed record (undefined when it did not exist). */
  async remove(bucketName: string, key: string, check?: Precondition): Promise<ObjectRecord | undefined> {
    const bucket = this.bucket(bucketName);
    const dir = this.objectDir(bucketName, key);
    return this.withLock(`object\n${bucketName}\n${key}`, async () => {
      const current = bucket.index.get(key);
      check?.(current);
      if (!current) return undefined;
      await unlink(join(dir, `${keyHash(key)}.json`));
      bucket.index.delete(key);
      await unlink(join(dir, current.dataFile)).catch(() => undefined);
      return current;
    });
  }

  private bucket(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw s3Error('NoSuchBucket', undefined, { BucketName: name });
    return bucket;
  }

  private objectDir(bucketName: string, key: string): string {
    return join(this.bucket(bucketName).dir, 'objects', keyHash(key).slice(0, 2));
  }

  /** Serialises async sections per id (a key, a bucket, an upload). */
  async withLock<T>(id: string, section: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(id) ?? Promise.resolve();
    let release = (): void => undefined;
    const mine = new Promise<void>((resolve) => { release = resolve; });
    const tail = previous.then(() => mine);
    this.locks.set(id, tail);
    await previous;
    try {
      return await section();
    } finally {
      release();
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }
}

/** Reads every sidecar under `objects/`, sweeping temp files and orphaned data files. */
async function loadObjects(objectsDir: string): Promise<[string, ObjectRecord][]> {
  const loaded: [string, ObjectRecord][] = [];
  let shards: string[];
  try {
    shards = await readdir(objectsDir);
  } catch {
    return loaded;
  }
  for (const shard of shards) {
    const dir = join(objectsDir, shard);
    const names = await readdir(dir).catch(() => [] as string[]);
    const referenced = new Set<string>();
    const sidecars = names.filter((n) => n.endsWith('.json') && !n.startsWith(TEMP_PREFIX));
    // Bounded parallel reads: fast start on large buckets without exhausting file descriptors.
    for (let i = 0; i < sidecars.length; i += 64) {
      await Promise.all(sidecars.slice(i, i + 64).map(async (name) => {
        try {
          const record = JSON.parse(await readFile(join(dir, name), 'utf8')) as ObjectRecord;
          if (record.version !== 1 || `${keyHash(record.key)}.json` !== name) return;
          referenced.add(record.dataFile);
          loaded.push([record.key, record]);
        } catch {
          // An unreadable sidecar is treated as absent; its data file is swept below.
        }
      }));
    }
    for (const name of names) {
      if (name.startsWith(TEMP_PREFIX) || (name.endsWith('.data') && !referenced.has(name))) {
        await rm(join(dir, name), { force: true });
      }
    }
    if (names.length > 0 && referenced.size === 0) await rmdir(dir).catch(() => undefined);
  }
  return loaded;
}
