/**
 * IdentityPool: the Cognito Identity API's enhanced (simplified) flow, AWS JSON 1.1
 * over `POST /` with `X-Amz-Target: AWSCognitoIdentityService.<Operation>`:
 *
 *   GetId(IdentityPoolId, Logins)                    → { IdentityId }
 *   GetCredentialsForIdentity(IdentityId, Logins)    → { IdentityId, Credentials }
 *
 * Both are unauthenticated operations (the SDK does not SigV4-sign them). Identity
 * IDs are `<region>:<uuid>`, derived from (identity pool, user pool ID, sub), so the
 * same user gets the same ID on every call and after a sandbox restart. Credentials
 * come from the shared CredentialStore, which the sandbox S3 server checks.
 * Unauthenticated (guest) identities, developer identities and linking several
 * logins to one identity are not modelled.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CredentialStore } from '../CredentialStore.js';
import { CognitoIdentityError } from './CognitoIdentityError.js';
import { deterministicUuid, NAMESPACE_IDENTITY } from './deterministicUuid.js';
import { listenLoopback } from './listenLoopback.js';
import { LoginTokenVerifier, type LoginProvider, type VerifiedLogin } from './LoginTokenVerifier.js';

export type { LoginProvider } from './LoginTokenVerifier.js';
export { CognitoIdentityError } from './CognitoIdentityError.js';

export interface IdentityPoolOptions {
  /** @default 'us-east-1' (or the prefix of `identityPoolId`) */
  readonly region?: string;
  /** `<region>:<uuid>`. @default `${region}:5a3d1c7e-0b7f-4c55-9a8e-2f6d4b1c9e01` */
  readonly identityPoolId?: string;
  /** User pools whose ID tokens this pool accepts (Cognito's "authentication providers"). */
  readonly providers: LoginProvider[];
  readonly credentials: CredentialStore;
  /** Lifetime of issued credentials; Cognito's enhanced flow gives 1 h. @default 3_600_000 */
  readonly credentialTtlMs?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** Clock for token expiry checks. @default Date.now */
  readonly now?: () => number;
}

export interface IdentityPool {
  /** `http://127.0.0.1:PORT`, for `clientConfig.endpoint`. */
  readonly endpoint: string;
  readonly identityPoolId: string;
  readonly region: string;
  /**
   * The identity ID this pool gives user-pool user `sub` (of the provider it signed in
   * with, or else the first provider), whether or not that user has called GetId yet.
   */
  identityIdFor(sub: string): string | undefined;
  close(): Promise<void>;
}

const TARGET_PREFIX = 'AWSCognitoIdentityService.';
const BODY_LIMIT_BYTES = 64 * 1024;
const IDENTITY_POOL_ID = /^[\w-]+:[0-9a-f-]+$/;
const IDENTITY_ID = /^[\w-]+:[0-9a-f-]+$/;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT_BYTES) {
        reject(new CognitoIdentityError('SerializationException', 'Request body too large.'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.1',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
    ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}),
  });
  res.end(text);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** AWS's validation message shape, e.g. for a malformed IdentityPoolId. */
function validation(field: string, value: unknown, constraint: string): CognitoIdentityError {
  return new CognitoIdentityError(
    'InvalidParameterException',
    `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: ${constraint}`,
  );
}

function parseLogins(value: unknown): [string, string][] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw validation('logins', value, 'Member must be a map of provider name to token');
  const entries = Object.entries(value);
  if (entries.length > 10) throw validation('logins', '…', 'Member must have length less than or equal to 10');
  for (const [key, token] of entries) {
    if (typeof token !== 'string' || token.length === 0 || token.length > 50_000) {
      throw validation(`logins.${key}`, token, 'Member must be a token string of length 1 to 50000');
    }
  }
  return entries.length ? (entries as [string, string][]) : undefined;
}

export async function startIdentityPool(options: IdentityPoolOptions): Promise<IdentityPool> {
  const region = options.region ?? options.identityPoolId?.split(':')[0] ?? 'us-east-1';
  const identityPoolId = options.identityPoolId ?? `${region}:5a3d1c7e-0b7f-4c55-9a8e-2f6d4b1c9e01`;
  if (!IDENTITY_POOL_ID.test(identityPoolId) || !identityPoolId.startsWith(`${region}:`)) {
    throw new Error(`identityPoolId ${identityPoolId} is not <region>:<uuid> in ${region}`);
  }
  const now = options.now ?? Date.now;
  const ttlMs = options.credentialTtlMs ?? 3_600_000;
  const verifier = new LoginTokenVerifier(options.providers, now);
  /** Identities that called GetId, to tell "unknown identity" from "logins don't match". */
  const known = new Map<string, VerifiedLogin>();

  const identityIdOf = (userPoolId: string, sub: string): string =>
    `${region}:${deterministicUuid(NAMESPACE_IDENTITY, `${identityPoolId}|${userPoolId}|${sub}`)}`;

  /** Verifies every login; the identity is the first one's (linking is not modelled). */
  async function authenticate(logins: [string, string][]): Promise<VerifiedLogin> {
    const verified = await Promise.all(logins.map(([key, token]) => verifier.verify(key, token)));
    const first = verified[0];
    if (!first) throw new Error('no logins');
    return first;
  }

  function requirePool(input: Record<string, unknown>): void {
    const id = input['IdentityPoolId'];
    if (typeof id !== 'string' || !IDENTITY_POOL_ID.test(id)) {
      throw validation('identityPoolId', id, 'Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+');
    }
    if (id !== identityPoolId) throw new CognitoIdentityError('ResourceNotFoundException', `IdentityPool '${id}' not found.`);
  }

  async function getId(input: Record<string, unknown>): Promise<unknown> {
    requirePool(input);
    const logins = parseLogins(input['Logins']);
    if (!logins) {
      throw new CognitoIdentityError('NotAuthorizedException', 'Unauthenticated access is not supported for this identity pool.');
    }
    const login = await authenticate(logins);
    const identityId = identityIdOf(login.userPoolId, login.sub);
    known.set(identityId, login);
    return { IdentityId: identityId };
  }

  async function getCredentialsForIdentity(input: Record<string, unknown>): Promise<unknown> {
    const identityId = input['IdentityId'];
    if (typeof identityId !== 'string' || !IDENTITY_ID.test(identityId)) {
      throw validation('identityId', identityId, 'Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+');
    }
    const logins = parseLogins(input['Logins']);
    if (!logins) {
      throw new CognitoIdentityError('NotAuthorizedException', 'Unauthenticated access is not supported for this identity pool.');
    }
    const login = await authenticate(logins);
    if (identityIdOf(login.userPoolId, login.sub) !== identityId) {
      if (known.has(identityId)) {
        throw new CognitoIdentityError(
          'NotAuthorizedException',
          "Logins don't match. Please include at least one valid login for this identity or identity pool.",
        );
      }
      throw new CognitoIdentityError('ResourceNotFoundException', `Identity '${identityId}' not found.`);
    }
    known.set(identityId, login);
    const cred = options.credentials.issueForIdentity(identityId, ttlMs);
    return {
      IdentityId: identityId,
      Credentials: {
        AccessKeyId: cred.accessKeyId,
        SecretKey: cred.secretAccessKey,
        SessionToken: cred.sessionToken,
        // Epoch seconds, as the real API sends it; rounded down so it never outlives the key.
        Expiration: Math.floor(cred.expiresAt / 1000),
      },
    };
  }

  const operations: Record<string, (input: Record<string, unknown>) => Promise<unknown>> = {
    GetId: getId,
    GetCredentialsForIdentity: getCredentialsForIdentity,
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.method !== 'POST' || (req.url ?? '/').split('?')[0] !== '/') {
        throw new CognitoIdentityError('UnknownOperationException', 'Only POST / is served.');
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith(TARGET_PREFIX) ? operations[target.slice(TARGET_PREFIX.length)] : undefined;
      if (!operation) throw new CognitoIdentityError('UnknownOperationException', `Unknown operation ${target}`);
      let input: unknown;
      try {
        input = JSON.parse((await readBody(req)) || '{}');
      } catch (err) {
        if (err instanceof CognitoIdentityError) throw err;
        throw new CognitoIdentityError('SerializationException', 'Request body is not valid JSON.');
      }
      if (!isRecord(input)) throw new CognitoIdentityError('SerializationException', 'Request body must be a JSON object.');
      send(res, 200, await operation(input));
    } catch (err) {
      const error =
        err instanceof CognitoIdentityError
          ? err
          : new CognitoIdentityError('InternalErrorException', 'The sandbox identity pool failed.');
      if (!(err instanceof CognitoIdentityError)) console.error('[sandbox/cognito] identity pool error', err);
      send(res, error.status, { __type: error.type, message: error.message }, error.type);
    }
  }

  const server = await listenLoopback(
    (req, res) => {
      void handle(req, res);
    },
    { host: options.host ?? '127.0.0.1', port: options.port ?? 0, alsoIpv6: false },
  );
  const host = options.host ?? '127.0.0.1';

  return {
    endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${server.port}`,
    identityPoolId,
    region,
    identityIdFor(sub) {
      for (const [identityId, login] of known) if (login.sub === sub) return identityId;
      const first = options.providers[0];
      if (!first) return undefined;
      const userPoolId = new URL(first.issuer).pathname.split('/').filter(Boolean).pop();
      return userPoolId ? identityIdOf(userPoolId, sub) : undefined;
    },
    close: () => server.close(),
  };
}
