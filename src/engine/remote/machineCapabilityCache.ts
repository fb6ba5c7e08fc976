/**
 * FileCapabilityCache: the servers' measured capabilities (capabilities.ts),
 * kept once per user and machine beside the journals' own copies, so a new
 * folder synced against a server this machine has already measured does not
 * probe it again (issue 4: the probe is ≈ 30 requests in ≈ 15 round trips,
 * ≈ 0.25 s of a first sync on loopback and more over a WAN; with several
 * folders, or a headless machine re-creating its folder, each paid it).
 *
 * It is only a second place to look: CapabilityState reads the folder's
 * journal first, takes a fresh record from here into the journal, writes both
 * after a probe, and clears both when the server contradicts the record (the
 * next run then measures again). The records are keyed by endpoint and bucket
 * and age out like the journal's (30 days). Not a secret: the file says what a
 * server supports, nothing about who uses it.
 *
 * One small JSON file, replaced whole (temp file + rename). Two processes
 * writing at once can lose one's entry: that costs one probe later, never a
 * wrong record. Any read or write failure is a miss, never an error.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RemoteCache } from '../ports.js';

/** Servers kept at most (the oldest written are dropped first). */
const MAX_ENTRIES = 64;

export class FileCapabilityCache implements Pick<RemoteCache, 'get' | 'set'> {
  constructor(private readonly file: string) {}

  async get(key: string): Promise<string | undefined> {
    const value = (await this.read()).get(key);
    return value === '' ? undefined : value;
  }

  /** Stores `value` under `key`; an empty value removes the entry. */
  async set(key: string, value: string): Promise<void> {
    const entries = await this.read();
    entries.delete(key);
    if (value !== '') entries.set(key, value);
    while (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
    const temp = `${this.file}.${process.pid}.tmp`;
    try {
      await mkdir(dirname(this.file), { recursive: true });
      await writeFile(temp, `${JSON.stringify({ version: 1, servers: Object.fromEntries(entries) }, null, 1)}\n`);
      await rename(temp, this.file);
    } catch {
      // A read-only or full disk: the journal still holds the record; this folder-independent copy is only a shortcut.
      await rm(temp, { force: true }).catch(() => undefined);
    }
  }

  private async read(): Promise<Map<string, string>> {
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as { version?: unknown; servers?: unknown };
      if (parsed.version !== 1 || typeof parsed.servers !== 'object' || parsed.servers === null) return new Map();
      return new Map(Object.entries(parsed.servers).filter((e): e is [string, string] => typeof e[1] === 'string'));
    } catch {
      return new Map();
    }
  }
}
