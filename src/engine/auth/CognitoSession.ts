/**
 * CognitoSession: one signed-in user. Holds the ID and access tokens in
 * memory only, and renews them from the vault's refresh token whenever the ID
 * token has less than five minutes left — the AWS SDK renews identity-pool
 * credentials with five minutes to go, and by then a stored ID token has often
 * expired (AUTH-NOTES). Concurrent callers share one refresh.
 *
 * A refresh token that was revoked or expired ends the session: the vault is
 * cleared (if it still holds that token) and 'signed-out' is thrown.
 *
 * Emits `onDidRefresh` after each successful refresh (the ID token's new expiry).
 */
import { Emitter, type Event } from '../../core/Emitter.js';
import type { StratusError } from '../../core/StratusError.js';
import type { Logger } from '../logger.js';
import { signedOut } from './authErrors.js';
import type { IdClaims, OidcClient, TokenSet } from './OidcClient.js';
import type { StoredIdentity, StoredSession, TokenVault } from './TokenVault.js';

/** Refresh when the ID token has less than this left; matches the SDK's credential renewal window. */
export const ID_TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

export interface CognitoSessionOptions {
  readonly oidc: OidcClient;
  readonly vault: TokenVault;
  readonly stored: StoredSession;
  /** Tokens already in hand (right after sign-in); otherwise the first use refreshes. */
  readonly tokens?: TokenSet;
  /** Whether `stored` is already in the vault (false right after sign-in, until `save()`). @default true */
  readonly persisted?: boolean;
  readonly log?: Logger;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default ID_TOKEN_REFRESH_MARGIN_MS */
  readonly refreshMarginMs?: number;
}

export class CognitoSession {
  private readonly oidc: OidcClient;
  private readonly vault: TokenVault;
  private readonly log: Logger | undefined;
  private readonly now: () => number;
  private readonly marginMs: number;
  private readonly didRefresh = new Emitter<{ readonly idTokenExpiresAt: number }>();
  private current: StoredSession;
  private tokens: TokenSet | undefined;
  private refreshing: Promise<TokenSet> | undefined;
  private persisted: boolean;
  private ended: StratusError | undefined;

  readonly onDidRefresh: Event<{ readonly idTokenExpiresAt: number }> = this.didRefresh.event;

  constructor(options: CognitoSessionOptions) {
    this.oidc = options.oidc;
    this.vault = options.vault;
    this.current = options.stored;
    this.tokens = options.tokens;
    this.persisted = options.persisted ?? true;
    this.log = options.log;
    this.now = options.now ?? Date.now;
    this.marginMs = options.refreshMarginMs ?? ID_TOKEN_REFRESH_MARGIN_MS;
  }

  /** The session in the vault, or undefined when nobody is signed in there. */
  static async restore(options: Omit<CognitoSessionOptions, 'stored' | 'tokens' | 'persisted'>): Promise<CognitoSession | undefined> {
    const stored = await options.vault.get();
    return stored === undefined ? undefined : new CognitoSession({ ...options, stored });
  }

  get user(): IdClaims {
    const { sub, username, email } = this.current;
    return { sub, username, ...(email === undefined ? {} : { email }) };
  }

  /** The session as the vault keeps it (holds the refresh token: never log it). */
  get stored(): StoredSession {
    return this.current;
  }

  /** Expiry of the ID token in memory (epoch ms), if one was obtained yet. */
  get idTokenExpiresAt(): number | undefined {
    return this.tokens?.idTokenExpiresAt;
  }

  /** An ID token with at least the refresh margin left, refreshing it first if needed. */
  async freshIdToken(): Promise<string> {
    if (this.ended !== undefined) throw this.ended;
    const tokens = this.tokens;
    if (tokens !== undefined && tokens.idTokenExpiresAt - this.now() > this.marginMs) return tokens.idToken;
    return (await this.refresh()).idToken;
  }

  /** Drops the ID token in memory, so the next use refreshes (e.g. the identity pool said it expired). */
  invalidateIdToken(): void {
    this.tokens = undefined;
  }

  /** Renews the tokens now; concurrent callers share one request. */
  refresh(): Promise<TokenSet> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Records the identity pool's ID for this user (saved when the session is persisted). */
  async rememberIdentity(identity: StoredIdentity): Promise<void> {
    const known = this.current.identity;
    if (known?.identityId === identity.identityId && known.identityPoolId === identity.identityPoolId) return;
    this.current = { ...this.current, identity };
    if (this.persisted && this.ended === undefined) await this.vault.set(this.current);
  }

  /** Forgets the cached identity ID in memory (the SDK does after a failure); the next success stores it again. */
  forgetIdentity(): void {
    const { identity: _dropped, ...rest } = this.current;
    this.current = rest;
  }

  /** Writes the session to the vault (the end of a sign-in). */
  async save(): Promise<void> {
    await this.vault.set(this.current);
    this.persisted = true;
  }

  /**
   * Revokes the refresh token at the user pool and clears the vault — the
   * vault even when revocation fails (the failure is rethrown afterwards, so
   * the caller can say the token stays valid until it expires).
   */
  async signOut(): Promise<void> {
    let failure: unknown;
    try {
      await this.oidc.revoke(this.current.refreshToken);
    } catch (err) {
      failure = err;
    }
    await this.clearIfStillOurs();
    this.tokens = undefined;
    this.ended = signedOut();
    this.didRefresh.dispose();
    if (failure !== undefined) throw failure;
  }

  private async doRefresh(): Promise<TokenSet> {
    let tokens: TokenSet;
    try {
      tokens = await this.oidc.refresh(this.current.refreshToken, this.current.sub);
    } catch (err) {
      if ((err as StratusError).code === 'signed-out') {
        this.ended = err as StratusError;
        this.tokens = undefined;
        this.log?.info('the refresh token was revoked or expired; signed out', { username: this.current.username });
        await this.clearIfStillOurs();
      }
      throw err;
    }
    this.tokens = tokens;
    // Without rotation Cognito sends no new refresh token: the old one stays valid and is kept.
    if (tokens.refreshToken !== undefined && tokens.refreshToken !== this.current.refreshToken) {
      this.current = { ...this.current, refreshToken: tokens.refreshToken };
      if (this.persisted) await this.vault.set(this.current);
    }
    this.log?.debug('ID token refreshed', { expiresAt: new Date(tokens.idTokenExpiresAt).toISOString() });
    this.didRefresh.fire({ idTokenExpiresAt: tokens.idTokenExpiresAt });
    return tokens;
  }

  /** Another process may have signed in anew meanwhile: only our own token is removed. */
  private async clearIfStillOurs(): Promise<void> {
    const inVault = await this.vault.get().catch(() => undefined);
    if (inVault === undefined || inVault.refreshToken === this.current.refreshToken) await this.vault.clear();
  }
}
