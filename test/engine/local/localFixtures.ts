/**
 * Test helpers for local discovery: an in-memory HashCache that records how it
 * was used, temp sync roots that clean up after themselves, and a one-call
 * scan with the defaults most tests want.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { HashCache, HashCacheEntry } from '../../../src/engine/ports.js';
import { IgnoreRules } from '../../../src/engine/local/IgnoreRules.js';
import { scanLocal, type LocalScanOptions, type LocalScanResult } from '../../../src/engine/local/LocalScanner.js';

export class MemoryHashCache implements HashCache {
  entries = new Map<string, HashCacheEntry>();
  replaceCalls = 0;

  async loadHashes(): Promise<Map<string, HashCacheEntry>> {
    return new Map(this.entries);
  }

  async replaceHashes(entries: Iterable<HashCacheEntry>): Promise<void> {
    this.replaceCalls++;
    this.entries = new Map([...entries].map((entry) => [entry.path, entry]));
  }
}

export function md5(content: string | Buffer): string {
  return createHash('md5').update(content).digest('hex');
}

/** A fresh temp folder; `cleanup` removes every one made so far. */
export function tempRoots(): { make: () => Promise<string>; cleanup: () => Promise<void> } {
  const made: string[] = [];
  return {
    make: async () => {
      const root = await mkdtemp(join(tmpdir(), 'stratus-local-'));
      made.push(root);
      return root;
    },
    cleanup: async () => {
      await Promise.all(made.splice(0).map((root) => rm(root, { recursive: true, force: true })));
    },
  };
}

/** Writes `files` (relative path → content) under `root`, creating folders as needed. */
export async function writeTree(root: string, files: Readonly<Record<string, string>>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

/** Scans `root` on Linux with its `.stratusignore` loaded and a fresh (or the given) cache. */
export async function scan(
  root: string,
  extra: Partial<Omit<LocalScanOptions, 'root'>> = {},
): Promise<LocalScanResult & { cache: HashCache }> {
  const hashCache = extra.hashCache ?? new MemoryHashCache();
  const ignore = extra.ignore ?? (await IgnoreRules.load(root));
  const result = await scanLocal({ root, os: 'linux', ...extra, hashCache, ignore });
  return { ...result, cache: hashCache };
}
