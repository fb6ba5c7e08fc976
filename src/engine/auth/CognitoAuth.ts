/**
 * CognitoAuth: sign-in, restore and sign-out for one account (user pool app
 * client + identity pool), as the CLI and the app use them:
 *
 *   signIn   loopback listener → authorization URL (preflighted) → the caller
 *            shows it (browser / printed / login window) → callback: state
 *            checked, error handled → code exchange, ID token validated →
 *            identity pool resolves the identity ID → only then the vault
 *            stores the session → the session it replaced (a second sign-in)
 *            is revoked, so its refresh token does not linger on the server.
 *   restore  the vault's session (tokens renewed on first use), or undefined.
 *   signOut  (CognitoSession.signOut) revoke the refresh token and clear the
 *            vault; then `logoutUrl()` is the hosted UI's /logout to open, and
 *            `serveSignedOutPage()` answers its sign-out URL on loopback once,
 *            so the browser ends on "You are signed out", not on an error.
 *
 * Each signed-in user gets a new CognitoSession and CognitoCredentials (the SDK
 * caches the identity ID per provider). Logs carry no tokens, codes or URLs.
 */
import type { CognitoSettings } from '../../shared/StratusConfig.js';
import type { Logger } from '../logger.js';
import type { HttpNetwork } from '../net/HttpNetwork.js';
import type { StratusError } from '../../core/StratusError.js';
import { authError } from './authErrors.js';
import { CognitoCredentials } from './CognitoCredentials.js';
import { CognitoSession } from './CognitoSession.js';
import { listenForRedirect, type LoopbackAnswer } from './LoopbackRedirect.js';
import { OidcClient, type AuthorizationRequest } from './OidcClient.js';
import type { StoredSession, TokenVault } from './TokenVault.js';

export interface CognitoAuthOptions {
  readonly cognito: CognitoSettings;
  readonly vault: TokenVault;
  readonly log?: Logger;
  /** Passed to OidcClient (tests simulate a wrong clock with it). @default 0 */
  readonly clockSkewSeconds?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** Proxy and trusted CAs for the user pool and the identity pool. @default the global fetch and the SDK's agents */
  readonly network?: HttpNetwork;
  /** The LoginHint policy: sent to the hosted UI as `login_hint`. */
  readonly loginHint?: string;
}

export interface SignInOptions {
  /**
   * Shows the authorization URL to the user (open a browser, print it). Called
   * once the callback listener is up, so a fast browser cannot arrive first.
   */
  readonly openUrl: (url: string) => void | Promise<void>;
  /** How long to wait for the browser. @default 300_000 (5 min) */
  readonly timeoutMs?: number;
  /** Ctrl-C / app shutdown: rejects with code 'aborted'. */
  readonly signal?: AbortSignal;
}

export interface SignedIn {
  readonly session: CognitoSession;
  readonly credentials: CognitoCredentials;
  readonly identityId: string;
  /** The sign-in this one replaced in the vault (a second login), and whether its refresh token was revoked. */
  readonly replaced?: ReplacedSession;
}

export interface ReplacedSession {
  /** Who was signed in before (may be another user than the new sign-in). */
  readonly username: string;
  /** True when the server revoked the old refresh token; false when that failed (see `error`). */
  readonly revoked: boolean;
  /** Why revocation failed: the old token then stays valid on the server until it expires. */
  readonly error?: StratusError;
}

export interface SignedOutPageOptions {
  /** How long to wait for the browser before giving up quietly. @default 120_000 (2 min) */
  readonly timeoutMs?: number;
  /** Stops waiting (Ctrl-C); `done` then resolves 'aborted'. */
  readonly signal?: AbortSignal;
}

/** The loopback sign-out URL, answered once with a "You are signed out" page. */
export interface SignedOutPage {
  /** The sign-out URL being answered (`logout_uri` of `logoutUrl()`). */
  readonly url: string;
  /** Settles once and never rejects: the page was shown, nobody came in time, or waiting was stopped. */
  readonly done: Promise<'shown' | 'timeout' | 'aborted'>;
  /** Stops listening; safe to call twice. */
  close(): Promise<void>;
}

/** Cognito's sign-out URL for a callback: the same origin, path /logout (register it as an allowed sign-out URL). */
export function logoutUriFor(redirectUri: string): string {
  return new URL('/logout', redirectUri).href;
}

/** The browser page and outcome for the authorization response (https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2). */
function answerCallback(url: URL, request: AuthorizationRequest | undefined): LoopbackAnswer<URL> {
  const params = url.searchParams;
  // CSRF protection (RFC 6749 §10.12): an answer to another sign-in (an old tab, a forged link) is refused outright.
  // Before the request exists (a request racing the listener) no answer can be ours.
  if (request === undefined || params.get('state') !== request.state) {
    return {
      status: 400,
      title: 'Sign-in not accepted',
      message: 'This sign-in answer does not belong to the sign-in Stratus is waiting for. Close this window and sign in again.',
      outcome: { error: authError('sign-in-state-mismatch', 'The browser returned an answer for a different sign-in attempt (state mismatch: an old browser tab, or a forged request); nothing was signed in. Sign in again.') },
    };
  }
  const error = params.get('error');
  if (error !== null) {
    // RFC 6749 §4.1.2.1: the user cancelled (access_denied) or the server refused the request.
    const description = (params.get('error_description') ?? '').slice(0, 200);
    const denied = error === 'access_denied';
    return {
      status: 200,
      title: denied ? 'Sign-in cancelled' : 'Sign-in failed',
      message: `${denied ? 'Sign-in was cancelled.' : `The sign-in server refused the request (${error}).`} You can close this window.`,
      outcome: {
        error: denied
          ? authError('sign-in-denied', 'Sign-in was cancelled or refused in the browser (access_denied); nothing was signed in.')
          : authError('sign-in-rejected', `The sign-in server refused the request (${error}${description === '' ? '' : `: ${description}`}); check cognito.clientId and cognito.redirectUri.`),
      },
    };
  }
  if (params.get('code') === null) {
    return {
      status: 400,
      title: 'Sign-in failed',
      message: 'The sign-in answer carried no authorization code. Close this window and sign in again.',
      outcome: { error: authError('sign-in-failed', 'The browser returned to Stratus without an authorization code; sign in again.') },
    };
  }
  return { status: 200, title: 'Signed in to Stratus', message: 'You can close this window and return to Stratus.', outcome: { value: url } };
}

/** The page at the end of the hosted UI's /logout: purely informational, so any request to the path gets it. */
function answerSignedOut(): LoopbackAnswer<'shown'> {
  return {
    status: 200,
    title: 'You are signed out',
    message: 'Stratus has signed you out and forgotten your sign-in on this computer. You can close this window.',
    outcome: { value: 'shown' },
  };
}

export class CognitoAuth {
  readonly oidc: OidcClient;
  private readonly options: CognitoAuthOptions;

  private constructor(options: CognitoAuthOptions, oidc: OidcClient) {
    this.options = options;
    this.oidc = oidc;
  }

  /** Discovers the user pool (fails fast on a wrong issuer or an unreachable server). */
  static async connect(options: CognitoAuthOptions): Promise<CognitoAuth> {
    const { cognito } = options;
    const oidc = await OidcClient.discover({
      issuer: cognito.issuer,
      clientId: cognito.clientId,
      ...(cognito.hostedUiBase === undefined ? {} : { hostedUiBase: cognito.hostedUiBase }),
      ...(options.clockSkewSeconds === undefined ? {} : { clockSkewSeconds: options.clockSkewSeconds }),
      ...(options.network === undefined ? {} : { fetch: options.network.fetch }),
    });
    return new CognitoAuth(options, oidc);
  }

  get vault(): TokenVault {
    return this.options.vault;
  }

  /** The full browser sign-in; stores the session only once everything, identity included, worked. */
  async signIn(options: SignInOptions): Promise<SignedIn> {
    const { cognito, log } = this.options;
    let request: AuthorizationRequest | undefined;
    // Listen before anything is shown: a busy port is reported before the user signs in for nothing.
    const redirect = await listenForRedirect<URL>({
      redirectUri: cognito.redirectUri,
      // Before the request exists no answer can be ours: `state` cannot match.
      answer: (url) => answerCallback(url, request),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    let callback: URL;
    try {
      request = await this.oidc.authorizationRequest(cognito.redirectUri, this.options.loginHint);
      await this.oidc.preflight(request);
      log?.info('waiting for the browser sign-in', { port: redirect.port });
      // Stopped while preparing (window closed, Ctrl-C): show nothing; `result` has already settled with the reason.
      if (options.signal?.aborted !== true) await options.openUrl(request.url.href);
      callback = await redirect.result;
    } finally {
      await redirect.close();
    }
    log?.debug('authorization response received');
    const tokens = await this.oidc.exchange(callback, request as AuthorizationRequest);
    const session = new CognitoSession({
      oidc: this.oidc,
      vault: this.options.vault,
      stored: { refreshToken: tokens.refreshToken ?? '', ...tokens.claims, signedInAt: new Date(this.now()).toISOString() },
      tokens,
      persisted: false,
      ...(log === undefined ? {} : { log }),
      now: () => this.now(),
    });
    const credentials = this.credentialsFor(session);
    // The identity pool is part of signing in: a wrong identity pool ID fails here, with nothing stored.
    const identityId = await credentials.identityId();
    // Read just before writing: another process may have signed in meanwhile. A damaged file is simply replaced.
    const previous = await this.options.vault.get().catch(() => undefined);
    await session.save();
    log?.info('signed in', { username: tokens.claims.username, identityId });
    const replaced = await this.revokeReplaced(previous, session.stored.refreshToken);
    return { session, credentials, identityId, ...(replaced === undefined ? {} : { replaced }) };
  }

  /**
   * Revokes the refresh token of the session a new sign-in replaced
   * (https://www.rfc-editor.org/rfc/rfc7009#section-2.1). Done after the new
   * session is stored, so a failure here never leaves the vault empty; a
   * failure is reported, not thrown: the new sign-in stands.
   */
  private async revokeReplaced(previous: StoredSession | undefined, current: string): Promise<ReplacedSession | undefined> {
    if (previous === undefined || previous.refreshToken === current) return undefined;
    const { log } = this.options;
    try {
      await this.oidc.revoke(previous.refreshToken);
      log?.info('revoked the sign-in this one replaced', { username: previous.username });
      return { username: previous.username, revoked: true };
    } catch (err) {
      const error = err as StratusError;
      log?.warn('could not revoke the sign-in this one replaced', { username: previous.username, code: error.code });
      return { username: previous.username, revoked: false, error };
    }
  }

  /** The session in the vault, or undefined when nobody is signed in. */
  restore(): Promise<CognitoSession | undefined> {
    const { log } = this.options;
    return CognitoSession.restore({ oidc: this.oidc, vault: this.options.vault, ...(log === undefined ? {} : { log }), now: () => this.now() });
  }

  /** New credentials (and so a new SDK provider) for this session's user. */
  credentialsFor(session: CognitoSession): CognitoCredentials {
    const { cognito, log } = this.options;
    return new CognitoCredentials({
      session,
      identityPoolId: cognito.identityPoolId,
      issuer: cognito.issuer,
      clientId: cognito.clientId,
      ...(cognito.identityEndpoint === undefined ? {} : { endpoint: cognito.identityEndpoint }),
      ...(log === undefined ? {} : { log }),
      now: () => this.now(),
      ...(this.options.network === undefined ? {} : { requestHandler: this.options.network.sdkRequestHandler() }),
    });
  }

  /** The hosted UI sign-out URL (ends the browser session; the token is revoked by `session.signOut()`). */
  logoutUrl(): URL {
    return this.oidc.logoutUrl(logoutUriFor(this.options.cognito.redirectUri));
  }

  /**
   * Answers the sign-out URL (`logoutUriFor(redirectUri)`) once with a "You
   * are signed out" page, so the browser that opened `logoutUrl()` ends on a
   * friendly page instead of a refused connection. Call it before showing the
   * URL. Rejects only when it cannot listen ('callback-port-busy'); after that
   * `done` never rejects: a browser that never comes is not an error.
   */
  async serveSignedOutPage(options: SignedOutPageOptions = {}): Promise<SignedOutPage> {
    const url = logoutUriFor(this.options.cognito.redirectUri);
    const timeoutMs = options.timeoutMs ?? 120_000;
    const page = await listenForRedirect<'shown'>({
      redirectUri: url,
      answer: answerSignedOut,
      timeoutMs,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const done = page.result.then(
      (shown) => shown,
      (err: unknown) => ((err as StratusError).code === 'sign-in-timeout' ? 'timeout' as const : 'aborted' as const),
    );
    return { url, done, close: page.close };
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
