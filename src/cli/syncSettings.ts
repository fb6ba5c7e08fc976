/**
 * The settings `stratus sync` and `stratus watch` share: flags, environment
 * and config file merged and validated, the folder checked. One place, so the
 * two commands can never disagree about where a folder syncs to.
 * Managed policies are checked here too (policyCheck.ts).
 * Emits the settings, or prints what is wrong and yields the usage exit code.
 */
import type { ParsedArgs } from './args.js';
import type { CommandIo } from './CliIo.js';
import { checkFolder, mergeSettings, validateSyncSettings, type SyncSettings } from './config.js';
import { ExitCode } from './exitCodes.js';
import { enforcePolicies } from './policyCheck.js';

/** Prints each problem as one "stratus: …" line; the usage exit code. */
export function problems(io: CommandIo, lines: readonly string[]): ExitCode {
  for (const line of lines) io.stderr(`stratus: ${line}`);
  return ExitCode.usage;
}

/** The settings, or the exit code after saying what is wrong with them. */
export async function syncSettings(args: ParsedArgs, io: CommandIo): Promise<SyncSettings | ExitCode> {
  const merge = await mergeSettings(args.settings, io.env, io.cwd);
  if (!merge.ok) return problems(io, merge.errors);
  // Managed policies (issue 9): refuse what contradicts an enforced one, fill what the user left out.
  const policed = await enforcePolicies(merge.merged, io);
  if (!policed.ok) return problems(io, policed.errors);
  const merged = policed.merged;
  if (merged.raw['auth'] === 'cognito' && merged.raw['prefix'] !== undefined) {
    // The identity pool's credentials may touch only <identityId>/: any other prefix could only fail, or worse, look empty.
    return problems(io, [
      `a prefix (from ${merged.sources.get('prefix') ?? 'settings'}) cannot be used with auth "cognito": ` +
        'the prefix is your identity ID (<identityId>/), set by signing in; remove it',
    ]);
  }
  const valid = validateSyncSettings(merged);
  if (!valid.ok) return problems(io, valid.errors);
  const folderProblem = await checkFolder(valid.settings.folder);
  if (folderProblem !== undefined) return problems(io, [folderProblem]);
  return valid.settings;
}
