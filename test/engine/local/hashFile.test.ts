import { lstat, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashSmallFileSync, hashStableFile, md5File, SMALL_FILE_BYTES } from '../../../src/engine/local/hashFile.js';
import { md5, scan, tempRoots } from './localFixtures.js';

const roots = tempRoots();
afterEach(roots.cleanup);

/** Bumps a file's mtime on every turn of the event loop until stopped: a file "being written" forever. */
function keepTouching(path: string): () => void {
  let running = true;
  let t = 1_600_000_000;
  const tick = (): void => {
    if (!running) return;
    utimesSync(path, t, t++);
    setImmediate(tick);
  };
  setImmediate(tick);
  return () => {
    running = false;
  };
}

describe('md5File', () => {
  it('hashes a multi-chunk file like a one-shot MD5', async () => {
    const root = await roots.make();
    const content = Buffer.alloc(2.5 * 1024 * 1024, 7);
    await writeFile(join(root, 'big'), content);
    expect(await md5File(join(root, 'big'))).toBe(md5(content));
  });
});

describe('hashStableFile', () => {
  it('re-reads once when the file changed after it was listed, and reports the new content', async () => {
    const root = await roots.make();
    const path = join(root, 'doc.txt');
    await writeFile(path, 'first');
    const listed = await lstat(path);
    await writeFile(path, 'second, longer');
    const outcome = await hashStableFile(path, listed, undefined);
    expect(outcome).toMatchObject({ kind: 'hashed', md5: md5('second, longer'), identity: { size: 14 } });
  });

  it('gives up with "changing" when the file keeps changing', async () => {
    const root = await roots.make();
    const path = join(root, 'busy.log');
    await writeFile(path, 'x'.repeat(100_000));
    const listed = await lstat(path);
    const stop = keepTouching(path);
    try {
      expect(await hashStableFile(path, listed, undefined)).toEqual({ kind: 'changing' });
    } finally {
      stop();
    }
  });

  it('reports a file that disappeared as vanished, not as a problem', async () => {
    const root = await roots.make();
    const path = join(root, 'gone.txt');
    await writeFile(path, 'x');
    const listed = await lstat(path);
    await unlink(path);
    expect(await hashStableFile(path, listed, undefined)).toEqual({ kind: 'vanished' });
  });

  it('reports a read error as unreadable with its code (works as root, unlike chmod 000)', async () => {
    const root = await roots.make();
    const path = join(root, 'loop');
    await writeFile(path, 'x');
    const listed = await lstat(path);
    // Swapped for a self-referencing link after listing: opening it fails with ELOOP for every user.
    await unlink(path);
    await symlink('loop', path);
    expect(await hashStableFile(path, listed, undefined)).toEqual({ kind: 'unreadable', code: 'ELOOP' });
  });

  it('throws the abort reason when aborted while reading', async () => {
    const root = await roots.make();
    const path = join(root, 'big');
    await writeFile(path, Buffer.alloc(4 * 1024 * 1024));
    const listed = await lstat(path);
    await expect(hashStableFile(path, listed, AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('hashSmallFileSync', () => {
  it('hashes a small file like hashStableFile, with the identity it was verified against', async () => {
    const root = await roots.make();
    const path = join(root, 'small.bin');
    const content = Buffer.alloc(4096, 3);
    await writeFile(path, content);
    const listed = await lstat(path);
    expect(hashSmallFileSync(path, listed)).toEqual(await hashStableFile(path, listed, undefined));
    expect(hashSmallFileSync(path, listed)).toMatchObject({ kind: 'hashed', md5: md5(content), identity: { size: 4096 } });
  });

  it('re-reads once when the file changed after it was listed, and reports the new content', async () => {
    const root = await roots.make();
    const path = join(root, 'doc.txt');
    await writeFile(path, 'first');
    const listed = await lstat(path);
    await writeFile(path, 'second, longer');
    expect(hashSmallFileSync(path, listed)).toMatchObject({ kind: 'hashed', md5: md5('second, longer'), identity: { size: 14 } });
  });

  it('leaves a file that is (or grew) larger than the small-file limit to hashStableFile', async () => {
    const root = await roots.make();
    const path = join(root, 'grows.bin');
    await writeFile(path, 'x');
    const listed = await lstat(path);
    await writeFile(path, Buffer.alloc(SMALL_FILE_BYTES + 1));
    expect(hashSmallFileSync(path, listed)).toBeUndefined();
    expect(hashSmallFileSync(path, await lstat(path))).toBeUndefined();
  });

  it('reports a vanished file as vanished and a read error as unreadable', async () => {
    const root = await roots.make();
    const gone = join(root, 'gone.txt');
    await writeFile(gone, 'x');
    const goneListed = await lstat(gone);
    await unlink(gone);
    expect(hashSmallFileSync(gone, goneListed)).toEqual({ kind: 'vanished' });
    const loop = join(root, 'loop');
    await writeFile(loop, 'x');
    const loopListed = await lstat(loop);
    await unlink(loop);
    await symlink('loop', loop);
    expect(hashSmallFileSync(loop, loopListed)).toEqual({ kind: 'unreadable', code: 'ELOOP' });
  });
});

describe('scanLocal with a file that keeps changing', () => {
  it('reports it as changing, leaves it out and marks it unsettled', async () => {
    const root = await roots.make();
    await writeFile(join(root, 'busy.log'), 'x'.repeat(100_000));
    await writeFile(join(root, 'calm.txt'), 'calm');
    await utimes(join(root, 'calm.txt'), 1_000_000, 1_000_000);
    const stop = keepTouching(join(root, 'busy.log'));
    try {
      const { snapshot, unsettled, hashed } = await scan(root);
      expect([...snapshot.entries.keys()]).toEqual(['calm.txt']);
      expect(snapshot.problems).toMatchObject([{ code: 'changing', path: 'busy.log' }]);
      expect(snapshot.problems[0]?.message).toMatch(/"busy.log" kept changing/);
      expect(unsettled.has('busy.log')).toBe(true);
      expect(hashed).toBe(2);
    } finally {
      stop();
    }
  });
});
