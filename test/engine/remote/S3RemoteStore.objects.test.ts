/**
 * S3RemoteStore downloads, copies, deletes and folder markers against a real
 * S3 server (the sandbox, and Ceph RGW in the real-S3 lane): verified downloads that never leave a half-written temp
 * file behind (SCENARIOS 32), conditional copies across keys with ':' and
 * non-ASCII names, conditional deletes, idempotent folder markers.
 */
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pseudoRandomBytes } from '../../sandbox/s3/helpers.js';
import { describeEachBackend, sandboxOnly } from '../../support/s3Backends.js';
import { md5, MiB, prepared, rejection, startRemoteFixture, type RemoteFixture } from './remoteFixtures.js';

describeEachBackend('S3RemoteStore objects', (getBackend, name) => {
  let fx: RemoteFixture;

  beforeAll(async () => {
    fx = await startRemoteFixture(getBackend());
  });
  afterEach(() => {
    fx.backend.faults?.clear();
  });
  afterAll(async () => {
    await fx.dispose();
  });

  const put = (key: string, body: Buffer | string, metadata?: Record<string, string>): Promise<void> => fx.put(key, body, metadata);

  describe('S3RemoteStore.download', () => {
    it('writes the verified bytes to a new 0600 temp file and reports md5 and mtime', async () => {
      const store = fx.store();
      const data = pseudoRandomBytes(3 * MiB, 21);
      const file = await fx.writeLocal('source.bin', data);
      const key = `${fx.prefix}dl/source.bin`;
      const { etag } = await store.upload({ key, ...file });
      const toFile = join(fx.dir, 'dl-1.tmp');
      let lastProgress = 0;
      const info = await store.download({ key, toFile, ifMatch: etag, onProgress: (n) => { lastProgress = n; } });
      expect(info).toMatchObject({ key, size: data.length, etag, md5: md5(data) });
      expect(Math.abs((info.mtimeMs ?? 0) - file.mtimeMs)).toBeLessThan(0.001);
      expect(lastProgress).toBe(data.length);
      const written = await stat(toFile);
      expect(written.size).toBe(data.length);
      expect(written.mode & 0o777).toBe(0o600);
    });

    it('writes a large body intact while flushing it to disk behind the receive (every 32 MiB)', async () => {
      const data = pseudoRandomBytes(40 * MiB, 25);
      const key = `${fx.prefix}dl/large.bin`;
      await put(key, data);
      const toFile = join(fx.dir, 'dl-large.tmp');
      const info = await fx.store().download({ key, toFile });
      expect(info).toMatchObject({ size: data.length, md5: md5(data) });
      expect((await stat(toFile)).size).toBe(data.length);
    });

    it('verifies a multipart object against its md5chksum metadata', async () => {
      const store = fx.store({ multipartThreshold: 5 * MiB, partSize: 5 * MiB });
      const data = pseudoRandomBytes(7 * MiB, 22);
      const key = `${fx.prefix}dl/multi.bin`;
      const { etag } = await store.upload({ key, ...(await fx.writeLocal('multi.bin', data)) });
      const info = await store.download({ key, toFile: join(fx.dir, 'dl-2.tmp') });
      expect(info).toMatchObject({ etag, md5: md5(data), size: data.length });
    });

    it('rejects bytes that do not match the md5chksum metadata of a multipart object and removes the temp file', async () => {
      const data = pseudoRandomBytes(6 * MiB, 23);
      const key = `${fx.prefix}dl/lying.bin`;
      // A multipart ETag is no content MD5, so the (wrong) metadata is the only check there is.
      await forgeMultipartWithMetadata(key, data, md5(Buffer.from('other content')));
      const before = await fx.localNames();
      const err = await rejection(fx.store().download({ key, toFile: join(fx.dir, 'dl-bad.tmp') }));
      expect(err.code).toBe('download-corrupt');
      expect(await fx.localNames()).toEqual(before);
    });

    it('trusts a plain-MD5 ETag over md5chksum metadata that disagrees with it', async () => {
      const key = `${fx.prefix}dl/stale-meta.txt`;
      const data = Buffer.from('the real content');
      await put(key, data, { md5chksum: Buffer.from(md5(Buffer.from('other')), 'hex').toString('base64') });
      const info = await fx.store().download({ key, toFile: join(fx.dir, 'dl-meta.tmp') });
      expect(info.md5).toBe(md5(data));
    });

    it('refuses with remote-changed on a stale ETag and leaves no temp file', async () => {
      const store = fx.store();
      const key = `${fx.prefix}dl/changed.txt`;
      await put(key, 'v1');
      const before = await fx.localNames();
      const err = await rejection(store.download({ key, toFile: join(fx.dir, 'dl-3.tmp'), ifMatch: md5(Buffer.from('v0')) }));
      expect(err.code).toBe('remote-changed');
      expect(await fx.localNames()).toEqual(before);
    });

    it('reports a missing key as remote-missing and leaves no temp file', async () => {
      const before = await fx.localNames();
      const err = await rejection(fx.store().download({ key: `${fx.prefix}dl/none.txt`, toFile: join(fx.dir, 'dl-4.tmp') }));
      expect(err.code).toBe('remote-missing');
      expect(await fx.localNames()).toEqual(before);
    });

    // Needs the sandbox's fault injector to reset the connection mid-body.
    it.skipIf(sandboxOnly(name, 'a connection reset mid-body needs the fault injector'))('removes the partial temp file when the connection is reset mid-body', async () => {
      const store = fx.store();
      const key = `${fx.prefix}dl/reset.bin`;
      await put(key, pseudoRandomBytes(2 * MiB, 24));
      const before = await fx.localNames();
      fx.backend.faults?.set({ resetRate: 1, onlyKeysMatching: 'reset\\.bin$' });
      const err = await rejection(store.download({ key, toFile: join(fx.dir, 'dl-5.tmp') }));
      expect(err.code).toBe('network');
      expect(err.severity).toBe('soft');
      expect(await fx.localNames()).toEqual(before);
    });

    it('never writes through a file that already exists under the temp name', async () => {
      const key = `${fx.prefix}dl/exists.txt`;
      await put(key, 'remote');
      const toFile = join(fx.dir, 'dl-6.tmp');
      await writeFile(toFile, 'someone else\'s file');
      const err = await rejection(fx.store().download({ key, toFile }));
      expect(err.code).toBe('local-write-failed');
      expect((await stat(toFile)).size).toBe('someone else\'s file'.length);
    });
  });

  /** Puts `data` as a 2-part multipart object whose md5chksum metadata claims `claimedMd5`. */
  async function forgeMultipartWithMetadata(key: string, data: Buffer, claimedMd5: string): Promise<void> {
    const { Upload } = await import('@aws-sdk/lib-storage');
    await new Upload({
      client: fx.admin,
      partSize: 5 * MiB,
      params: { Bucket: fx.bucket, Key: key, Body: data, Metadata: { md5chksum: Buffer.from(claimedMd5, 'hex').toString('base64') } },
    }).done();
  }

  describe('S3RemoteStore.copy', () => {
    it('copies across keys with ":", spaces and non-ASCII characters, keeping the metadata', async () => {
      const store = fx.store();
      const from = `${fx.prefix}a b/ünï cödé:1 + 100%.txt`;
      const to = `${fx.prefix}dest ✓/x y:z.txt`;
      const data = Buffer.from('copied content');
      const { etag } = await store.upload({ key: from, ...(await fx.writeLocal('copy-src.txt', data)) });
      const copied = await store.copy(from, to, { sourceEtag: etag, ifNoneMatch: true });
      expect(copied.etag).toBe(md5(data));
      expect(await store.head(to)).toMatchObject({ size: data.length, md5: md5(data) });
    });

    // Ceph RGW 16.2 ignores x-amz-copy-source-if-match; the probed store checks the source
    // with a HEAD just before the copy instead (docs/s3-compatibility.md).
    it('refuses with remote-changed when the source changed', async () => {
      const store = await prepared(fx.store());
      const from = `${fx.prefix}copy/src.txt`;
      await put(from, 'source');
      const stale = await rejection(store.copy(from, `${fx.prefix}copy/dst1.txt`, { sourceEtag: md5(Buffer.from('old')) }));
      expect(stale.code).toBe('remote-changed');
      expect(await store.head(`${fx.prefix}copy/dst1.txt`)).toBeUndefined();
    });

    // Ceph RGW 16.2 ignores If-None-Match: * on CopyObject; the probed store checks the
    // destination with a HEAD just before the copy instead.
    it('refuses with remote-changed when the destination exists', async () => {
      const store = await prepared(fx.store());
      const from = `${fx.prefix}copy/src2.txt`;
      await put(from, 'source');
      await put(`${fx.prefix}copy/dst2.txt`, 'already here');
      const exists = await rejection(store.copy(from, `${fx.prefix}copy/dst2.txt`, { ifNoneMatch: true }));
      expect(exists.code).toBe('remote-changed');
      expect((await store.head(`${fx.prefix}copy/dst2.txt`))?.size).toBe('already here'.length);
    });

    it('reports a missing source as remote-missing', async () => {
      const err = await rejection(fx.store().copy(`${fx.prefix}copy/none.txt`, `${fx.prefix}copy/dst3.txt`));
      expect(err.code).toBe('remote-missing');
    });
  });

  describe('S3RemoteStore.delete', () => {
    // Ceph RGW 16.2 ignores If-Match on DeleteObject; the probed store compares with a HEAD
    // just before the delete instead.
    it('refuses a delete with a stale If-Match and keeps the object', async () => {
      const store = await prepared(fx.store());
      const key = `${fx.prefix}del/kept.txt`;
      await put(key, 'newer content');
      const err = await rejection(store.delete(key, { ifMatch: md5(Buffer.from('older content')) }));
      expect(err.code).toBe('remote-changed');
      expect(await store.head(key)).toBeDefined();
    });

    it('deletes with a matching If-Match, and treats an already missing key as deleted', async () => {
      const store = fx.store();
      const key = `${fx.prefix}del/gone.txt`;
      await put(key, 'bye');
      await store.delete(key, { ifMatch: md5(Buffer.from('bye')) });
      expect(await store.head(key)).toBeUndefined();
      await store.delete(key, { ifMatch: md5(Buffer.from('bye')) });
      await store.delete(key);
    });
  });

  describe('S3RemoteStore.createFolderMarker', () => {
    it('creates a zero-byte marker and returns the same ETag when it already exists', async () => {
      const store = fx.store();
      const key = `${fx.prefix}empty folder/`;
      const first = await store.createFolderMarker(key);
      const second = await store.createFolderMarker(key);
      expect(first.etag).toBe('d41d8cd98f00b204e9800998ecf8427e');
      expect(second).toEqual(first);
      expect(await store.head(key)).toMatchObject({ size: 0 });
    });

    it('refuses a key that is not a folder key', async () => {
      const err = await rejection(fx.store().createFolderMarker(`${fx.prefix}not-a-folder`));
      expect(err.code).toBe('invalid-key');
    });
  });
});
