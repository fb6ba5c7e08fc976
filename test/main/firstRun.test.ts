/**
 * The first-run flow: sign in → choose the folder (default ~/Stratus,
 * created empty; a folder with files is merged after a confirmation) → first
 * sync with progress → done with the tray line.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  defaultFolder, folderDecision, firstRunNext, setupState, firstRunStart, firstSyncDone, firstSyncProgress, inspectFolder, mergeQuestion, TRAY_LINE,
  type FirstRunFacts, type FirstRunState,
} from '../../src/main/firstRun.js';
import type { StatusSnapshot } from '../../src/shared/StratusApi.js';

const home = '/home/ada';
const facts: FirstRunFacts = { needsSignIn: true, home };
const checking: StatusSnapshot = { version: 1, auth: 'signed-in', sync: 'checking' };
const syncing: StatusSnapshot = { version: 1, auth: 'signed-in', sync: 'syncing', progress: { done: 3, total: 12, bytesLeft: 10, current: [] } };
const upToDate: StatusSnapshot = { version: 1, auth: 'signed-in', sync: 'up-to-date', lastCheckAt: '2026-11-22T10:00:00.000Z' };

describe('firstRunStart', () => {
  it('starts with Sign in when an account is needed, else with the folder, else not at all', () => {
    expect(firstRunStart(facts)).toEqual({ step: 'sign-in' });
    expect(firstRunStart({ needsSignIn: false, home })).toEqual({ step: 'choose-folder', suggested: '/home/ada/Stratus' });
    expect(firstRunStart({ needsSignIn: false, home, folder: '/x' })).toBeUndefined();
    // Signed out later, folder known: only the sign-in, then straight to syncing.
    const start = firstRunStart({ needsSignIn: true, home, folder: '/x' });
    expect(firstRunNext(start!, { type: 'signed-in' }, { needsSignIn: false, home, folder: '/x' })).toEqual({ step: 'first-sync', folder: '/x', create: false });
  });
});

describe('firstRunNext', () => {
  it('walks the whole flow with the default folder (created empty)', () => {
    let state: FirstRunState = { step: 'sign-in' };
    state = firstRunNext(state, { type: 'sign-in-failed', message: 'The sign-in window was closed' }, facts);
    expect(state).toEqual({ step: 'sign-in', problem: 'The sign-in window was closed' });
    state = firstRunNext(state, { type: 'signed-in' }, facts);
    expect(state).toEqual({ step: 'choose-folder', suggested: defaultFolder(home) });
    state = firstRunNext(state, { type: 'folder-chosen', folder: '/home/ada/Stratus', inspection: { kind: 'missing' } }, facts);
    expect(state).toEqual({ step: 'first-sync', folder: '/home/ada/Stratus', create: true });
    for (const status of [checking, syncing, { ...upToDate, sync: 'checking' } as StatusSnapshot]) {
      state = firstRunNext(state, { type: 'status', status }, facts);
      expect(state.step).toBe('first-sync');
    }
    state = firstRunNext(state, { type: 'status', status: upToDate }, facts);
    expect(state).toEqual({ step: 'done', folder: '/home/ada/Stratus', message: TRAY_LINE });
    expect(TRAY_LINE).toMatch(/^Stratus lives in the tray/);
  });

  it('asks before merging a folder that holds files, and goes back to choosing when declined', () => {
    const choose: FirstRunState = { step: 'choose-folder', suggested: defaultFolder(home) };
    const confirm = firstRunNext(choose, { type: 'folder-chosen', folder: '/home/ada/Documents', inspection: { kind: 'non-empty', entries: 12 } }, facts);
    expect(confirm).toEqual({ step: 'confirm-merge', folder: '/home/ada/Documents', entries: 12 });
    expect(firstRunNext(confirm, { type: 'merge-confirmed' }, facts)).toEqual({ step: 'first-sync', folder: '/home/ada/Documents', create: false });
    expect(firstRunNext(confirm, { type: 'merge-declined' }, facts)).toEqual(choose);
    expect(mergeQuestion('/home/ada/Documents', 12)).toBe('/home/ada/Documents already holds 12 items. Stratus will merge it with what is in the cloud: files from both sides are kept, and nothing is deleted.');
  });

  it('uses an existing empty folder as it is, and asks again with the reason for a refused one', () => {
    const choose: FirstRunState = { step: 'choose-folder', suggested: defaultFolder(home) };
    expect(firstRunNext(choose, { type: 'folder-chosen', folder: '/e', inspection: { kind: 'empty' } }, facts)).toEqual({ step: 'first-sync', folder: '/e', create: false });
    expect(firstRunNext(choose, { type: 'folder-chosen', folder: '/home/ada', inspection: { kind: 'refused', reason: 'whole home' } }, facts))
      .toEqual({ ...choose, problem: 'whole home' });
  });

  it('ignores events that do not belong to the step', () => {
    const signIn: FirstRunState = { step: 'sign-in' };
    expect(firstRunNext(signIn, { type: 'merge-confirmed' }, facts)).toBe(signIn);
    const done: FirstRunState = { step: 'done', folder: '/f', message: TRAY_LINE };
    expect(firstRunNext(done, { type: 'signed-in' }, facts)).toBe(done);
  });
});

describe('first sync progress', () => {
  it('is done only after a completed check that is not still checking or moving files', () => {
    expect(firstSyncDone(checking)).toBe(false);
    expect(firstSyncDone({ ...syncing, lastCheckAt: '2026-11-22T10:00:00.000Z' })).toBe(false);
    expect(firstSyncDone(upToDate)).toBe(true);
    expect(firstSyncDone({ ...upToDate, sync: 'needs-attention' })).toBe(true);
  });

  it('says what is happening', () => {
    expect(firstSyncProgress(syncing)).toBe('Syncing your files: 3 of 12 done');
    expect(firstSyncProgress(checking)).toBe('Comparing your folder with the cloud…');
    expect(firstSyncProgress({ ...checking, sync: 'offline' })).toBe('Waiting for the network…');
  });
});

describe('inspectFolder', () => {
  it('tells missing, empty (ignoring .stratus) and non-empty folders apart, and refuses files, home and root', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stratus-first-run-'));
    expect(await inspectFolder(join(dir, 'nope'), home)).toEqual({ kind: 'missing' });
    await mkdir(join(dir, 'empty', '.stratus'), { recursive: true });
    expect(await inspectFolder(join(dir, 'empty'), home)).toEqual({ kind: 'empty' });
    await mkdir(join(dir, 'full'));
    await writeFile(join(dir, 'full', 'a.txt'), 'a');
    await mkdir(join(dir, 'full', 'sub'));
    expect(await inspectFolder(join(dir, 'full'), home)).toEqual({ kind: 'non-empty', entries: 2 });
    expect((await inspectFolder(join(dir, 'full', 'a.txt'), home)).kind).toBe('refused');
    expect(await inspectFolder(dir, dir)).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/whole home folder/) as unknown as string });
    expect(await inspectFolder('/', home)).toMatchObject({ kind: 'refused' });
  });
});

describe('the choose-folder command and the snapshot', () => {
  it('creates a missing folder, uses an empty one, asks before merging, and refuses with the reason', () => {
    expect(folderDecision('/f', { kind: 'missing' }, false)).toEqual({ accept: true, create: true });
    expect(folderDecision('/f', { kind: 'empty' }, false)).toEqual({ accept: true, create: false });
    expect(folderDecision('/f', { kind: 'non-empty', entries: 1 }, false)).toEqual({
      accept: false, result: { ok: false, confirm: '/f already holds 1 item. Stratus will merge it with what is in the cloud: files from both sides are kept, and nothing is deleted.' },
    });
    expect(folderDecision('/f', { kind: 'non-empty', entries: 1 }, true)).toEqual({ accept: true, create: false });
    expect(folderDecision('/f', { kind: 'refused', reason: 'a file' }, true)).toEqual({ accept: false, result: { ok: false, message: 'a file' } });
  });

  it('tells the renderer the step, the suggested folder and the machine', () => {
    const at = { home, machine: 'ada-laptop' };
    expect(setupState({ step: 'sign-in' }, at)).toEqual({ step: 'sign-in', suggestedFolder: '/home/ada/Stratus', machine: 'ada-laptop' });
    expect(setupState({ step: 'confirm-merge', folder: '/x', entries: 2 }, at).step).toBe('choose-folder');
    expect(setupState({ step: 'first-sync', folder: '/x', create: false }, at).step).toBe('first-sync');
    expect(setupState({ step: 'done', folder: '/x', message: TRAY_LINE }, at).step).toBe('done');
  });
});
