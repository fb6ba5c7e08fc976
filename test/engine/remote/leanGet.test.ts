/**
 * The lean GetObject (leanGet.ts: a large object read from a plain socket
 * straight into the download's write-and-hash batches) against a real S3
 * server (the sandbox, and Ceph RGW in the real-S3 lane): the file is the
 * object byte for byte with the MD5, ETag and mtime the SDK path reports;
 * awkward keys name the same object; a stale If-Match, a missing key and a
 * reset mid-body end as they do through the SDK; reading pauses for the disk
 * and hash and for a bandwidth limit without losing a byte; an abort aborts;
 * and a server whose answers this path does not read (chunked) is served by
 * the SDK, the lean path giving itself up after LEAN_GIVE_UP_AFTER of them.
 */
import { createHash } from 'node:crypto';
import { open, readFile, rm } from 'node:fs/promises';
import { Agent as HttpAgent, createServer } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3RemoteStore } from '../../../src/engine/remote/S3RemoteStore.js';
import { LeanGet } from '../../../src/engine/remote/leanGet.js';
import { LEAN_GIVE_UP_AFTER, LeanPut } from '../../../src/engine/remote/leanPut.js';
import { multipartEtag, pseudoRandomBytes } from '../../sandbox/s3/helpers.js';
import { describeEachBackend, sandboxOnly } from '../../support/s3Backends.js';
import { md5, MiB, rejection, startRemoteFixture, type RemoteFixture } from './remoteFixtures.js';

describeEachBackend('S3RemoteStore.download through the lean GetObject', (getBackend, name) => {
  let fx: RemoteFixture;
  const agents = { httpAgent: new HttpAgent({ keepAlive: true }), httpsAgent: new HttpsAgent({ keepAlive: true }) };
  /** A 9 MiB + 5 object uploaded as the engine uploads it (multipart, 5 MiB parts, md5chksum and mtime metadata). */
  const data = pseudoRandomBytes(9 * MiB + 5, 41);
  let key: string;
  let uploaded: { etag: string; mtimeMs: number };

  beforeAll(async () => {
    fx = await startRemoteFixture(getBackend());
    key = `${fx.prefix}leanget/big file+ünï %.bin`;
    const file = await fx.writeLocal('up.bin', data);
    const { etag } = await fx.store({ multipartThreshold: 5 * MiB, partSize: 5 * MiB }).upload({ key, ...file, ifNoneMatch: true });
    uploaded = { etag, mtimeMs: file.mtimeMs };
  });
  afterAll(async () => {
    fx.backend.faults?.clear();
    agents.httpAgent.destroy();
    agents.httpsAgent.destroy();
    await fx.dispose();
  });

  /** A store on `agents` (lean on), and how many GetObjects went through the SDK. */
  function leanStore(): { store: S3RemoteStore; client: S3Client; sdkGets: () => number } {
    const client = fx.client({ requestHandler: agents });
    let gets = 0;
    client.middlewareStack.add((next, context) => (args) => {
      if (context.commandName === 'GetObjectCommand') gets += 1;
      return next(args);
    }, { step: 'initialize', name: 'countGets' });
    return { store: fx.storeOn(client, { directAgents: agents }), client, sdkGets: () => gets };
  }

  it('writes the object byte for byte, with the ETag, MD5 and mtime the SDK path reports, without an SDK GetObject', async () => {
    const { store, sdkGets } = leanStore();
    const toFile = join(fx.dir, 'lean-down.tmp');
    const progress: number[] = [];
    const info = await store.download({ key, toFile, size: data.length, ifMatch: uploaded.etag, onProgress: (n) => progress.push(n) });
    expect(sdkGets()).toBe(0);
    expect((await readFile(toFile)).equals(data)).toBe(true);
    expect(info.md5).toBe(md5(data));
    expect(info.size).toBe(data.length);
    expect(info.etag).toBe(multipartEtag(data, 5 * MiB).replace(/"/g, ''));
    expect(Math.abs((info.mtimeMs ?? 0) - uploaded.mtimeMs)).toBeLessThan(0.001);
    expect(progress.at(-1)).toBe(data.length);
    // The same download through the SDK reports the same.
    const viaSdk = await fx.store().download({ key, toFile: join(fx.dir, 'sdk-down.tmp'), size: data.length });
    expect(viaSdk).toEqual(info);
    await rm(toFile);
    await rm(join(fx.dir, 'sdk-down.tmp'));
  });

  it('leaves objects listed below 8 MiB to the SDK (pooled connections)', async () => {
    const { store, sdkGets } = leanStore();
    const small = `${fx.prefix}leanget/small.bin`;
    await fx.put(small, data.subarray(0, 1000));
    const toFile = join(fx.dir, 'small.tmp');
    const info = await store.download({ key: small, toFile, size: 1000 });
    expect(info.md5).toBe(md5(data.subarray(0, 1000)));
    expect(sdkGets()).toBe(1);
    await rm(toFile);
  });

  it('ends a stale If-Match and a missing key as the SDK path does, leaving no file', async () => {
    const { store, sdkGets } = leanStore();
    const plain = fx.store();
    const stale = join(fx.dir, 'stale.tmp');
    const errLean = await rejection(store.download({ key, toFile: stale, size: data.length, ifMatch: md5(Buffer.from('older')) }));
    const errSdk = await rejection(plain.download({ key, toFile: stale, size: data.length, ifMatch: md5(Buffer.from('older')) }));
    expect(errLean.code).toBe('remote-changed');
    expect(errLean.code).toBe(errSdk.code);
    const missing = `${fx.prefix}leanget/missing.bin`;
    const goneLean = await rejection(store.download({ key: missing, toFile: stale, size: data.length }));
    const goneSdk = await rejection(plain.download({ key: missing, toFile: stale, size: data.length }));
    expect(goneLean.code).toBe(goneSdk.code);
    // Each lean attempt met an error answer and left it to the SDK, which mapped it.
    expect(sdkGets()).toBe(2);
    expect(await fx.localNames()).not.toContain('stale.tmp');
  });

  it('pauses for the disk and hash (one batch in flight) and for a bandwidth limit, losing nothing', async () => {
    const client = fx.client({ requestHandler: agents });
    const lean = new LeanGet(new LeanPut(client, fx.bucket, agents));
    const toFile = join(fx.dir, 'paced.tmp');
    const file = await open(toFile, 'wx', 0o600);
    let paced = 0;
    const answer = await lean.download({
      key,
      batches: 1,
      paced: () => true,
      pace: async (bytes) => {
        paced += bytes;
      },
    }, file);
    await file.close();
    if (answer === undefined || answer === 'fallback') throw new Error(`the lean path did not carry the download (${String(answer)})`);
    expect(answer.received).toEqual({ bytes: data.length, md5: md5(data) });
    expect(answer.out.ContentLength).toBe(data.length);
    expect(answer.out.Metadata['md5chksum']).toBe(Buffer.from(md5(data), 'hex').toString('base64'));
    expect((await readFile(toFile)).equals(data)).toBe(true);
    // Every read but the last waited on the limit with its own size.
    expect(paced).toBeGreaterThan(0);
    expect(paced).toBeLessThanOrEqual(data.length);
    await rm(toFile);
  });

  it('aborts with the signal mid-body, leaving no file', async () => {
    const { store } = leanStore();
    const controller = new AbortController();
    const toFile = join(fx.dir, 'aborted.tmp');
    const err = await rejection(store.download({
      key, toFile, size: data.length, signal: controller.signal,
      onProgress: (n) => {
        if (n > 2 * MiB) controller.abort();
      },
    }));
    expect(err.code).toBe('aborted');
    expect(await fx.localNames()).not.toContain('aborted.tmp');
  });

  it.skipIf(sandboxOnly(name, 'needs the fault injector'))('fails a body cut off mid-way as a network error to retry, without sending it again through the SDK', async () => {
    const { store, sdkGets } = leanStore();
    fx.backend.faults?.set({ resetRate: 1, onlyKeysMatching: 'leanget/big' });
    try {
      const toFile = join(fx.dir, 'reset.tmp');
      const err = await rejection(store.download({ key, toFile, size: data.length }));
      expect(err.code).toBe('network');
      expect(sdkGets()).toBe(0);
      expect(await fx.localNames()).not.toContain('reset.tmp');
    } finally {
      fx.backend.faults?.clear();
    }
  });
});

describe('LeanGet on a server whose answers it does not read', () => {
  const body = pseudoRandomBytes(9 * MiB, 42);
  const etag = `"${createHash('md5').update(body).digest('hex')}"`;
  let leanAttempts = 0;
  let sdkAttempts = 0;
  // Answers every GET in chunked encoding (no Content-Length), as a proxy or a gateway may.
  const server = createServer((req, res) => {
    if (req.headers.connection === 'close' && req.headers['user-agent'] === 'stratus') leanAttempts += 1;
    else sdkAttempts += 1;
    res.writeHead(200, { ETag: etag, 'Content-Type': 'application/octet-stream', 'Transfer-Encoding': 'chunked' });
    res.end(body);
  });
  const agents = { httpAgent: new HttpAgent({ keepAlive: true }), httpsAgent: new HttpsAgent({ keepAlive: true }) };
  let store: S3RemoteStore;
  let dir: string;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new S3Client({
      endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, requestHandler: agents,
    });
    store = new S3RemoteStore({ client, bucket: 'b', prefix: 'p/', directAgents: agents });
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    dir = await mkdtemp(join(tmpdir(), 'stratus-leanget-'));
  });
  afterAll(async () => {
    agents.httpAgent.destroy();
    agents.httpsAgent.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it(`leaves each download to the SDK, and stops trying after ${LEAN_GIVE_UP_AFTER} such answers`, async () => {
    for (let i = 0; i < LEAN_GIVE_UP_AFTER + 2; i++) {
      const toFile = join(dir, `d${i}.tmp`);
      const info = await store.download({ key: 'p/chunked.bin', toFile, size: body.length });
      expect(info.md5).toBe(etag.replace(/"/g, ''));
      expect((await readFile(toFile)).equals(body)).toBe(true);
      await rm(toFile);
    }
    expect(leanAttempts).toBe(LEAN_GIVE_UP_AFTER);
    expect(sdkAttempts).toBe(LEAN_GIVE_UP_AFTER + 2);
  });
});
