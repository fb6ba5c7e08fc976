/**
 * The app's AccountPort in cognito mode: restores the stored session (no
 * network until a session exists), signs in through LoginWindowFlow (login
 * window or system browser), and hands the AppController a SignedInAccount
 * whose `credentials()` are the identity pool's temporary credentials (the
 * provider renews them, refreshing the ID token first; AUTH-NOTES). One
 * CognitoCredentials per signed-in user, as the SDK caches the identity ID.
 *
 * No electron import (the vault and the flow are injected; desktopSignIn.ts
 * builds the Electron ones), so the classification of failures is tested in
 * Node. Credentials and tokens never reach a log or the renderer.
 */
import type { AwsCredentialIdentity } from '@smithy/types';
import { isNetworkFailure } from '../../engine/auth/authErrors.js';
import { CognitoAuth } from '../../engine/auth/CognitoAuth.js';
import type { CognitoCredentials } from '../../engine/auth/CognitoCredentials.js';
import type { CognitoSession } from '../../engine/auth/CognitoSession.js';
import type { TokenVault } from '../../engine/auth/TokenVault.js';
import type { HttpNetwork } from '../../engine/net/HttpNetwork.js';
import type { Logger } from '../../engine/logger.js';
import type { EngineCredentials } from '../../shared/EngineProtocol.js';
import type { CognitoSettings } from '../../shared/StratusConfig.js';
import type { AccountPort, RestoreResult, SignedInAccount } from '../AppController.js';
import type { LoginWindowFlow } from './LoginWindowFlow.js';

/** Failures that mean "cannot reach the servers now", not "signed out". */
const UNREACHABLE_CODES = new Set(['sign-in-unreachable', 'identity-pool-busy', 'clock-skew']);

function code(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | undefined)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** What a failed restore means for the app: try again later (offline), or sign in again. */
export function classifyRestoreFailure(err: unknown): RestoreResult {
  const message = err instanceof Error ? err.message : String(err);
  const c = code(err);
  if ((c !== undefined && UNREACHABLE_CODES.has(c)) || isNetworkFailure(err)) return { kind: 'unreachable', message };
  return { kind: 'signed-out', message };
}

/** The SDK's credentials as the engine protocol carries them (expiration as ISO 8601). */
export function toEngineCredentials(c: AwsCredentialIdentity): EngineCredentials {
  return {
    accessKeyId: c.accessKeyId,
    secretAccessKey: c.secretAccessKey,
    ...(c.sessionToken === undefined ? {} : { sessionToken: c.sessionToken }),
    ...(c.expiration === undefined ? {} : { expiration: c.expiration.toISOString() }),
  };
}

export interface CognitoAccountPortOptions {
  readonly cognito: CognitoSettings;
  /** Proxy and trusted CAs (the network policies) for the user pool and the identity pool. */
  readonly network?: HttpNetwork;
  /** The LoginHint policy, read when the account first connects. */
  readonly loginHint?: () => string | undefined;
  readonly vault: TokenVault;
  readonly flow: Pick<LoginWindowFlow, 'signIn' | 'cancel'>;
  /** After the session is revoked: end the hosted UI's browser session (clear the login window's cookies, or open /logout). */
  readonly endBrowserSession: (auth: CognitoAuth) => Promise<void>;
  readonly log?: Logger;
}

export class CognitoAccountPort implements AccountPort {
  private auth: Promise<CognitoAuth> | undefined;

  constructor(private readonly o: CognitoAccountPortOptions) {}

  /** Discovery, once (again after a failure: the network may be back). */
  private connect(): Promise<CognitoAuth> {
    const loginHint = this.o.loginHint?.();
    this.auth ??= CognitoAuth.connect({
      cognito: this.o.cognito, vault: this.o.vault,
      ...(this.o.log === undefined ? {} : { log: this.o.log }),
      ...(this.o.network === undefined ? {} : { network: this.o.network }),
      ...(loginHint === undefined ? {} : { loginHint }),
    })
      .catch((err: unknown) => {
        this.auth = undefined;
        throw err;
      });
    return this.auth;
  }

  async restore(): Promise<RestoreResult> {
    try {
      // Checked before any network: nobody signed in must not wait for an unreachable server.
      if ((await this.o.vault.get()) === undefined) return { kind: 'signed-out' };
      const auth = await this.connect();
      const session = await auth.restore();
      if (session === undefined) return { kind: 'signed-out' };
      const credentials = auth.credentialsFor(session);
      const identityId = await credentials.identityId();
      return { kind: 'signed-in', account: this.account(auth, session, credentials, identityId) };
    } catch (err) {
      return classifyRestoreFailure(err);
    }
  }

  async signIn(): Promise<SignedInAccount> {
    const auth = await this.connect();
    const signed = await this.o.flow.signIn(auth);
    if (signed.replaced?.revoked === false) this.o.log?.warn('the sign-in this one replaced could not be revoked', { code: signed.replaced.error?.code });
    return this.account(auth, signed.session, signed.credentials, signed.identityId);
  }

  cancelSignIn(): void {
    this.o.flow.cancel();
  }

  private account(auth: CognitoAuth, session: CognitoSession, credentials: CognitoCredentials, identityId: string): SignedInAccount {
    const user = session.user.email ?? session.user.username;
    return {
      user,
      identityId,
      prefix: `${identityId}/`,
      credentials: async () => toEngineCredentials(await credentials.provider()),
      signOut: async () => {
        await session.signOut();
        await this.o.endBrowserSession(auth);
      },
    };
  }
}
