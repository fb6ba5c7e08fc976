/**
 * Scenario harness (Nextcloud's FakeFolder idea, with real parts): one real
 * S3 server (the sandbox, or Ceph RGW in the real-S3 lane; see
 * test/support/s3Backends.ts), one fresh prefix per world, and any number of
 * clients, each a real SyncEngine over a real folder on disk. On the sandbox
 * the prefix is an identity's and the clients sign with its temporary
 * credentials (Cognito mode); on Ceph they sign with its one key (aws mode).
 * Local deletes go to a per-client trash folder so tests can see them (and
 * the user's own trash is untouched).
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { RemoteStore } from '../../../src/engine/ports.js';
import { S3RemoteStore } from '../../../src/engine/remote/S3RemoteStore.js';
import { SyncEngine, type SyncEngineOptions } from '../../../src/engine/SyncEngine.js';
import type { SyncResult } from '../../../src/engine/SyncResult.js';
import type { S3Backend } from '../../support/s3Backends.js';

export interface EngineClient {
  readonly name: string;
  readonly root: string;
  readonly trashDir: string;
  engine: SyncEngine;
  sync(options?: { confirmDeletes?: boolean; confirmDownload?: boolean; dryRun?: boolean }): Promise<SyncResult>;
  write(path: string, content: string | Buffer): Promise<void>;
  read(path: string): Promise<string>;
  remove(path: string): Promise<void>;
  move(from: string, to: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  /** Every file under the root except the engine's own folder: path → content. */
  files(): Promise<Map<string, string>>;
  folders(): Promise<Set<string>>;
  trashed(): Promise<string[]>;
  close(): Promise<void>;
}

export interface EngineWorld {
  readonly backend: S3Backend;
  readonly prefix: string;
  /** A client with the credentials the engine's clients use (scoped to the prefix where the server can). */
  readonly s3: S3Client;
  client(name: string, overrides?: Partial<SyncEngineOptions> & { wrapRemote?: (store: RemoteStore) => RemoteStore }): Promise<EngineClient>;
  /** Remote files under the prefix (folder markers excluded): path → content. */
  remoteFiles(): Promise<Map<string, string>>;
  remoteKeys(): Promise<string[]>;
  putRemote(relativeKey: string, content: string | Buffer): Promise<void>;
  dispose(): Promise<void>;
}

export function md5(content: string | Buffer): string {
  return createHash('md5').update(content).digest('hex');
}

/** Undefined when the path vanished meanwhile (an engine running beside the walk renames its temp files into place). */
async function unlessGone<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function walk(root: string, dir = root, out: { files: Map<string, string>; folders: Set<string> } = { files: new Map(), folders: new Set() }) {
  for (const entry of (await unlessGone(readdir(dir, { withFileTypes: true }))) ?? []) {
    const abs = join(dir, entry.name);
    const rel = relative(root, abs).split(sep).join('/');
    if (rel === '.stratus') continue;
    if (entry.isDirectory()) {
      out.folders.add(rel);
      await walk(root, abs, out);
    } else if (entry.isFile()) {
      const content = await unlessGone(readFile(abs, 'utf8'));
      if (content !== undefined) out.files.set(rel, content);
    }
  }
  return out;
}

/** A world on `backend` under a fresh prefix; the backend outlives it (one per suite, one world per test). */
export async function startEngineWorld(backend: S3Backend): Promise<EngineWorld> {
  const prefix = backend.freshPrefix();
  const bucket = backend.bucket;
  const s3Clients: S3Client[] = [];
  const newS3Client = (): S3Client => {
    const c = backend.client(prefix);
    s3Clients.push(c);
    return c;
  };
  const s3 = newS3Client();
  const clients: EngineClient[] = [];
  const scratch = await mkdtemp(join(tmpdir(), 'stratus-engine-'));

  const listKeys = async (): Promise<string[]> => {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token === undefined ? {} : { ContinuationToken: token }) }));
      for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
      token = page.NextContinuationToken;
    } while (token !== undefined);
    return keys;
  };

  return {
    backend,
    prefix,
    s3,
    async client(name, overrides = {}) {
      const root = join(scratch, name);
      const trashDir = join(scratch, `${name}-trash`);
      await mkdir(root, { recursive: true });
      await mkdir(trashDir, { recursive: true });
      const store = new S3RemoteStore({ client: newS3Client(), bucket, prefix });
      const { wrapRemote, ...engineOverrides } = overrides;
      const open = () =>
        SyncEngine.open({
          root,
          remote: wrapRemote === undefined ? store : wrapRemote(store),
          location: { endpoint: backend.endpoint, bucket, prefix },
          deviceName: name,
          minFreeBytes: 0,
          trash: async (abs) => {
            await rename(abs, join(trashDir, `${Date.now()}-${basename(abs)}`));
          },
          ...engineOverrides,
        });
      const client: EngineClient = {
        name,
        root,
        trashDir,
        engine: await open(),
        sync: (options = {}) => client.engine.runOnce(options),
        async write(path, content) {
          const abs = join(root, path);
          await mkdir(dirname(abs), { recursive: true });
          const before = await stat(abs).catch(() => undefined);
          await writeFile(abs, content);
          // Two writes within one clock tick would look unchanged by size+mtime; real editors
          // do not save twice in a millisecond, tests do, so nudge the mtime forward.
          const after = await stat(abs);
          if (before !== undefined && before.mtimeMs === after.mtimeMs) {
            const { utimes } = await import('node:fs/promises');
            await utimes(abs, new Date(), new Date(after.mtimeMs + 1000));
          }
        },
        read: (path) => readFile(join(root, path), 'utf8'),
        remove: (path) => rm(join(root, path), { recursive: true, force: true }),
        async move(from, to) {
          await mkdir(dirname(join(root, to)), { recursive: true });
          await rename(join(root, from), join(root, to));
        },
        mkdir: async (path) => {
          await mkdir(join(root, path), { recursive: true });
        },
        files: async () => (await walk(root)).files,
        folders: async () => (await walk(root)).folders,
        trashed: async () => (await readdir(trashDir)).map((n) => n.replace(/^\d+-/, '')).sort(),
        close: () => client.engine.close(),
      };
      clients.push(client);
      return client;
    },
    async remoteFiles() {
      const out = new Map<string, string>();
      for (const key of await listKeys()) {
        if (key.endsWith('/')) continue;
        const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        out.set(key.slice(prefix.length), (await body.Body?.transformToString('utf8')) ?? '');
      }
      return out;
    },
    remoteKeys: listKeys,
    async putRemote(relativeKey, content) {
      await backend.admin.send(new PutObjectCommand({ Bucket: bucket, Key: prefix + relativeKey, Body: content }));
    },
    async dispose() {
      for (const c of clients) await c.close().catch(() => undefined);
      // The engines are closed: their S3 clients can go (the backend itself is the suite's).
      for (const c of s3Clients) c.destroy();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
