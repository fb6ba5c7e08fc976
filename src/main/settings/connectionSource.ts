/**
 * Where the app's connection settings (bucket, region, endpoint, sign-in)
 * come from at start, first found wins:
 *
 *   1. the file `STRATUS_CONFIG` names: an administrator's or installer's
 *      config, or the sandbox's when `npm start` runs the app in development
 *      (scripts/start.js starts the sandbox and sets STRATUS_CONFIG; the app
 *      itself never starts or imports the sandbox);
 *   2. `<userData>/stratus.json`: a config file dropped next to the app's data;
 *   3. the connection already in the settings store (copied there from 1 or 2
 *      on an earlier start, so the app keeps working when the file goes away).
 *
 * The files are CLI config files (src/shared/StratusConfig.ts), read with the
 * same validator, so one file serves `stratus --config FILE` and the app. A
 * file's `folder` is offered as the sync folder only when none is chosen yet.
 * Plain Node (node:fs), no electron: tested with temporary files.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { StratusConfig } from '../../shared/StratusConfig.js';
import { readConnection } from './appSettings.js';

export type ConnectionOrigin = 'STRATUS_CONFIG' | 'userData' | 'settings' | 'none';

export interface ConnectionSource {
  readonly origin: ConnectionOrigin;
  readonly connection?: StratusConfig;
  /** The file it came from (origins STRATUS_CONFIG and userData). */
  readonly file?: string;
  /** The file's `folder`, absolute, when it has one. */
  readonly folder?: string;
  /** What is wrong with a file that was found but not used (each one line, naming the file). */
  readonly problems: readonly string[];
}

export interface ConnectionSourceOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly userDataDir: string;
  /** The connection already stored in the settings, if any. */
  readonly stored?: StratusConfig;
}

/** The file name looked for in the app's userData folder. */
export const USER_DATA_CONFIG = 'stratus.json';

async function readConfigFile(file: string): Promise<{ ok: true; raw: Record<string, unknown> } | { ok: false; missing: boolean; error: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, missing: code === 'ENOENT', error: `the config file ${file} cannot be read (${code ?? String(err)})` };
  }
  try {
    const raw: unknown = JSON.parse(text);
    if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) return { ok: true, raw: raw as Record<string, unknown> };
    return { ok: false, missing: false, error: `the config file ${file} must hold one JSON object` };
  } catch (err) {
    return { ok: false, missing: false, error: `the config file ${file} is not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
}

/** Finds the connection to use (see the module header); never throws. */
export async function loadConnectionSource(options: ConnectionSourceOptions): Promise<ConnectionSource> {
  const problems: string[] = [];
  const fromEnv = options.env['STRATUS_CONFIG'];
  const candidates: { origin: ConnectionOrigin; file: string }[] = [];
  if (fromEnv !== undefined && fromEnv !== '') candidates.push({ origin: 'STRATUS_CONFIG', file: resolve(fromEnv) });
  candidates.push({ origin: 'userData', file: join(options.userDataDir, USER_DATA_CONFIG) });

  for (const { origin, file } of candidates) {
    const read = await readConfigFile(file);
    if (!read.ok) {
      // A missing stratus.json in userData is the normal case; a missing STRATUS_CONFIG file is worth saying.
      if (!(read.missing && origin === 'userData')) problems.push(origin === 'STRATUS_CONFIG' ? `${read.error} (from STRATUS_CONFIG)` : read.error);
      continue;
    }
    const { connection, problems: connectionProblems } = readConnection(read.raw);
    if (connection === undefined) {
      problems.push(...(connectionProblems.length > 0 ? connectionProblems : ['connection: no bucket, region or auth given']).map((line) => `${line} (in ${file})`));
      continue;
    }
    const folder = read.raw['folder'];
    const absolute = typeof folder === 'string' && folder !== '' ? (isAbsolute(folder) ? folder : resolve(file, '..', folder)) : undefined;
    return { origin, connection, file, ...(absolute === undefined ? {} : { folder: absolute }), problems };
  }
  if (options.stored !== undefined) return { origin: 'settings', connection: options.stored, problems };
  return { origin: 'none', problems };
}

/** The sentence shown when there is no connection at all. */
export function noConnectionMessage(userDataDir: string): string {
  return `Stratus does not know which bucket to sync with yet: put a Stratus config file at ${join(userDataDir, USER_DATA_CONFIG)} `
    + '(or name one with STRATUS_CONFIG) and start Stratus again.';
}
