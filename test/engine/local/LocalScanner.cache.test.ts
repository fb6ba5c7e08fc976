/**
 * The hash cache and the performance budget: an unchanged tree is never read
 * again, a changed file is, and "same size and mtime, different content" is
 * caught through ctime (SCENARIOS 27).
 */
import { mkdir, open, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryHashCache, md5, scan, tempRoots } from './localFixtures.js';

const roots = tempRoots();
const FOLDERS = 20;
const FILES_PER_FOLDER = 100;

/** Overwrites the content in place (same length), then sets the mtime (seconds). */
async function rewrite(path: string, content: string, mtimeSeconds: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.write(content, 0);
  } finally {
    await handle.close();
  }
  await utimes(path, mtimeSeconds, mtimeSeconds);
}

describe('scanLocal hash cache', () => {
  let root = '';
  const cache = new MemoryHashCache();

  beforeAll(async () => {
    root = await roots.make();
    for (let f = 0; f < FOLDERS; f++) {
      await mkdir(join(root, `folder-${f}`));
      await Promise.all(
        Array.from({ length: FILES_PER_FOLDER }, (_, i) => writeFile(join(root, `folder-${f}`, `file-${i}.txt`), `content ${f}/${i}`)),
      );
    }
  });
  afterAll(roots.cleanup);

  it('reads every file on the first scan and none on an unchanged rescan', async () => {
    const first = await scan(root, { hashCache: cache });
    expect(first.hashed).toBe(FOLDERS * FILES_PER_FOLDER);
    expect(first.stats).toMatchObject({ files: FOLDERS * FILES_PER_FOLDER, folders: FOLDERS });
    expect(cache.entries.size).toBe(FOLDERS * FILES_PER_FOLDER);

    const started = performance.now();
    const second = await scan(root, { hashCache: cache });
    const elapsed = performance.now() - started;
    console.log(`cached rescan of ${FOLDERS * FILES_PER_FOLDER} files: ${elapsed.toFixed(0)} ms`);
    expect(second.hashed).toBe(0);
    expect(second.snapshot.entries).toEqual(first.snapshot.entries);
    // Generous against a busy CI box; the budget is 10k files well under 1 s.
    expect(elapsed).toBeLessThan(2_000);
  });

  it('re-reads only the file whose content and mtime changed (same size)', async () => {
    const path = join(root, 'folder-3', 'file-7.txt');
    const before = await stat(path);
    await rewrite(path, 'CONTENT 3/7', before.mtimeMs / 1000 + 60);
    const third = await scan(root, { hashCache: cache });
    expect(third.hashed).toBe(1);
    expect(third.snapshot.entries.get('folder-3/file-7.txt')).toMatchObject({ size: before.size, md5: md5('CONTENT 3/7') });
  });

  it('re-reads a file whose content changed with size and mtime restored, because its ctime moved', async () => {
    const path = join(root, 'folder-5', 'file-9.txt');
    const before = await stat(path);
    await rewrite(path, 'cONTENT 5/9', before.mtimeMs / 1000);
    const after = await stat(path);
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
    expect(after.ctimeMs).not.toBe(before.ctimeMs);

    const fourth = await scan(root, { hashCache: cache });
    expect(fourth.hashed).toBe(1);
    expect(fourth.snapshot.entries.get('folder-5/file-9.txt')?.md5).toBe(md5('cONTENT 5/9'));
  });

  it('reads every file again when asked for the periodic hash check', async () => {
    const full = await scan(root, { hashCache: cache, rehashAll: true });
    expect(full.hashed).toBe(FOLDERS * FILES_PER_FOLDER);
  });

  it('drops cache rows of files that are gone and keeps nothing for ignored ones', async () => {
    await rm(join(root, 'folder-0', 'file-0.txt'));
    await writeFile(join(root, '.stratusignore'), 'folder-1/\n');
    const result = await scan(root, { hashCache: cache });
    expect(result.hashed).toBe(1);
    expect(cache.entries.has('folder-0/file-0.txt')).toBe(false);
    expect(cache.entries.has('folder-1/file-0.txt')).toBe(false);
    expect(cache.entries.has('.stratusignore')).toBe(true);
    expect(cache.entries.size).toBe(FOLDERS * FILES_PER_FOLDER - 1 - FILES_PER_FOLDER + 1);
  });
});
