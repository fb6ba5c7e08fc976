/**
 * `stratus whoami [--json]`: who is signed in for this account — user, email,
 * identity ID, the S3 prefix `<identityId>/`, and when the current ID token
 * expires. Renews the ID token from the stored refresh token first, so exit 0
 * also means "the session is still valid" (a revoked one says so, exit 2).
 *
 * --json: one object {user, email, sub, identityId, prefix, bucket,
 * idTokenExpiresAt, issuer, clientId, vaultFile}. Never prints a token.
 */
import type { ParsedArgs } from '../args.js';
import { cliLoggers, type CommandIo } from '../CliIo.js';
import { cognitoAccount } from '../cognitoAccount.js';
import { ExitCode } from '../exitCodes.js';
import { reportFailure } from '../failures.js';
import { cliNetwork } from '../createRemote.js';

export interface WhoamiJson {
  readonly user: string;
  readonly email: string | null;
  readonly sub: string;
  readonly identityId: string;
  readonly prefix: string;
  readonly bucket: string | null;
  readonly idTokenExpiresAt: string | null;
  readonly issuer: string;
  readonly clientId: string;
  readonly vaultFile: string;
}

export async function runWhoami(args: ParsedArgs, io: CommandIo): Promise<ExitCode> {
  const account = await cognitoAccount(args, io);
  if (typeof account === 'number') return account;
  const { settings, vault } = account;
  const loggers = cliLoggers(io, args.verbose);
  try {
    // Read first: "not signed in" needs no network.
    const { notSignedIn } = await import('../../engine/auth/authErrors.js');
    if ((await vault.get()) === undefined) throw notSignedIn();
    const { CognitoAuth } = await import('../../engine/auth/CognitoAuth.js');
    const auth = await CognitoAuth.connect({ cognito: settings.cognito, vault, log: loggers('auth'), network: await cliNetwork(io.env, io.cwd, loggers('net')) });
    const session = await auth.restore();
    if (session === undefined) throw notSignedIn();
    const tokens = await session.refresh();
    const identityId = await auth.credentialsFor(session).identityId();
    const { username, email, sub } = session.user;
    const result: WhoamiJson = {
      user: username,
      email: email ?? null,
      sub,
      identityId,
      prefix: `${identityId}/`,
      bucket: settings.bucket ?? null,
      idTokenExpiresAt: new Date(tokens.idTokenExpiresAt).toISOString(),
      issuer: settings.cognito.issuer,
      clientId: settings.cognito.clientId,
      vaultFile: vault.file,
    };
    if (args.json) {
      io.stdout(JSON.stringify(result));
    } else {
      io.stdout(`user:         ${username}${email === undefined ? '' : ` (${email})`}`);
      io.stdout(`identity ID:  ${identityId}`);
      io.stdout(`prefix:       ${settings.bucket === undefined ? '' : `s3://${settings.bucket}/`}${identityId}/`);
      io.stdout(`token expiry: ${result.idTokenExpiresAt ?? '?'} (ID token; renewed automatically while the sign-in is valid)`);
      io.stdout(`stored in:    ${vault.file} (plain file, mode 0600)`);
    }
    return ExitCode.ok;
  } catch (err) {
    return reportFailure(err, { verbose: args.verbose, interrupted: io.signal?.aborted === true }, io.stderr);
  }
}
