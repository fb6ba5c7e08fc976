/**
 * "Start at login": `app.setLoginItemSettings` on macOS and Windows; on
 * Linux an XDG autostart entry (`$XDG_CONFIG_HOME/autostart/stratus.desktop`,
 * https://specifications.freedesktop.org/autostart-spec/latest/), since
 * Electron's login items do not exist there. Only the packaged app registers
 * itself: a development run would register the bare Electron binary.
 * Pure and node:fs parts only; composition.ts passes Electron's `app`.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The part of Electron's `app` used here. */
export interface LoginItemApp {
  readonly isPackaged: boolean;
  setLoginItemSettings(settings: { openAtLogin: boolean; openAsHidden?: boolean; args?: string[] }): void;
}

/** Passed at login (Windows login item, Linux autostart) so the app starts in the tray without opening its window; macOS passes no arguments (index.ts asks `wasOpenedAtLogin`). */
export const HIDDEN_ARG = '--hidden';

/** Quotes one Exec argument as the desktop entry spec says (double quotes; \ " ` $ escaped). */
function quoteExec(arg: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(arg) ? arg : `"${arg.replace(/([\\"`$])/g, '\\$1')}"`;
}

/** The autostart entry for `exec` (the AppImage or the installed binary). */
export function linuxAutostartEntry(exec: string): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Stratus',
    'Comment=Keeps your Stratus folder in sync',
    `Exec=${quoteExec(exec)} ${HIDDEN_ARG}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export function linuxAutostartFile(env: Readonly<Record<string, string | undefined>>, home = homedir()): string {
  const configHome = env['XDG_CONFIG_HOME'];
  return join(configHome !== undefined && configHome !== '' ? configHome : join(home, '.config'), 'autostart', 'stratus.desktop');
}

export interface StartAtLoginOptions {
  readonly app: LoginItemApp;
  readonly platform: NodeJS.Platform;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The program to start: $APPIMAGE for an AppImage, else process.execPath. */
  readonly exec: string;
}

/** Makes the OS start Stratus at login, or stop doing so. Returns what it did, for the log. */
export async function applyStartAtLogin(enabled: boolean, o: StartAtLoginOptions): Promise<'skipped-unpackaged' | 'login-item' | 'autostart-file'> {
  if (!o.app.isPackaged) return 'skipped-unpackaged';
  if (o.platform === 'linux') {
    const file = linuxAutostartFile(o.env);
    if (enabled) {
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, linuxAutostartEntry(o.exec), { mode: 0o644 });
    } else {
      await rm(file, { force: true });
    }
    return 'autostart-file';
  }
  o.app.setLoginItemSettings({ openAtLogin: enabled, args: [HIDDEN_ARG] });
  return 'login-item';
}
