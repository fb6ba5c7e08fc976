/**
 * `stratus logout [--no-browser]`: revokes the stored refresh token at the
 * user pool (/oauth2/revoke), removes it from the token vault, and ends the
 * hosted UI's browser session by opening Cognito's `/logout` URL (printed as
 * the first stdout line; opened unless --no-browser). Cognito then sends the
 * browser to `http://localhost:PORT/logout`, where nothing listens any more:
 * the CLI does not wait around for a browser that may never come.
 *
 * Exit: 0 signed out (or was not signed in), 1 the vault was cleared but the
 * token could not be revoked (it stays valid until it expires), 2 settings.
 */
import type { CognitoAuth as CognitoAuthType } from '../../engine/auth/CognitoAuth.js';
import type { ParsedArgs } from '../args.js';
import { cliLoggers, type CommandIo } from '../CliIo.js';
import { cognitoAccount } from '../cognitoAccount.js';
import { ExitCode } from '../exitCodes.js';
import { describeFailure, stackLines } from '../failures.js';
import { openBrowser } from '../openBrowser.js';

export async function runLogout(args: ParsedArgs, io: CommandIo): Promise<ExitCode> {
  const account = await cognitoAccount(args, io);
  if (typeof account === 'number') return account;
  const { settings, vault } = account;
  const noBrowser = args.given.has('no-browser');
  const loggers = cliLoggers(io, args.verbose);

  // A damaged vault file is still removed: signing out must always be possible.
  const stored = await vault.get().catch(() => undefined);
  if (stored === undefined) {
    await vault.clear();
    io.stdout('not signed in (nothing stored for this account); nothing to sign out of');
    return ExitCode.ok;
  }
  let auth: CognitoAuthType;
  try {
    const { CognitoAuth } = await import('../../engine/auth/CognitoAuth.js');
    auth = await CognitoAuth.connect({ cognito: settings.cognito, vault, log: loggers('auth') });
  } catch (err) {
    await vault.clear();
    const failure = describeFailure(err, { verbose: args.verbose });
    io.stderr(`stratus: removed the sign-in of ${stored.username} from ${vault.file}, but could not revoke it: ${failure.line}`);
    io.stderr('stratus: the refresh token stays valid on the server until it expires');
    if (args.verbose) for (const line of stackLines(err)) io.stderr(line);
    return ExitCode.itemsFailed;
  }
  const logoutUrl = auth.logoutUrl();
  let exitCode: ExitCode = ExitCode.ok;
  const session = await auth.restore().catch(() => undefined);
  try {
    await session?.signOut();
  } catch (err) {
    const failure = describeFailure(err, { verbose: args.verbose });
    io.stderr(`stratus: could not revoke the refresh token (${failure.line}); it was removed from this computer but stays valid on the server until it expires`);
    if (args.verbose) for (const line of stackLines(err)) io.stderr(line);
    exitCode = ExitCode.itemsFailed;
  }
  // The vault is cleared whatever happened above (signOut clears even when revocation fails).
  await vault.clear();
  io.stdout(logoutUrl.href);
  io.stdout(`signed out ${stored.username}${exitCode === ExitCode.ok ? ': the refresh token was revoked' : ''} and removed from ${vault.file}`);
  if (noBrowser) {
    io.stderr('Open the URL above in a browser to end the hosted sign-in page\'s session too.');
  } else {
    openBrowser(logoutUrl.href);
    io.stderr('Opening your browser to end the hosted sign-in page\'s session; if it does not open, visit the URL above.');
  }
  return exitCode;
}
