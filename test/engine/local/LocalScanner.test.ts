import { execFileSync } from 'node:child_process';
import { chmod, mkdir, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isCanonicalName } from '../../../src/core/names.js';
import { IgnoreRules } from '../../../src/engine/local/IgnoreRules.js';
import { createLoggerFactory } from '../../../src/engine/logger.js';
import { scanLocal } from '../../../src/engine/local/LocalScanner.js';
import { MemoryHashCache, md5, scan, tempRoots, writeTree } from './localFixtures.js';

const roots = tempRoots();
afterEach(roots.cleanup);

const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e';
const isRoot = process.getuid?.() === 0;

describe('scanLocal entries', () => {
  it('lists files and folders with core paths, sizes, inodes and content MD5s', async () => {
    const root = await roots.make();
    await writeTree(root, { 'a.txt': 'hello', 'docs/b.md': 'bee', 'docs/deep/c.bin': 'x'.repeat(3_000_000) });
    const lines: string[] = [];
    const log = createLoggerFactory({ write: (line) => lines.push(line) })('local');
    const { snapshot, stats, hashed, unsettled } = await scan(root, { log });

    expect([...snapshot.entries.keys()]).toEqual(['a.txt', 'docs', 'docs/b.md', 'docs/deep', 'docs/deep/c.bin']);
    const a = snapshot.entries.get('a.txt');
    const aStats = await stat(join(root, 'a.txt'));
    expect(a).toEqual({ path: 'a.txt', kind: 'file', size: 5, mtimeMs: aStats.mtimeMs, inode: aStats.ino, md5: md5('hello') });
    // Larger than one 1 MiB read, so the streaming hash is exercised across chunks.
    expect(snapshot.entries.get('docs/deep/c.bin')?.md5).toBe(md5('x'.repeat(3_000_000)));
    expect(snapshot.entries.get('docs')).toMatchObject({ kind: 'folder', size: 0 });
    expect(snapshot.entries.get('docs')?.md5).toBeUndefined();
    expect(stats).toEqual({ files: 3, folders: 2, bytes: 5 + 3 + 3_000_000 });
    expect(hashed).toBe(3);
    expect(snapshot.problems).toEqual([]);
    expect(unsettled.size).toBe(0);
    // One info line per scan with the totals, and no file contents.
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toMatchObject([
      { level: 'info', module: 'local', msg: 'local scan finished', files: 3, folders: 2, hashed: 3, problems: 0 },
    ]);
  });

  it('keeps zero-byte files as files and empty folders as folders', async () => {
    const root = await roots.make();
    await writeTree(root, { 'empty.txt': '' });
    await mkdir(join(root, 'nothing/inside'), { recursive: true });
    const { snapshot } = await scan(root);
    expect(snapshot.entries.get('empty.txt')).toMatchObject({ kind: 'file', size: 0, md5: EMPTY_MD5 });
    expect(snapshot.entries.get('nothing')).toMatchObject({ kind: 'folder' });
    expect(snapshot.entries.get('nothing/inside')).toMatchObject({ kind: 'folder' });
  });

  it('keeps files with implausible modification times, as reported, and does not re-read them', async () => {
    const root = await roots.make();
    await writeTree(root, { 'old.txt': 'o', 'future.txt': 'f', 'epoch.txt': 'e' });
    // Node's utimes turns negative times into "now", so set a pre-1970 time with touch.
    execFileSync('touch', ['-d', '1969-12-31 00:00:00 UTC', join(root, 'old.txt')]);
    const farFuture = Date.UTC(2200, 0, 1) / 1000;
    await utimes(join(root, 'future.txt'), farFuture, farFuture);
    await utimes(join(root, 'epoch.txt'), 0, 0);
    const cache = new MemoryHashCache();
    const first = await scan(root, { hashCache: cache });
    expect(first.snapshot.entries.get('old.txt')?.mtimeMs).toBe(-86_400_000);
    expect(first.snapshot.entries.get('future.txt')?.mtimeMs).toBe(farFuture * 1000);
    expect(first.snapshot.entries.get('epoch.txt')?.mtimeMs).toBe(0);
    // Stable odd times must not look like a change on every scan (SCENARIOS 25).
    const second = await scan(root, { hashCache: cache });
    expect(second.hashed).toBe(0);
    expect(second.snapshot.entries).toEqual(first.snapshot.entries);
  });
});

describe('scanLocal names', () => {
  it('maps an NFD name to its NFC path and remembers the name on disk', async () => {
    const root = await roots.make();
    await writeTree(root, { 'Re\u0301sume\u0301/Cafe\u0301.txt': 'latte' });
    const { snapshot, diskPaths } = await scan(root);
    expect([...snapshot.entries.keys()]).toEqual(['R\u00e9sum\u00e9', 'R\u00e9sum\u00e9/Caf\u00e9.txt']);
    expect(snapshot.entries.get('R\u00e9sum\u00e9/Caf\u00e9.txt')?.md5).toBe(md5('latte'));
    expect(diskPaths.get('R\u00e9sum\u00e9/Caf\u00e9.txt')).toBe('Re\u0301sume\u0301/Cafe\u0301.txt');
    expect(diskPaths.get('R\u00e9sum\u00e9')).toBe('Re\u0301sume\u0301');
  });

  it('reports the second of two names that are equal once NFC-normalised and keeps the NFC one', async () => {
    const root = await roots.make();
    await writeTree(root, { 'Caf\u00e9': 'composed', 'Cafe\u0301': 'decomposed', 'dir/x\u00e9': '1' });
    await mkdir(join(root, 'dir/xe\u0301'));
    await writeTree(root, { 'dir/xe\u0301/inner.txt': 'hidden by the clash' });
    const { snapshot, unsettled, diskPaths } = await scan(root);

    expect(snapshot.entries.get('Caf\u00e9')?.md5).toBe(md5('composed'));
    expect(diskPaths.has('Caf\u00e9')).toBe(false);
    expect(snapshot.problems.map((p) => [p.code, p.path])).toEqual([
      ['nfc-clash', 'Caf\u00e9'],
      ['nfc-clash', 'dir/x\u00e9'],
    ]);
    expect(snapshot.problems[0]?.message).toMatch(/two items .*Unicode.*rename the other one/);
    // The losing folder is not descended into: its children would collide with the survivor's.
    expect(snapshot.entries.get('dir/x\u00e9')).toMatchObject({ kind: 'file' });
    expect([...snapshot.entries.keys()].filter((p) => p.includes('inner'))).toEqual([]);
    expect(unsettled.size).toBe(0);
  });

  it('reports names that differ only in case when the disk is case-insensitive', async () => {
    const root = await roots.make();
    await writeTree(root, { 'Foo.txt': 'upper', 'foo.txt': 'lower' });
    const sensitive = await scan(root);
    expect(sensitive.snapshot.entries.size).toBe(2);
    const folded = await scan(root, { caseInsensitive: true });
    expect([...folded.snapshot.entries.keys()]).toEqual(['Foo.txt']);
    expect(folded.snapshot.problems).toMatchObject([{ code: 'case-clash', path: 'foo.txt' }]);
  });

  it('reports a name Stratus cannot map back to a key instead of syncing it', async () => {
    const root = await roots.make();
    const bad = 'a\u201B\u201Bb';
    expect(isCanonicalName(bad, 'linux')).toBe(false);
    await writeTree(root, { [bad]: 'x', [`${bad}-dir/inner.txt`]: 'y', 'ok.txt': 'z' });
    const { snapshot } = await scan(root);
    expect([...snapshot.entries.keys()]).toEqual(['ok.txt']);
    expect(snapshot.problems.map((p) => [p.code, p.path])).toEqual([
      ['non-canonical-name', bad],
      ['non-canonical-name', `${bad}-dir`],
    ]);
    expect(snapshot.problems[1]?.message).toMatch(/this folder and everything in it are not synced\. Rename it/);
  });

  it('reports a name that is not valid UTF-8 instead of losing it', async () => {
    const root = await roots.make();
    // Linux names are bytes; 0xFF can never appear in UTF-8.
    await writeFile(Buffer.concat([Buffer.from(`${root}/bad-`), Buffer.from([0xff]), Buffer.from('.txt')]), 'x');
    const { snapshot } = await scan(root);
    expect(snapshot.entries.size).toBe(0);
    expect(snapshot.problems).toMatchObject([{ code: 'name-not-utf8', path: 'bad-\uFFFD.txt' }]);
    expect(snapshot.problems[0]?.message).toMatch(/not valid UTF-8.*Rename it/);
  });
});

describe('scanLocal ignore rules', () => {
  it('never lists ignored items or the engine folder, and does not descend into ignored folders', async () => {
    const root = await roots.make();
    await writeTree(root, {
      '.stratusignore': '*.log\nprivate/\n',
      '.stratus/journal.db': 'journal',
      '.stratus/tmp/partial': 'partial',
      'docs/.stratus-tmp-abc': 'half a download',
      'docs/.DS_Store': 'junk',
      'docs/~$Report.docx': 'lock',
      'docs/Report.docx': 'report',
      'docs/debug.log': 'log',
      'private/secret.txt': 'secret',
    });
    // A link inside an ignored folder would be reported if the scanner looked inside.
    await symlink('/etc', join(root, 'private/link'));
    const { snapshot, unsettled } = await scan(root);
    expect([...snapshot.entries.keys()]).toEqual(['.stratusignore', 'docs', 'docs/Report.docx']);
    expect(snapshot.problems).toEqual([]);
    expect(unsettled.size).toBe(0);
  });

  it('uses the rules it is given, so hiding a path is the caller’s decision', async () => {
    const root = await roots.make();
    await writeTree(root, { 'a.txt': 'a', 'b.txt': 'b' });
    const { snapshot } = await scan(root, { ignore: new IgnoreRules('b.txt\n') });
    expect([...snapshot.entries.keys()]).toEqual(['a.txt']);
  });
});

describe('scanLocal items it cannot sync', () => {
  it('reports symbolic links without following them', async () => {
    const root = await roots.make();
    await writeTree(root, { 'real/file.txt': 'content' });
    await symlink('real', join(root, 'link-to-folder'));
    await symlink('real/file.txt', join(root, 'link-to-file'));
    await symlink('does-not-exist', join(root, 'dangling'));
    const { snapshot, unsettled } = await scan(root);
    expect([...snapshot.entries.keys()]).toEqual(['real', 'real/file.txt']);
    expect(snapshot.problems.map((p) => [p.code, p.path])).toEqual([
      ['symlink', 'dangling'],
      ['symlink', 'link-to-file'],
      ['symlink', 'link-to-folder'],
    ]);
    expect(snapshot.problems[0]?.message).toContain('"dangling" is a symbolic link; Stratus does not follow links');
    // A synced file replaced by a link is not a delete.
    expect([...unsettled].sort()).toEqual(['dangling', 'link-to-file', 'link-to-folder']);
  });

  it('reports a named pipe instead of hanging on it', async () => {
    const root = await roots.make();
    execFileSync('mkfifo', [join(root, 'pipe')]);
    const { snapshot, unsettled } = await scan(root);
    expect(snapshot.entries.size).toBe(0);
    expect(snapshot.problems).toMatchObject([{ code: 'special-file', path: 'pipe' }]);
    expect(unsettled.has('pipe')).toBe(true);
  });

  it('reports an unreadable file and folder, keeps scanning, and marks them unsettled', async (ctx) => {
    if (isRoot) {
      console.log('skipped: running as root, which reads chmod 000 files anyway (hashFile.test.ts covers the error path)');
      ctx.skip();
    }
    const root = await roots.make();
    await writeTree(root, { 'locked.txt': 'secret', 'closed/inner.txt': 'x', 'open.txt': 'fine' });
    await chmod(join(root, 'locked.txt'), 0o000);
    await chmod(join(root, 'closed'), 0o000);
    try {
      const { snapshot, unsettled } = await scan(root);
      expect([...snapshot.entries.keys()]).toEqual(['closed', 'open.txt']);
      expect(snapshot.problems.map((p) => [p.code, p.path])).toEqual(
        expect.arrayContaining([
          ['unreadable', 'locked.txt'],
          ['unreadable', 'closed'],
        ]),
      );
      expect(snapshot.problems.find((p) => p.path === 'locked.txt')?.message).toMatch(/"locked.txt".*permission/);
      expect([...unsettled].sort()).toEqual(['closed', 'locked.txt']);
    } finally {
      await chmod(join(root, 'closed'), 0o755);
    }
  });
});

describe('scanLocal root and cancellation', () => {
  it('refuses a missing sync root with a fatal error that says nothing was changed', async () => {
    const root = join(await roots.make(), 'gone');
    const cache = new MemoryHashCache();
    const failure = scanLocal({ root, os: 'linux', hashCache: cache, ignore: new IgnoreRules() });
    await expect(failure).rejects.toMatchObject({ code: 'sync-root-missing', severity: 'fatal' });
    await expect(failure).rejects.toThrow(/does not exist \(was it moved, or is a drive unmounted\?\)\. Nothing was changed\./);
    expect(cache.replaceCalls).toBe(0);
  });

  it('refuses a sync root that is a file', async () => {
    const root = await roots.make();
    await writeFile(join(root, 'file'), 'x');
    await expect(scan(join(root, 'file'))).rejects.toMatchObject({ code: 'sync-root-not-a-folder', severity: 'fatal' });
  });

  it('stops with an AbortError and leaves the hash cache alone when aborted', async () => {
    const root = await roots.make();
    await writeTree(root, { 'a/1.txt': '1', 'b/2.txt': '2' });
    const controller = new AbortController();
    const cache = new MemoryHashCache();
    // Abort once the scan has started, from inside it, so the walk itself must notice.
    cache.loadHashes = async () => {
      controller.abort();
      return new Map();
    };
    const run = scan(root, { hashCache: cache, signal: controller.signal });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(cache.replaceCalls).toBe(0);
  });

  it('does not start when the signal is already aborted', async () => {
    const root = await roots.make();
    await expect(scan(root, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
