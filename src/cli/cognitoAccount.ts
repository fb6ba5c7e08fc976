/**
 * What the sign-in commands (login, logout, whoami) and cognito-mode sync
 * share: the account's settings and its token vault — a 0600 file in the CLI
 * state folder (STRATUS_STATE_DIR, else the platform's config folder), one
 * per issuer + app client so two configs never mix sessions.
 */
import { FileTokenVault } from '../engine/auth/FileTokenVault.js';
import { cliStateDir } from '../engine/auth/stateDir.js';
import type { CognitoSettings } from '../shared/StratusConfig.js';
import type { ParsedArgs } from './args.js';
import type { CommandIo } from './CliIo.js';
import { mergeSettings, validateAccountSettings, type AccountSettings, type Env } from './config.js';
import { ExitCode } from './exitCodes.js';
import { enforcePolicies } from './policyCheck.js';

export interface CognitoAccount {
  readonly settings: AccountSettings;
  readonly vault: FileTokenVault;
}

/** The vault for one account, in the state folder the environment selects. */
export function vaultFor(cognito: CognitoSettings, env: Env, cwd: string): FileTokenVault {
  return new FileTokenVault({ stateDir: cliStateDir(env, process.platform, cwd), issuer: cognito.issuer, clientId: cognito.clientId });
}

/** The account settings and vault, or the exit code after saying (one line each) what is wrong. */
export async function cognitoAccount(args: ParsedArgs, io: CommandIo): Promise<CognitoAccount | ExitCode> {
  const merge = await mergeSettings(args.settings, io.env, io.cwd);
  // Managed policies (issue 9): refuse what contradicts an enforced one, fill the Cognito settings they give.
  const policed = merge.ok ? await enforcePolicies(merge.merged, io) : merge;
  const valid = policed.ok ? validateAccountSettings(policed.merged) : policed;
  if (!valid.ok) {
    for (const line of valid.errors) io.stderr(`stratus: ${line}`);
    return ExitCode.usage;
  }
  return { settings: valid.settings, vault: vaultFor(valid.settings.cognito, io.env, io.cwd) };
}
