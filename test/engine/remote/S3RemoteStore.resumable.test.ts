/**
 * Resumable multipart uploads (issue 5, SCENARIOS 28 and 31) against a real S3
 * server (the sandbox, and Ceph RGW in the real-S3 lane), with the real
 * SQLite journal keeping the progress: an upload interrupted after some parts
 * resumes with ListParts and sends only the missing parts; a changed file, a
 * lost upload or a vanished file start afresh and leave no open upload behind;
 * a Complete whose answer was lost is recognised; stale uploads are cleaned.
 * With the scan's part MD5s (partHashes.ts) the upload proves part by part that
 * it sends the scanned bytes, and a part changed since the scan is never sent.
 */
import { mkdtemp, open, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand, CreateMultipartUploadCommand, ListMultipartUploadsCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { DEFAULT_PART_SIZE, forgetPartMd5s, md5FileWithParts, scannedPartMd5s } from '../../../src/engine/hash/partHashes.js';
import { SqliteJournal } from '../../../src/engine/journal/SqliteJournal.js';
import type { RemoteCache } from '../../../src/engine/ports.js';
import type { S3RemoteStore } from '../../../src/engine/remote/S3RemoteStore.js';
import { multipartEtag, pseudoRandomBytes } from '../../sandbox/s3/helpers.js';
import { describeEachBackend } from '../../support/s3Backends.js';
import { md5, MiB, rejection, startRemoteFixture, type RemoteFixture } from './remoteFixtures.js';

const PART = 5 * MiB;
const OPTIONS = { multipartThreshold: PART, resumableThreshold: PART, partSize: PART, queueSize: 1 } as const;

/** Counts UploadPart requests by part number; `failPart` makes that part fail once with a non-retryable error. */
function instrument(client: S3Client, failPart?: number): { readonly sent: number[] } {
  const sent: number[] = [];
  let failed = false;
  client.middlewareStack.add((next) => async (args) => {
    const input = args.input as { PartNumber?: number; UploadId?: string; Key?: string };
    // Only this suite's keys: prepare's capability probe uploads parts of its own.
    const isPart = input.PartNumber !== undefined && input.UploadId !== undefined && (input.Key ?? '').includes('/resume/') &&
      (args.request as { method?: string }).method === 'PUT';
    if (isPart && input.PartNumber === failPart && !failed) {
      failed = true;
      throw Object.assign(new Error('connection reset by the test'), { name: 'ECONNRESET', code: 'ECONNRESET', $metadata: {} });
    }
    if (isPart) sent.push(input.PartNumber ?? 0);
    return next(args);
  }, { step: 'finalizeRequest', priority: 'low', name: 'countParts' });
  return { sent };
}

describeEachBackend('S3RemoteStore resumable uploads', (getBackend) => {
  let fx: RemoteFixture;
  let journalDir: string;
  let journal: SqliteJournal;
  let cache: RemoteCache;

  beforeAll(async () => {
    fx = await startRemoteFixture(getBackend());
  });
  afterAll(async () => {
    await fx.dispose();
  });
  beforeEach(async () => {
    journalDir = await mkdtemp(join(tmpdir(), 'stratus-resume-'));
    journal = await SqliteJournal.open(join(journalDir, 'journal.db'));
    cache = { get: (k) => journal.getMeta(k), set: (k, v) => journal.setMeta(k, v), uploads: journal };
  });
  afterEach(async () => {
    await journal.close();
    await rm(journalDir, { recursive: true, force: true });
  });

  async function preparedStore(client: S3Client, options: Parameters<RemoteFixture['storeOn']>[1] = {}): Promise<S3RemoteStore> {
    const store = fx.storeOn(client, { ...OPTIONS, ...options });
    await store.prepare(cache);
    return store;
  }

  it('records the upload before sending parts and forgets it once complete; the object is the AWS multipart form', async () => {
    const data = pseudoRandomBytes(3 * PART + 1234, 11);
    const file = await fx.writeLocal('whole.bin', data);
    const key = `${fx.prefix}resume/whole.bin`;
    const client = fx.client();
    const { sent } = instrument(client);
    let recordedBeforeFirstPart = false;
    client.middlewareStack.add((next) => async (args) => {
      const input = args.input as { PartNumber?: number };
      if (input.PartNumber === 1) recordedBeforeFirstPart = (await journal.loadMultipartUpload(key)) !== undefined;
      return next(args);
    }, { step: 'initialize', name: 'checkRecord' });
    const store = await preparedStore(client);
    const progress: number[] = [];
    const { etag } = await store.upload({ key, ...file, ifNoneMatch: true, onProgress: (n) => progress.push(n) });

    expect(recordedBeforeFirstPart).toBe(true);
    expect(sent).toEqual([1, 2, 3, 4]);
    expect(etag).toBe(multipartEtag(data, PART).replace(/"/g, ''));
    expect(progress.at(-1)).toBe(data.length);
    expect((await store.head(key))?.md5).toBe(md5(data));
    expect(await journal.loadMultipartUpload(key)).toBeUndefined();
    expect(await fx.openUploads()).toBe(0);
  });

  it('after a failure at part 3, a new store (a restarted engine) sends only parts 3 and 4', async () => {
    const data = pseudoRandomBytes(3 * PART + 77, 12);
    const file = await fx.writeLocal('resume.bin', data);
    const key = `${fx.prefix}resume/resume.bin`;

    const first = fx.client({ maxAttempts: 1 });
    const firstParts = instrument(first, 3);
    const err = await rejection((await preparedStore(first)).upload({ key, ...file, ifNoneMatch: true }));
    expect(err.code).toBe('network');
    expect(firstParts.sent).toEqual([1, 2]);
    const kept = await journal.loadMultipartUpload(key);
    expect(kept?.parts.map((p) => p.partNumber)).toEqual([1, 2]);
    expect(await fx.openUploads()).toBe(1);

    const second = fx.client();
    const secondParts = instrument(second);
    const { etag } = await (await preparedStore(second)).upload({ key, ...file, ifNoneMatch: true });
    expect(secondParts.sent).toEqual([3, 4]);
    expect(etag).toBe(multipartEtag(data, PART).replace(/"/g, ''));
    expect(await journal.loadMultipartUpload(key)).toBeUndefined();
    expect(await fx.openUploads()).toBe(0);
  });

  it('a file that changed since the interrupted upload is uploaded afresh, and the old upload is aborted', async () => {
    const key = `${fx.prefix}resume/changed.bin`;
    const before = await fx.writeLocal('changed.bin', pseudoRandomBytes(2 * PART + 5, 13));
    const first = fx.client({ maxAttempts: 1 });
    instrument(first, 2);
    await rejection((await preparedStore(first)).upload({ key, ...before, ifNoneMatch: true }));
    const oldUpload = (await journal.loadMultipartUpload(key))?.upload.uploadId;
    expect(oldUpload).toBeDefined();

    const newer = pseudoRandomBytes(2 * PART + 5, 14);
    const after = await fx.writeLocal('changed.bin', newer);
    await utimes(after.filePath, new Date(), new Date(before.mtimeMs + 5000));
    const changed = { ...after, mtimeMs: before.mtimeMs + 5000 };
    const second = fx.client();
    const parts = instrument(second);
    const { etag } = await (await preparedStore(second)).upload({ key, ...changed, ifNoneMatch: true });
    expect(parts.sent).toEqual([1, 2, 3]);
    expect(etag).toBe(multipartEtag(newer, PART).replace(/"/g, ''));
    expect(await fx.openUploads()).toBe(0);
  });

  it('a recorded upload the server no longer has is started afresh', async () => {
    const data = pseudoRandomBytes(2 * PART + 9, 15);
    const file = await fx.writeLocal('lost.bin', data);
    const key = `${fx.prefix}resume/lost.bin`;
    const first = fx.client({ maxAttempts: 1 });
    instrument(first, 2);
    await rejection((await preparedStore(first)).upload({ key, ...file, ifNoneMatch: true }));
    const recorded = await journal.loadMultipartUpload(key);
    await fx.admin.send(new AbortMultipartUploadCommand({ Bucket: fx.bucket, Key: key, UploadId: recorded?.upload.uploadId }));

    const second = fx.client();
    const parts = instrument(second);
    const { etag } = await (await preparedStore(second)).upload({ key, ...file, ifNoneMatch: true });
    expect(parts.sent).toEqual([1, 2, 3]);
    expect(etag).toBe(multipartEtag(data, PART).replace(/"/g, ''));
  });

  it('adopts the upload of a process that died between CreateMultipartUpload and recording its id', async () => {
    const data = pseudoRandomBytes(2 * PART + 21, 22);
    const file = await fx.writeLocal('adopt.bin', data);
    const key = `${fx.prefix}resume/adopt.bin`;
    const first = fx.client({ maxAttempts: 1 });
    first.middlewareStack.add((next, context) => async (args) => {
      const out = await next(args);
      // The server created the upload; this process "dies" before the id reaches the journal.
      if (context.commandName === 'CreateMultipartUploadCommand' && (args.input as { Key?: string }).Key === key) {
        throw Object.assign(new Error('killed'), { name: 'ECONNRESET', code: 'ECONNRESET', $metadata: {} });
      }
      return out;
    }, { step: 'initialize', name: 'dieAfterCreate' });
    await rejection((await preparedStore(first)).upload({ key, ...file, ifNoneMatch: true }));
    expect((await journal.loadMultipartUpload(key))?.upload.uploadId).toBe('');
    expect(await fx.openUploads()).toBe(1);

    const second = fx.client();
    let creates = 0;
    second.middlewareStack.add((next, context) => async (args) => {
      if (context.commandName === 'CreateMultipartUploadCommand' && (args.input as { Key?: string }).Key === key) creates += 1;
      return next(args);
    }, { step: 'initialize', name: 'countCreates' });
    const { etag } = await (await preparedStore(second)).upload({ key, ...file, ifNoneMatch: true });
    expect(creates).toBe(0);
    expect(etag).toBe(multipartEtag(data, PART).replace(/"/g, ''));
    expect(await fx.openUploads()).toBe(0);
  });

  it('with the scan\'s part MD5s: uploads the scanned file, and a part changed after the scan is never completed', async () => {
    const part = DEFAULT_PART_SIZE;
    const data = pseudoRandomBytes(2 * part + 3, 18);
    const file = await fx.writeLocal('scanned.bin', data);
    const key = `${fx.prefix}resume/scanned.bin`;
    try {
      // What the scan does for a large file: the whole-file MD5 and the part MD5s in one pass.
      expect(await md5FileWithParts(file.filePath, file.size)).toBe(file.md5);
      expect(scannedPartMd5s(file.filePath, file.size, file.md5, part)).toHaveLength(3);
      const client = fx.client();
      const { sent } = instrument(client);
      const { etag } = await (await preparedStore(client, { partSize: part, queueSize: 2 })).upload({ key, ...file });
      expect(sent.sort()).toEqual([1, 2, 3]);
      expect(etag).toBe(multipartEtag(data, part).replace(/"/g, ''));

      // One byte of part 2 changes in place after the scan, same size and mtime: the scan's MD5 is stale.
      // Part 2 goes with the scan's MD5 as Content-MD5: the server refuses it (BadDigest), and the part's own MD5 shows the change.
      const changedKey = `${fx.prefix}resume/scanned-changed.bin`;
      const handle = await open(file.filePath, 'r+');
      await handle.write(Buffer.from([(data[part + 99] ?? 0) ^ 0xff]), 0, 1, part + 99);
      await handle.close();
      await utimes(file.filePath, new Date(), new Date(file.mtimeMs));
      const second = fx.client();
      const parts = instrument(second);
      const err = await rejection((await preparedStore(second, { partSize: part, queueSize: 1 })).upload({ key: changedKey, ...file }));
      expect(err.code).toBe('file-changed-during-upload');
      expect(parts.sent).not.toContain(3);
      expect(await (await preparedStore(fx.client())).head(changedKey)).toBeUndefined();
      expect(await journal.loadMultipartUpload(changedKey)).toBeUndefined();
      expect(await fx.admin.send(new ListMultipartUploadsCommand({ Bucket: fx.bucket, Prefix: changedKey })).then((o) => o.Uploads ?? [])).toEqual([]);
    } finally {
      forgetPartMd5s();
    }
  });

  it('a file that changes while its parts are read fails as file-changed and leaves no upload or record', async () => {
    const data = pseudoRandomBytes(2 * PART + 3, 16);
    const file = await fx.writeLocal('moving.bin', data);
    const key = `${fx.prefix}resume/moving.bin`;
    const client = fx.client();
    client.middlewareStack.add((next) => async (args) => {
      // Rewrite the last part's bytes in place once the first part is on its way.
      if ((args.input as { PartNumber?: number }).PartNumber === 1) {
        await writeFile(file.filePath, Buffer.concat([data.subarray(0, 2 * PART), Buffer.from('xyz')]));
        await utimes(file.filePath, new Date(), new Date(file.mtimeMs));
      }
      return next(args);
    }, { step: 'initialize', name: 'rewrite' });
    const err = await rejection((await preparedStore(client)).upload({ key, ...file }));
    expect(err.code).toBe('file-changed-during-upload');
    expect(await journal.loadMultipartUpload(key)).toBeUndefined();
    expect(await fx.openUploads()).toBe(0);
    expect(await fx.admin.send(new ListMultipartUploadsCommand({ Bucket: fx.bucket, Prefix: key })).then((o) => o.Uploads ?? [])).toEqual([]);
  });

  it('recognises a CompleteMultipartUpload that succeeded although its answer was lost (the retry finds no upload)', async () => {
    const data = pseudoRandomBytes(2 * PART + 1, 17);
    const file = await fx.writeLocal('lostanswer.bin', data);
    const key = `${fx.prefix}resume/lostanswer.bin`;
    const client = fx.client({ maxAttempts: 3 });
    let completes = 0;
    client.middlewareStack.add((next, context) => async (args) => {
      if (context.commandName !== 'CompleteMultipartUploadCommand' || (args.input as { Key?: string }).Key !== key) return next(args);
      completes += 1;
      const out = await next(args);
      // The server completed the upload; the client never hears of it and retries.
      if (completes === 1) throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET', $metadata: {} });
      return out;
    }, { step: 'finalizeRequest', priority: 'low', name: 'loseAnswer' });
    const { etag } = await (await preparedStore(client)).upload({ key, ...file, ifNoneMatch: true });
    expect(completes).toBe(2);
    expect(etag).toBe(multipartEtag(data, PART).replace(/"/g, ''));
    expect(await journal.loadMultipartUpload(key)).toBeUndefined();
  });

  it('prepare aborts recorded uploads whose file vanished, and unknown uploads of the prefix once stale, keeping young ones', async () => {
    const data = pseudoRandomBytes(2 * PART + 1, 18);
    const file = await fx.writeLocal('vanish.bin', data);
    const key = `${fx.prefix}resume/vanish.bin`;
    const first = fx.client({ maxAttempts: 1 });
    instrument(first, 2);
    await rejection((await preparedStore(first)).upload({ key, ...file }));
    const foreign = await fx.admin.send(new CreateMultipartUploadCommand({ Bucket: fx.bucket, Key: `${fx.prefix}resume/foreign.bin` }));
    expect(await fx.openUploads()).toBe(2);

    // Young: a daily check with the default 7-day age keeps the unknown upload (it may be another device's).
    await rm(file.filePath);
    await preparedStore(fx.client());
    expect(await journal.loadMultipartUpload(key)).toBeUndefined();
    expect(await fx.openUploads()).toBe(1);

    // Stale: with an age of 0 the unknown upload goes too — but only at the next server check.
    await preparedStore(fx.client(), { staleUploadAgeMs: 0 });
    expect(await fx.openUploads()).toBe(1);
    await preparedStore(fx.client(), { staleUploadAgeMs: 0, staleUploadCheckMs: 0 });
    expect(await fx.openUploads()).toBe(0);
    expect(foreign.UploadId).toBeDefined();
  });

  it('a bandwidth limit paces uploads: 6 parts of 5 MiB at 10 MiB/s take at least 1.5 s', async () => {
    const data = pseudoRandomBytes(6 * PART, 19);
    const file = await fx.writeLocal('paced.bin', data);
    const store = await preparedStore(fx.client(), { bandwidth: { uploadBytesPerSecond: 10 * MiB } });
    const started = performance.now();
    await store.upload({ key: `${fx.prefix}resume/paced.bin`, ...file });
    // A second's worth (10 MiB) may go at once, plus one part on credit; the other three wait 0.5 s each.
    expect(performance.now() - started).toBeGreaterThanOrEqual(1450);
  });

  it('a download bandwidth limit paces the body: 20 MiB at 10 MiB/s take at least 0.95 s', async () => {
    const data = pseudoRandomBytes(20 * MiB, 20);
    const key = `${fx.prefix}resume/paced-down.bin`;
    await fx.put(key, data);
    const store = await preparedStore(fx.client(), { bandwidth: { downloadBytesPerSecond: 10 * MiB } });
    const started = performance.now();
    const info = await store.download({ key, toFile: join(journalDir, 'down.bin') });
    // A second's worth may arrive at once; the other 10 MiB need a second at the limit.
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(info.md5).toBe(md5(data));
  });
});
