/**
 * The planner against SCENARIOS.md, two clients sharing one remote prefix
 * (Joplin-style): set up, sync, assert local == remote, nothing lost, and the plan.
 */
import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/core/plan.js';
import { summarize } from '../../src/core/plan.js';
import { PREFIX, SimClient, SimRemote, syncUntilQuiet } from '../support/simWorld.js';

function world() {
  const remote = new SimRemote();
  const a = new SimClient('laptop', remote);
  const b = new SimClient('desktop', remote);
  return { remote, a, b };
}

function types(actions: readonly Action[]): string[] {
  return actions.filter((x) => x.type !== 'record').map((x) => `${x.type} ${x.path}`);
}

function expectConverged(remote: SimRemote, ...clients: SimClient[]): void {
  for (const client of clients) expect(client.files()).toEqual(remote.files());
}

describe('reconcile: decision table', () => {
  it('copies a file that is new on one side to the other (1)', () => {
    const { remote, a, b } = world();
    a.write('docs/a.txt', 'hello');
    expect(types(a.plan().actions)).toEqual(['createRemoteFolder docs', 'upload docs/a.txt']);
    syncUntilQuiet([a, b]);
    expect(b.files()).toEqual(new Map([['docs/a.txt', 'hello']]));
    expectConverged(remote, a, b);
  });

  it('propagates an edit even when its mtime is older than the other side (2, 24)', () => {
    const { remote, a, b } = world();
    a.write('a.txt', 'v1');
    syncUntilQuiet([a, b]);
    a.write('a.txt', 'v2');
    const node = a.local.get('a.txt');
    if (node?.kind === 'file') node.mtimeMs = 1; // a clock far in the past
    syncUntilQuiet([a, b]);
    expect(b.files().get('a.txt')).toBe('v2');
    expectConverged(remote, a, b);
  });

  it('deletes on the other side a file deleted on one side, locally into the trash (3)', () => {
    const { remote, a, b } = world();
    a.write('a.txt', 'x');
    a.write('keep.txt', 'k');
    syncUntilQuiet([a, b]);
    b.remove('a.txt');
    expect(types(b.plan().actions)).toEqual(['deleteRemote a.txt']);
    syncUntilQuiet([a, b]);
    expect([...a.files().keys()]).toEqual(['keep.txt']);
    expect(a.trash).toEqual(['a.txt']);
    expectConverged(remote, a, b);
  });

  it('keeps both versions when both sides changed differently (4)', () => {
    const { remote, a, b } = world();
    a.write('notes.md', 'base');
    syncUntilQuiet([a, b]);
    a.write('notes.md', 'from laptop');
    b.write('notes.md', 'from desktop');
    a.sync();
    const plan = b.plan();
    expect(plan.actions.map((x) => x.type)).toEqual(['conflict']);
    syncUntilQuiet([a, b]);
    const contents = [...remote.files().values()].sort();
    expect(contents).toEqual(['from desktop', 'from laptop']);
    const copy = [...remote.files().keys()].find((p) => p !== 'notes.md');
    expect(copy).toMatch(/^notes \(conflicted copy desktop \d{4}-\d{2}-\d{2} \d{6}\)\.md$/);
    expect(remote.files().get('notes.md')).toBe('from laptop');
    expectConverged(remote, a, b);
  });

  it('records identical edits on both sides without a transfer or a conflict (5, 8)', () => {
    const { remote, a, b } = world();
    a.write('same.txt', 'v1');
    syncUntilQuiet([a, b]);
    a.write('same.txt', 'v2');
    b.write('same.txt', 'v2');
    a.sync();
    expect(b.sync().plan.actions.map((x) => x.type)).toEqual(['record']);
    a.write('new.txt', 'twin');
    b.write('new.txt', 'twin');
    a.sync();
    expect(b.plan().actions.map((x) => x.type)).toEqual(['record']);
    syncUntilQuiet([a, b]);
    expectConverged(remote, a, b);
  });

  it('lets an edit beat a delete, in both directions (6)', () => {
    const { remote, a, b } = world();
    a.write('x.txt', 'v1');
    a.write('y.txt', 'v1');
    syncUntilQuiet([a, b]);
    a.write('x.txt', 'edited on laptop');
    b.remove('x.txt');
    b.write('y.txt', 'edited on desktop');
    a.remove('y.txt');
    syncUntilQuiet([a, b]);
    expect(remote.files()).toEqual(new Map([['x.txt', 'edited on laptop'], ['y.txt', 'edited on desktop']]));
    expectConverged(remote, a, b);
  });

  it('forgets a file deleted on both sides (7)', () => {
    const { remote, a, b } = world();
    a.write('gone.txt', 'x');
    a.write('keep.txt', 'k');
    syncUntilQuiet([a, b]);
    a.remove('gone.txt');
    b.remove('gone.txt');
    a.sync();
    expect(b.plan().actions.map((x) => x.type)).toEqual(['forget']);
    syncUntilQuiet([a, b]);
    expect([...b.journal.keys()]).toEqual(['keep.txt']);
    expectConverged(remote, a, b);
  });

  it('names a conflicted copy of a conflicted copy without collisions (9)', () => {
    const { remote, a, b } = world();
    a.write('r.txt', 'base');
    syncUntilQuiet([a, b]);
    for (let i = 0; i < 3; i++) {
      a.write('r.txt', `a${i}`);
      b.write('r.txt', `b${i}`);
      syncUntilQuiet([a, b]);
    }
    const names = [...remote.files().keys()];
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => n.includes('conflicted copy')).length).toBe(3);
    expectConverged(remote, a, b);
  });
});

describe('reconcile: hierarchy and type', () => {
  it('handles a file replaced by a folder of the same name (10)', () => {
    const { remote, a, b } = world();
    a.write('thing', 'a file');
    syncUntilQuiet([a, b]);
    a.remove('thing');
    a.write('thing/inside.txt', 'now a folder');
    syncUntilQuiet([a, b]);
    expect(b.files()).toEqual(new Map([['thing/inside.txt', 'now a folder']]));
    expectConverged(remote, a, b);
  });

  it('keeps a file added inside a folder the other side deleted (11)', () => {
    const { remote, a, b } = world();
    a.write('f/old.txt', 'old');
    a.write('keep.txt', 'k');
    syncUntilQuiet([a, b]);
    a.remove('f');
    b.write('f/new.txt', 'new');
    syncUntilQuiet([b, a]);
    expect(remote.files()).toEqual(new Map([['f/new.txt', 'new'], ['keep.txt', 'k']]));
    expectConverged(remote, a, b);
  });

  it('moves a renamed file on the server instead of re-uploading it, and a renamed folder is no mass delete (12, 14)', () => {
    const { remote, a, b } = world();
    for (let i = 0; i < 40; i++) a.write(`album/p${i}.jpg`, `photo ${i}`);
    syncUntilQuiet([a, b]);
    a.rename('album', 'album 2026');
    const plan = a.plan();
    expect(plan.stop).toBeUndefined();
    expect(summarize(plan)).toMatchObject({ moves: 40, uploads: 1, deletedRemote: 1 });
    syncUntilQuiet([a, b]);
    expect([...b.files().keys()].every((p) => p.startsWith('album 2026/'))).toBe(true);
    expect(b.trash).toEqual([]);
    expectConverged(remote, a, b);
  });

  it('follows a rename made on the other side with a local rename, not a download (12)', () => {
    const { remote, a, b } = world();
    a.write('draft.txt', 'text');
    syncUntilQuiet([a, b]);
    a.rename('draft.txt', 'final.txt');
    a.sync();
    expect(types(b.plan().actions)).toEqual(['moveLocal final.txt']);
    syncUntilQuiet([a, b]);
    expectConverged(remote, a, b);
  });

  it('terminates and loses nothing when folders are moved into each other on both sides (13)', () => {
    const { remote, a, b } = world();
    a.write('A/a.txt', 'a');
    a.write('B/b.txt', 'b');
    syncUntilQuiet([a, b]);
    a.rename('A', 'B/A');
    b.rename('B', 'A/B');
    syncUntilQuiet([a, b]);
    expect([...remote.files().values()].sort()).toEqual(['a', 'b']);
    expectConverged(remote, a, b);
  });

  it('syncs empty folders both ways, including their deletion (16)', () => {
    const { remote, a, b } = world();
    a.mkdirp('empty/inner');
    syncUntilQuiet([a, b]);
    expect(b.folders()).toEqual(new Set(['empty', 'empty/inner']));
    expect(remote.objects.has(`${PREFIX}empty/inner/`)).toBe(true);
    b.remove('empty');
    syncUntilQuiet([a, b]);
    expect(a.folders()).toEqual(new Set());
    expect(remote.objects.size).toBe(0);
  });

  it('treats zero-byte files as files, and foreign dir/ markers as folders (16, 17)', () => {
    const { remote, a, b } = world();
    remote.put(`${PREFIX}made-by-console/`, '');
    remote.put(`${PREFIX}zero`, '');
    syncUntilQuiet([a, b]);
    expect(a.local.get('made-by-console')?.kind).toBe('folder');
    expect(a.local.get('zero')).toMatchObject({ kind: 'file', content: '' });
  });
});

describe('reconcile: names', () => {
  it('reports keys that differ only in case instead of overwriting on a case-insensitive disk (19)', () => {
    const { remote, a } = world();
    remote.put(`${PREFIX}Report.pdf`, 'upper');
    remote.put(`${PREFIX}report.pdf`, 'lower');
    const plan = a.plan({ caseInsensitive: true });
    expect(types(plan.actions)).toEqual(['problem report.pdf', 'download Report.pdf']);
    const problem = plan.actions.find((x) => x.type === 'problem');
    expect(problem).toMatchObject({ code: 'case-clash' });
  });

  it('follows a case-only rename with a local rename on a case-insensitive disk (15)', () => {
    const { remote, a, b } = world();
    a.write('Report.pdf', 'r');
    syncUntilQuiet([a, b]);
    a.rename('Report.pdf', 'report.pdf');
    expect(types(a.plan({ caseInsensitive: true }).actions)).toEqual(['moveRemote report.pdf']);
    a.sync({ caseInsensitive: true });
    expect(types(b.plan({ caseInsensitive: true }).actions)).toEqual(['moveLocal report.pdf']);
    b.sync({ caseInsensitive: true });
    expectConverged(remote, a, b);
  });

  it('never syncs a key with an empty segment, and says why (21)', () => {
    const { remote, a } = world();
    remote.put(`${PREFIX}a//b.txt`, 'x');
    const plan = a.plan();
    expect(plan.actions).toEqual([
      expect.objectContaining({ type: 'problem', code: 'empty-segment', path: `${PREFIX}a//b.txt` }),
    ]);
  });

  it('reports a local path whose key would exceed 1,024 bytes (22)', () => {
    const { a } = world();
    a.write(`${'d'.repeat(250)}/${'e'.repeat(250)}/${'f'.repeat(250)}/${'g'.repeat(250)}.txt`, 'deep');
    const problems = a.plan().actions.filter((x) => x.type === 'problem');
    expect(problems).toEqual([expect.objectContaining({ code: 'key-too-long' })]);
  });
});

describe('reconcile: time and safety', () => {
  it('does not re-upload files whose mtime changed but content did not (25, 26)', () => {
    const { a, b } = world();
    for (let i = 0; i < 30; i++) a.write(`f${i}.txt`, `c${i}`);
    syncUntilQuiet([a, b]);
    for (const node of a.local.values()) node.mtimeMs += 3_600_000; // time zone shift / restore
    const plan = a.plan();
    expect(plan.actions.every((x) => x.type === 'record')).toBe(true);
  });

  it('stops instead of deleting everything remotely when the local folder is empty (37)', () => {
    const { a, b } = world();
    for (let i = 0; i < 5; i++) a.write(`f${i}.txt`, `c${i}`);
    syncUntilQuiet([a, b]);
    a.local.clear();
    const plan = a.plan();
    expect(plan.stop).toMatchObject({ code: 'local-root-empty', direction: 'remote', count: 5 });
    expect(a.plan({ confirmDeletes: true }).stop).toBeUndefined();
  });

  it('stops a mass delete, naming direction and count, until confirmed (39)', () => {
    const { a, b } = world();
    for (let i = 0; i < 30; i++) a.write(`f${i}.txt`, `c${i}`);
    syncUntilQuiet([a, b]);
    for (let i = 0; i < 20; i++) a.remove(`f${i}.txt`);
    const plan = a.plan();
    expect(plan.stop).toMatchObject({ code: 'mass-delete', direction: 'remote', count: 20 });
    expect(plan.stop?.message).toContain('delete 20 files on the server');
    expect(a.plan({ confirmDeletes: true }).stop).toBeUndefined();
  });

  it('does not delete anything when a path becomes ignored (40)', () => {
    const { a, b } = world();
    a.write('build/out.bin', 'x');
    syncUntilQuiet([a, b]);
    const plan = b.plan({ isIgnored: (p) => p === 'build' || p.startsWith('build/') });
    expect(plan.actions.map((x) => x.type)).toEqual(['forget', 'forget']);
  });

  it('keeps local files when the remote prefix was emptied or replaced (42)', () => {
    const { remote, a, b } = world();
    for (let i = 0; i < 3; i++) a.write(`f${i}.txt`, `c${i}`);
    syncUntilQuiet([a, b]);
    remote.objects.clear();
    expect(b.plan().stop).toMatchObject({ code: 'remote-empty', direction: 'local', count: 3 });
  });

  it('leaves unreadable or changing local files alone (36)', () => {
    const { a, b } = world();
    a.write('locked.xlsx', 'v1');
    syncUntilQuiet([a, b]);
    a.local.delete('locked.xlsx'); // the scanner could not read it, so it is not in the snapshot
    expect(a.plan({ unsettled: new Set(['locked.xlsx']) }).actions).toEqual([]);
  });

  it('leaves everything under a folder it could not list alone (36, 37)', () => {
    const { a, b } = world();
    a.write('private/one.txt', '1');
    a.write('private/deep/two.txt', '2');
    a.write('other.txt', 'o');
    syncUntilQuiet([a, b]);
    a.remove('private'); // unreadable folder: the scanner saw nothing inside it
    a.mkdirp('private');
    expect(a.plan({ unsettled: new Set(['private']) }).actions).toEqual([]);
  });
});
