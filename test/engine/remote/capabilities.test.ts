/**
 * Endpoint capability probing (issue 10): what probeCapabilities measures on
 * each backend (the sandbox must look exactly like AWS; Ceph RGW 16 shows its
 * measured quirks), how S3RemoteStore.prepare caches the record, and that the
 * store then keeps every precondition on a server that ignores it — played
 * on the sandbox by middlewares that strip the headers, as a careless
 * S3-compatible would.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, ListObjectsV2Command, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AWS_CAPABILITIES, capabilitiesCacheKey, parseCapabilities, ProbeFailedError, probeCapabilities, quirksOf, type CapabilitySet,
} from '../../../src/engine/remote/capabilities.js';
import { SqliteJournal } from '../../../src/engine/journal/SqliteJournal.js';
import type { RemoteCache } from '../../../src/engine/ports.js';
import { SyncEngine } from '../../../src/engine/SyncEngine.js';
import { pseudoRandomBytes } from '../../sandbox/s3/helpers.js';
import { describeEachBackend, startBackend, type S3Backend } from '../../support/s3Backends.js';
import { collect, md5, MiB, rejection, startRemoteFixture, type RemoteFixture } from './remoteFixtures.js';

/** What Ceph RGW 16.2 does (measured; also in docs/s3-compatibility.md). */
const CEPH_QUIRKS: Partial<CapabilitySet> = {
  conditionalOverwrite: 'unquoted',
  conditionalDelete: 'ignored',
  conditionalCopy: 'ignored',
  conditionalComplete: 'ignored',
  multipartEtag: 'missing',
};

class MapCache implements RemoteCache {
  readonly values = new Map<string, string>();
  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.values.get(key));
  }
  set(key: string, value: string): Promise<void> {
    this.values.set(key, value);
    return Promise.resolve();
  }
}

interface HttpRequestLike {
  method?: string;
  headers: Record<string, string>;
  query: Record<string, string | string[] | null>;
}

/** Adds a build-step middleware that sees (and may rewrite) each outgoing HTTP request. */
function onRequest(client: S3Client, name: string, edit: (request: HttpRequestLike, command: string) => void): void {
  client.middlewareStack.add((next, context) => async (args) => {
    edit(args.request as HttpRequestLike, context.commandName ?? '');
    return next(args);
  }, { step: 'build', name, priority: 'low' });
}

/** Counts requests per command name. */
function countRequests(client: S3Client): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add((next, context) => (args) => {
    const name = context.commandName ?? '?';
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return next(args);
  }, { step: 'initialize', name: `count-${randomUUID()}` });
  return counts;
}

describeEachBackend('endpoint capabilities', (getBackend, name) => {
  let fx: RemoteFixture;

  beforeAll(async () => {
    fx = await startRemoteFixture(getBackend());
  });
  afterAll(async () => {
    await fx.dispose();
  });

  async function keysUnderPrefix(): Promise<string[]> {
    const out = await fx.admin.send(new ListObjectsV2Command({ Bucket: fx.bucket, Prefix: fx.prefix }));
    return (out.Contents ?? []).map((o) => o.Key ?? '');
  }

  it(name === 'ceph' ? 'measures Ceph RGW\'s quirks and leaves nothing behind' : 'measures AWS behaviour on the sandbox and leaves nothing behind', async () => {
    const probe = await probeCapabilities(fx.client(), fx.bucket, fx.prefix, { endpoint: fx.backend.endpoint });
    const expected = name === 'ceph' ? { ...AWS_CAPABILITIES, ...CEPH_QUIRKS } : AWS_CAPABILITIES;
    expect(probe.capabilities).toMatchObject({ version: 1, endpoint: fx.backend.endpoint, bucket: fx.bucket, ...expected });
    expect(quirksOf(probe.capabilities).sort()).toEqual(Object.keys(name === 'ceph' ? CEPH_QUIRKS : {}).sort());
    for (const evidence of Object.values(probe.evidence)) expect(evidence).not.toBe('');
    expect(await keysUnderPrefix()).toEqual([]);
    expect(await fx.openUploads()).toBe(0);
  });

  it('a part of the probe that fails ends it (no listing, no conditional delete) and leaves no upload open, even when aborting fails at first', async () => {
    const client = fx.client({ maxAttempts: 1 });
    const seen = new Map<string, number>();
    client.middlewareStack.add((next, context) => (args) => {
      const name = context.commandName ?? '?';
      seen.set(name, (seen.get(name) ?? 0) + 1);
      // The conditional copy meets a server error (not a refusal): the probe fails there.
      if (name === 'CopyObjectCommand') {
        throw new S3ServiceException({ name: 'InternalError', $fault: 'server', $metadata: { httpStatusCode: 500 }, message: 'broken copy' });
      }
      // The first cleanup attempt of every upload fails: the next one must still abort it.
      if (name === 'AbortMultipartUploadCommand' && (seen.get(name) ?? 0) % 2 === 1) {
        throw new S3ServiceException({ name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 }, message: 'slow down' });
      }
      return next(args);
    }, { step: 'initialize', name: 'brokenCopy' });
    const err: unknown = await probeCapabilities(client, fx.bucket, fx.prefix, { endpoint: fx.backend.endpoint }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ProbeFailedError);
    expect(String(err)).toMatch(/copy/);
    expect(await fx.openUploads()).toBe(0);
    // The failure ended the probe: no listing, no conditional delete.
    expect(seen.get('ListObjectsV2Command') ?? 0).toBe(0);
  });

  it('removes scratch objects an earlier probe left behind once they are an hour old, and keeps younger ones', async () => {
    await fx.put(`${fx.prefix}.stratus/probe-left-by-a-crash-write`, 'x');
    // Seen from two hours later, the object above is a leftover; one written "now" by another device's probe is not.
    const later = new Date(Date.now() + 2 * 3600_000);
    await probeCapabilities(fx.client(), fx.bucket, fx.prefix, { endpoint: fx.backend.endpoint, now: () => later });
    expect(await keysUnderPrefix()).toEqual([]);
    await fx.put(`${fx.prefix}.stratus/probe-another-device-write`, 'y');
    await probeCapabilities(fx.client(), fx.bucket, fx.prefix, { endpoint: fx.backend.endpoint });
    expect(await keysUnderPrefix()).toEqual([`${fx.prefix}.stratus/probe-another-device-write`]);
    await fx.admin.send(new DeleteObjectCommand({ Bucket: fx.bucket, Key: `${fx.prefix}.stratus/probe-another-device-write` }));
  });

  it('probes once, keeps the versioned record in the cache, and reuses it', async () => {
    const cache = new MapCache();
    const client = fx.client();
    const counts = countRequests(client);
    await fx.storeOn(client).prepare(cache);
    const key = capabilitiesCacheKey(fx.backend.endpoint, fx.bucket);
    const record = parseCapabilities(cache.values.get(key), fx.backend.endpoint, fx.bucket);
    expect(record?.version).toBe(1);
    const puts = counts.get('PutObjectCommand') ?? 0;
    expect(puts).toBeGreaterThan(0);

    const second = fx.storeOn(client);
    await second.prepare(cache);
    expect(counts.get('PutObjectCommand')).toBe(puts);
    expect(second.measuredCapabilities).toEqual(record);
  });

  it('probes again when the cached record has another version', async () => {
    const cache = new MapCache();
    const key = capabilitiesCacheKey(fx.backend.endpoint, fx.bucket);
    cache.values.set(key, JSON.stringify({ ...AWS_CAPABILITIES, version: 2, probedAt: new Date().toISOString(), endpoint: fx.backend.endpoint, bucket: fx.bucket }));
    const store = fx.store();
    await store.prepare(cache);
    expect(JSON.parse(cache.values.get(key) ?? '{}')).toMatchObject({ version: 1 });
  });

  it('a new folder takes the record another folder on this computer measured, without probing; a stale one is measured again', async () => {
    const machine = new MapCache();
    const client = fx.client();
    const counts = countRequests(client);
    const key = capabilitiesCacheKey(fx.backend.endpoint, fx.bucket);
    const first = fx.storeOn(client, { machineCache: machine });
    await first.prepare(new MapCache());
    const puts = counts.get('PutObjectCommand') ?? 0;
    expect(puts).toBeGreaterThan(0);
    expect(parseCapabilities(machine.values.get(key), fx.backend.endpoint, fx.bucket)).toEqual(first.measuredCapabilities);

    const folder = new MapCache();
    const second = fx.storeOn(client, { machineCache: machine });
    await second.prepare(folder);
    expect(counts.get('PutObjectCommand')).toBe(puts);
    expect(second.measuredCapabilities).toEqual(first.measuredCapabilities);
    // Copied into the folder's journal: the folder keeps it even when the machine's copy is gone.
    expect(folder.values.get(key)).toBe(machine.values.get(key));

    const old = new Date(Date.now() - 31 * 24 * 3600_000).toISOString();
    machine.values.set(key, JSON.stringify({ ...first.measuredCapabilities, probedAt: old }));
    const third = fx.storeOn(client, { machineCache: machine });
    await third.prepare(new MapCache());
    expect(counts.get('PutObjectCommand')).toBeGreaterThan(puts);
    expect(parseCapabilities(machine.values.get(key), fx.backend.endpoint, fx.bucket)?.probedAt).not.toBe(old);
  });

  it('is probed by the sync engine on its first run and kept in the folder\'s journal', async () => {
    const root = await mkdtemp(join(tmpdir(), 'stratus-capabilities-'));
    try {
      const client = fx.client();
      const counts = countRequests(client);
      const engine = await SyncEngine.open({ root, remote: fx.storeOn(client), location: { bucket: fx.bucket, prefix: fx.prefix, endpoint: fx.backend.endpoint }, trash: () => Promise.resolve() });
      await engine.runOnce();
      const probes = counts.get('CompleteMultipartUploadCommand') ?? 0;
      expect(probes).toBeGreaterThan(0);
      await engine.runOnce();
      await engine.close();
      // The second run found the record in the journal: no second probe.
      expect(counts.get('CompleteMultipartUploadCommand')).toBe(probes);
      const journal = await SqliteJournal.open(join(root, '.stratus', 'journal.db'));
      const stored = await journal.getMeta(capabilitiesCacheKey(fx.backend.endpoint, fx.bucket));
      await journal.close();
      expect(parseCapabilities(stored, fx.backend.endpoint, fx.bucket)).toMatchObject({ version: 1, ...(name === 'ceph' ? CEPH_QUIRKS : AWS_CAPABILITIES) });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('once prepared, refuses a stale delete, a rename onto an existing key and a copy of a changed source', async () => {
    const store = fx.store();
    await store.prepare(new MapCache());
    const key = `${fx.prefix}safe/kept.txt`;
    await fx.put(key, 'newer content');
    expect((await rejection(store.delete(key, { ifMatch: md5(Buffer.from('older content')) }))).code).toBe('remote-changed');
    expect(await store.head(key)).toBeDefined();
    const dest = `${fx.prefix}safe/dest.txt`;
    await fx.put(dest, 'already here');
    expect((await rejection(store.copy(key, dest, { ifNoneMatch: true }))).code).toBe('remote-changed');
    expect((await store.head(dest))?.size).toBe('already here'.length);
    expect((await rejection(store.copy(key, `${fx.prefix}safe/new.txt`, { sourceEtag: md5(Buffer.from('older content')), ifNoneMatch: true }))).code).toBe('remote-changed');
    expect(await store.head(`${fx.prefix}safe/new.txt`)).toBeUndefined();
  });

  it('once prepared, a large upload does not overwrite a file created while its parts went up', async () => {
    const client = fx.client();
    const store = fx.storeOn(client, { multipartThreshold: 5 * MiB, partSize: 5 * MiB });
    await store.prepare(new MapCache());
    const key = `${fx.prefix}safe/race.bin`;
    client.middlewareStack.add((next, context) => async (args) => {
      if (context.commandName === 'UploadPartCommand') await fx.put(key, 'created meanwhile');
      return next(args);
    }, { step: 'initialize', name: 'concurrentCreator' });
    const err = await rejection(store.upload({ key, ...(await fx.writeLocal('safe-race.bin', pseudoRandomBytes(6 * MiB, 9))), ifNoneMatch: true }));
    expect(err.code).toBe('remote-changed');
    expect((await store.head(key))?.etag).toBe(md5(Buffer.from('created meanwhile')));
    expect(await fx.openUploads()).toBe(0);
  });

  it('uses the cached record for requests: bare If-Match where the record says so', async () => {
    const cache = new MapCache();
    const key = capabilitiesCacheKey(fx.backend.endpoint, fx.bucket);
    const record = { ...AWS_CAPABILITIES, conditionalOverwrite: 'unquoted', version: 1, probedAt: new Date().toISOString(), endpoint: fx.backend.endpoint, bucket: fx.bucket };
    cache.values.set(key, JSON.stringify(record));
    const client = fx.client();
    const sent: string[] = [];
    onRequest(client, 'seeIfMatch', (request) => {
      if (request.method === 'PUT' && request.headers['if-match'] !== undefined) sent.push(request.headers['if-match']);
    });
    const store = fx.storeOn(client);
    await store.prepare(cache);
    const objectKey = `${fx.prefix}cached/a.txt`;
    const v1 = await store.upload({ key: objectKey, ...(await fx.writeLocal('cached-1.txt', Buffer.from('one'))) });
    await store.upload({ key: objectKey, ...(await fx.writeLocal('cached-2.txt', Buffer.from('two'))), ifMatch: v1.etag });
    expect(sent).toEqual([v1.etag]);
  });
});

/** Quirks played on the sandbox, where the fault is certain: the store must stay safe with each. */
describe('S3RemoteStore on servers that ignore preconditions (played on the sandbox)', () => {
  let fx: RemoteFixture;
  let backend: S3Backend;

  beforeAll(async () => {
    backend = await startBackend('sandbox');
    fx = await startRemoteFixture(backend);
  });
  afterAll(async () => {
    await fx.dispose();
    await backend.dispose();
  });

  /** A client whose requests lose the given conditional headers on the given commands (the server never sees them). */
  function ignoring(commands: readonly string[], headers: readonly string[]): S3Client {
    const client = fx.client();
    onRequest(client, `strip-${randomUUID()}`, (request, command) => {
      if (!commands.includes(command)) return;
      for (const h of headers) Reflect.deleteProperty(request.headers, h);
    });
    return client;
  }

  it('compares before deleting when DeleteObject ignores If-Match: a stale delete is remote-changed and the object stays', async () => {
    const store = fx.storeOn(ignoring(['DeleteObjectCommand'], ['if-match']));
    await store.prepare(new MapCache());
    expect(store.capabilities.conditionalDelete).toBe('ignored');
    const key = `${fx.prefix}del/kept.txt`;
    await fx.put(key, 'newer content');
    const err = await rejection(store.delete(key, { ifMatch: md5(Buffer.from('older content')) }));
    expect(err.code).toBe('remote-changed');
    expect(await store.head(key)).toBeDefined();
    await store.delete(key, { ifMatch: md5(Buffer.from('newer content')) });
    expect(await store.head(key)).toBeUndefined();
  });

  it('compares before writing when PutObject ignores If-Match and If-None-Match', async () => {
    const store = fx.storeOn(ignoring(['PutObjectCommand'], ['if-match', 'if-none-match']));
    await store.prepare(new MapCache());
    expect(store.capabilities).toMatchObject({ conditionalCreate: 'ignored', conditionalOverwrite: 'ignored' });
    const key = `${fx.prefix}put/file.txt`;
    await fx.put(key, 'theirs');
    const created = await rejection(store.upload({ key, ...(await fx.writeLocal('put-mine.txt', Buffer.from('mine'))), ifNoneMatch: true }));
    expect(created.code).toBe('remote-changed');
    const stale = await rejection(store.upload({ key, ...(await fx.writeLocal('put-mine2.txt', Buffer.from('mine 2'))), ifMatch: md5(Buffer.from('old')) }));
    expect(stale.code).toBe('remote-changed');
    expect((await store.head(key))?.etag).toBe(md5(Buffer.from('theirs')));
    const ok = await store.upload({ key, ...(await fx.writeLocal('put-mine3.txt', Buffer.from('mine 3'))), ifMatch: md5(Buffer.from('theirs')) });
    expect(ok.etag).toBe(md5(Buffer.from('mine 3')));
  });

  it('compares right before CompleteMultipartUpload when Complete ignores its conditions', async () => {
    const client = ignoring(['CompleteMultipartUploadCommand'], ['if-match', 'if-none-match']);
    const store = fx.storeOn(client, { multipartThreshold: 5 * MiB, partSize: 5 * MiB });
    await store.prepare(new MapCache());
    expect(store.capabilities.conditionalComplete).toBe('ignored');
    const key = `${fx.prefix}race/new.bin`;
    // Another client creates the key while our parts go up, just before Complete.
    client.middlewareStack.add((next, context) => async (args) => {
      if (context.commandName === 'UploadPartCommand') await fx.put(key, 'created meanwhile');
      return next(args);
    }, { step: 'initialize', name: 'concurrentCreator' });
    const err = await rejection(store.upload({ key, ...(await fx.writeLocal('race-new.bin', pseudoRandomBytes(6 * MiB, 6))), ifNoneMatch: true }));
    expect(err.code).toBe('remote-changed');
    expect((await store.head(key))?.etag).toBe(md5(Buffer.from('created meanwhile')));
    expect(await fx.openUploads()).toBe(0);
  });

  it('compares source and destination when CopyObject ignores its conditions', async () => {
    const store = fx.storeOn(ignoring(['CopyObjectCommand'], ['if-none-match', 'if-match', 'x-amz-copy-source-if-match']));
    await store.prepare(new MapCache());
    expect(store.capabilities.conditionalCopy).toBe('ignored');
    const from = `${fx.prefix}copy/src.txt`;
    const to = `${fx.prefix}copy/dst.txt`;
    await fx.put(from, 'source');
    await fx.put(to, 'already here');
    expect((await rejection(store.copy(from, to, { ifNoneMatch: true }))).code).toBe('remote-changed');
    expect((await rejection(store.copy(from, `${fx.prefix}copy/new.txt`, { sourceEtag: md5(Buffer.from('old')) }))).code).toBe('remote-changed');
    expect((await store.head(to))?.size).toBe('already here'.length);
    expect(await store.head(`${fx.prefix}copy/new.txt`)).toBeUndefined();
    const copied = await store.copy(from, `${fx.prefix}copy/new.txt`, { sourceEtag: md5(Buffer.from('source')), ifNoneMatch: true });
    expect(copied.etag).toBe(md5(Buffer.from('source')));
  });

  it('stops sending the SDK\'s default checksum headers when the server rejects them', async () => {
    const client = fx.client();
    const seen: boolean[] = [];
    client.middlewareStack.add((next, context) => async (args) => {
      const headers = (args.request as HttpRequestLike).headers;
      const hasChecksum = Object.keys(headers).some((h) => h.startsWith('x-amz-checksum-') || (h === 'x-amz-sdk-checksum-algorithm'));
      if (context.commandName === 'PutObjectCommand') seen.push(hasChecksum);
      // R2/B2 answered such requests with 400/501; the sandbox plays it (a client fault, so the SDK does not retry it).
      if (hasChecksum) throw new S3ServiceException({ name: 'InvalidArgument', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'checksum headers not supported' });
      return next(args);
    }, { step: 'finalizeRequest', name: 'noChecksums' });
    const store = fx.storeOn(client);
    await store.prepare(new MapCache());
    expect(store.capabilities.defaultChecksums).toBe('rejected');
    seen.length = 0;
    const data = Buffer.from('no crc32 please');
    const { etag } = await store.upload({ key: `${fx.prefix}crc/a.txt`, ...(await fx.writeLocal('crc.txt', data)) });
    expect(etag).toBe(md5(data));
    expect(seen).toEqual([false]);
  });

  it('lists with start-after when continuation tokens do not lead on', async () => {
    const client = fx.client();
    onRequest(client, 'brokenContinuation', (request, command) => {
      if (command !== 'ListObjectsV2Command') return;
      // The server forgets the token (answers the first page again) and pages by 2.
      Reflect.deleteProperty(request.query, 'continuation-token');
      request.query['max-keys'] ??= '2';
    });
    const store = fx.storeOn(client);
    await store.prepare(new MapCache());
    expect(store.capabilities.listPagination).toBe('continuation-broken');
    const keys = ['a', 'b', 'c', 'd', 'e'].map((k) => `${fx.prefix}list/${k}.txt`);
    for (const k of keys) await fx.put(k, k);
    const listed = (await collect(store.list())).map((o) => o.key).filter((k) => k.startsWith(`${fx.prefix}list/`));
    expect(listed).toEqual(keys);
  });

  it('lists again with start-after when a first run\'s probe, running beside the listing, finds broken continuation tokens', async () => {
    const own = await startRemoteFixture(backend);
    const root = await mkdtemp(join(tmpdir(), 'stratus-capabilities-'));
    try {
      const client = own.client();
      onRequest(client, 'brokenContinuation', (request, command) => {
        if (command !== 'ListObjectsV2Command') return;
        Reflect.deleteProperty(request.query, 'continuation-token');
        request.query['max-keys'] ??= '2';
      });
      const names = ['a', 'b', 'c', 'd', 'e'];
      for (const n of names) await own.put(`${own.prefix}docs/${n}.txt`, `content of ${n}`);
      const engine = await SyncEngine.open({ root, remote: own.storeOn(client), location: { bucket: own.bucket, prefix: own.prefix, endpoint: backend.endpoint }, trash: () => Promise.resolve() });
      // The listing starts with continuation tokens (nothing measured yet) and fails on the repeated token;
      // the probe finishes with 'continuation-broken', and the engine lists again before planning.
      const result = await engine.runOnce();
      await engine.close();
      expect(result.errors).toEqual([]);
      expect(result.counts.downloaded).toBe(names.length);
      for (const n of names) expect(await readFile(join(root, 'docs', `${n}.txt`), 'utf8')).toBe(`content of ${n}`);
    } finally {
      await rm(root, { recursive: true, force: true });
      await own.dispose();
    }
  });

  it('corrects a record that says "quoted" when the server refuses a matching quoted If-Match, and clears the cache', async () => {
    const client = fx.client();
    client.middlewareStack.add((next) => async (args) => {
      const request = args.request as HttpRequestLike;
      if (request.method === 'PUT' && request.headers['if-match']?.startsWith('"') === true) {
        throw new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', $metadata: { httpStatusCode: 412 }, message: 'PreconditionFailed' });
      }
      return next(args);
    }, { step: 'build', name: 'cephQuotedIfMatch' });
    const cache = new MapCache();
    const key = capabilitiesCacheKey(fx.backend.endpoint, fx.bucket);
    cache.values.set(key, JSON.stringify({ ...AWS_CAPABILITIES, version: 1, probedAt: new Date().toISOString(), endpoint: fx.backend.endpoint, bucket: fx.bucket }));
    // This computer's other folders hold the same record: the contradiction clears that copy too.
    const machine = new MapCache();
    machine.values.set(key, cache.values.get(key) ?? '');
    const store = fx.storeOn(client, { machineCache: machine });
    await store.prepare(cache);
    expect(store.capabilities.conditionalOverwrite).toBe('quoted');
    const objectKey = `${fx.prefix}changed/a.txt`;
    const v1 = await store.upload({ key: objectKey, ...(await fx.writeLocal('changed-1.txt', Buffer.from('one'))) });
    const v2 = await store.upload({ key: objectKey, ...(await fx.writeLocal('changed-2.txt', Buffer.from('two'))), ifMatch: v1.etag });
    expect(v2.etag).toBe(md5(Buffer.from('two')));
    expect(store.capabilities.conditionalOverwrite).toBe('unquoted');
    expect(cache.values.get(key)).toBe('');
    expect(machine.values.get(key)).toBe('');
  });
});
