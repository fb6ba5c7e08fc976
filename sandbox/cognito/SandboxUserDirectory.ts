/**
 * SandboxUserDirectory: the user pool's fixed list of users, looked up by user name
 * (sign-in form) and by `sub` (oidc-provider's findAccount, userInfo).
 *
 * Emits the claims Cognito puts into ID tokens and userInfo responses for a user.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { deterministicUuid, NAMESPACE_USER_SUB } from './deterministicUuid.js';

export interface SandboxUser {
  readonly username: string;
  readonly password: string;
  readonly email: string;
  /** Stable UUID; derived from the user name when absent, so it survives restarts. */
  readonly sub?: string;
}

export interface DirectoryUser {
  readonly username: string;
  readonly email: string;
  readonly sub: string;
}

export type SignInResult =
  | { readonly ok: true; readonly user: DirectoryUser }
  | { readonly ok: false; readonly reason: 'unknown-user' | 'wrong-password' };

export class SandboxUserDirectory {
  private readonly byUsername = new Map<string, SandboxUser & { sub: string }>();
  private readonly bySub = new Map<string, SandboxUser & { sub: string }>();

  constructor(users: readonly SandboxUser[], userPoolId: string) {
    for (const user of users) {
      const sub = user.sub ?? deterministicUuid(NAMESPACE_USER_SUB, `${userPoolId}/${user.username}`);
      const entry = { ...user, sub };
      // Cognito user names are case-insensitive by default.
      const key = user.username.toLowerCase();
      if (this.byUsername.has(key)) throw new Error(`duplicate sandbox user ${user.username}`);
      this.byUsername.set(key, entry);
      this.bySub.set(sub, entry);
    }
  }

  findBySub(sub: string): DirectoryUser | undefined {
    const user = this.bySub.get(sub);
    return user && { username: user.username, email: user.email, sub: user.sub };
  }

  signIn(username: string, password: string): SignInResult {
    const user = this.byUsername.get(username.trim().toLowerCase());
    if (!user) return { ok: false, reason: 'unknown-user' };
    // Compare digests so the comparison time does not depend on where the strings differ.
    const a = createHash('sha256').update(password).digest();
    const b = createHash('sha256').update(user.password).digest();
    if (!timingSafeEqual(a, b)) return { ok: false, reason: 'wrong-password' };
    return { ok: true, user: { username: user.username, email: user.email, sub: user.sub } };
  }
}
