/**
 * S3RemoteStore uploads against a real S3 server (the sandbox, and Ceph RGW in
 * the real-S3 lane): single PUT and
 * multipart (AWS-form ETag, whole-file md5chksum metadata), conditional
 * writes turning concurrent changes into 'remote-changed' (SCENARIOS 29),
 * files changing under an upload (SCENARIOS 28), and abort.
 */
import { utimesSync, writeFileSync } from 'node:fs';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartEtag, pseudoRandomBytes } from '../../sandbox/s3/helpers.js';
import { describeEachBackend } from '../../support/s3Backends.js';
import { md5, MiB, rejection, startRemoteFixture, type RemoteFixture } from './remoteFixtures.js';

describeEachBackend('S3RemoteStore.upload', (getBackend, name) => {
  let fx: RemoteFixture;

  beforeAll(async () => {
    fx = await startRemoteFixture(getBackend());
  });
  afterAll(async () => {
    await fx.dispose();
  });

  describe('S3RemoteStore.upload', () => {
    it('uploads a small file with one PUT whose ETag is its MD5, and stores md5chksum and mtime as rclone does', async () => {
      const store = fx.store();
      const data = Buffer.from('hello, stratus\n');
      const file = await fx.writeLocal('small.txt', data);
      const key = `${fx.prefix}docs/small.txt`;
      const progress: number[] = [];
      const { etag } = await store.upload({ key, ...file, ifNoneMatch: true, onProgress: (n) => progress.push(n) });
      expect(etag).toBe(md5(data));
      expect(progress.at(-1)).toBe(data.length);

      const raw = await fx.admin.send(new HeadObjectCommand({ Bucket: fx.bucket, Key: key }));
      expect(raw.Metadata?.['md5chksum']).toBe(Buffer.from(md5(data), 'hex').toString('base64'));
      expect(raw.Metadata?.['mtime']).toMatch(/^\d+\.\d{9}$/);

      const info = await store.head(key);
      expect(info).toMatchObject({ key, size: data.length, etag: md5(data), md5: md5(data) });
      expect(Math.abs((info?.mtimeMs ?? 0) - file.mtimeMs)).toBeLessThan(0.001);
    });

    it('uploads a zero-byte file (a file, not a folder marker)', async () => {
      const file = await fx.writeLocal('empty.txt', Buffer.alloc(0));
      const { etag } = await fx.store().upload({ key: `${fx.prefix}empty.txt`, ...file });
      expect(etag).toBe('d41d8cd98f00b204e9800998ecf8427e');
    });

    it('uploads a 20 MiB file in 5 MiB parts: the ETag is the AWS multipart form, md5chksum the whole-file MD5', async () => {
      const store = fx.store({ multipartThreshold: 16 * MiB, partSize: 5 * MiB });
      const data = pseudoRandomBytes(20 * MiB, 7);
      const file = await fx.writeLocal('big.bin', data);
      const key = `${fx.prefix}media/big.bin`;
      const progress: number[] = [];
      const { etag } = await store.upload({ key, ...file, ifNoneMatch: true, onProgress: (n) => progress.push(n) });
      expect(etag).toBe(multipartEtag(data, 5 * MiB).replace(/"/g, ''));
      expect(etag).toMatch(/-4$/);
      expect(progress.at(-1)).toBe(data.length);
      const info = await store.head(key);
      expect(info).toMatchObject({ size: data.length, etag, md5: md5(data) });
      expect(await fx.openUploads()).toBe(0);
    });

    it('refuses to overwrite an existing key when asked for If-None-Match (single PUT)', async () => {
      const store = fx.store();
      const key = `${fx.prefix}race/new.txt`;
      await fx.admin.send(new PutObjectCommand({ Bucket: fx.bucket, Key: key, Body: 'written by someone else' }));
      const file = await fx.writeLocal('mine.txt', Buffer.from('mine'));
      const err = await rejection(store.upload({ key, ...file, ifNoneMatch: true }));
      expect(err.code).toBe('remote-changed');
      expect(err.severity).toBe('item');
      expect((await store.head(key))?.size).toBe('written by someone else'.length);
    });

    it('refuses a multipart upload over an existing key with If-None-Match and leaves no open upload', async () => {
      const store = fx.store({ multipartThreshold: 5 * MiB, partSize: 5 * MiB });
      const key = `${fx.prefix}race/big.bin`;
      await fx.admin.send(new PutObjectCommand({ Bucket: fx.bucket, Key: key, Body: 'theirs' }));
      const file = await fx.writeLocal('mine-big.bin', pseudoRandomBytes(6 * MiB, 3));
      const err = await rejection(store.upload({ key, ...file, ifNoneMatch: true }));
      expect(err.code).toBe('remote-changed');
      expect((await store.head(key))?.size).toBe(6);
      expect(await fx.openUploads()).toBe(0);
    });

    it('overwrites with If-Match when the ETag still matches, and refuses a stale one', async () => {
      const store = fx.store();
      const key = `${fx.prefix}race/edit.txt`;
      const first = await store.upload({ key, ...(await fx.writeLocal('v1.txt', Buffer.from('version 1'))), ifNoneMatch: true });
      const second = await store.upload({ key, ...(await fx.writeLocal('v2.txt', Buffer.from('version 2'))), ifMatch: first.etag });
      expect(second.etag).toBe(md5(Buffer.from('version 2')));

      const stale = await rejection(store.upload({ key, ...(await fx.writeLocal('v3.txt', Buffer.from('version 3'))), ifMatch: first.etag }));
      expect(stale.code).toBe('remote-changed');
      expect((await store.head(key))?.etag).toBe(second.etag);
    });

    // Documented residual race on Ceph RGW 16.2, which ignores If-Match (and If-None-Match: *)
    // on CompleteMultipartUpload: the probed store HEAD-checks right before Complete, but a write
    // landing inside that one round trip (exactly what this test injects) is still overwritten.
    // `it.fails` keeps the window visible (docs/s3-compatibility.md).
    (name === 'ceph' ? it.fails : it)('refuses a stale If-Match on CompleteMultipartUpload when the object changed after the upload began', async () => {
      const client = fx.client();
      const key = `${fx.prefix}race/edit.bin`;
      // Another client writes after our parts went up and just before CompleteMultipartUpload.
      client.middlewareStack.add((next, context) => async (args) => {
        if (context.commandName === 'CompleteMultipartUploadCommand') {
          await fx.admin.send(new PutObjectCommand({ Bucket: fx.bucket, Key: key, Body: 'concurrent edit' }));
        }
        return next(args);
      }, { step: 'initialize', name: 'concurrentWriter' });
      const store = fx.storeOn(client, { multipartThreshold: 5 * MiB, partSize: 5 * MiB });
      const original = await store.upload({ key, ...(await fx.writeLocal('orig.txt', Buffer.from('original'))), ifNoneMatch: true });
      const err = await rejection(store.upload({ key, ...(await fx.writeLocal('edit.bin', pseudoRandomBytes(11 * MiB, 5))), ifMatch: original.etag }));
      expect(err.code).toBe('remote-changed');
      expect((await store.head(key))?.etag).toBe(md5(Buffer.from('concurrent edit')));
      expect(await fx.openUploads()).toBe(0);
    });

    // Same residual race for If-None-Match: * on CompleteMultipartUpload on Ceph.
    (name === 'ceph' ? it.fails : it)('refuses If-None-Match on CompleteMultipartUpload when the key was created after the upload began', async () => {
      const client = fx.client();
      const key = `${fx.prefix}race/new.bin`;
      client.middlewareStack.add((next, context) => async (args) => {
        if (context.commandName === 'CompleteMultipartUploadCommand') {
          await fx.admin.send(new PutObjectCommand({ Bucket: fx.bucket, Key: key, Body: 'created meanwhile' }));
        }
        return next(args);
      }, { step: 'initialize', name: 'concurrentCreator' });
      const store = fx.storeOn(client, { multipartThreshold: 5 * MiB, partSize: 5 * MiB });
      const err = await rejection(store.upload({ key, ...(await fx.writeLocal('new.bin', pseudoRandomBytes(6 * MiB, 6))), ifNoneMatch: true }));
      expect(err.code).toBe('remote-changed');
      expect((await store.head(key))?.etag).toBe(md5(Buffer.from('created meanwhile')));
      expect(await fx.openUploads()).toBe(0);
    });

    it('detects a small file rewritten after the scan with the same size and mtime, and writes nothing', async () => {
      const store = fx.store();
      const file = await fx.writeLocal('changing.txt', Buffer.from('scanned content'));
      // Same length, same mtime: only the content check can tell (what an mtime-preserving tool would do).
      writeFileSync(file.filePath, 'edited  content');
      utimesSync(file.filePath, file.mtimeMs / 1000, file.mtimeMs / 1000);
      const key = `${fx.prefix}changing.txt`;
      const err = await rejection(store.upload({ key, ...file, ifNoneMatch: true }));
      expect(err.code).toBe('file-changed-during-upload');
      expect(err.severity).toBe('soft');
      expect(await store.head(key)).toBeUndefined();
    });

    it('detects a file rewritten during a multipart upload, never completes it and aborts the parts', async () => {
      const store = fx.store({ multipartThreshold: 5 * MiB, partSize: 5 * MiB, queueSize: 1 });
      const data = pseudoRandomBytes(20 * MiB, 13);
      const file = await fx.writeLocal('changing-big.bin', data);
      const key = `${fx.prefix}changing-big.bin`;
      let changed = false;
      const err = await rejection(store.upload({
        key,
        ...file,
        ifNoneMatch: true,
        onProgress: () => {
          if (changed) return;
          changed = true;
          // The tail has not been read yet (one part in flight): the upload reads the new bytes.
          const edited = Buffer.from(data);
          edited.fill(0x55, 18 * MiB);
          writeFileSync(file.filePath, edited);
        },
      }));
      expect(changed).toBe(true);
      expect(err.code).toBe('file-changed-during-upload');
      expect(await store.head(key)).toBeUndefined();
      expect(await fx.openUploads()).toBe(0);
    });

    it('refuses to start when the file no longer has the size the scan saw', async () => {
      const file = await fx.writeLocal('stale.txt', Buffer.from('now longer than scanned'));
      const err = await rejection(fx.store().upload({ key: `${fx.prefix}stale.txt`, ...file, size: 3 }));
      expect(err.code).toBe('file-changed-during-upload');
    });

    it('stops a multipart upload on abort and aborts it on the server before rejecting', async () => {
      const store = fx.store({ multipartThreshold: 5 * MiB, partSize: 5 * MiB, queueSize: 1 });
      const file = await fx.writeLocal('abort.bin', pseudoRandomBytes(20 * MiB, 17));
      const key = `${fx.prefix}abort.bin`;
      const controller = new AbortController();
      const err = await rejection(store.upload({ key, ...file, signal: controller.signal, onProgress: () => controller.abort() }));
      expect(err.code).toBe('aborted');
      expect(await store.head(key)).toBeUndefined();
      expect(await fx.openUploads()).toBe(0);
    });

    it('refuses a key outside the prefix before touching the server', async () => {
      const file = await fx.writeLocal('outside.txt', Buffer.from('x'));
      const err = await rejection(fx.store().upload({ key: 'someone-else/outside.txt', ...file }));
      expect(err.code).toBe('key-outside-prefix');
    });
  });
});
