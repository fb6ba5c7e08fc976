/**
 * Where the CLI keeps its state (the sign-in files): the platform's per-user
 * configuration folder, or STRATUS_STATE_DIR when set (tests, portable
 * installs). Pure: the environment, platform and home come from the caller, so
 * tests never touch the developer's real folders.
 *
 *   STRATUS_STATE_DIR                 when set and not empty
 *   Linux/BSD  $XDG_CONFIG_HOME/stratus, else ~/.config/stratus
 *   macOS      ~/Library/Application Support/Stratus
 *   Windows    %APPDATA%\Stratus, else ~\AppData\Roaming\Stratus
 */
import { homedir } from 'node:os';
import { isAbsolute, join, posix, resolve, win32 } from 'node:path';

export type StateEnv = Readonly<Record<string, string | undefined>>;

function set(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

export function cliStateDir(env: StateEnv, platform: NodeJS.Platform = process.platform, cwd = process.cwd()): string {
  const override = env['STRATUS_STATE_DIR'];
  if (set(override)) return isAbsolute(override) ? override : resolve(cwd, override);
  if (platform === 'win32') {
    const appData = env['APPDATA'];
    const home = env['USERPROFILE'] ?? homedir();
    return set(appData) ? win32.join(appData, 'Stratus') : win32.join(home, 'AppData', 'Roaming', 'Stratus');
  }
  const home = set(env['HOME']) ? env['HOME'] : homedir();
  if (platform === 'darwin') return posix.join(home, 'Library', 'Application Support', 'Stratus');
  const xdg = env['XDG_CONFIG_HOME'];
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  return set(xdg) && isAbsolute(xdg) ? join(xdg, 'stratus') : join(home, '.config', 'stratus');
}
