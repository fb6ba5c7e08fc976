/**
 * Fixtures for S3RemoteStore tests: one sandbox S3 server per suite, an
 * identity with Cognito-shaped temporary credentials (its prefix holds a ':',
 * which is what makes copy sources and signatures interesting), a store
 * bound to that prefix, and local files described the way the engine would
 * describe them (size, MD5, mtime).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListMultipartUploadsCommand, type S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import type { StratusError } from '../../../src/core/StratusError.js';
import { S3RemoteStore, type S3RemoteStoreOptions } from '../../../src/engine/remote/S3RemoteStore.js';
import { BUCKET, identityId, startTestSandbox, type TestSandbox } from '../../sandbox/s3/helpers.js';

export const MiB = 1024 * 1024;

export interface RemoteFixture {
  readonly sbx: TestSandbox;
  readonly identity: string;
  /** `<identity>/` */
  readonly prefix: string;
  /** Local scratch directory (removed by dispose). */
  readonly dir: string;
  store(options?: Partial<S3RemoteStoreOptions>, clientConfig?: Partial<S3ClientConfig>): S3RemoteStore;
  /** A client signed with the identity's credentials (e.g. to add a middleware), and a store on it. */
  client(clientConfig?: Partial<S3ClientConfig>): S3Client;
  storeOn(client: S3Client, options?: Partial<S3RemoteStoreOptions>): S3RemoteStore;
  /** Writes a local file and returns what the engine's scan would know about it. */
  writeLocal(name: string, data: Buffer): Promise<LocalFile>;
  /** Names of the files in the scratch directory (to prove no temp file was left behind). */
  localNames(): Promise<string[]>;
  /** Multipart uploads still open under the prefix (to prove failures abort theirs). */
  openUploads(): Promise<number>;
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

export async function startRemoteFixture(): Promise<RemoteFixture> {
  const sbx = await startTestSandbox();
  const identity = identityId();
  const prefix = `${identity}/`;
  const credential = sbx.credentials.issueForIdentity(identity, 60 * 60_000);
  const dir = await mkdtemp(join(tmpdir(), 'stratus-remote-'));
  return {
    sbx,
    identity,
    prefix,
    dir,
    store(options = {}, clientConfig = {}) {
      return new S3RemoteStore({ client: sbx.client(credential, clientConfig), bucket: BUCKET, prefix, ...options });
    },
    client(clientConfig = {}) {
      return sbx.client(credential, clientConfig);
    },
    storeOn(client, options = {}) {
      return new S3RemoteStore({ client, bucket: BUCKET, prefix, ...options });
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
      const out = await sbx.admin.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: prefix }));
      return out.Uploads?.length ?? 0;
    },
    async dispose() {
      await sbx.dispose();
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
