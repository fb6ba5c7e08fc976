/**
 * `stratus login [--no-browser]`: signs in through the Cognito hosted UI in
 * the system browser (authorization code + PKCE, RFC 8252 loopback redirect)
 * and stores the refresh token in the CLI's token vault.
 *
 * A second login replaces the stored sign-in and revokes the old refresh
 * token at the user pool (/oauth2/revoke), so it does not linger; if that
 * revocation fails the new sign-in still stands and stderr says so.
 *
 * stdout, line 1: the sign-in URL, exactly (scripts and tests read it); then
 * who signed in and where their files sync, the replaced sign-in (if any), and
 * where the sign-in is stored. Hints on stderr. Exit: 0 signed in, 2
 * configuration / sign-in failure, 130 interrupted.
 */
import type { CognitoAuth as CognitoAuthType } from '../../engine/auth/CognitoAuth.js';
import type { ParsedArgs } from '../args.js';
import { cliLoggers, type CommandIo } from '../CliIo.js';
import { cognitoAccount } from '../cognitoAccount.js';
import { ExitCode } from '../exitCodes.js';
import { describeFailure, reportFailure } from '../failures.js';
import { openBrowser } from '../openBrowser.js';
import { cliNetwork } from '../createRemote.js';
import { policyLoginHint } from '../policyCheck.js';

/** How long the browser has to come back. */
const LOGIN_TIMEOUT_MS = 5 * 60_000;

export async function runLogin(args: ParsedArgs, io: CommandIo): Promise<ExitCode> {
  const account = await cognitoAccount(args, io);
  if (typeof account === 'number') return account;
  const { settings, vault } = account;
  const noBrowser = args.given.has('no-browser');
  const loggers = cliLoggers(io, args.verbose);
  try {
    // Loaded on use: openid-client and the AWS SDK are not needed for --help.
    const { CognitoAuth } = await import('../../engine/auth/CognitoAuth.js');
    const loginHint = await policyLoginHint(io);
    const auth: CognitoAuthType = await CognitoAuth.connect({
      cognito: settings.cognito, vault, log: loggers('auth'), network: await cliNetwork(io.env, io.cwd, loggers('net')),
      ...(loginHint === undefined ? {} : { loginHint }),
    });
    const minutes = Math.round(LOGIN_TIMEOUT_MS / 60_000);
    const signedIn = await auth.signIn({
      openUrl: (url) => {
        io.stdout(url);
        if (noBrowser) {
          io.stderr(`Open the URL above in a browser to sign in (waiting up to ${minutes} minutes; Ctrl-C to stop).`);
        } else {
          openBrowser(url);
          io.stderr(`Opening your browser to sign in; if it does not open, visit the URL above (waiting up to ${minutes} minutes).`);
        }
      },
      timeoutMs: LOGIN_TIMEOUT_MS,
      ...(io.signal === undefined ? {} : { signal: io.signal }),
    });
    const { username, email } = signedIn.session.user;
    const where = settings.bucket === undefined ? `the prefix ${signedIn.identityId}/` : `s3://${settings.bucket}/${signedIn.identityId}/`;
    io.stdout(`signed in as ${username}${email === undefined ? '' : ` (${email})`}; your files sync to ${where}`);
    const { replaced } = signedIn;
    if (replaced?.revoked === true) {
      io.stdout(`the previous sign-in (${replaced.username}) was replaced and revoked at the user pool`);
    } else if (replaced !== undefined) {
      const reason = replaced.error === undefined ? 'unknown error' : describeFailure(replaced.error, { verbose: args.verbose }).line;
      io.stderr(`stratus: replaced the previous sign-in (${replaced.username}) but could not revoke it (${reason}); it stays valid on the server until it expires`);
    }
    io.stdout(`the sign-in is stored in ${vault.file}: a plain file that only your user account can read (mode 0600), not encrypted; "stratus logout" removes it`);
    return ExitCode.ok;
  } catch (err) {
    return reportFailure(err, { verbose: args.verbose, interrupted: io.signal?.aborted === true }, io.stderr);
  }
}
