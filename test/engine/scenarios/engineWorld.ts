/**
 * Scenario harness (Nextcloud's FakeFolder idea, with real parts): one real
 * sandbox S3 server, one identity prefix, and any number of clients, each a
 * real SyncEngine over a real folder on disk. Local deletes go to a per-client
 * trash folder so tests can see them (and the user's own trash is untouched).
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { IssuedCredential } from '../../../sandbox/CredentialStore.js';
import type { RemoteStore } from '../../../src/engine/ports.js';
import { S3RemoteStore } from '../../../src/engine/remote/S3RemoteStore.js';
import { SyncEngine, type SyncEngineOptions } from '../../../src/engine/SyncEngine.js';
import type { SyncResult } from '../../../src/engine/SyncResult.js';
import { BUCKET, identityId, startTestSandbox, type TestSandbox } from '../../sandbox/s3/helpers.js';

export interface EngineClient {
  readonly name: string;
  readonly root: string;
  readonly trashDir: string;
  engine: SyncEngine;
  sync(options?: { confirmDeletes?: boolean; dryRun?: boolean }): Promise<SyncResult>;
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
  readonly sbx: TestSandbox;
  readonly prefix: string;
  readonly credential: IssuedCredential;
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

async function walk(root: string, dir = root, out: { files: Map<string, string>; folders: Set<string> } = { files: new Map(), folders: new Set() }) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const abs = join(dir, entry.name);
    const rel = relative(root, abs).split(sep).join('/');
    if (rel === '.stratus') continue;
    if (entry.isDirectory()) {
      out.folders.add(rel);
      await walk(root, abs, out);
    } else if (entry.isFile()) {
      out.files.set(rel, await readFile(abs, 'utf8'));
    }
  }
  return out;
}

export async function startEngineWorld(): Promise<EngineWorld> {
  const sbx = await startTestSandbox();
  const identity = identityId();
  const prefix = `${identity}/`;
  const credential = sbx.credentials.issueForIdentity(identity, 3_600_000);
  const s3 = sbx.client(credential);
  const clients: EngineClient[] = [];
  const scratch = await mkdtemp(join(tmpdir(), 'stratus-engine-'));

  const listKeys = async (): Promise<string[]> => {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ...(token === undefined ? {} : { ContinuationToken: token }) }));
      for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
      token = page.NextContinuationToken;
    } while (token !== undefined);
    return keys;
  };

  return {
    sbx,
    prefix,
    credential,
    s3,
    async client(name, overrides = {}) {
      const root = join(scratch, name);
      const trashDir = join(scratch, `${name}-trash`);
      await mkdir(root, { recursive: true });
      await mkdir(trashDir, { recursive: true });
      const store = new S3RemoteStore({ client: sbx.client(credential), bucket: BUCKET, prefix });
      const { wrapRemote, ...engineOverrides } = overrides;
      const open = () =>
        SyncEngine.open({
          root,
          remote: wrapRemote === undefined ? store : wrapRemote(store),
          location: { endpoint: sbx.server.endpoint, bucket: BUCKET, prefix },
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
        const body = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
        out.set(key.slice(prefix.length), (await body.Body?.transformToString('utf8')) ?? '');
      }
      return out;
    },
    remoteKeys: listKeys,
    async putRemote(relativeKey, content) {
      await sbx.admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: prefix + relativeKey, Body: content }));
    },
    async dispose() {
      for (const c of clients) await c.close().catch(() => undefined);
      await sbx.dispose();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
