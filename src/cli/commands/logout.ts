/**
 * `stratus logout [--no-browser]`: revokes the stored refresh token at the
 * user pool (/oauth2/revoke), removes it from the token vault, and ends the
 * hosted UI's browser session by opening Cognito's `/logout` URL (printed as
 * the first stdout line; opened unless --no-browser).
 *
 * Cognito then sends the browser to the sign-out URL registered with the app
 * client, `http://localhost:PORT/logout` (the callback's port). The CLI
 * answers it once with a "You are signed out" page, so the browser ends on a
 * friendly page rather than a refused connection, and waits for that at most
 * two minutes; nobody coming back (a browser on another machine, no browser
 * at all) or Ctrl-C ends the wait quietly: the sign-out itself is already
 * done. If the port is busy the URL is still printed, with a warning.
 *
 * Exit: 0 signed out (or was not signed in), 1 the vault was cleared but the
 * token could not be revoked (it stays valid until it expires), 2 settings.
 */
import type { CognitoAuth as CognitoAuthType, SignedOutPage } from '../../engine/auth/CognitoAuth.js';
import type { ParsedArgs } from '../args.js';
import { cliLoggers, type CommandIo } from '../CliIo.js';
import { cognitoAccount } from '../cognitoAccount.js';
import { ExitCode } from '../exitCodes.js';
import { describeFailure, stackLines } from '../failures.js';
import { openBrowser } from '../openBrowser.js';
import { cliNetwork } from '../createRemote.js';

/** How long the sign-out page waits for the browser; /logout redirects at once, so a browser that comes, comes fast. */
const SIGNED_OUT_PAGE_WAIT_MS = 2 * 60_000;

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
    auth = await CognitoAuth.connect({ cognito: settings.cognito, vault, log: loggers('auth'), network: await cliNetwork(io.env, io.cwd, loggers('net')) });
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

  // Listen before the URL is shown, so a fast browser cannot arrive first.
  let page: SignedOutPage | undefined;
  try {
    page = await auth.serveSignedOutPage({ timeoutMs: SIGNED_OUT_PAGE_WAIT_MS, ...(io.signal === undefined ? {} : { signal: io.signal }) });
  } catch (err) {
    // Another program holds the port (a "stratus login" waiting?): signing out still works, only the last page does not.
    io.stderr(`stratus: ${describeFailure(err, { verbose: args.verbose }).line}`);
    io.stderr('stratus: the browser will end on an error page after signing out; you are signed out all the same');
  }
  io.stdout(logoutUrl.href);
  io.stdout(`signed out ${stored.username}${exitCode === ExitCode.ok ? ': the refresh token was revoked' : ''} and removed from ${vault.file}`);
  const minutes = Math.round(SIGNED_OUT_PAGE_WAIT_MS / 60_000);
  if (noBrowser) {
    io.stderr(`Open the URL above in a browser to end the hosted sign-in page's session too (waiting up to ${minutes} minutes to show "You are signed out"; Ctrl-C to stop).`);
  } else {
    openBrowser(logoutUrl.href);
    io.stderr(`Opening your browser to end the hosted sign-in page's session; if it does not open, visit the URL above (waiting up to ${minutes} minutes; Ctrl-C to stop).`);
  }
  if (page !== undefined) {
    // Never an error: the sign-out is complete whether or not a browser comes back.
    const outcome = await page.done;
    await page.close();
    if (outcome === 'shown') io.stderr('The browser shows "You are signed out".');
  }
  return exitCode;
}
