/**
 * Start at login: a login item on macOS/Windows, an XDG autostart entry on
 * Linux, nothing for an unpackaged (development) run.
 */
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyStartAtLogin, linuxAutostartEntry, linuxAutostartFile, type LoginItemApp } from '../../src/main/startAtLogin.js';

function fakeApp(isPackaged: boolean): LoginItemApp & { calls: unknown[] } {
  const calls: unknown[] = [];
  return { isPackaged, calls, setLoginItemSettings: (s) => calls.push(s) };
}

describe('start at login', () => {
  it('does nothing for a development run', async () => {
    const app = fakeApp(false);
    expect(await applyStartAtLogin(true, { app, platform: 'darwin', env: {}, exec: '/x' })).toBe('skipped-unpackaged');
    expect(app.calls).toEqual([]);
  });

  it('uses a login item on macOS and Windows, starting hidden in the tray', async () => {
    for (const platform of ['darwin', 'win32'] as const) {
      const app = fakeApp(true);
      await applyStartAtLogin(true, { app, platform, env: {}, exec: '/x' });
      await applyStartAtLogin(false, { app, platform, env: {}, exec: '/x' });
      expect(app.calls).toEqual([{ openAtLogin: true, args: ['--hidden'] }, { openAtLogin: false, args: ['--hidden'] }]);
    }
  });

  it('writes and removes an XDG autostart entry on Linux', async () => {
    const config = await mkdtemp(join(tmpdir(), 'stratus-xdg-'));
    const env = { XDG_CONFIG_HOME: config };
    const file = join(config, 'autostart', 'stratus.desktop');
    expect(linuxAutostartFile(env)).toBe(file);
    expect(linuxAutostartFile({}, '/home/ada')).toBe('/home/ada/.config/autostart/stratus.desktop');
    expect(await applyStartAtLogin(true, { app: fakeApp(true), platform: 'linux', env, exec: '/opt/Stratus/stratus' })).toBe('autostart-file');
    expect(await readFile(file, 'utf8')).toContain('Exec=/opt/Stratus/stratus --hidden\n');
    await applyStartAtLogin(false, { app: fakeApp(true), platform: 'linux', env, exec: '/opt/Stratus/stratus' });
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
  });

  it('quotes an Exec path with spaces or specials as the desktop entry spec says', () => {
    expect(linuxAutostartEntry('/home/ada/My Apps/Stratus.AppImage')).toContain('Exec="/home/ada/My Apps/Stratus.AppImage" --hidden');
    expect(linuxAutostartEntry('/a/$b"c')).toContain('Exec="/a/\\$b\\"c" --hidden');
  });
});
