/**
 * CredentialStore: the sandbox's record of every AWS-style key pair it has issued.
 *
 * The identity API (sandbox/cognito) issues temporary credentials bound to one
 * identity ID; the S3 server (sandbox/s3) looks them up to verify SigV4 and to
 * enforce the per-identity prefix policy. One admin key pair has full access
 * (for tools such as aws cli and rclone, and for tests). Kept in memory: a
 * restarted sandbox invalidates temporary credentials, as AWS would after expiry.
 */
import { randomBytes } from 'node:crypto';

export type IssuedCredential =
  | { readonly kind: 'admin'; readonly accessKeyId: string; readonly secretAccessKey: string }
  | {
      readonly kind: 'identity';
      readonly accessKeyId: string;
      readonly secretAccessKey: string;
      readonly sessionToken: string;
      /** Epoch milliseconds after which S3 answers `ExpiredToken`. */
      expiresAt: number;
      /** Cognito identity ID (`<region>:<uuid>`); the only prefix this key may touch. */
      readonly identityId: string;
    };

export interface CredentialStoreOptions {
  /** Admin key pair; random when omitted. */
  readonly adminAccessKeyId?: string;
  readonly adminSecretAccessKey?: string;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

function token(bytes: number, alphabet: 'upper' | 'base64'): string {
  const raw = randomBytes(bytes);
  if (alphabet === 'base64') return raw.toString('base64').replace(/[+/=]/g, '').slice(0, bytes);
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return Array.from(raw, (b) => chars[b % chars.length]).join('');
}

export class CredentialStore {
  readonly admin: Extract<IssuedCredential, { kind: 'admin' }>;
  private readonly byAccessKey = new Map<string, IssuedCredential>();
  private readonly now: () => number;

  constructor(options: CredentialStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.admin = {
      kind: 'admin',
      accessKeyId: options.adminAccessKeyId ?? `AKIA${token(16, 'upper')}`,
      secretAccessKey: options.adminSecretAccessKey ?? token(40, 'base64'),
    };
    this.byAccessKey.set(this.admin.accessKeyId, this.admin);
  }

  /** Issues temporary credentials for one identity, valid for `ttlMs`. */
  issueForIdentity(identityId: string, ttlMs: number): Extract<IssuedCredential, { kind: 'identity' }> {
    const cred = {
      kind: 'identity' as const,
      accessKeyId: `ASIA${token(16, 'upper')}`,
      secretAccessKey: token(40, 'base64'),
      sessionToken: token(300, 'base64'),
      expiresAt: this.now() + ttlMs,
      identityId,
    };
    this.byAccessKey.set(cred.accessKeyId, cred);
    return cred;
  }

  lookup(accessKeyId: string): IssuedCredential | undefined {
    return this.byAccessKey.get(accessKeyId);
  }

  isExpired(cred: IssuedCredential): boolean {
    return cred.kind === 'identity' && cred.expiresAt <= this.now();
  }

  /** Fault injection: every temporary credential issued so far expires now. */
  expireAll(): void {
    for (const cred of this.byAccessKey.values()) {
      if (cred.kind === 'identity') cred.expiresAt = this.now() - 1;
    }
  }
}
