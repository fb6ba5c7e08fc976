import { chmod, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StratusError } from '../../../src/core/StratusError.js';
import { JOURNAL_SCHEMA_VERSION, SqliteJournal } from '../../../src/engine/journal/SqliteJournal.js';
import type { HashCacheEntry, RetryRecord } from '../../../src/engine/ports.js';
import { hashEntry, realisticPath, syncedFile, syncedFolder } from './journalFixtures.js';

let dir: string;
let file: string;
const opened: SqliteJournal[] = [];

async function openJournal(at = file): Promise<SqliteJournal> {
  const journal = await SqliteJournal.open(at);
  opened.push(journal);
  return journal;
}

/** Reads one pragma through a separate plain connection, as an outsider would. */
function pragma(at: string, name: string): unknown {
  const db = new DatabaseSync(at);
  try {
    return db.prepare(`PRAGMA ${name}`).get()?.[name];
  } finally {
    db.close();
  }
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-journal-'));
  file = join(dir, 'state', 'journal.sqlite');
});

afterEach(async () => {
  for (const journal of opened.splice(0)) await journal.close();
  await rm(dir, { recursive: true, force: true });
});

describe('SqliteJournal', () => {
  it('creates missing parent folders and a WAL database at the current schema version', async () => {
    await openJournal();
    expect(existsSync(file)).toBe(true);
    expect(pragma(file, 'journal_mode')).toBe('wal');
    expect(pragma(file, 'user_version')).toBe(JOURNAL_SCHEMA_VERSION);
    expect(JOURNAL_SCHEMA_VERSION).toBe(2);
  });

  it.skipIf(process.platform === 'win32')('keeps the journal and its WAL private to the user (0600; POSIX modes only)', async () => {
    const journal = await openJournal();
    await journal.setMeta('probe', 'x');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(`${file}-wal`)).mode & 0o777).toBe(0o600);
  });

  it.skipIf(process.platform === 'win32')('tightens an existing journal file that others could read (POSIX modes only)', async () => {
    await (await open(join(dir, 'loose.sqlite'), 'w', 0o644)).close();
    await chmod(join(dir, 'loose.sqlite'), 0o644);
    await openJournal(join(dir, 'loose.sqlite'));
    expect((await stat(join(dir, 'loose.sqlite'))).mode & 0o777).toBe(0o600);
  });

  it('round-trips synced entries, keeping absent inode and md5 absent', async () => {
    const journal = await openJournal();
    const file1 = syncedFile('Docs/ünïcödé report.txt', 3);
    const folder = syncedFolder('Docs');
    // Values that break naive storage: inode beyond 2^53, fractional mtime.
    const odd = { ...syncedFile('big.bin', 4), local: { size: 2 ** 40, mtimeMs: 1_764_000_000_123.456, inode: 2 ** 60 + 2 ** 10 } };
    await journal.putSynced(file1);
    await journal.putSynced(folder);
    await journal.putSynced(odd);

    const loaded = await journal.loadSynced();
    expect([...loaded.keys()].sort()).toEqual(['Docs', 'Docs/ünïcödé report.txt', 'big.bin']);
    expect(loaded.get('Docs/ünïcödé report.txt')).toEqual(file1);
    expect(loaded.get('Docs')).toEqual(folder);
    expect(loaded.get('Docs')).not.toHaveProperty('md5');
    expect(loaded.get('Docs')?.local).not.toHaveProperty('inode');
    expect(loaded.get('big.bin')).toEqual(odd);
  });

  it('replaces the synced entry of a path and forgets it on request', async () => {
    const journal = await openJournal();
    await journal.putSynced(syncedFile('a.txt', 1));
    await journal.putSynced(syncedFile('a.txt', 2));
    expect(await journal.loadSynced()).toEqual(new Map([['a.txt', syncedFile('a.txt', 2)]]));

    await journal.forgetSynced('a.txt');
    await journal.forgetSynced('never-synced.txt');
    expect((await journal.loadSynced()).size).toBe(0);
  });

  it('applies a batch of puts and forgets together (a folder move)', async () => {
    const journal = await openJournal();
    await journal.batch({ put: [syncedFolder('old'), syncedFile('old/a.txt'), syncedFile('old/b.txt')] });
    await journal.batch({
      forget: ['old', 'old/a.txt', 'old/b.txt'],
      put: [syncedFolder('new'), syncedFile('new/a.txt'), syncedFile('new/b.txt')],
    });
    expect([...(await journal.loadSynced()).keys()].sort()).toEqual(['new', 'new/a.txt', 'new/b.txt']);
    await journal.batch({});
  });

  it('applies nothing of a batch that fails half-way', async () => {
    const journal = await openJournal();
    await journal.putSynced(syncedFile('keep.txt'));
    const invalid = { ...syncedFile('z-bad.txt'), kind: 'symlink' } as unknown as ReturnType<typeof syncedFile>;

    const failing = journal.batch({ forget: ['keep.txt'], put: [syncedFile('a.txt'), syncedFile('b.txt'), invalid] });
    await expect(failing).rejects.toBeInstanceOf(StratusError);
    await expect(failing).rejects.toMatchObject({ code: 'journal-invalid-entry', severity: 'item' });

    expect([...(await journal.loadSynced()).keys()]).toEqual(['keep.txt']);
    // The connection is usable afterwards (the transaction was rolled back, not left open).
    await journal.putSynced(syncedFile('after.txt'));
    expect((await journal.loadSynced()).size).toBe(2);
  });

  it('rejects an invalid single entry as an item error naming the path', async () => {
    const journal = await openJournal();
    const invalid = { ...syncedFile('x.txt'), kind: 'link' } as unknown as ReturnType<typeof syncedFile>;
    await expect(journal.putSynced(invalid)).rejects.toMatchObject({ code: 'journal-invalid-entry', path: 'x.txt' });
    expect((await journal.loadSynced()).size).toBe(0);
  });

  it('round-trips, replaces and clears retry records', async () => {
    const journal = await openJournal();
    const first: RetryRecord = { path: 'a.txt', attempts: 1, nextAttemptAt: 1_764_000_001_234.5, lastError: 'HTTP 503 SlowDown' };
    const other: RetryRecord = { path: 'b.txt', attempts: 0, nextAttemptAt: 0, lastError: '' };
    await journal.putRetry(first);
    await journal.putRetry(other);
    await journal.putRetry({ ...first, attempts: 2, lastError: 'EBUSY' });
    expect(await journal.loadRetries()).toEqual(
      new Map([
        ['a.txt', { ...first, attempts: 2, lastError: 'EBUSY' }],
        ['b.txt', other],
      ]),
    );
    await journal.clearRetry('a.txt');
    await journal.clearRetry('unknown.txt');
    expect([...(await journal.loadRetries()).keys()]).toEqual(['b.txt']);
  });

  it('stores and overwrites settings', async () => {
    const journal = await openJournal();
    expect(await journal.getMeta('sync-root-id')).toBeUndefined();
    await journal.setMeta('sync-root-id', 'r1');
    await journal.setMeta('capabilities', '{"conditionalWrites":true}');
    await journal.setMeta('sync-root-id', 'r2');
    expect(await journal.getMeta('sync-root-id')).toBe('r2');
    expect(await journal.getMeta('capabilities')).toBe('{"conditionalWrites":true}');
    await journal.setMeta('empty', '');
    expect(await journal.getMeta('empty')).toBe('');
  });

  it('replaces the hash cache with the last scan, dropping vanished paths', async () => {
    const journal = await openJournal();
    await journal.replaceHashes([hashEntry('a', 1), hashEntry('b', 2), hashEntry('c', 3)]);
    expect(await journal.loadHashes()).toEqual(
      new Map([
        ['a', hashEntry('a', 1)],
        ['b', hashEntry('b', 2)],
        ['c', hashEntry('c', 3)],
      ]),
    );

    // Any iterable will do: a generator, as a scan would yield entries.
    function* scan(): Generator<HashCacheEntry> {
      yield hashEntry('a', 1);
      yield { ...hashEntry('c', 3), mtimeMs: 5.5, md5: 'ffffffffffffffffffffffffffffffff' };
      yield hashEntry('d', 4);
    }
    await journal.replaceHashes(scan());
    expect(await journal.loadHashes()).toEqual(
      new Map([
        ['a', hashEntry('a', 1)],
        ['c', { ...hashEntry('c', 3), mtimeMs: 5.5, md5: 'ffffffffffffffffffffffffffffffff' }],
        ['d', hashEntry('d', 4)],
      ]),
    );

    await journal.replaceHashes([]);
    expect((await journal.loadHashes()).size).toBe(0);
  });

  it('keeps the previous hash cache when the scan fails while being saved', async () => {
    const journal = await openJournal();
    await journal.replaceHashes([hashEntry('a', 1), hashEntry('b', 2)]);
    function* brokenScan(): Generator<HashCacheEntry> {
      yield hashEntry('new', 9);
      throw new Error('scan aborted');
    }
    await expect(journal.replaceHashes(brokenScan())).rejects.toBeInstanceOf(StratusError);
    expect([...(await journal.loadHashes()).keys()].sort()).toEqual(['a', 'b']);
  });

  it('keeps everything across close and reopen', async () => {
    const first = await SqliteJournal.open(file);
    await first.batch({ put: [syncedFolder('f'), syncedFile('f/x.txt', 7)] });
    await first.putRetry({ path: 'f/y.txt', attempts: 3, nextAttemptAt: 99, lastError: 'timeout' });
    await first.setMeta('k', 'v');
    await first.replaceHashes([hashEntry('f/x.txt', 7)]);
    await first.close();

    const second = await openJournal();
    expect(await second.loadSynced()).toEqual(new Map([['f', syncedFolder('f')], ['f/x.txt', syncedFile('f/x.txt', 7)]]));
    expect(await second.loadRetries()).toEqual(new Map([['f/y.txt', { path: 'f/y.txt', attempts: 3, nextAttemptAt: 99, lastError: 'timeout' }]]));
    expect(await second.getMeta('k')).toBe('v');
    expect(await second.loadHashes()).toEqual(new Map([['f/x.txt', hashEntry('f/x.txt', 7)]]));
    // A clean close checkpoints the WAL into the main file and removes it.
    await second.close();
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  it('lets two connections share the journal (the second waits, it does not fail)', async () => {
    const one = await openJournal();
    const two = await openJournal();
    await one.putSynced(syncedFile('from-one.txt'));
    await two.batch({ put: [syncedFile('from-two.txt')] });
    expect([...(await one.loadSynced()).keys()].sort()).toEqual(['from-one.txt', 'from-two.txt']);
  });

  it('can be closed twice, and refuses any use after closing', async () => {
    const journal = await SqliteJournal.open(file);
    await journal.close();
    await journal.close();
    const uses: (() => Promise<unknown>)[] = [
      () => journal.loadSynced(),
      () => journal.putSynced(syncedFile('a')),
      () => journal.forgetSynced('a'),
      () => journal.batch({ forget: ['a'] }),
      () => journal.loadRetries(),
      () => journal.putRetry({ path: 'a', attempts: 1, nextAttemptAt: 0, lastError: '' }),
      () => journal.clearRetry('a'),
      () => journal.getMeta('a'),
      () => journal.setMeta('a', 'b'),
      () => journal.loadHashes(),
      () => journal.replaceHashes([]),
    ];
    for (const use of uses) {
      await expect(use()).rejects.toMatchObject({ name: 'StratusError', code: 'journal-closed', severity: 'fatal' });
    }
  });

  it('records multipart uploads in progress with their parts; a new upload of the key replaces the old one and its parts', async () => {
    const journal = await openJournal();
    const record = {
      key: 'p/big.bin', uploadId: 'u-1', filePath: '/sync/big.bin', size: 20_000_000, mtimeMs: 1_700_000_000_123.5,
      inode: 2 ** 53 + 2, md5: 'a'.repeat(32), partSize: 8_388_608, createdAt: 1_700_000_001_000,
    };
    await journal.beginMultipartUpload(record);
    await journal.putMultipartPart('p/big.bin', 'u-1', { partNumber: 2, etag: 'e2', size: 8_388_608 });
    await journal.putMultipartPart('p/big.bin', 'u-1', { partNumber: 1, etag: 'e1', size: 8_388_608 });
    // A late part of an upload that is not (or no longer) the recorded one is dropped.
    await journal.putMultipartPart('p/big.bin', 'u-0', { partNumber: 3, etag: 'old', size: 1 });
    expect(await journal.loadMultipartUpload('p/big.bin')).toEqual({
      upload: record,
      parts: [{ partNumber: 1, etag: 'e1', size: 8_388_608 }, { partNumber: 2, etag: 'e2', size: 8_388_608 }],
    });

    await journal.beginMultipartUpload({ ...record, uploadId: 'u-2' });
    expect((await journal.loadMultipartUpload('p/big.bin'))?.parts).toEqual([]);
    expect((await journal.loadMultipartUploads()).map((r) => r.uploadId)).toEqual(['u-2']);
    await journal.forgetMultipartUpload('p/big.bin');
    expect(await journal.loadMultipartUpload('p/big.bin')).toBeUndefined();
    expect(await journal.loadMultipartUploads()).toEqual([]);
  });

  it('migrates a version 1 journal to the current version, keeping its rows', async () => {
    const db = new DatabaseSync(file.replace('state/', ''));
    db.exec(`
      CREATE TABLE synced (path TEXT NOT NULL PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('file', 'folder')), local_size INTEGER NOT NULL,
        local_mtime_ms REAL NOT NULL, local_inode REAL, remote_key TEXT NOT NULL, remote_etag TEXT NOT NULL, remote_size INTEGER NOT NULL, md5 TEXT) WITHOUT ROWID, STRICT;
      CREATE TABLE retry (path TEXT NOT NULL PRIMARY KEY, attempts INTEGER NOT NULL, next_attempt_at REAL NOT NULL, last_error TEXT NOT NULL) WITHOUT ROWID, STRICT;
      CREATE TABLE hash_cache (path TEXT NOT NULL PRIMARY KEY, inode REAL NOT NULL, size INTEGER NOT NULL, mtime_ms REAL NOT NULL, ctime_ms REAL NOT NULL, md5 TEXT NOT NULL) WITHOUT ROWID, STRICT;
      CREATE TABLE meta (key TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID, STRICT;
      INSERT INTO meta (key, value) VALUES ('kept', 'yes');
      PRAGMA user_version = 1;
    `);
    db.close();
    const journal = await openJournal(file.replace('state/', ''));
    expect(await journal.getMeta('kept')).toBe('yes');
    expect(await journal.loadMultipartUploads()).toEqual([]);
    expect(pragma(file.replace('state/', ''), 'user_version')).toBe(JOURNAL_SCHEMA_VERSION);
  });

  it('refuses a journal written by a newer Stratus and leaves it untouched', async () => {
    const journal = await SqliteJournal.open(file);
    await journal.putSynced(syncedFile('a.txt'));
    await journal.close();
    const db = new DatabaseSync(file);
    db.exec('PRAGMA user_version = 7');
    db.close();
    const before = await readFile(file);

    const opening = SqliteJournal.open(file);
    await expect(opening).rejects.toBeInstanceOf(StratusError);
    await expect(opening).rejects.toMatchObject({ code: 'journal-too-new', severity: 'fatal' });
    await expect(opening).rejects.toThrow(new RegExp(`version 7.*only up to version ${JOURNAL_SCHEMA_VERSION}`));
    expect((await readFile(file)).equals(before)).toBe(true);
    expect(pragma(file, 'user_version')).toBe(7);
  });

  it('opens an empty file as a new journal (version 0 is migrated)', async () => {
    await writeFile(join(dir, 'empty.sqlite'), '');
    const journal = await openJournal(join(dir, 'empty.sqlite'));
    await journal.setMeta('k', 'v');
    expect(pragma(join(dir, 'empty.sqlite'), 'user_version')).toBe(JOURNAL_SCHEMA_VERSION);
  });

  it('reports a file of random bytes as a damaged journal and says what to do', async () => {
    await writeFile(join(dir, 'junk.sqlite'), Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919 + 13) % 256)));
    const opening = SqliteJournal.open(join(dir, 'junk.sqlite'));
    await expect(opening).rejects.toMatchObject({ code: 'journal-corrupt', severity: 'fatal' });
    await expect(opening).rejects.toThrow(/junk\.sqlite is damaged.*move that file/s);
  });

  it('reports a journal with damaged pages behind a valid header as damaged', async () => {
    const journal = await SqliteJournal.open(file);
    await journal.batch({ put: Array.from({ length: 200 }, (_, i) => syncedFile(realisticPath(i), i)) });
    await journal.close();
    const handle = await open(file, 'r+');
    // Overwrite page 3 onward (4 KiB pages) with bytes no B-tree page starts with.
    await handle.write(Buffer.alloc(4096 * 2, 0xa5), 0, 4096 * 2, 4096 * 2);
    await handle.close();
    await expect(SqliteJournal.open(file)).rejects.toMatchObject({ code: 'journal-corrupt', severity: 'fatal' });
  });

  it('stays within 1 KiB on disk per tracked file (10,000 synced + 10,000 hash rows)', async () => {
    const count = 10_000;
    const journal = await SqliteJournal.open(file);
    const paths = Array.from({ length: count }, (_, i) => realisticPath(i));
    const entries = paths.map((p, i) => syncedFile(p, i));
    const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
    // The budget is only meaningful for realistic lengths: ~60-character paths, ~110-character keys.
    expect(mean(entries.map((e) => e.path.length))).toBeGreaterThanOrEqual(58);
    expect(mean(entries.map((e) => e.remote.key.length))).toBeGreaterThanOrEqual(105);

    const hashRows = paths.map((p, i) => hashEntry(p, i));

    let t = performance.now();
    await journal.batch({ put: entries });
    const batchMs = performance.now() - t;
    t = performance.now();
    await journal.replaceHashes(hashRows);
    const hashMs = performance.now() - t;
    t = performance.now();
    await journal.replaceHashes(hashRows);
    const unchangedHashMs = performance.now() - t;
    t = performance.now();
    const synced = await journal.loadSynced();
    const loadMs = performance.now() - t;
    t = performance.now();
    const hashes = await journal.loadHashes();
    const loadHashMs = performance.now() - t;
    const updates = entries.slice(0, 1000).map((e, i) => syncedFile(e.path, i + 1));
    t = performance.now();
    for (const update of updates) await journal.putSynced(update);
    const singleMs = performance.now() - t;
    expect(synced.size).toBe(count);
    expect(hashes.size).toBe(count);
    expect(synced.get(paths[1234] ?? '')).toEqual(entries[1234]);
    await journal.close();

    const walBytes = existsSync(`${file}-wal`) ? (await stat(`${file}-wal`)).size : 0;
    const bytes = (await stat(file)).size + walBytes;
    const perFile = bytes / count;
    console.log(
      `journal size: ${bytes} bytes for ${count} files = ${perFile.toFixed(0)} bytes/file; ` +
        `batch put ${count}: ${batchMs.toFixed(0)} ms, replaceHashes ${count}: ${hashMs.toFixed(0)} ms ` +
        `(unchanged again: ${unchangedHashMs.toFixed(0)} ms), loadSynced: ${loadMs.toFixed(0)} ms, ` +
        `loadHashes: ${loadHashMs.toFixed(0)} ms, 1000 single putSynced: ${singleMs.toFixed(0)} ms`,
    );
    expect(perFile).toBeLessThanOrEqual(1024);
  });
});
