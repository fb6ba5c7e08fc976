import { describe, expect, it } from 'vitest';
import type { SyncedEntry } from '../../src/core/model.js';
import { JournalWriter } from '../../src/engine/JournalWriter.js';
import type { Journal } from '../../src/engine/ports.js';

type Batch = Parameters<Journal['batch']>[0];

/** A journal that records each batch it commits, and can be made to fail. */
function recordingJournal(): { journal: Pick<Journal, 'batch'>; batches: Batch[]; failWith: (error: Error) => void } {
  const batches: Batch[] = [];
  let failure: Error | undefined;
  return {
    batches,
    failWith: (error) => {
      failure = error;
    },
    journal: {
      batch: (changes) => {
        if (failure !== undefined) return Promise.reject(failure);
        batches.push(changes);
        return Promise.resolve();
      },
    },
  };
}

function entry(path: string, etag = 'e1'): SyncedEntry {
  return { path, kind: 'file', local: { size: 1, mtimeMs: 1 }, remote: { key: `p/${path}`, etag, size: 1 }, md5: 'm' };
}

describe('JournalWriter', () => {
  it('commits nothing until asked, then every waiting row in one batch', async () => {
    const { journal, batches } = recordingJournal();
    const rows = new JournalWriter(journal, { maxRows: 100, maxDelayMs: 60_000 });
    await rows.put(entry('a'));
    await rows.put(entry('b'));
    await rows.forget('c');
    expect(batches).toEqual([]);
    await rows.flush();
    expect(batches).toEqual([{ put: [entry('a'), entry('b')], forget: ['c'] }]);
    await rows.flush();
    expect(batches).toHaveLength(1);
  });

  it('commits as soon as maxRows are waiting', async () => {
    const { journal, batches } = recordingJournal();
    const rows = new JournalWriter(journal, { maxRows: 2, maxDelayMs: 60_000 });
    await rows.put(entry('a'));
    expect(batches).toHaveLength(0);
    await rows.put(entry('b'));
    expect(batches).toEqual([{ put: [entry('a'), entry('b')], forget: [] }]);
  });

  it('commits a waiting row after maxDelayMs without being asked', async () => {
    const { journal, batches } = recordingJournal();
    const rows = new JournalWriter(journal, { maxRows: 100, maxDelayMs: 10 });
    await rows.put(entry('a'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(batches).toEqual([{ put: [entry('a')], forget: [] }]);
  });

  it('keeps only the last change to a path, so a forget then a put of one path puts it', async () => {
    const { journal, batches } = recordingJournal();
    const rows = new JournalWriter(journal, { maxRows: 100, maxDelayMs: 60_000 });
    await rows.forget('a');
    await rows.put(entry('a', 'e2'));
    await rows.put(entry('b'));
    await rows.forget('b');
    await rows.flush();
    expect(batches).toEqual([{ put: [entry('a', 'e2')], forget: ['b'] }]);
  });

  it('commits the rows of one change together (a move forgets one path and puts another)', async () => {
    const { journal, batches } = recordingJournal();
    const rows = new JournalWriter(journal, { maxRows: 2, maxDelayMs: 60_000 });
    await rows.put(entry('x'));
    await rows.change([entry('new')], ['old']);
    expect(batches).toEqual([{ put: [entry('x'), entry('new')], forget: ['old'] }]);
  });

  it('throws a failed commit from the next call, and from every later one', async () => {
    const { journal, failWith } = recordingJournal();
    const rows = new JournalWriter(journal, { maxRows: 100, maxDelayMs: 5 });
    failWith(new Error('disk I/O error'));
    await rows.put(entry('a'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    await expect(rows.put(entry('b'))).rejects.toThrow('disk I/O error');
    await expect(rows.flush()).rejects.toThrow('disk I/O error');
  });
});
