/**
 * The hash workers (src/engine/hash/hashPool.ts) and the scan's part MD5s
 * (partHashes.ts): every digest equals node:crypto's / zlib's over the same
 * bytes, a stream keeps the order of its updates under concurrent load, the
 * pool still answers (on the calling thread) without workers, and a single
 * changed byte shows in the part MD5 the upload compares with the scan's.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HashPool, SharedBufferPool, sharedBuffer } from '../../../src/engine/hash/hashPool.js';
import { receiveToFile } from '../../../src/engine/remote/fileStreams.js';
import { DEFAULT_PART_SIZE, forgetPartMd5s, md5FileWithParts, scannedPartMd5s } from '../../../src/engine/hash/partHashes.js';

const MiB = 1024 * 1024;
const md5 = (data: Uint8Array): string => createHash('md5').update(data).digest('hex');

describe('HashPool', () => {
  const pool = new HashPool(2);
  afterAll(async () => {
    await pool.close();
  });

  it('computes MD5, SHA-256 and CRC32 of shared and ordinary buffers as node:crypto and zlib do', async () => {
    const plain = randomBytes(3 * MiB + 17);
    const shared = sharedBuffer(plain.length);
    shared.set(plain);
    for (const data of [plain, shared, plain.subarray(5, 1000), shared.subarray(MiB, 2 * MiB + 3), Buffer.alloc(0)]) {
      const d = await pool.digest(data, ['md5', 'sha256', 'crc32']);
      expect(d.md5?.toString('hex')).toBe(md5(data));
      expect(d.sha256?.toString('hex')).toBe(createHash('sha256').update(data).digest('hex'));
      expect(d.crc32).toBe(crc32(data));
    }
    const onlyMd5 = await pool.digest(plain, ['md5']);
    expect(onlyMd5.sha256).toBeUndefined();
    expect(onlyMd5.crc32).toBeUndefined();
  });

  it('keeps a stream\'s updates in order while other digests run on the same workers', async () => {
    const pieces = Array.from({ length: 40 }, (_, i) => randomBytes(64 * 1024 + i * 513));
    const stream = pool.md5Stream();
    const other = pool.md5Stream();
    const busy: Promise<unknown>[] = [];
    const updates: Promise<void>[] = [];
    for (const piece of pieces) {
      updates.push(stream.update(piece));
      updates.push(other.update(piece.subarray(0, 10)));
      busy.push(pool.digest(piece, ['sha256']));
    }
    await Promise.all([...updates, ...busy]);
    expect((await stream.digest()).toString('hex')).toBe(md5(Buffer.concat(pieces)));
    expect((await other.digest()).toString('hex')).toBe(md5(Buffer.concat(pieces.map((p) => p.subarray(0, 10)))));
    await expect(stream.update(Buffer.from('late'))).rejects.toThrow();
  });

  it('a stream over a shared buffer refilled after each update hashes what each update held', async () => {
    const buffer = sharedBuffer(MiB);
    const stream = pool.md5Stream();
    const all = createHash('md5');
    for (let i = 0; i < 6; i++) {
      buffer.fill(i * 37);
      all.update(buffer);
      await stream.update(buffer); // The buffer may be changed once the update has resolved.
    }
    expect((await stream.digest()).toString('hex')).toBe(all.digest('hex'));
  });

  it('hashes on the calling thread when a worker cannot even start', async () => {
    const failing = new HashPool(1, 'throw new Error("no worker here");');
    try {
      const data = randomBytes(MiB + 9);
      const stream = failing.md5Stream();
      // Updates given one after another without waiting, as the scan and downloads do.
      const updates = [stream.update(data.subarray(0, 10)), stream.update(data.subarray(10, 5000))];
      expect((await failing.digest(data, ['md5', 'crc32'])).md5?.toString('hex')).toBe(md5(data));
      await Promise.all(updates);
      await stream.update(data.subarray(5000));
      expect((await stream.digest()).toString('hex')).toBe(md5(data));
    } finally {
      await failing.close();
    }
  });

  it('still hashes correctly without workers (on the calling thread)', async () => {
    const closed = new HashPool(1);
    await closed.close();
    const data = randomBytes(MiB + 3);
    expect((await closed.digest(data, ['md5'])).md5?.toString('hex')).toBe(md5(data));
    const stream = closed.md5Stream();
    await stream.update(data.subarray(0, 100));
    await stream.update(data.subarray(100));
    expect((await stream.digest()).toString('hex')).toBe(md5(data));
  });
});

describe('SharedBufferPool', () => {
  it('hands out at most `count` buffers and gives a returned one to the next waiter', async () => {
    const buffers = new SharedBufferPool(16, 2);
    const a = await buffers.take();
    const b = await buffers.take();
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    let third: Buffer | undefined;
    const waiting = buffers.take().then((buffer) => {
      third = buffer;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(third).toBeUndefined();
    buffers.give(a);
    await waiting;
    expect(third).toBe(a);
    expect(b).not.toBe(a);
  });
});

describe('md5FileWithParts', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stratus-parthash-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    forgetPartMd5s();
  });

  it('returns the whole-file MD5 and records the MD5 of every part of the upload\'s part size', async () => {
    const data = randomBytes(2 * DEFAULT_PART_SIZE + 12345);
    const path = join(dir, 'three-parts.bin');
    await writeFile(path, data);
    const whole = await md5FileWithParts(path, data.length);
    expect(whole).toBe(md5(data));
    const parts = scannedPartMd5s(path, data.length, whole, DEFAULT_PART_SIZE);
    expect(parts?.map((p) => p.toString('hex'))).toEqual([0, 1, 2].map((n) => md5(data.subarray(n * DEFAULT_PART_SIZE, (n + 1) * DEFAULT_PART_SIZE))));
    // Only for the very version (size, MD5) and part size it was computed for.
    expect(scannedPartMd5s(path, data.length, md5(Buffer.from('other')), DEFAULT_PART_SIZE)).toBeUndefined();
    expect(scannedPartMd5s(path, data.length + 1, whole, DEFAULT_PART_SIZE)).toBeUndefined();
    expect(scannedPartMd5s(path, data.length, whole, 2 * DEFAULT_PART_SIZE)).toBeUndefined();
  });

  it('a single byte changed after the scan shows in that part\'s MD5 (what the upload compares before sending it)', async () => {
    const data = randomBytes(2 * DEFAULT_PART_SIZE + 7);
    const path = join(dir, 'corrupt.bin');
    await writeFile(path, data);
    const whole = await md5FileWithParts(path, data.length);
    const parts = scannedPartMd5s(path, data.length, whole, DEFAULT_PART_SIZE);
    expect(parts).toHaveLength(3);

    // One bit of part 2 flips in place (same size).
    const at = DEFAULT_PART_SIZE + 4242;
    const file = await open(path, 'r+');
    await file.write(Buffer.from([(data[at] ?? 0) ^ 1]), 0, 1, at);
    await file.close();

    const pool = new HashPool(1);
    try {
      const reread = await open(path, 'r');
      const buffer = Buffer.alloc(DEFAULT_PART_SIZE);
      const seen: boolean[] = [];
      for (let n = 0; n < 3; n++) {
        const { bytesRead } = await reread.read(buffer, 0, DEFAULT_PART_SIZE, n * DEFAULT_PART_SIZE);
        const digest = await pool.digest(buffer.subarray(0, bytesRead), ['md5']);
        seen.push(digest.md5?.equals(parts?.[n] ?? Buffer.alloc(0)) === true);
      }
      await reread.close();
      expect(seen).toEqual([true, false, true]);
    } finally {
      await pool.close();
    }
    // And the file's MD5 is no longer the scanned one.
    expect(await md5FileWithParts(path, data.length)).not.toBe(whole);
  });

  it('hashes an empty file, and a file that grew since it was listed, to its end', async () => {
    const empty = join(dir, 'empty.bin');
    await writeFile(empty, Buffer.alloc(0));
    expect(await md5FileWithParts(empty, 0)).toBe(md5(Buffer.alloc(0)));
    const data = randomBytes(DEFAULT_PART_SIZE + 5);
    const grown = join(dir, 'grown.bin');
    await writeFile(grown, data);
    const whole = await md5FileWithParts(grown, 10);
    expect(whole).toBe(md5(data));
    expect(scannedPartMd5s(grown, data.length, whole, DEFAULT_PART_SIZE)).toHaveLength(2);
  });

  it('fails with the file system\'s error for a missing file', async () => {
    await expect(md5FileWithParts(join(dir, 'missing.bin'), 100 * MiB)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('receiveToFile, hashed on a worker or (small bodies) in place', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stratus-receive-hash-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['a large body on the worker', 3 * MiB + 5, undefined],
    ['a large announced body on the worker', 2 * MiB + 1, 2 * MiB + 1],
    ['a small announced body in place', 300_000, 300_000],
    ['a body longer than announced, whole', 200_000, 4096],
  ])('%s: the file holds every byte and the MD5 is theirs', async (name, size, expectedBytes) => {
    const data = randomBytes(size);
    const chunks: Buffer[] = [];
    for (let at = 0; at < size; at += 65_537) chunks.push(data.subarray(at, Math.min(size, at + 65_537)));
    const path = join(dir, name.replace(/\W+/g, '-'));
    const file = await open(path, 'wx', 0o600);
    try {
      const result = await receiveToFile(Readable.from(chunks), file, expectedBytes === undefined ? {} : { expectedBytes });
      expect(result).toEqual({ bytes: size, md5: md5(data) });
    } finally {
      await file.close();
    }
    expect((await readFile(path)).equals(data)).toBe(true);
  });
});
