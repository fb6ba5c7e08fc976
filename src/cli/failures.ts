/**
 * Turns an error that ended a command into what a person sees: one line on
 * stderr that says what is wrong and what to check, and the exit code. Maps
 * StratusError codes (the remote store's, the engine's, createRemote's),
 * looking through `cause` because the engine wraps, e.g., a NoSuchBucket in
 * `remote-list-failed`; never matches message text.
 */
import { isStratusError, type StratusError } from '../core/StratusError.js';
import { certificateProblem, describeCertificateProblem } from '../engine/net/certificateProblem.js';
import { ExitCode } from './exitCodes.js';

export interface FailureContext {
  readonly bucket?: string;
  readonly prefix?: string;
  /** The server as messages name it (the endpoint URL, or AWS S3 in a region). */
  readonly endpoint?: string;
  readonly folder?: string;
  /** Stack traces follow, so the line need not point to --verbose. */
  readonly verbose?: boolean;
  /** The user asked the run to stop (Ctrl-C): whatever failed after that is the interruption. */
  readonly interrupted?: boolean;
}

export interface Failure {
  /** One line, without the "stratus: " prefix. */
  readonly line: string;
  readonly exitCode: ExitCode;
}

/** Codes that say exactly what is wrong; preferred over a wrapper's code anywhere in the cause chain. */
const SPECIFIC = new Set([
  'no-such-bucket', 'network', 'access-denied', 'credentials-invalid', 'credentials-expired', 'clock-skew',
  'no-credentials', 'sync-root-missing', 'sync-root-not-a-folder', 'sync-root-locked', 'sync-root-other-location', 'aborted',
  // Sign-in (src/engine/auth/authErrors.ts): a storage failure caused by a lost session is about the session.
  'not-signed-in', 'signed-out', 'sign-in-unreachable', 'sign-in-issuer-invalid', 'sign-in-rejected', 'sign-in-denied',
  'sign-in-timeout', 'sign-in-state-mismatch', 'sign-in-invalid-token', 'sign-in-failed', 'callback-port-busy',
  'redirect-uri-invalid', 'identity-pool-not-found', 'identity-pool-denied', 'identity-pool-busy', 'token-vault-damaged',
  // Network settings (src/engine/net): a bad proxy URL or extra CA file.
  'proxy-invalid', 'proxy-unsupported', 'ca-file-invalid',
]);

function stratusErrors(err: unknown): StratusError[] {
  const chain: StratusError[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    if (isStratusError(current)) chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/** Messages are written as one line, but a person must never get a stack-trace-looking wall from us. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

export function describeFailure(err: unknown, context: FailureContext): Failure {
  const chain = stratusErrors(err);
  const e = chain.find((s) => SPECIFIC.has(s.code)) ?? chain[0];
  if (context.interrupted === true || e?.code === 'aborted') {
    return { line: 'interrupted; nothing more was changed', exitCode: ExitCode.interrupted };
  }
  // A refused TLS certificate (by its OpenSSL code, wherever it was wrapped): a trust setting to fix, not an outage.
  const tls = certificateProblem(err);
  if (tls !== undefined) {
    const signIn = chain.some((s) => s.code.startsWith('sign-in') || s.code.startsWith('identity-pool'));
    return { line: describeCertificateProblem(tls, signIn ? 'the sign-in server' : context.endpoint ?? 'the S3 server'), exitCode: ExitCode.usage };
  }
  if (e === undefined) {
    const text = err instanceof Error ? err.message : String(err);
    return { line: `unexpected error: ${oneLine(text)}${context.verbose === true ? '' : ' (run with --verbose for details)'}`, exitCode: ExitCode.itemsFailed };
  }
  const server = context.endpoint ?? 'the S3 server';
  const config = (line: string): Failure => ({ line, exitCode: ExitCode.usage });
  switch (e.code) {
    case 'no-such-bucket':
      return config(`the bucket "${context.bucket ?? '?'}" does not exist at ${server} (check --bucket and --region)`);
    case 'network':
      return config(`cannot reach ${server} (is the server running? check --endpoint)`);
    case 'access-denied':
      return config(`access denied to s3://${context.bucket ?? '?'}/${context.prefix ?? ''} (check the credentials and that they may use this prefix)`);
    case 'credentials-invalid':
      return config(`${server} rejected the request signature (check AWS_SECRET_ACCESS_KEY and --region)`);
    case 'credentials-expired':
      // From the CLI this is a key the server does not know (InvalidAccessKeyId) or expired session credentials.
      return config(`${server} does not accept this access key (check AWS_ACCESS_KEY_ID, or renew expired session credentials)`);
    case 'sync-root-missing':
      return config(`the folder "${context.folder ?? '?'}" does not exist (create it first, or check the path)`);
    case 'not-signed-in':
      return config('not signed in; run stratus login');
    case 'signed-out':
      return config('You are signed out (your session expired or was revoked); run `stratus login`.');
    case 'identity-pool-busy':
      // Transient (throttling): nothing is misconfigured, so not a usage error.
      return { line: oneLine(e.message), exitCode: ExitCode.itemsFailed };
    case 'sign-in-unreachable':
    case 'sign-in-issuer-invalid':
    case 'sign-in-rejected':
    case 'sign-in-denied':
    case 'sign-in-timeout':
    case 'sign-in-state-mismatch':
    case 'sign-in-invalid-token':
    case 'sign-in-failed':
    case 'callback-port-busy':
    case 'redirect-uri-invalid':
    case 'identity-pool-not-found':
    case 'identity-pool-denied':
    case 'token-vault-damaged':
    case 'proxy-invalid':
    case 'proxy-unsupported':
    case 'ca-file-invalid':
    case 'clock-skew':
    case 'no-credentials':
    case 'sync-root-not-a-folder':
    case 'sync-root-locked':
    case 'sync-root-other-location':
      // Their messages already name the folder or holder and say what to do.
      return config(oneLine(e.message));
    default:
      // Anything else stopped a run that was correctly configured (a server error that outlasted the
      // retries, a damaged journal): not a usage problem, so 1, with the engine's own advice.
      return { line: oneLine(e.message), exitCode: ExitCode.itemsFailed };
  }
}

/** The stack of the error and each cause, for --verbose. */
export function stackLines(err: unknown): string[] {
  const lines: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    const text = current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : String(current);
    lines.push(depth === 0 ? text : `caused by: ${text}`);
    current = (current as { cause?: unknown }).cause;
  }
  return lines;
}

/** Prints a failure as one line on stderr (and its stack with --verbose); returns its exit code. */
export function reportFailure(err: unknown, context: FailureContext, stderr: (line: string) => void): ExitCode {
  const failure = describeFailure(err, context);
  stderr(`stratus: ${failure.line}`);
  if (context.verbose === true) for (const line of stackLines(err)) stderr(line);
  return failure.exitCode;
}
