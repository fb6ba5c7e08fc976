/**
 * The attention list's bookkeeping on its own: order (errors needing the user,
 * then retrying ones, then conflicts newest first), the limit of 100, what it
 * keeps across a damaged or newer record, and that changes from a run and from
 * a command made at the same time are both kept.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AttentionLog, type AttentionJournal } from '../../../src/engine/attention/AttentionLog.js';
import type { RetryRecord } from '../../../src/engine/ports.js';

/** The journal calls the log makes, in memory; every call yields to the event loop as the real one may. */
class MemoryJournal implements AttentionJournal {
  readonly meta = new Map<string, string>();
  readonly retries = new Map<string, RetryRecord>();
  async getMeta(key: string): Promise<string | undefined> {
    await Promise.resolve();
    return this.meta.get(key);
  }
  async setMeta(key: string, value: string): Promise<void> {
    await Promise.resolve();
    this.meta.set(key, value);
  }
  async loadRetries(): Promise<Map<string, RetryRecord>> {
    await Promise.resolve();
    return new Map(this.retries);
  }
  async clearRetry(path: string): Promise<void> {
    await Promise.resolve();
    this.retries.delete(path);
  }
  retry(path: string, lastError = `Could not sync "${path}".`): void {
    this.retries.set(path, { path, attempts: 2, nextAttemptAt: Date.UTC(2026, 10, 22, 7), lastError });
  }
}

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'stratus-attention-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function conflictOnDisk(path: string, copyPath: string): Promise<void> {
  await writeFile(join(root, path), 'cloud');
  await writeFile(join(root, copyPath), 'this computer');
}

describe('AttentionLog', () => {
  it('lists errors needing the user first, then retrying ones, then conflicts newest first', async () => {
    const journal = new MemoryJournal();
    journal.retry('b.txt');
    journal.retry('a.txt');
    journal.retry('denied.txt', 'Access denied to "denied.txt".');
    const log = new AttentionLog(journal);
    await conflictOnDisk('old.txt', 'old (copy).txt');
    await conflictOnDisk('new.txt', 'new (copy).txt');
    await log.recordRun({
      conflicts: [{ path: 'old.txt', copyPath: 'old (copy).txt', at: '2026-11-22T06:00:00.000Z' }],
      errors: [{ path: 'denied.txt', code: 'access-denied', message: 'Access denied.', retrying: false }, { path: 'a.txt', code: 'network', message: 'x', retrying: true }],
    });
    await log.recordRun({ conflicts: [{ path: 'new.txt', copyPath: 'new (copy).txt', at: '2026-11-22T07:00:00.000Z' }], errors: [] });
    const items = await log.items(root, 'laptop');
    expect(items.map((i) => `${i.kind} ${i.path}`)).toEqual(['error denied.txt', 'error a.txt', 'error b.txt', 'conflict new.txt', 'conflict old.txt']);
    expect(items[0]).toEqual({ kind: 'error', path: 'denied.txt', message: 'Access denied to "denied.txt".', retrying: false, attempts: 2, nextAttemptAt: '2026-11-22T07:00:00.000Z' });
    // A row whose kind was never recorded (e.g. from before this version) is retried by the next run.
    expect(items[2]).toMatchObject({ retrying: true });
    expect(items[3]).toMatchObject({ here: { path: 'new (copy).txt', size: 13, device: 'laptop' }, other: { path: 'new.txt', size: 5 } });
  });

  it('lists at most 100 items', async () => {
    const journal = new MemoryJournal();
    for (let i = 0; i < 120; i++) journal.retry(`f${String(i).padStart(3, '0')}.txt`);
    const log = new AttentionLog(journal);
    await conflictOnDisk('x.txt', 'x (copy).txt');
    await log.recordRun({ conflicts: [{ path: 'x.txt', copyPath: 'x (copy).txt', at: '2026-11-22T06:00:00.000Z' }], errors: [] });
    const items = await log.items(root, 'laptop');
    expect(items).toHaveLength(100);
    expect(items.every((i) => i.kind === 'error')).toBe(true);
    // Left out of the list is not forgotten.
    expect((await log.conflicts()).map((c) => c.path)).toEqual(['x.txt']);
  });

  it('reads a damaged or newer record as nothing waiting, and writes a good one after', async () => {
    const journal = new MemoryJournal();
    journal.meta.set('attention', '{not json');
    const log = new AttentionLog(journal);
    expect(await log.items(root, 'laptop')).toEqual([]);
    journal.meta.set('attention', JSON.stringify({ version: 9, conflicts: [{ path: 'a', copyPath: 'b', at: 'x' }] }));
    expect(await log.conflicts()).toEqual([]);
    await conflictOnDisk('a.txt', 'a (copy).txt');
    await log.recordRun({ conflicts: [{ path: 'a.txt', copyPath: 'a (copy).txt', at: '2026-11-22T06:00:00.000Z' }], errors: [] });
    expect(JSON.parse(journal.meta.get('attention') ?? '')).toMatchObject({ version: 1, conflicts: [{ path: 'a.txt' }] });
  });

  it('keeps both of two changes made at the same time', async () => {
    const journal = new MemoryJournal();
    const log = new AttentionLog(journal);
    await log.recordRun({ conflicts: [{ path: 'a.txt', copyPath: 'a (copy).txt', at: '2026-11-22T06:00:00.000Z' }], errors: [] });
    await Promise.all([
      log.forgetConflict('a (copy).txt'),
      log.recordRun({ conflicts: [{ path: 'b.txt', copyPath: 'b (copy).txt', at: '2026-11-22T06:01:00.000Z' }], errors: [] }),
    ]);
    expect((await log.conflicts()).map((c) => c.path)).toEqual(['b.txt']);
  });

  it('drops retry rows of paths a full run no longer planned, except those the scan could not settle', async () => {
    const journal = new MemoryJournal();
    for (const p of ['deleted.txt', 'still-failing.txt', 'being-written.txt']) journal.retry(p);
    const log = new AttentionLog(journal);
    await log.recordRun({ conflicts: [], errors: [], planned: new Set(['still-failing.txt']), unsettled: new Set(['being-written.txt']) });
    expect([...journal.retries.keys()].sort()).toEqual(['being-written.txt', 'still-failing.txt']);
  });
});
