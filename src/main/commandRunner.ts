/**
 * Carries out the renderer's StratusCommands in the app. Three stay here
 * because only the desktop can do them: `open-path` and `show-in-folder`
 * (shell.openPath / shell.showItemInFolder on a path checked to stay inside
 * the sync folder), and `open-logs`; everything else goes to the
 * AppController (sign-in, settings, first run) and from there to the engine
 * process through the supervisor. Every command is validated again here (`isStratusCommand`):
 * the renderer is never trusted. Answers are CommandResults, never
 * rejections. No electron import: the shell is injected (ipcHandlers.ts).
 */
import { stat } from 'node:fs/promises';
import path, { type PlatformPath } from 'node:path';
import type { CommandResult, StratusCommand } from '../shared/StratusApi.js';
import { isStratusCommand } from '../shared/validators.js';

/** The part of Electron's `shell` used here. */
export interface DesktopShell {
  /** Resolves with '' on success, else the error message. */
  openPath(path: string): Promise<string>;
  showItemInFolder(path: string): void;
}

/** Where other commands go (the EngineSupervisor). */
export interface CommandEngine {
  run(command: StratusCommand): Promise<CommandResult>;
}

/**
 * The absolute path of `relative` inside `folder`, or undefined when it would
 * leave it: absolute paths (POSIX, drive letters, UNC), `..` segments, either
 * separator (a `\` is a separator on Windows), NUL. A string check only — no
 * symlink is followed or resolved; a symlink inside the folder is the user's
 * own and opens where it points, as in the file manager.
 */
export function resolveInsideFolder(folder: string, relative: string, p: PlatformPath = path): string | undefined {
  if (relative === '' || relative.includes('\0')) return undefined;
  if (p.isAbsolute(relative) || path.posix.isAbsolute(relative) || path.win32.isAbsolute(relative) || /^[A-Za-z]:/.test(relative)) return undefined;
  if (relative.split(/[\\/]/).some((segment) => segment === '..')) return undefined;
  const root = p.resolve(folder);
  const target = p.resolve(root, relative);
  const rel = p.relative(root, target);
  if (rel === '' || rel === '..' || rel.startsWith(`..${p.sep}`) || p.isAbsolute(rel)) return undefined;
  return target;
}

export interface CommandRunnerOptions {
  /** The sync folder now (undefined before the first run chose one). */
  readonly folder: () => string | undefined;
  readonly shell: DesktopShell;
  /** The engine, when one runs. */
  readonly engine: () => CommandEngine | undefined;
  /** Opens the logs folder (`open-logs`). */
  readonly openLogs?: () => Promise<CommandResult>;
  /** @default fs.stat: whether something is at the path */
  readonly exists?: (path: string) => Promise<boolean>;
}

async function statExists(target: string): Promise<boolean> {
  return stat(target).then(() => true, () => false);
}

export type CommandRunner = (command: unknown) => Promise<CommandResult>;

export function createCommandRunner(options: CommandRunnerOptions): CommandRunner {
  const exists = options.exists ?? statExists;
  return async (command) => {
    if (!isStratusCommand(command)) return { ok: false, message: 'Stratus refused a request it does not understand.' };
    if (command.type === 'open-path' || command.type === 'show-in-folder') {
      const folder = options.folder();
      if (folder === undefined) return { ok: false, message: 'No sync folder is chosen yet.' };
      const target = resolveInsideFolder(folder, command.path);
      if (target === undefined) return { ok: false, message: `"${command.path}" is not inside your Stratus folder; Stratus only opens files there.` };
      if (!(await exists(target))) return { ok: false, message: `"${command.path}" is no longer in your Stratus folder (moved or deleted).` };
      if (command.type === 'show-in-folder') {
        options.shell.showItemInFolder(target);
        return { ok: true };
      }
      const error = await options.shell.openPath(target);
      return error === '' ? { ok: true } : { ok: false, message: `"${command.path}" could not be opened: ${error}` };
    }
    if (command.type === 'open-logs') {
      return options.openLogs === undefined ? { ok: false, message: 'The logs folder cannot be opened here.' } : options.openLogs();
    }
    const engine = options.engine();
    if (engine === undefined) return { ok: false, message: 'Syncing is not running (sign in and choose a folder first).' };
    return engine.run(command);
  };
}
