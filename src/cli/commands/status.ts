/**
 * `stratus status [--json]`: the sync folder's state from its journal —
 * location, synced files and folders, pending retries, last run. Reads only
 * local files (no network, no lock), so it works while another Stratus syncs.
 */
import type { ParsedArgs } from '../args.js';
import type { CommandIo } from '../CliIo.js';
import { checkFolder, folderSetting, mergeSettings } from '../config.js';
import { ExitCode } from '../exitCodes.js';
import { enforcePolicies } from '../policyCheck.js';
import { reportFailure } from '../failures.js';
import { statusJson, statusLines } from '../output.js';

export async function runStatus(args: ParsedArgs, io: CommandIo): Promise<ExitCode> {
  const merge = await mergeSettings(args.settings, io.env, io.cwd);
  if (!merge.ok) {
    for (const line of merge.errors) io.stderr(`stratus: ${line}`);
    return ExitCode.usage;
  }
  // Managed policies (issue 9), as for sync: a locked or default folder is the one shown.
  const policed = await enforcePolicies(merge.merged, io);
  if (!policed.ok) {
    for (const line of policed.errors) io.stderr(`stratus: ${line}`);
    return ExitCode.usage;
  }
  // Only the folder matters here: status must work with settings that are incomplete for syncing.
  const folder = folderSetting(policed.merged);
  if (!folder.ok) {
    io.stderr(`stratus: ${folder.error}`);
    return ExitCode.usage;
  }
  const folderProblem = await checkFolder(folder.folder);
  if (folderProblem !== undefined) {
    io.stderr(`stratus: ${folderProblem}`);
    return ExitCode.usage;
  }
  try {
    const { SyncEngine } = await import('../../engine/SyncEngine.js');
    const status = await SyncEngine.readStatus(folder.folder);
    if (args.json) io.stdout(JSON.stringify(statusJson(status)));
    else for (const line of statusLines(status)) io.stdout(line);
    return ExitCode.ok;
  } catch (err) {
    return reportFailure(err, { folder: folder.folder, verbose: args.verbose }, io.stderr);
  }
}
