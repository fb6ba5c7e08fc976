/**
 * One Stratus per sync folder (SCENARIOS 44): an exclusive lock file in the
 * engine's folder, `.stratus/lock`, created with O_EXCL and holding
 *   { "version": 1, "pid": 4242, "host": "laptop", "startedAt": "2026-…" }.
 * A lock left by a process that no longer runs on this host is stale and is
 * taken over; any other lock refuses with a message naming the holder.
 */
import { hostname } from 'node:os';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { StratusError } from '../core/StratusError.js';

interface LockContent {
  readonly version: 1;
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class SyncRootLock {
  private constructor(private readonly file: string) {}

  /** `engineDir` is `<root>/.stratus`; it must exist. `folder` names the sync folder in messages. */
  static async acquire(engineDir: string, folder: string): Promise<SyncRootLock> {
    const file = join(engineDir, 'lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(file, 'wx', 0o600);
        const content: LockContent = { version: 1, pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
        await handle.writeFile(JSON.stringify(content));
        await handle.close();
        return new SyncRootLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = await readHolder(file);
      if (holder !== undefined && (holder.host !== hostname() || isAlive(holder.pid))) {
        throw new StratusError(
          'sync-root-locked',
          `Another Stratus is already syncing ${folder} (pid ${holder.pid} on ${holder.host}); stop it first, or choose another folder.`,
          { severity: 'fatal' },
        );
      }
      // Stale (its process is gone) or unreadable (crashed while writing it): take over.
      await rm(file, { force: true });
    }
    throw new StratusError('sync-root-locked', `Could not lock ${folder}: another process keeps creating ${file}.`, { severity: 'fatal' });
  }

  async release(): Promise<void> {
    const holder = await readHolder(this.file);
    if (holder?.pid === process.pid) await rm(this.file, { force: true });
  }
}

async function readHolder(file: string): Promise<LockContent | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<LockContent>;
    return typeof parsed.pid === 'number' && typeof parsed.host === 'string' ? (parsed as LockContent) : undefined;
  } catch {
    return undefined;
  }
}
