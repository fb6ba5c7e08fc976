/**
 * The app's command handling: paths for open/show-in-folder never leave the
 * sync folder (a string check, on POSIX and Windows rules), those two are
 * done in main with the desktop shell, everything else goes to the engine,
 * and a malformed command is refused with a sentence.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCommandRunner, resolveInsideFolder, type DesktopShell } from '../../src/main/commandRunner.js';
import type { StratusCommand } from '../../src/shared/StratusApi.js';

describe('resolveInsideFolder', () => {
  it('maps a relative /-separated path into the folder', () => {
    expect(resolveInsideFolder('/home/ada/Stratus', 'docs/report.txt', path.posix)).toBe('/home/ada/Stratus/docs/report.txt');
    expect(resolveInsideFolder('/home/ada/Stratus/', 'a..b/..c', path.posix)).toBe('/home/ada/Stratus/a..b/..c');
    expect(resolveInsideFolder('C:\\Users\\ada\\Stratus', 'docs/report.txt', path.win32)).toBe('C:\\Users\\ada\\Stratus\\docs\\report.txt');
  });

  it('refuses .. segments, wherever they are', () => {
    for (const p of ['..', '../x', 'docs/../../x', 'docs/..', 'a/./../..']) {
      expect(resolveInsideFolder('/home/ada/Stratus', p, path.posix)).toBeUndefined();
    }
    expect(resolveInsideFolder('C:\\S', 'docs\\..\\..\\Windows', path.win32)).toBeUndefined();
    // On POSIX a backslash is a character of a name, but it is still refused as a '..' separator.
    expect(resolveInsideFolder('/home/ada/Stratus', '..\\etc', path.posix)).toBeUndefined();
  });

  it('refuses absolute paths of any platform', () => {
    for (const p of ['/etc/passwd', 'C:\\Windows\\system32', 'C:/Windows', 'c:relative', '\\\\server\\share\\x', '//server/share']) {
      expect(resolveInsideFolder('/home/ada/Stratus', p, path.posix)).toBeUndefined();
      expect(resolveInsideFolder('C:\\Users\\ada\\Stratus', p, path.win32)).toBeUndefined();
    }
  });

  it('refuses the empty path, the folder itself and NUL', () => {
    expect(resolveInsideFolder('/s', '', path.posix)).toBeUndefined();
    expect(resolveInsideFolder('/s', '.', path.posix)).toBeUndefined();
    expect(resolveInsideFolder('/s', 'a\0b', path.posix)).toBeUndefined();
  });

  it('does not let a sibling folder with the same prefix pass', () => {
    expect(resolveInsideFolder('/home/ada/Stratus', '../Stratus-other/x', path.posix)).toBeUndefined();
  });
});

describe('createCommandRunner', () => {
  function setup(options: { folder?: string | undefined; engine?: boolean; exists?: boolean; openError?: string } = {}) {
    const opened: string[] = [];
    const shown: string[] = [];
    const toEngine: StratusCommand[] = [];
    const shell: DesktopShell = {
      openPath: (p) => {
        opened.push(p);
        return Promise.resolve(options.openError ?? '');
      },
      showItemInFolder: (p) => shown.push(p),
    };
    const run = createCommandRunner({
      folder: () => ('folder' in options ? options.folder : '/home/ada/Stratus'),
      shell,
      engine: () => (options.engine === false ? undefined : {
        run: (command) => {
          toEngine.push(command);
          return Promise.resolve({ ok: true, message: 'engine did it' });
        },
      }),
      exists: () => Promise.resolve(options.exists ?? true),
    });
    return { run, opened, shown, toEngine };
  }

  it('opens a file and shows one in the file manager, in main, inside the folder', async () => {
    const { run, opened, shown, toEngine } = setup();
    expect(await run({ type: 'open-path', path: 'docs/a.txt' })).toEqual({ ok: true });
    expect(await run({ type: 'show-in-folder', path: 'docs/a.txt' })).toEqual({ ok: true });
    expect(opened).toEqual([path.resolve('/home/ada/Stratus', 'docs/a.txt')]);
    expect(shown).toEqual([path.resolve('/home/ada/Stratus', 'docs/a.txt')]);
    expect(toEngine).toEqual([]);
  });

  it('refuses a path outside the folder before the shell sees it (the validator already refuses ..)', async () => {
    const { run, opened } = setup();
    const result = await run({ type: 'open-path', path: '../secret.txt' });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/does not understand/);
    expect(opened).toEqual([]);
  });

  it('says when the file is gone, when opening failed, and when no folder is chosen', async () => {
    expect((await setup({ exists: false }).run({ type: 'open-path', path: 'a.txt' })).message).toMatch(/no longer in your Stratus folder/);
    expect((await setup({ openError: 'No application is associated' }).run({ type: 'open-path', path: 'a.txt' })).message)
      .toBe('"a.txt" could not be opened: No application is associated');
    expect((await setup({ folder: undefined }).run({ type: 'show-in-folder', path: 'a.txt' })).message).toMatch(/No sync folder/);
  });

  it('forwards every other command to the engine, and says so when none runs', async () => {
    const { run, toEngine } = setup();
    expect(await run({ type: 'pause', minutes: 30 })).toEqual({ ok: true, message: 'engine did it' });
    expect(await run({ type: 'resolve-conflict', path: 'a.txt', keep: 'both' })).toEqual({ ok: true, message: 'engine did it' });
    expect(toEngine).toEqual([{ type: 'pause', minutes: 30 }, { type: 'resolve-conflict', path: 'a.txt', keep: 'both' }]);
    expect((await setup({ engine: false }).run({ type: 'sync-now' })).message).toMatch(/not running/);
  });

  it('opens the logs folder in main, and says so where it cannot', async () => {
    const run = createCommandRunner({ folder: () => '/f', shell: { openPath: () => Promise.resolve(''), showItemInFolder: () => undefined }, engine: () => undefined, openLogs: () => Promise.resolve({ ok: true }) });
    expect(await run({ type: 'open-logs' })).toEqual({ ok: true });
    expect((await setup().run({ type: 'open-logs' })).ok).toBe(false);
  });

  it('refuses malformed commands without throwing', async () => {
    const { run, toEngine } = setup();
    for (const bad of [undefined, 'sync-now', { type: 'format-disk' }, { type: 'pause', minutes: -1 }, { type: 'open-path', path: '/etc/passwd' }]) {
      expect(await run(bad)).toEqual({ ok: false, message: 'Stratus refused a request it does not understand.' });
    }
    expect(toEngine).toEqual([]);
  });
});
