/**
 * TokenVault: where a signed-in session survives between runs — the refresh
 * token (the one secret kept) plus non-secret metadata (who, which identity).
 * ID and access tokens and AWS credentials are never stored: they live in
 * memory and are renewed from the refresh token.
 *
 * Implementations: FileTokenVault (CLI: a 0600 file), MemoryTokenVault (tests),
 * and the desktop app's SafeStorageTokenVault (src/main/auth, Electron
 * safeStorage). Methods are async so an OS keychain or safeStorage's async
 * pair can back them. Persistent vaults write `storedSessionRecord(session)`,
 * never the object they were given, so nothing but these fields reaches disk.
 */

export interface StoredIdentity {
  /** The identity pool the ID below belongs to: another pool gives the same user another ID. */
  readonly identityPoolId: string;
  /** `<region>:<uuid>`, the user's S3 prefix without its "/" (`${cognito-identity.amazonaws.com:sub}`). */
  readonly identityId: string;
}

export interface StoredSession {
  /** Secret: whoever holds it can act as the user until it expires or is revoked. */
  readonly refreshToken: string;
  /** User pool `sub` of the signed-in user. */
  readonly sub: string;
  /** `cognito:username`. */
  readonly username: string;
  readonly email?: string;
  /** Cached so every start does not call GetId (throttled per account, AUTH-NOTES). */
  readonly identity?: StoredIdentity;
  /** ISO time of the sign-in. */
  readonly signedInAt: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a parsed value is a StoredSession (a vault file's content, checked before it is trusted). */
export function isStoredSession(value: unknown): value is StoredSession {
  if (!isRecord(value)) return false;
  const identity = value['identity'];
  return typeof value['refreshToken'] === 'string' && value['refreshToken'] !== ''
    && typeof value['sub'] === 'string' && typeof value['username'] === 'string'
    && typeof value['signedInAt'] === 'string'
    && (value['email'] === undefined || typeof value['email'] === 'string')
    && (identity === undefined || (isRecord(identity) && typeof identity['identityPoolId'] === 'string' && typeof identity['identityId'] === 'string'));
}

/**
 * Exactly the fields a vault persists, copied one by one: an ID or access
 * token (or AWS credentials) riding along on the object given to `set()` is
 * never written.
 */
export function storedSessionRecord(session: StoredSession): StoredSession {
  const { refreshToken, sub, username, email, identity, signedInAt } = session;
  return {
    refreshToken,
    sub,
    username,
    ...(email === undefined ? {} : { email }),
    ...(identity === undefined ? {} : { identity: { identityPoolId: identity.identityPoolId, identityId: identity.identityId } }),
    signedInAt,
  };
}

export interface TokenVault {
  /** The stored session, or undefined when nobody is signed in. */
  get(): Promise<StoredSession | undefined>;
  /** Replaces the stored session. */
  set(session: StoredSession): Promise<void>;
  /** Forgets the session (signing out); no error when there is none. */
  clear(): Promise<void>;
}

/** Keeps the session in memory only: for tests, and for a run that must not persist anything. */
export class MemoryTokenVault implements TokenVault {
  private session: StoredSession | undefined;

  constructor(initial?: StoredSession) {
    this.session = initial;
  }

  get(): Promise<StoredSession | undefined> {
    return Promise.resolve(this.session);
  }

  set(session: StoredSession): Promise<void> {
    this.session = session;
    return Promise.resolve();
  }

  clear(): Promise<void> {
    this.session = undefined;
    return Promise.resolve();
  }
}
