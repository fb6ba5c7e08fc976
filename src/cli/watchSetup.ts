/**
 * The first run of `stratus watch --ui` (issue 8): when the settings are
 * complete but for the sign-in (cognito mode, nothing in the vault) and/or
 * the folder, watch does not fail with "not signed in" / "no folder given":
 * it opens the status page on a SetupFlow — Sign in through the hosted UI,
 * choose the folder — and carries on watching once both are known, on the
 * same page. Any other problem with the settings is reported as usual.
 *
 * The chosen folder is written into the config file in use (--config or
 * STRATUS_CONFIG; atomically, other fields kept); without one, the page and
 * stdout say which flag to give next time.
 */
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../engine/logger.js';
import type { SetupPorts } from '../engine/ui/SetupFlow.js';
import { ENGINE_FOLDER } from '../engine/local/IgnoreRules.js';
import type { ParsedArgs } from './args.js';
import type { CommandIo } from './CliIo.js';
import { mergeSettings, validateSyncSettings, type MergedSettings, type SyncSettings } from './config.js';
import { enforcePolicies } from './policyCheck.js';

/** What the first run needs to ask, with the settings it will complete. */
export interface SetupNeed {
  readonly merged: MergedSettings;
  /** Every setting valid, the folder a placeholder until chosen. */
  readonly settings: Omit<SyncSettings, 'folder'> & { readonly folder?: string };
  readonly signIn: boolean;
  readonly folder: boolean;
  /** The folder a policy named (DefaultSyncFolder), offered first. */
  readonly suggestedFolder?: string;
}

/** Whether `watch --ui` should start with the first-run flow; undefined: go the usual way (and report problems there). */
export async function setupNeed(args: ParsedArgs, io: CommandIo): Promise<SetupNeed | undefined> {
  if (!args.ui.enabled) return undefined;
  const merge = await mergeSettings(args.settings, io.env, io.cwd);
  if (!merge.ok) return undefined;
  // Managed policies first (issue 9): a contradiction is reported by the usual path; policy values fill the rest.
  const policed = await enforcePolicies(merge.merged, io);
  if (!policed.ok) return undefined;
  let merged = policed.merged;
  // A folder the organization named but that does not exist yet is the first run's suggestion, created when chosen.
  let suggested: string | undefined;
  const folder = merged.raw['folder'];
  if (typeof folder === 'string' && merged.sources.get('folder')?.startsWith('the policy ') === true && (await stat(folder).catch(() => undefined)) === undefined) {
    suggested = folder;
    const { folder: _missing, ...raw } = merged.raw;
    merged = { ...merged, raw };
  }
  const folderGiven = typeof merged.raw['folder'] === 'string';
  // Everything but the folder must already be right: the first run asks only for what a person chooses.
  const probe = validateSyncSettings(folderGiven ? merged : { ...merged, raw: { ...merged.raw, folder: '/' } });
  if (!probe.ok) return undefined;
  const { folder: _placeholder, ...rest } = probe.settings;
  const settings = folderGiven ? probe.settings : rest;
  let signIn = false;
  if (settings.auth === 'cognito' && settings.cognito !== undefined) {
    const { vaultFor } = await import('./cognitoAccount.js');
    signIn = (await vaultFor(settings.cognito, io.env, io.cwd).get()) === undefined;
  }
  if (!signIn && folderGiven) return undefined;
  return { merged, settings, signIn, folder: !folderGiven, ...(suggested === undefined ? {} : { suggestedFolder: suggested }) };
}

/** The home folder the environment names (tests set HOME), else the OS's. */
function home(io: CommandIo): string {
  return io.env['HOME'] ?? io.env['USERPROFILE'] ?? homedir();
}

export function suggestedFolder(io: CommandIo, need?: SetupNeed): string {
  return need?.suggestedFolder ?? join(home(io), 'Stratus');
}

/** Writes `folder` into the JSON config file, keeping every other field; temp file + rename, so a crash leaves the old file. */
async function writeFolderIntoConfig(file: string, folder: string): Promise<void> {
  const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify({ ...config, folder }, null, 2)}\n`, { mode: (await stat(file)).mode & 0o777 });
  await rename(temp, file);
}

export function setupPorts(need: SetupNeed, io: CommandIo, log: Logger): SetupPorts {
  return {
    async signIn(openUrl, signal) {
      const cognito = need.settings.cognito;
      if (cognito === undefined) throw new Error('no cognito settings');
      const [{ CognitoAuth }, { vaultFor }] = await Promise.all([import('../engine/auth/CognitoAuth.js'), import('./cognitoAccount.js')]);
      const { cliNetwork } = await import('./createRemote.js');
      const { policyLoginHint } = await import('./policyCheck.js');
      const loginHint = await policyLoginHint(io);
      const auth = await CognitoAuth.connect({
        cognito, vault: vaultFor(cognito, io.env, io.cwd), log, network: await cliNetwork(io.env, io.cwd, log),
        ...(loginHint === undefined ? {} : { loginHint }),
      });
      const signedIn = await auth.signIn({ openUrl, timeoutMs: 5 * 60_000, signal });
      const { username, email } = signedIn.session.user;
      return { account: email ?? username };
    },
    async inspectFolder(path) {
      const st = await stat(path).catch(() => undefined);
      if (st === undefined) return { exists: false, isFolder: false, entries: 0 };
      if (!st.isDirectory()) return { exists: true, isFolder: false, entries: 0 };
      const entries = (await readdir(path)).filter((name) => name !== ENGINE_FOLDER).length;
      return { exists: true, isFolder: true, entries };
    },
    async createFolder(path) {
      await mkdir(path, { recursive: true });
    },
    async rememberFolder(path) {
      const file = need.merged.configFile;
      if (file === undefined) return `To sync this folder next time, start stratus watch with --folder "${path}" (or put "folder" in a config file).`;
      try {
        await writeFolderIntoConfig(file, path);
        return `The folder is saved in ${file}.`;
      } catch (err) {
        return `Could not save the folder in ${file} (${err instanceof Error ? err.message : String(err)}): start next time with --folder "${path}".`;
      }
    },
  };
}

/** The machine's name as the page shows it. */
export function machineName(): string {
  return hostname();
}
