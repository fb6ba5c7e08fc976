import { describe, expect, it } from 'vitest';
import type { Plan } from '../../src/core/plan.js';
import { StratusError } from '../../src/core/StratusError.js';
import type { EngineStatus } from '../../src/engine/SyncEngine.js';
import type { SyncResult } from '../../src/engine/SyncResult.js';
import { ExitCode } from '../../src/cli/exitCodes.js';
import { describeFailure } from '../../src/cli/failures.js';
import { planLines, planSummary, statusJson, statusLines, syncJson } from '../../src/cli/output.js';

const expected = { size: 1, mtimeMs: 1 };
const plan: Plan = {
  actions: [
    { type: 'record', path: 'same.txt', entry: { path: 'same.txt', kind: 'file', local: { size: 1, mtimeMs: 1 }, remote: { key: 'p/same.txt', etag: 'e', size: 1 } } },
    { type: 'problem', path: 'bad:name', code: 'name-invalid', message: 'the name cannot be stored' },
    { type: 'moveLocal', path: 'new.txt', from: 'old.txt', expected, reason: 'remote-rename' },
    { type: 'deleteLocal', path: 'gone.txt', expected },
    { type: 'createRemoteFolder', path: 'docs', key: 'p/docs/' },
    { type: 'upload', path: 'docs/a.txt', key: 'p/docs/a.txt', size: 1, md5: 'm', mtimeMs: 1, ifNoneMatch: true },
    { type: 'download', path: 'b.txt', key: 'p/b.txt', etag: 'e', size: 1 },
    { type: 'conflict', path: 'c.txt', conflictPath: 'c (conflicted copy host 2026-01-01 000000).txt', conflictKey: 'k', key: 'p/c.txt', etag: 'e', size: 1, expected },
    { type: 'deleteRemote', path: 'old/x.txt', key: 'p/old/x.txt', etag: 'e' },
  ],
};

function result(overrides: Partial<SyncResult> = {}): SyncResult {
  return {
    dryRun: false,
    plan,
    counts: { uploaded: 1, downloaded: 1, deletedLocal: 1, deletedRemote: 1, moved: 1, conflicts: 1, errors: 1 },
    errors: [{ path: 'b.txt', code: 'remote-missing', message: '"p/b.txt" no longer exists on the server.', retrying: false }],
    runAgain: false,
    durationMs: 42,
    ...overrides,
  };
}

describe('plan listing', () => {
  it('prints one line per action that changes something, in plan order, with journal-only actions left out', () => {
    expect(planLines(plan)).toEqual([
      'problem        bad:name: the name cannot be stored',
      'move-local     old.txt -> new.txt',
      'delete-local   gone.txt',
      'mkdir-remote   docs',
      'upload         docs/a.txt',
      'download       b.txt',
      'conflict       c.txt (this computer\'s version kept as "c (conflicted copy host 2026-01-01 000000).txt")',
      'delete-remote  old/x.txt',
    ]);
  });

  it('sums up a dry run with the numbers a real run would report (files only, problems as errors)', () => {
    expect(planSummary(plan)).toBe('dry run: would do 1 up, 1 down, 1 deleted here, 1 deleted remotely, 1 moved, 1 conflict, 1 error; nothing was changed');
    expect(planSummary({ actions: [] })).toBe('dry run: would do 0 up, 0 down, 0 conflicts, 0 errors; nothing was changed');
  });
});

describe('sync --json', () => {
  it('has exactly the documented fields for a run', () => {
    expect(syncJson(result())).toEqual({
      uploaded: 1, downloaded: 1, deletedLocal: 1, deletedRemote: 1, conflicts: 1, errors: 1, moved: 1,
      items: [{ path: 'b.txt', code: 'remote-missing', message: '"p/b.txt" no longer exists on the server.' }],
      durationMs: 42, dryRun: false,
    });
  });

  it('carries a safety stop with its code, direction, count and message', () => {
    const stopped = { code: 'mass-delete', direction: 'remote', count: 600, message: 'This run would delete 600 files on the server.', sample: ['a.txt', 'b.txt'] } as const;
    expect(syncJson(result({ stopped, errors: [] })).stopped).toEqual(stopped);
  });

  it('reports a dry run by what the plan would do, with the plan and its problems', () => {
    const json = syncJson(result({ dryRun: true, errors: [], counts: { uploaded: 0, downloaded: 0, deletedLocal: 0, deletedRemote: 0, moved: 0, conflicts: 0, errors: 1 } }));
    expect(json).toMatchObject({ uploaded: 1, downloaded: 1, moved: 1, errors: 1, dryRun: true });
    expect(json.items).toEqual([{ path: 'bad:name', code: 'name-invalid', message: 'the name cannot be stored' }]);
    expect(json.actions?.map((a) => a.action)).toEqual(['problem', 'move-local', 'delete-local', 'mkdir-remote', 'upload', 'download', 'conflict', 'delete-remote']);
    expect(json.actions?.[1]).toEqual({ action: 'move-local', path: 'new.txt', from: 'old.txt' });
  });
});

describe('status output', () => {
  const status: EngineStatus = {
    root: '/home/ada/Stratus',
    location: { bucket: 'stratus', prefix: 'ada/', endpoint: 'http://127.0.0.1:4566' },
    syncedFiles: 12,
    syncedFolders: 1,
    retries: [{ path: 'big.iso', attempts: 3, nextAttemptAt: Date.UTC(2026, 0, 2, 3, 4, 5), lastError: 'The storage server is busy' }],
    lastRun: { at: '2026-01-02T03:00:00.000Z', counts: { uploaded: 2, downloaded: 0, deletedLocal: 0, deletedRemote: 0, moved: 0, conflicts: 0, errors: 1 } },
  };

  it('shows folder, location, counts, last run and each pending retry', () => {
    expect(statusLines(status)).toEqual([
      'folder:     /home/ada/Stratus',
      'location:   s3://stratus/ada/ at http://127.0.0.1:4566',
      'synced:     12 files, 1 folder',
      'last run:   2026-01-02T03:00:00.000Z: 2 up, 0 down, 0 conflicts, 1 error',
      'retries:    1 pending',
      '  big.iso: 3 attempts, next 2026-01-02T03:04:05.000Z, last error: The storage server is busy',
    ]);
  });

  it('says plainly when a folder was never synced', () => {
    expect(statusLines({ root: '/x', syncedFiles: 0, syncedFolders: 0, retries: [] })).toEqual([
      'folder:     /x', 'location:   not synced yet', 'synced:     0 files, 0 folders', 'last run:   never', 'retries:    none pending',
    ]);
  });

  it('gives --json times as ISO strings and null for what is not known', () => {
    expect(statusJson(status)).toMatchObject({ folder: '/home/ada/Stratus', retries: [{ nextAttemptAt: '2026-01-02T03:04:05.000Z', attempts: 3 }] });
    expect(statusJson({ root: '/x', syncedFiles: 0, syncedFolders: 0, retries: [] })).toEqual({
      folder: '/x', location: null, syncedFiles: 0, syncedFolders: 0, retries: [], lastRun: null,
    });
  });
});

describe('failure lines', () => {
  const context = { bucket: 'stratus', prefix: 'ada/', endpoint: 'http://127.0.0.1:4566', folder: '/home/ada/Stratus' };
  const wrapped = (code: string): StratusError =>
    new StratusError('remote-list-failed', 'Listing failed after 0 page(s).', { severity: 'fatal', cause: new StratusError(code, 'inner', { severity: 'fatal' }) });

  it('finds the specific code inside a wrapped listing failure and says what to check, exit 2', () => {
    expect(describeFailure(wrapped('no-such-bucket'), context)).toEqual({
      line: 'the bucket "stratus" does not exist at http://127.0.0.1:4566 (check --bucket and --region)', exitCode: ExitCode.usage,
    });
    expect(describeFailure(wrapped('access-denied'), context)).toEqual({
      line: 'access denied to s3://stratus/ada/ (check the credentials and that they may use this prefix)', exitCode: ExitCode.usage,
    });
    expect(describeFailure(wrapped('network'), context)).toEqual({
      line: 'cannot reach http://127.0.0.1:4566 (is the server running? check --endpoint)', exitCode: ExitCode.usage,
    });
  });

  it('passes the engine\'s own message for a locked folder (it names the holding pid), exit 2', () => {
    const locked = new StratusError('sync-root-locked', 'Another Stratus is already syncing /x (pid 42 on host); stop it first, or choose another folder.', { severity: 'fatal' });
    expect(describeFailure(locked, context)).toEqual({ line: locked.message, exitCode: ExitCode.usage });
  });

  it('treats a failed run that was correctly configured as exit 1, and a non-Stratus error as unexpected', () => {
    expect(describeFailure(wrapped('server-busy'), context)).toEqual({ line: 'Listing failed after 0 page(s).', exitCode: ExitCode.itemsFailed });
    expect(describeFailure(new TypeError('x is undefined'), context)).toEqual({
      line: 'unexpected error: x is undefined (run with --verbose for details)', exitCode: ExitCode.itemsFailed,
    });
  });

  it('reports an interrupted run with the shell\'s SIGINT code, whatever the failure looked like', () => {
    const interrupted = { line: 'interrupted; nothing more was changed', exitCode: ExitCode.interrupted };
    expect(describeFailure(new StratusError('aborted', 'Stopped.', { severity: 'soft' }), context)).toEqual(interrupted);
    expect(describeFailure(new DOMException('This operation was aborted', 'AbortError'), { ...context, interrupted: true })).toEqual(interrupted);
  });
});
