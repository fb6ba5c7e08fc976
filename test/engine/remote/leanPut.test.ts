/**
 * The lean PutObject (leanPut.ts: small files signed with SigV4 and sent on
 * the client's own agents, without the SDK's middleware) against a real S3
 * server (the sandbox, and Ceph RGW in the real-S3 lane): the object it writes
 * is the one the SDK would have written (ETag, md5chksum and mtime metadata,
 * keys with awkward characters); conditions still turn a concurrent write into
 * 'remote-changed'; a refused or failed answer is sent again through the SDK
 * (which retries and maps errors); an abort aborts; and the SDK never sees a
 * PutObject the lean path carried. The parts of a resumable multipart upload
 * take the same path (UploadPart with its query, UNSIGNED-PAYLOAD bound by
 * Content-MD5, no SHA-256 or CRC32): the object is the AWS multipart form, a
 * part changed after the scan is still refused, a refused part goes through
 * the SDK.
 */
import diagnostics from 'node:diagnostics_channel';
import { mkdtemp, open, rm, utimes } from 'node:fs/promises';
import { Agent as HttpAgent, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent as HttpsAgent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_PART_SIZE, forgetPartMd5s, md5FileWithParts } from '../../../src/engine/hash/partHashes.js';
import { SqliteJournal } from '../../../src/engine/journal/SqliteJournal.js';
import { LEAN_GIVE_UP_AFTER, LeanPut } from '../../../src/engine/remote/leanPut.js';
import { multipartEtag, pseudoRandomBytes } from '../../sandbox/s3/helpers.js';
import { describeEachBackend, sandboxOnly } from '../../support/s3Backends.js';
import { md5, MiB, rejection, startRemoteFixture, type RemoteFixture } from './remoteFixtures.js';

describeEachBackend('S3RemoteStore.upload through the lean PutObject', (getBackend, name) => {
  let fx: RemoteFixture;
  const agents = { httpAgent: new HttpAgent({ keepAlive: true }), httpsAgent: new HttpsAgent({ keepAlive: true }) };

  beforeAll(async () => {
    fx = await startRemoteFixture(getBackend());
  });
  afterAll(async () => {
    fx.backend.faults?.clear();
    agents.httpAgent.destroy();
    agents.httpsAgent.destroy();
    await fx.dispose();
  });

  /** A store whose client shares `agents`, and how many PutObjects went through the SDK. */
  function leanStore(onSdkPut: () => void = () => undefined): { store: ReturnType<RemoteFixture['storeOn']>; client: S3Client; sdkPuts: () => number } {
    const client = fx.client({ requestHandler: agents });
    let puts = 0;
    client.middlewareStack.add((next, context) => (args) => {
      if (context.commandName === 'PutObjectCommand') {
        puts += 1;
        onSdkPut();
      }
      return next(args);
    }, { step: 'initialize', name: 'countPuts' });
    return { store: fx.storeOn(client, { directAgents: agents }), client, sdkPuts: () => puts };
  }

  it('writes the object the SDK would: MD5 ETag, md5chksum and mtime metadata, without an SDK PutObject', async () => {
    const { store, sdkPuts } = leanStore();
    const data = Buffer.from('lean and correct\n');
    const file = await fx.writeLocal('lean.txt', data);
    const key = `${fx.prefix}lean/small.txt`;
    const progress: number[] = [];
    const { etag } = await store.upload({ key, ...file, ifNoneMatch: true, onProgress: (n) => progress.push(n) });
    expect(etag).toBe(md5(data));
    expect(progress).toEqual([data.length]);
    expect(sdkPuts()).toBe(0);
    const raw = await fx.admin.send(new HeadObjectCommand({ Bucket: fx.bucket, Key: key }));
    expect(raw.Metadata?.['md5chksum']).toBe(Buffer.from(md5(data), 'hex').toString('base64'));
    expect(raw.Metadata?.['mtime']).toMatch(/^\d+\.\d{9}$/);
    expect(Math.abs(((await store.head(key))?.mtimeMs ?? 0) - file.mtimeMs)).toBeLessThan(0.001);
  });

  it('names keys exactly as the SDK does: spaces, unicode, +, %, #, ?, !, \', (, ), *, ~ and a colon', async () => {
    const { store, sdkPuts } = leanStore();
    const names = ['a b.txt', 'ünï çødé/日本語.txt', 'plus+sign.txt', '100%.txt', 'hash#tag.txt', 'what?.txt', "bang!'()*~.txt", 'time 12:30.txt'];
    for (const [i, n] of names.entries()) {
      const data = Buffer.from(`content ${i}`);
      const key = `${fx.prefix}keys/${n}`;
      await store.upload({ key, ...(await fx.writeLocal(`k${i}.txt`, data)), ifNoneMatch: true });
      const got = await fx.admin.send(new GetObjectCommand({ Bucket: fx.bucket, Key: key }));
      expect(await got.Body?.transformToString()).toBe(`content ${i}`);
    }
    expect(sdkPuts()).toBe(0);
  });

  it('turns a concurrent write into remote-changed: If-None-Match and If-Match still hold', async () => {
    const { store } = leanStore();
    const key = `${fx.prefix}lean/raced.txt`;
    await fx.put(key, 'someone else was first');
    const err = await rejection(store.upload({ key, ...(await fx.writeLocal('raced.txt', Buffer.from('mine'))), ifNoneMatch: true }));
    expect(err.code).toBe('remote-changed');
    const stale = await rejection(store.upload({ key, ...(await fx.writeLocal('raced2.txt', Buffer.from('mine too'))), ifMatch: md5(Buffer.from('an older version')) }));
    expect(stale.code).toBe('remote-changed');
    const got = await fx.admin.send(new GetObjectCommand({ Bucket: fx.bucket, Key: key }));
    expect(await got.Body?.transformToString()).toBe('someone else was first');
  });

  it.skipIf(sandboxOnly(name, 'needs the fault injector'))('sends a refused request again through the SDK, which gets it through', async () => {
    // The lean attempt meets a 503; the server is healthy again by the time the SDK sends the same request.
    const { store, sdkPuts } = leanStore(() => fx.backend.faults?.clear());
    const key = `${fx.prefix}lean/flaky.txt`;
    fx.backend.faults?.set({ errorRate: 1, errorStatus: 503, onlyKeysMatching: 'lean/flaky\\.txt$' });
    const data = Buffer.from('eventually');
    const { etag } = await store.upload({ key, ...(await fx.writeLocal('flaky.txt', data)), ifNoneMatch: true });
    expect(etag).toBe(md5(data));
    expect(sdkPuts()).toBe(1);
    expect((await store.head(key))?.md5).toBe(md5(data));
  });

  it('aborts with the signal, writing nothing', async () => {
    const { store } = leanStore();
    const controller = new AbortController();
    controller.abort();
    const key = `${fx.prefix}lean/aborted.txt`;
    const err = await rejection(store.upload({ key, ...(await fx.writeLocal('aborted.txt', Buffer.from('never'))), ifNoneMatch: true, signal: controller.signal }));
    expect(err.code).toBe('aborted');
    expect(await store.head(key)).toBeUndefined();
  });

  // The parts of a resumable upload take the same path, on the same fixture and agents.
  describe('resumable uploads through the lean UploadPart', () => {
    const PART = 5 * MiB;
    let journalDir: string;
    let journal: SqliteJournal;

    beforeEach(async () => {
      journalDir = await mkdtemp(join(tmpdir(), 'stratus-leanparts-'));
      journal = await SqliteJournal.open(join(journalDir, 'journal.db'));
    });
    afterEach(async () => {
      forgetPartMd5s();
      await journal.close();
      await rm(journalDir, { recursive: true, force: true });
    });

    /** A prepared store on `agents` (resumable from 5 MiB), and how many UploadParts of `keyPart` keys went through the SDK. */
    async function leanPartsStore(keyPart: string, partSize = PART, onSdkPart: () => void = () => undefined): Promise<{ store: ReturnType<RemoteFixture['storeOn']>; client: S3Client; sdkParts: () => number }> {
      const client = fx.client({ requestHandler: agents });
      let parts = 0;
      client.middlewareStack.add((next, context) => (args) => {
        // Only this test's keys: prepare's capability probe sends parts of its own through the SDK.
        if (context.commandName === 'UploadPartCommand' && ((args.input as { Key?: string }).Key ?? '').includes(keyPart)) {
          parts += 1;
          onSdkPart();
        }
        return next(args);
      }, { step: 'initialize', name: 'countParts' });
      const store = fx.storeOn(client, { directAgents: agents, multipartThreshold: PART, resumableThreshold: PART, partSize, queueSize: 2 });
      await store.prepare({ get: (k) => journal.getMeta(k), set: (k, v) => journal.setMeta(k, v), uploads: journal });
      return { store, client, sdkParts: () => parts };
    }

    it('sends every part without the SDK; the object is the AWS multipart form with the MD5 metadata', async () => {
      const { store, sdkParts } = await leanPartsStore('/leanparts/');
      const data = pseudoRandomBytes(2 * PART + 4321, 31);
      const file = await fx.writeLocal('parts.bin', data);
      const key = `${fx.prefix}leanparts/a file+with %odd name.bin`;
      const progress: number[] = [];
      const { etag } = await store.upload({ key, ...file, ifNoneMatch: true, onProgress: (n) => progress.push(n) });
      expect(sdkParts()).toBe(0);
      expect(etag).toBe(multipartEtag(data, PART).replace(/"/g, ''));
      expect(progress.at(-1)).toBe(data.length);
      expect((await store.head(key))?.md5).toBe(md5(data));
      const got = await fx.admin.send(new GetObjectCommand({ Bucket: fx.bucket, Key: key }));
      expect(Buffer.from(await got.Body?.transformToByteArray() ?? []).equals(data)).toBe(true);
      expect(await journal.loadMultipartUpload(key)).toBeUndefined();
    });

    it('with the scan\'s part MD5s: a part changed after the scan is refused (BadDigest, also through the SDK) and nothing completes', async () => {
      const part = DEFAULT_PART_SIZE;
      const { store, sdkParts } = await leanPartsStore('/leanscan/', part);
      const data = pseudoRandomBytes(2 * part + 3, 32);
      const file = await fx.writeLocal('scanned-lean.bin', data);
      expect(await md5FileWithParts(file.filePath, file.size)).toBe(file.md5);
      const { etag } = await store.upload({ key: `${fx.prefix}leanscan/ok.bin`, ...file });
      expect(etag).toBe(multipartEtag(data, part).replace(/"/g, ''));
      expect(sdkParts()).toBe(0);

      // One byte of part 2 changes in place, same size and mtime: the scan's MD5 of part 2 is stale.
      const handle = await open(file.filePath, 'r+');
      await handle.write(Buffer.from([(data[part + 7] ?? 0) ^ 0xff]), 0, 1, part + 7);
      await handle.close();
      await utimes(file.filePath, new Date(), new Date(file.mtimeMs));
      const changedKey = `${fx.prefix}leanscan/changed.bin`;
      const err = await rejection(store.upload({ key: changedKey, ...file }));
      expect(err.code).toBe('file-changed-during-upload');
      // The lean attempt's BadDigest sends the part again through the SDK, which gets BadDigest too.
      expect(sdkParts()).toBeGreaterThanOrEqual(1);
      expect(await store.head(changedKey)).toBeUndefined();
      expect(await fx.admin.send(new ListMultipartUploadsCommand({ Bucket: fx.bucket, Prefix: changedKey })).then((o) => o.Uploads ?? [])).toEqual([]);
    });

    it('an interrupted upload resumes through the lean path with only the parts the server does not hold', async () => {
      const data = pseudoRandomBytes(4 * PART + 17, 34);
      const key = `${fx.prefix}leanresume/big.bin`;
      const file = await fx.writeLocal('lean-resume.bin', data);
      // Parts the lean path sends, seen on node:http's diagnostics channel (the SDK's own sends are counted separately).
      const leanParts: number[] = [];
      const onRequest = (message: unknown): void => {
        const { request } = message as { request: { path: string } };
        const part = /[?&]partNumber=(\d+)/.exec(request.path);
        if (part !== null && request.path.includes('leanresume')) leanParts.push(Number(part[1]));
      };
      diagnostics.subscribe('http.client.request.start', onRequest);
      try {
        const first = await leanPartsStore('/leanresume/', PART);
        const controller = new AbortController();
        const stopped = await rejection(first.store.upload({
          key, ...file, ifNoneMatch: true, signal: controller.signal,
          onProgress: (bytes) => {
            if (bytes >= 2 * PART) controller.abort();
          },
        }));
        expect(stopped.code).toBe('aborted');
        // The parts acknowledged before the abort: two at least, not always 1 and 2 (two parts go up at
        // once, and under load part 1 can still be in flight when 2 and 3 are done).
        const held = (await journal.loadMultipartUpload(key))?.parts.map((p) => p.partNumber).sort() ?? [];
        expect(held.length).toBeGreaterThanOrEqual(2);
        const sentBefore = [...leanParts];
        for (const n of held) expect(sentBefore).toContain(n);

        leanParts.length = 0;
        const second = await leanPartsStore('/leanresume/', PART);
        const { etag } = await second.store.upload({ key, ...file, ifNoneMatch: true });
        expect(etag).toBe(multipartEtag(data, PART).replace(/"/g, ''));
        expect(second.sdkParts()).toBe(0);
        // Only the parts the server did not hold went again.
        expect([...new Set(leanParts)].sort()).toEqual([1, 2, 3, 4, 5].filter((n) => !held.includes(n)));
        expect(await journal.loadMultipartUpload(key)).toBeUndefined();
        expect(await fx.admin.send(new ListMultipartUploadsCommand({ Bucket: fx.bucket, Prefix: key })).then((o) => o.Uploads ?? [])).toEqual([]);
      } finally {
        diagnostics.unsubscribe('http.client.request.start', onRequest);
      }
    });

    it.skipIf(sandboxOnly(name, 'needs the fault injector'))('sends a refused part again through the SDK, which gets it through', async () => {
      // Parts meet a 503 on the lean path; the server is healthy again when the SDK sends the part.
      const { store, client, sdkParts } = await leanPartsStore('/leanflaky/', PART, () => fx.backend.faults?.clear());
      client.middlewareStack.add((next, context) => async (args) => {
        const out = await next(args);
        if (context.commandName === 'CreateMultipartUploadCommand') {
          fx.backend.faults?.set({ errorRate: 1, errorStatus: 503, onlyKeysMatching: 'leanflaky/' });
        }
        return out;
      }, { step: 'initialize', name: 'faultAfterCreate' });
      const data = pseudoRandomBytes(PART + 99, 33);
      const key = `${fx.prefix}leanflaky/parts.bin`;
      const { etag } = await store.upload({ key, ...(await fx.writeLocal('flaky-parts.bin', data)), ifNoneMatch: true });
      expect(etag).toBe(multipartEtag(data, PART).replace(/"/g, ''));
      expect(sdkParts()).toBeGreaterThanOrEqual(1);
      expect((await store.head(key))?.md5).toBe(md5(data));
    });
  });
});

describe('LeanPut gives up on a server that refuses it', () => {
  /** A real HTTP server on loopback answering every request with `status()`; counts the requests. */
  async function refusingServer(status: () => number): Promise<{ endpoint: string; hits: () => number; close: () => Promise<void> }> {
    let hits = 0;
    const server = createServer((req, res) => {
      hits += 1;
      req.resume();
      req.on('end', () => {
        res.writeHead(status(), status() < 300 ? { etag: '"0123456789abcdef0123456789abcdef"' } : {});
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { endpoint: `http://127.0.0.1:${port}`, hits: () => hits, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  it(`stops trying after ${LEAN_GIVE_UP_AFTER} refusals the SDK then got through, and a lean success in between starts the count again`, async () => {
    let answer = 400;
    const server = await refusingServer(() => answer);
    const agents = { httpAgent: new HttpAgent({ keepAlive: true }), httpsAgent: new HttpsAgent({ keepAlive: true }) };
    const client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
    try {
      const lean = new LeanPut(client, 'bucket', agents);
      const put = (): Promise<string | undefined> => lean.put({ key: 'k/v.txt', body: Buffer.from('x'), contentMd5: Buffer.from(md5(Buffer.from('x')), 'hex').toString('base64'), metadata: {} });
      // Refused twice (each time the SDK "got it through"), then a lean success: the count starts again.
      for (let i = 0; i < LEAN_GIVE_UP_AFTER - 1; i += 1) {
        expect(await put()).toBeUndefined();
        lean.fallbackWorked();
      }
      answer = 200;
      expect(await put()).toBe('0123456789abcdef0123456789abcdef');
      answer = 400;
      for (let i = 0; i < LEAN_GIVE_UP_AFTER - 1; i += 1) {
        expect(await put()).toBeUndefined();
        lean.fallbackWorked();
      }
      expect(await lean.available()).toBe(true);
      expect(await put()).toBeUndefined();
      lean.fallbackWorked();
      // Given up: no request reaches the server any more, and the resumable upload's plan sees it.
      const hits = server.hits();
      expect(hits).toBe(2 * LEAN_GIVE_UP_AFTER);
      expect(await put()).toBeUndefined();
      expect(server.hits()).toBe(hits);
      expect(lean.givenUp).toBe(true);
      expect(await lean.available()).toBe(false);
    } finally {
      client.destroy();
      agents.httpAgent.destroy();
      await server.close();
    }
  });
});
