/**
 * Sign-in failures as StratusErrors with stable codes, so the CLI and the app
 * branch on the code and show one line that says what is wrong and which
 * setting to check. Maps what openid-client (user pool / hosted UI) and the
 * AWS SDK (identity pool) throw; never copies a token or a URL with a code
 * into a message (texts from servers pass through the logger's redaction).
 *
 * Codes emitted (all severity 'fatal' unless noted):
 *   not-signed-in, signed-out, sign-in-unreachable, sign-in-issuer-invalid,
 *   sign-in-rejected, sign-in-denied, sign-in-timeout, sign-in-cancelled,
 *   sign-in-state-mismatch,
 *   sign-in-invalid-token, sign-in-failed, callback-port-busy,
 *   redirect-uri-invalid, identity-pool-not-found, identity-pool-denied,
 *   identity-pool-busy (soft), token-vault-damaged, clock-skew, aborted (soft).
 */
import { StratusError } from '../../core/StratusError.js';
import { redactText } from '../logger.js';

/** Codes a person fixes by signing in again or by correcting the cognito settings. */
export const AUTH_ERROR_CODES: readonly string[] = [
  'not-signed-in', 'signed-out', 'sign-in-unreachable', 'sign-in-issuer-invalid', 'sign-in-rejected', 'sign-in-denied',
  'sign-in-timeout', 'sign-in-cancelled', 'sign-in-state-mismatch', 'sign-in-invalid-token', 'sign-in-failed', 'callback-port-busy',
  'redirect-uri-invalid', 'identity-pool-not-found', 'identity-pool-denied', 'identity-pool-busy', 'token-vault-damaged',
];

export function authError(code: string, message: string, cause?: unknown): StratusError {
  return new StratusError(code, message, { severity: code === 'identity-pool-busy' ? 'soft' : 'fatal', ...(cause === undefined ? {} : { cause }) });
}

export function notSignedIn(): StratusError {
  return authError('not-signed-in', 'Not signed in: sign in first.');
}

/** The refresh token was revoked or expired (`invalid_grant`, https://www.rfc-editor.org/rfc/rfc6749#section-5.2). */
export function signedOut(cause?: unknown): StratusError {
  return authError('signed-out', 'You are signed out (your session expired or was revoked); sign in again.', cause);
}

/** The person closed the sign-in window (or otherwise stopped the sign-in) before it finished. */
export function signInCancelled(how = 'The sign-in window was closed'): StratusError {
  return authError('sign-in-cancelled', `${how} before signing in finished; nothing was signed in. Sign in again when you are ready.`);
}

export function aborted(what: string): StratusError {
  return new StratusError('aborted', `Stopped while ${what}.`, { severity: 'soft' });
}

/** Node/undici codes that mean no complete answer came back from the server. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENETUNREACH', 'EHOSTUNREACH',
  'ENETDOWN', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT',
]);

interface ErrorLike {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly cause?: unknown;
  readonly errors?: unknown;
  readonly error?: unknown;
  readonly error_description?: unknown;
  readonly status?: unknown;
}

function asErrorLike(err: unknown): ErrorLike {
  return typeof err === 'object' && err !== null ? (err as ErrorLike) : {};
}

/** Socket-level failure anywhere in the cause chain (fetch wraps it in `TypeError: fetch failed`). */
export function isNetworkFailure(err: unknown, depth = 0): boolean {
  if (depth > 5 || typeof err !== 'object' || err === null) return false;
  const e = asErrorLike(err);
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  if (e.name === 'TimeoutError') return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isNetworkFailure(inner, depth + 1))) return true;
  return isNetworkFailure(e.cause, depth + 1);
}

function isAbort(err: unknown): boolean {
  const e = asErrorLike(err);
  return e.name === 'AbortError' || e.code === 'ABORT_ERR';
}

function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

function serverText(err: unknown): string {
  const e = asErrorLike(err);
  const text = typeof e.error === 'string'
    ? `${e.error}${typeof e.error_description === 'string' ? `: ${e.error_description}` : ''}`
    : typeof e.message === 'string' ? e.message : String(err);
  return redactText(text.replace(/\s*\n\s*/g, ' '));
}

export interface OidcErrorContext {
  /** Which request failed: each has its own likely cause. */
  readonly step: 'discovery' | 'code-exchange' | 'refresh' | 'revoke';
  readonly issuer: string;
  readonly clientId: string;
  /** Where the hosted UI's endpoints live (token, revoke), for "cannot reach". */
  readonly endpoint?: string;
}

/** Maps an openid-client failure (ClientError, ResponseBodyError, fetch TypeError) to a StratusError. */
export function oidcFailure(err: unknown, context: OidcErrorContext): StratusError {
  if (err instanceof StratusError) return err;
  if (isAbort(err)) return aborted('signing in');
  const e = asErrorLike(err);
  if (isNetworkFailure(err)) {
    const where = context.step === 'discovery' ? origin(context.issuer) : origin(context.endpoint ?? context.issuer);
    return authError('sign-in-unreachable', `Cannot reach the sign-in server at ${where} (check cognito.issuer and your network connection).`, err);
  }
  const oauthError = typeof e.error === 'string' ? e.error : undefined;
  if (context.step === 'discovery') {
    // Any answer that is not this issuer's OpenID discovery document: wrong pool ID, wrong region, not Cognito at all.
    return authError(
      'sign-in-issuer-invalid',
      `No user pool answers at ${context.issuer} (its /.well-known/openid-configuration: ${serverText(err)}); check cognito.issuer, e.g. https://cognito-idp.<region>.amazonaws.com/<userPoolId>.`,
      err,
    );
  }
  if (oauthError === 'invalid_client' || oauthError === 'unauthorized_client') {
    return authError('sign-in-rejected', `The user pool rejected the app client "${context.clientId}" (${serverText(err)}); check cognito.clientId, and that the app client has no secret.`, err);
  }
  if (oauthError === 'invalid_grant' && context.step === 'refresh') return signedOut(err);
  if (oauthError !== undefined) {
    return authError('sign-in-failed', `The sign-in server refused the ${context.step === 'code-exchange' ? 'sign-in code' : 'request'} (${serverText(err)}); run the sign-in again.`, err);
  }
  if (e.code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED') {
    return authError(
      'clock-skew',
      'The sign-in server\'s token is dated in the future or already expired by this computer\'s clock: set the clock automatically (network time), then sign in again.',
      err,
    );
  }
  if (typeof e.code === 'string' && e.code.startsWith('OAUTH_')) {
    // Claim comparisons (iss, aud, nonce), missing ID token, malformed responses.
    return authError('sign-in-invalid-token', `The sign-in server's answer failed validation (${serverText(err)}); check cognito.issuer and cognito.clientId.`, err);
  }
  return authError('sign-in-failed', `Signing in failed (${serverText(err)}).`, err);
}

export interface IdentityPoolErrorContext {
  readonly identityPoolId: string;
  readonly region: string;
  readonly endpoint?: string;
  readonly loginsKey: string;
  readonly clientId: string;
}

/** Maps a Cognito Identity (GetId / GetCredentialsForIdentity) failure to a StratusError. */
export function identityPoolFailure(err: unknown, context: IdentityPoolErrorContext): StratusError {
  if (err instanceof StratusError) return err;
  if (isAbort(err)) return aborted('getting storage credentials');
  const name = asErrorLike(err).name;
  const where = context.endpoint ?? `cognito-identity.${context.region}.amazonaws.com`;
  if (name === 'ResourceNotFoundException' || name === 'InvalidParameterException') {
    return authError(
      'identity-pool-not-found',
      `The identity pool "${context.identityPoolId}" was not found at ${where} (${serverText(err)}); check cognito.identityPoolId.`,
      err,
    );
  }
  if (name === 'NotAuthorizedException') {
    return authError(
      'identity-pool-denied',
      `The identity pool "${context.identityPoolId}" refused the sign-in (${serverText(err)}); check that it lists the user pool ${context.loginsKey} with app client ${context.clientId} as an authentication provider.`,
      err,
    );
  }
  if (name === 'TooManyRequestsException' || name === 'LimitExceededException' || name === 'InternalErrorException') {
    return authError('identity-pool-busy', `The identity pool is busy (${String(name)}); Stratus tries again later.`, err);
  }
  if (isNetworkFailure(err)) {
    return authError('sign-in-unreachable', `Cannot reach the Cognito identity service at ${where} (check cognito.identityEndpoint and your network connection).`, err);
  }
  return authError('identity-pool-denied', `Getting storage credentials from the identity pool "${context.identityPoolId}" failed (${serverText(err)}).`, err);
}
