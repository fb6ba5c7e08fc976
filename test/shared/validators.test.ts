import { describe, expect, it } from 'vitest';
import { initialStatus, isCommandResult, isStatusSnapshot, isStratusCommand } from '../../src/shared/validators.js';

describe('isStatusSnapshot', () => {
  it('accepts the initial status and a full one', () => {
    expect(isStatusSnapshot(initialStatus())).toBe(true);
    expect(
      isStatusSnapshot({
        version: 1,
        auth: 'signed-in',
        sync: 'needs-attention',
        account: 'a@b.c',
        folder: '/home/a/Stratus',
        lastCheckAt: '2026-11-22T00:00:00Z',
        message: 'Bucket not found',
      }),
    ).toBe(true);
  });

  it.each([
    ['null', null],
    ['an array', []],
    ['a wrong version', { version: 2, auth: 'signed-out', sync: 'checking' }],
    ['an unknown auth state', { version: 1, auth: 'root', sync: 'checking' }],
    ['an unknown sync state', { version: 1, auth: 'signed-out', sync: 'exploded' }],
    ['a non-string message', { version: 1, auth: 'signed-out', sync: 'checking', message: { html: '<b>' } }],
  ])('rejects %s', (_name, value) => {
    expect(isStatusSnapshot(value)).toBe(false);
  });
});

describe('isStratusCommand', () => {
  it('accepts every command of the contract', () => {
    for (const command of [
      { type: 'pause' }, { type: 'pause', minutes: 30 }, { type: 'resume' }, { type: 'sync-now' },
      { type: 'retry-now' }, { type: 'retry-now', path: 'docs/a b.txt' }, { type: 'confirm-deletes' }, { type: 'confirm-download' }, { type: 'restore-deletes' },
      { type: 'resolve-conflict', path: 'n.txt', keep: 'here' }, { type: 'resolve-conflict', path: 'n.txt', keep: 'other' },
      { type: 'resolve-conflict', path: 'n.txt', keep: 'both' }, { type: 'ignore-path', path: '.cache/x' },
      { type: 'open-path', path: 'a' }, { type: 'show-in-folder', path: 'a/b' },
    ]) expect(isStratusCommand(command), JSON.stringify(command)).toBe(true);
  });

  it('refuses paths that could leave the sync folder, and malformed commands', () => {
    for (const path of ['', '/etc/passwd', '../x', 'a/../../x', 'a//b', './a', 'a/.', 'a/', 'nul\0byte', 'x'.repeat(4097), 7]) {
      expect(isStratusCommand({ type: 'open-path', path }), JSON.stringify(path)).toBe(false);
      expect(isStratusCommand({ type: 'resolve-conflict', path, keep: 'both' })).toBe(false);
    }
    for (const command of [
      null, [], 'pause', { type: 'format-disk' }, { type: 'pause', minutes: 0 }, { type: 'pause', minutes: 1.5 },
      { type: 'pause', minutes: 7 * 24 * 60 + 1 }, { type: 'resolve-conflict', path: 'a', keep: 'mine' }, { type: 'ignore-path' },
    ]) expect(isStratusCommand(command), JSON.stringify(command)).toBe(false);
  });

  it('checks command results and the new snapshot fields', () => {
    expect(isCommandResult({ ok: true })).toBe(true);
    expect(isCommandResult({ ok: false, message: 'No.' })).toBe(true);
    expect(isCommandResult({ ok: 'yes' })).toBe(false);
    const base = { version: 1, auth: 'signed-in', sync: 'syncing' };
    expect(isStatusSnapshot({ ...base, progress: { done: 1, total: 2, bytesLeft: 10, current: ['a'] } })).toBe(true);
    expect(isStatusSnapshot({ ...base, progress: { done: -1, total: 2, bytesLeft: 10, current: [] } })).toBe(false);
    expect(isStatusSnapshot({ ...base, rail: { code: 'mass-delete', direction: 'remote', count: 3, sample: ['a'], message: 'm' } })).toBe(true);
    expect(isStatusSnapshot({ ...base, rail: { code: 'mass-delete', direction: 'up', count: 3, sample: [], message: 'm' } })).toBe(false);
    expect(isStatusSnapshot({ ...base, attention: [{ kind: 'error', path: 'a', message: 'm', retrying: true }] })).toBe(true);
    expect(isStatusSnapshot({ ...base, attention: [{ kind: 'conflict', path: 'a', message: 'm', at: 't', here: { path: 'a (c).txt', size: 1, modifiedAt: 't' }, other: { path: 'a', size: 2, modifiedAt: 't' } }] })).toBe(true);
    expect(isStatusSnapshot({ ...base, attention: [{ kind: 'conflict', path: 'a', message: 'm', at: 't', here: { path: 'a', size: 1, modifiedAt: 't' } }] })).toBe(false);
    expect(isStatusSnapshot({ ...base, location: { bucket: 'b', prefix: 'p/', usedBytes: 5 } })).toBe(true);
    expect(isStatusSnapshot({ ...base, canOpenFiles: 'yes' })).toBe(false);
  });
});
