/**
 * The lean PutObject (leanPut.ts: small files signed with SigV4 and sent on
 * the client's own agents, without the SDK's middleware) against a real S3
 * server (the sandbox, and Ceph RGW in the real-S3 lane): the object it writes
 * is the one the SDK would have written (ETag, md5chksum and mtime metadata,
 * keys with awkward characters); conditions still turn a concurrent write into
 * 'remote-changed'; a refused or failed answer is sent again through the SDK
 * (which retries and maps errors); an abort aborts; and the SDK never sees a
 * PutObject the lean path carried.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend, sandboxOnly } from '../../support/s3Backends.js';
import { md5, rejection, startRemoteFixture, type RemoteFixture } from './remoteFixtures.js';

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
});
