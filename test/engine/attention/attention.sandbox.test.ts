/**
 * The engine's "Needs attention" (issue 8) against the sandbox S3 with real
 * folders: conflicts are recorded with both versions and resolved by trash
 * and rename only; failed items are listed with whether they retry by
 * themselves; "ignore" stops a path syncing without deleting anything; and
 * the header's progress (items starting with their bytes) and storage used.
 */
import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StratusError } from '../../../src/core/StratusError.js';
import type { RemoteStore } from '../../../src/engine/ports.js';
import type { CompletedItem, StartedItem } from '../../../src/engine/SyncResult.js';
import type { EnginePhase } from '../../../src/engine/SyncEngine.js';
import type { AttentionItem } from '../../../src/shared/StratusApi.js';
import { sandboxWorldPerTest } from '../../support/sandboxWorld.js';
import { type EngineClient, type EngineWorld } from '../scenarios/engineWorld.js';

let world: EngineWorld;
sandboxWorldPerTest((_backend, w) => {
  world = w;
});

/** A store that fails uploads of keys ending in `name` with `error`, and forwards everything else. */
function failingUploads(name: string, error: () => StratusError): (store: RemoteStore) => RemoteStore {
  return (store) => ({
    ...(store.prepare === undefined ? {} : { prepare: store.prepare.bind(store) }),
    list: (signal) => store.list(signal),
    head: (key, signal) => store.head(key, signal),
    upload: (request) => (request.key.endsWith(name) ? Promise.reject(error()) : store.upload(request)),
    download: (request) => store.download(request),
    copy: (from, to, conditions) => store.copy(from, to, conditions),
    delete: (key, conditions) => store.delete(key, conditions),
    createFolderMarker: (key) => store.createFolderMarker(key),
  });
}

async function expectInSync(...clients: EngineClient[]): Promise<void> {
  const remote = await world.remoteFiles();
  for (const client of clients) expect(await client.files()).toEqual(remote);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

type ConflictItem = Extract<AttentionItem, { kind: 'conflict' }>;

/** Both clients synced `notes.txt`, then both edited it: the desktop's run keeps both versions. */
async function makeConflict(): Promise<{ laptop: EngineClient; desktop: EngineClient; item: ConflictItem }> {
  const laptop = await world.client('laptop');
  const desktop = await world.client('desktop');
  await laptop.write('notes.txt', 'v1');
  await laptop.sync();
  await desktop.sync();
  await laptop.write('notes.txt', 'from the laptop');
  await laptop.sync();
  await desktop.write('notes.txt', 'from the desktop!');
  const result = await desktop.sync();
  expect(result.counts.conflicts).toBe(1);
  const items = await desktop.engine.attention();
  expect(items).toHaveLength(1);
  const item = items[0] as ConflictItem;
  expect(item.kind).toBe('conflict');
  return { laptop, desktop, item };
}

describe('conflicts in Needs attention', () => {
  it('lists a conflict with this computer\'s version (the copy) and the cloud\'s (the original name)', async () => {
    const { laptop, desktop, item } = await makeConflict();
    expect(item.path).toBe('notes.txt');
    expect(item.here.path).toMatch(/^notes \(conflicted copy desktop .+\)\.txt$/);
    expect(item.here).toMatchObject({ size: 'from the desktop!'.length, device: 'desktop' });
    expect(item.other).toMatchObject({ path: 'notes.txt', size: 'from the laptop'.length });
    expect(item.other.device).toBeUndefined();
    expect(Date.parse(item.here.modifiedAt)).not.toBeNaN();
    expect(Date.parse(item.at)).not.toBeNaN();
    expect(item.message).toContain('notes.txt');
    // The laptop made no conflict: its list is empty.
    await laptop.sync();
    expect(await laptop.engine.attention()).toEqual([]);
    // Kept across a restart of the engine.
    await desktop.close();
    const reopened = await world.client('desktop-reopened', { root: desktop.root, deviceName: 'desktop' });
    expect((await reopened.engine.attention()).map((i) => i.path)).toEqual(['notes.txt']);
  });

  it('keeps both: forgets the conflict, both files stay and stay synced', async () => {
    const { laptop, desktop, item } = await makeConflict();
    expect(await desktop.engine.resolveConflict('notes.txt', 'both')).toMatchObject({ ok: true });
    expect(await desktop.engine.attention()).toEqual([]);
    expect(await desktop.read(item.here.path)).toBe('from the desktop!');
    expect(await desktop.read('notes.txt')).toBe('from the laptop');
    expect((await desktop.sync()).counts).toMatchObject({ deletedLocal: 0, deletedRemote: 0 });
    await laptop.sync();
    await expectInSync(laptop, desktop);
    expect(await desktop.trashed()).toEqual([]);
  });

  it('keeps the cloud\'s version: this computer\'s copy goes to the trash, and the next runs remove it everywhere', async () => {
    const { laptop, desktop, item } = await makeConflict();
    await laptop.sync();
    expect(await desktop.engine.resolveConflict('notes.txt', 'other')).toMatchObject({ ok: true });
    expect(await desktop.trashed()).toEqual([item.here.path]);
    expect(await exists(join(desktop.root, item.here.path))).toBe(false);
    expect(await desktop.engine.attention()).toEqual([]);
    expect((await desktop.sync()).counts).toMatchObject({ deletedRemote: 1, uploaded: 0 });
    expect((await laptop.sync()).counts).toMatchObject({ deletedLocal: 1 });
    expect(await laptop.files()).toEqual(new Map([['notes.txt', 'from the laptop']]));
    await expectInSync(laptop, desktop);
  });

  it('keeps this computer\'s version: the cloud\'s goes to the trash and the copy takes the original name', async () => {
    const { laptop, desktop, item } = await makeConflict();
    await laptop.sync();
    expect(await desktop.engine.resolveConflict('notes.txt', 'here')).toMatchObject({ ok: true });
    expect(await desktop.files()).toEqual(new Map([['notes.txt', 'from the desktop!']]));
    // The cloud's version was not destroyed: it is in the trash.
    expect(await desktop.trashed()).toEqual(['notes.txt']);
    const [trashed] = await readdir(desktop.trashDir);
    expect(await readFile(join(desktop.trashDir, trashed ?? ''), 'utf8')).toBe('from the laptop');
    expect((await desktop.sync()).counts).toMatchObject({ uploaded: 1, deletedRemote: 1 });
    await laptop.sync();
    expect(await laptop.files()).toEqual(new Map([['notes.txt', 'from the desktop!']]));
    await expectInSync(laptop, desktop);
    expect(item.here.path).not.toBe('notes.txt');
  });

  it('refuses when no such conflict is recorded', async () => {
    const { desktop } = await makeConflict();
    const result = await desktop.engine.resolveConflict('other.txt', 'here');
    expect(result.ok).toBe(false);
    expect(result.message).toContain('No conflict is recorded for "other.txt"');
  });

  it('refuses when a file changed since it was shown, and resolves once shown again', async () => {
    const { desktop, item } = await makeConflict();
    await desktop.write(item.here.path, 'edited after the list was shown');
    const refused = await desktop.engine.resolveConflict('notes.txt', 'other');
    expect(refused).toMatchObject({ ok: false, message: expect.stringContaining('changed since the conflict was shown') });
    expect(await desktop.trashed()).toEqual([]);
    const again = (await desktop.engine.attention())[0] as ConflictItem;
    expect(again.here.size).toBe('edited after the list was shown'.length);
    expect(await desktop.engine.resolveConflict('notes.txt', 'other')).toMatchObject({ ok: true });
  });

  it('drops a conflict the user resolved by hand (a file is gone)', async () => {
    const { desktop, item } = await makeConflict();
    await desktop.remove(item.here.path);
    expect(await desktop.engine.attention()).toEqual([]);
    expect(await desktop.engine.resolveConflict('notes.txt', 'here')).toMatchObject({ ok: false });
  });

  it('records a file that met a folder of the same name as a conflict too', async () => {
    const laptop = await world.client('laptop');
    const desktop = await world.client('desktop');
    await laptop.write('plan/inside.txt', 'a folder on the laptop');
    await laptop.sync();
    await desktop.write('plan', 'a file on the desktop');
    const seen: CompletedItem[] = [];
    desktop.engine.onDidCompleteItem((i) => seen.push(i));
    await desktop.sync();
    const conflict = seen.find((i) => i.activity === 'conflict');
    expect(conflict).toMatchObject({ path: 'plan', conflictPath: expect.stringMatching(/^plan \(conflicted copy desktop /) });
    const items = await desktop.engine.attention();
    expect(items).toEqual([expect.objectContaining({ kind: 'conflict', path: 'plan', here: expect.objectContaining({ path: conflict?.conflictPath, size: 21 }) })]);
  });
});

describe('errors in Needs attention', () => {
  it('lists a failed item that needs the user, with its reason, and one that retries by itself', async () => {
    const a = await world.client('laptop', {
      wrapRemote: (store) =>
        failingUploads('secret.txt', () => new StratusError('access-denied', 'Stratus may not write "secret.txt" in the cloud (access denied). Check the bucket policy.', { path: 'secret.txt' }))(
          failingUploads('busy.txt', () => new StratusError('network', 'The connection dropped while uploading "busy.txt"; Stratus tries again.', { severity: 'soft', path: 'busy.txt' }))(store),
        ),
    });
    await a.write('secret.txt', 'x');
    await a.write('busy.txt', 'y');
    await a.write('fine.txt', 'z');
    const before = Date.now();
    const result = await a.sync();
    expect(result.counts).toMatchObject({ uploaded: 1, errors: 2 });
    const items = await a.engine.attention();
    expect(items).toEqual([
      { kind: 'error', path: 'secret.txt', message: expect.stringContaining('access denied'), retrying: false, attempts: 1, nextAttemptAt: expect.any(String) },
      { kind: 'error', path: 'busy.txt', message: expect.stringContaining('connection dropped'), retrying: true, attempts: 1, nextAttemptAt: expect.any(String) },
    ]);
    const due = Date.parse((items[1] as { nextAttemptAt: string }).nextAttemptAt);
    expect(due).toBeGreaterThan(before);

    await a.write('busy.txt', 'y2');
    expect((await a.engine.retryNow()) > 0).toBe(true);
    await a.sync();
    expect((await a.engine.attention()).find((i) => i.path === 'busy.txt')).toMatchObject({ retrying: true, attempts: 2 });
  });

  it('forgets the error of a file the user deleted', async () => {
    const a = await world.client('laptop', {
      wrapRemote: failingUploads('busy.txt', () => new StratusError('network', 'The connection dropped.', { severity: 'soft', path: 'busy.txt' })),
    });
    await a.write('busy.txt', 'y');
    await a.sync();
    expect(await a.engine.attention()).toHaveLength(1);
    await a.remove('busy.txt');
    await a.engine.retryNow();
    await a.sync();
    expect(await a.engine.attention()).toEqual([]);
  });

  it('ignores a failing path: one exact rule, its error gone, nothing deleted anywhere', async () => {
    const a = await world.client('laptop', {
      wrapRemote: failingUploads('a*b [1].txt', () => new StratusError('access-denied', 'Access denied.', { path: 'a*b [1].txt' })),
    });
    await a.write('a*b [1].txt', 'private');
    await a.write('axb [1].txt', 'a sibling that still syncs');
    await a.sync();
    expect((await a.engine.attention()).map((i) => i.path)).toEqual(['a*b [1].txt']);

    expect(await a.engine.ignorePath('a*b [1].txt')).toMatchObject({ ok: true });
    expect(await a.read('.stratusignore')).toBe('/a\\*b \\[1\\].txt\n');
    expect(await a.engine.attention()).toEqual([]);
    expect(await a.engine.ignorePath('a*b [1].txt')).toMatchObject({ ok: true, message: expect.stringContaining('already') });
    expect(await a.engine.ignorePath('../outside')).toMatchObject({ ok: false });

    const next = await a.sync();
    expect(next.counts).toMatchObject({ uploaded: 1, errors: 0, deletedLocal: 0, deletedRemote: 0 });
    expect(await a.read('a*b [1].txt')).toBe('private');
    expect([...(await world.remoteFiles()).keys()].sort()).toEqual(['.stratusignore', 'axb [1].txt']);
    expect(await a.engine.attention()).toEqual([]);
  });
});

describe('progress and storage used', () => {
  it('tells each transfer as it starts with its bytes, and as it finishes', async () => {
    const a = await world.client('laptop');
    await a.write('three.txt', 'abc');
    await a.write('docs/five.txt', 'abcde');
    const started: StartedItem[] = [];
    const completed: CompletedItem[] = [];
    const phases: EnginePhase[] = [];
    a.engine.onDidStartItem((i) => started.push(i));
    a.engine.onDidCompleteItem((i) => completed.push(i));
    a.engine.onDidChangePhase((p) => phases.push(p));
    await a.sync();
    const byPath = (x: { path: string }, y: { path: string }) => (x.path < y.path ? -1 : 1);
    expect(started.sort(byPath)).toEqual([
      { path: 'docs', bytes: 0 },
      { path: 'docs/five.txt', bytes: 5 },
      { path: 'three.txt', bytes: 3 },
    ]);
    expect(completed.sort(byPath)).toEqual([
      { path: 'docs', activity: 'folder-created' },
      { path: 'docs/five.txt', activity: 'uploaded', bytes: 5 },
      { path: 'three.txt', activity: 'uploaded', bytes: 3 },
    ]);
    expect(phases).toContainEqual(expect.objectContaining({ phase: 'transferring', actions: 3, bytes: 8 }));
  });

  it('reports the files and bytes the prefix holds, without folder markers or the engine\'s own keys', async () => {
    const a = await world.client('laptop');
    await a.write('three.txt', 'abc');
    await a.write('docs/five.txt', 'abcde');
    await a.mkdir('empty');
    const first = await a.sync();
    expect(first.remoteUsage).toEqual({ files: 0, bytes: 0 });
    const second = await a.sync();
    expect(second.remoteUsage).toEqual({ files: 2, bytes: 8 });
    expect((await world.remoteKeys()).some((k) => k.endsWith('/'))).toBe(true);
    expect((await a.sync({ dryRun: true })).remoteUsage).toBeUndefined();
  });
});
