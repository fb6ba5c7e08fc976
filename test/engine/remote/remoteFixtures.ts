/**
 * Fixtures for S3RemoteStore tests: a fresh prefix on one S3 backend (the
 * sandbox or Ceph RGW, see test/support/s3Backends.ts), a store bound to it,
 * and local files described the way the engine would describe them (size,
 * MD5, mtime). On the sandbox the prefix is an identity's with Cognito-shaped
 * temporary credentials (it holds a ':', which is what makes copy sources and
 * signatures interesting); on Ceph it is `test-<uuid>/` under its one key.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListMultipartUploadsCommand, PutObjectCommand, type S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import type { StratusError } from '../../../src/core/StratusError.js';
import { S3RemoteStore, type S3RemoteStoreOptions } from '../../../src/engine/remote/S3RemoteStore.js';
import type { S3Backend } from '../../support/s3Backends.js';

export const MiB = 1024 * 1024;

export interface RemoteFixture {
  readonly backend: S3Backend;
  readonly bucket: string;
  /** A fresh prefix: `<identity>/` on the sandbox, `test-<uuid>/` on Ceph. */
  readonly prefix: string;
  /** The backend's full-access client (writes "by someone else"). */
  readonly admin: S3Client;
  /** Local scratch directory (removed by dispose). */
  readonly dir: string;
  store(options?: Partial<S3RemoteStoreOptions>, clientConfig?: Partial<S3ClientConfig>): S3RemoteStore;
  /** A client signed with the prefix's credentials (e.g. to add a middleware), and a store on it. */
  client(clientConfig?: Partial<S3ClientConfig>): S3Client;
  storeOn(client: S3Client, options?: Partial<S3RemoteStoreOptions>): S3RemoteStore;
  /** Writes a local file and returns what the engine's scan would know about it. */
  writeLocal(name: string, data: Buffer): Promise<LocalFile>;
  /** Names of the files in the scratch directory (to prove no temp file was left behind). */
  localNames(): Promise<string[]>;
  /** Multipart uploads still open under the prefix (to prove failures abort theirs). */
  openUploads(): Promise<number>;
  /** Writes an object with the full-access client, as another tool would. */
  put(key: string, body: Buffer | string, metadata?: Record<string, string>): Promise<void>;
  dispose(): Promise<void>;
}

export interface LocalFile {
  readonly filePath: string;
  readonly size: number;
  readonly md5: string;
  readonly mtimeMs: number;
}

export function md5(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

/** A fixture on `backend` under a fresh prefix; the backend outlives it (the suite disposes it). */
export async function startRemoteFixture(backend: S3Backend): Promise<RemoteFixture> {
  const prefix = backend.freshPrefix();
  const bucket = backend.bucket;
  const dir = await mkdtemp(join(tmpdir(), 'stratus-remote-'));
  return {
    backend,
    bucket,
    prefix,
    admin: backend.admin,
    dir,
    store(options = {}, clientConfig = {}) {
      return new S3RemoteStore({ client: backend.client(prefix, clientConfig), bucket, prefix, ...options });
    },
    client(clientConfig = {}) {
      return backend.client(prefix, clientConfig);
    },
    storeOn(client, options = {}) {
      return new S3RemoteStore({ client, bucket, prefix, ...options });
    },
    async writeLocal(name, data) {
      const filePath = join(dir, name);
      await writeFile(filePath, data);
      const info = await stat(filePath);
      return { filePath, size: data.length, md5: md5(data), mtimeMs: info.mtimeMs };
    },
    async localNames() {
      return (await readdir(dir)).sort();
    },
    async openUploads() {
      const out = await backend.admin.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
      return out.Uploads?.length ?? 0;
    },
    async put(key, body, metadata) {
      await backend.admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...(metadata === undefined ? {} : { Metadata: metadata }) }));
    },
    async dispose() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Awaits `promise`, expecting it to reject with a StratusError; returns that error for further checks. */
export async function rejection(promise: Promise<unknown>): Promise<StratusError> {
  try {
    await promise;
  } catch (err) {
    expect((err as Error).name).toBe('StratusError');
    return err as StratusError;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** The StratusError wrapped in a `remote-list-failed` error's cause. */
export function causeOf(err: StratusError): StratusError {
  expect((err.cause as Error | undefined)?.name).toBe('StratusError');
  return err.cause as StratusError;
}

/** Drains an async iterable (a listing) into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/**
 * Runs the store's capability probe, as the engine does before every run
 * (SyncEngine calls prepare()), with an in-memory cache. Tests of behaviour that
 * depends on what the server honours must use a prepared store.
 */
export async function prepared(store: S3RemoteStore): Promise<S3RemoteStore> {
  const cache = new Map<string, string>();
  await store.prepare({ get: async (key) => cache.get(key), set: async (key, value) => void cache.set(key, value) });
  return store;
}
