/**
 * startSandbox: the whole local stand-in for AWS in one call — the shared
 * CredentialStore, a Cognito-like user pool with its hosted UI, an identity pool
 * that trusts it, and the S3 server with bucket `stratus` — wired together the way
 * the real services are. Used by `npm run sandbox` (sandbox/main.ts), by `npm start`
 * when no AWS settings are given, and by tests.
 *
 * Emits a `SandboxInfo`: every endpoint and ID a client needs, the seeded users,
 * the admin key, and a ready Stratus config file pointing the app at the sandbox.
 *
 * Ports: with `port` = P, S3 listens on P, the user pool (hosted UI) on P+1 and the
 * identity API on P+2; with 0 (the default) each takes a free port.
 *
 * Files under `dataDir`:
 *   s3/          objects and multipart uploads (kept across restarts)
 *   admin.json   the admin key pair, 0600, so aws cli / rclone settings survive restarts:
 *                { "version": 1, "accessKeyId": "AKIA…", "secretAccessKey": "…" }
 * User `sub`s and identity IDs are derived from names, so each user's data under
 * `<identityId>/` is still theirs after a restart.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CredentialStore } from './CredentialStore.js';
import { deterministicUuid, NAMESPACE_USER_SUB } from './cognito/deterministicUuid.js';
import { startIdentityPool, type IdentityPool } from './cognito/IdentityPool.js';
import { startUserPool, type SandboxUser, type UserPool } from './cognito/UserPool.js';
import { startS3Server, type S3Server } from './s3/S3Server.js';
import type { StratusConfig } from '../src/shared/StratusConfig.js';

export type { SandboxUser } from './cognito/UserPool.js';

/**
 * The users every sandbox has unless `users` says otherwise. The one place these
 * passwords are written down; `npm run sandbox` prints them.
 */
export const DEFAULT_SANDBOX_USERS: readonly SandboxUser[] = [
  { username: 'ada', password: 'Stratus-sandbox-1', email: 'ada@example.com' },
  { username: 'grace', password: 'Stratus-sandbox-2', email: 'grace@example.com' },
];

export const SANDBOX_REGION = 'us-east-1';
export const SANDBOX_BUCKET = 'stratus';
/** rclone's port, a common choice for a desktop app's loopback callback. */
export const DEFAULT_REDIRECT_PORT = 53682;

export interface SandboxOptions {
  /** Holds `s3/` and `admin.json`; created if missing. */
  readonly dataDir: string;
  /** Base port: S3 on `port`, user pool on `port + 1`, identity API on `port + 2`. 0 = free ports. @default 0 */
  readonly port?: number;
  /** Listen address of every server. @default '127.0.0.1' */
  readonly host?: string;
  /** @default DEFAULT_SANDBOX_USERS */
  readonly users?: readonly SandboxUser[];
  /**
   * Port of the app's loopback callback (the sandbox does not listen on it). The user
   * pool accepts exactly `http://localhost:<redirectPort>/callback`, as Cognito would.
   * @default 53682
   */
  readonly redirectPort?: number;
  /** Lifetime of identity pool credentials. @default 3_600_000 (1 h, as Cognito) */
  readonly credentialTtlMs?: number;
  /** Lifetime of ID and access tokens, for tests of renewal and revocation. @default 3600 (1 h, as Cognito) */
  readonly idTokenTtlSeconds?: number;
  /** Admin key pair; when omitted it is read from `<dataDir>/admin.json`, or created and saved there. */
  readonly adminAccessKeyId?: string;
  readonly adminSecretAccessKey?: string;
  /** One line per S3 request; silent when omitted. */
  readonly log?: (line: string) => void;
}

export interface SandboxInfo {
  readonly dataDir: string;
  readonly region: string;
  readonly bucket: string;
  /** `http://127.0.0.1:PORT`, path-style. */
  readonly s3Endpoint: string;
  readonly adminAccessKeyId: string;
  readonly adminSecretAccessKey: string;
  /** `http://localhost:PORT/<userPoolId>` */
  readonly issuer: string;
  readonly userPoolId: string;
  readonly clientId: string;
  /** Hosted UI origin (`/oauth2/…`, `/logout`). */
  readonly hostedUiBase: string;
  /** The identity pool's `Logins` key for this user pool (issuer without scheme). */
  readonly loginsKey: string;
  readonly identityPoolId: string;
  /** Cognito Identity API endpoint, for `clientConfig.endpoint`. */
  readonly identityEndpoint: string;
  readonly redirectUri: string;
  readonly logoutUri: string;
  readonly users: readonly { readonly username: string; readonly password: string; readonly email: string }[];
  readonly stratusConfig: StratusConfig;
}

export interface Sandbox {
  readonly info: SandboxInfo;
  /** Fault injection on the S3 server (latency, 500/503, resets, expired credentials). */
  readonly faults: S3Server['faults'];
  /** Every S3 request the server received (operation, key, declared body bytes), for tests that count. */
  readonly requests: S3Server['requests'];
  /** The identity ID a seeded user gets from the identity pool (their S3 prefix without `/`). */
  identityIdFor(username: string): string | undefined;
  close(): Promise<void>;
}

/** A sandbox server could not listen on its port; `port` names which. */
export class SandboxPortInUseError extends Error {
  override readonly name = 'SandboxPortInUseError';
  constructor(
    readonly port: number,
    readonly service: string,
    options?: ErrorOptions,
  ) {
    super(`port ${port} (${service}) is already in use`, options);
  }
}

interface PersistedAdminKey {
  readonly version: 1;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

async function readAdminKey(file: string): Promise<PersistedAdminKey | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const value = JSON.parse(text) as Partial<PersistedAdminKey>;
  if (value.version !== 1 || typeof value.accessKeyId !== 'string' || typeof value.secretAccessKey !== 'string') {
    throw new Error(`${file} is not a sandbox admin key file (delete it to get a new key)`);
  }
  return value as PersistedAdminKey;
}

async function writeAdminKey(file: string, key: PersistedAdminKey): Promise<void> {
  await writeFile(file, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600 });
  // `mode` applies only when the file is created; a secret must not stay readable by others.
  await chmod(file, 0o600);
}

/** Builds the CredentialStore with a stable admin key (options > admin.json > new, saved). */
async function credentialStore(options: SandboxOptions): Promise<CredentialStore> {
  if (options.adminAccessKeyId !== undefined || options.adminSecretAccessKey !== undefined) {
    if (!options.adminAccessKeyId || !options.adminSecretAccessKey) {
      throw new Error('adminAccessKeyId and adminSecretAccessKey must be given together');
    }
    return new CredentialStore({
      adminAccessKeyId: options.adminAccessKeyId,
      adminSecretAccessKey: options.adminSecretAccessKey,
    });
  }
  const file = join(options.dataDir, 'admin.json');
  const saved = await readAdminKey(file);
  if (saved) return new CredentialStore({ adminAccessKeyId: saved.accessKeyId, adminSecretAccessKey: saved.secretAccessKey });
  const store = new CredentialStore();
  await writeAdminKey(file, { version: 1, accessKeyId: store.admin.accessKeyId, secretAccessKey: store.admin.secretAccessKey });
  return store;
}

function checkPort(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got ${value}`);
}

/** Starts one server, turning "address in use" into an error that names the port. */
async function listening<T>(service: string, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new SandboxPortInUseError(port, service, { cause: err });
    throw err;
  }
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const basePort = options.port ?? 0;
  checkPort('port', basePort, 0, 65533);
  const redirectPort = options.redirectPort ?? DEFAULT_REDIRECT_PORT;
  checkPort('redirectPort', redirectPort, 1, 65535);
  const portOf = (offset: number): number => (basePort === 0 ? 0 : basePort + offset);
  const host = options.host ?? '127.0.0.1';
  const users = options.users ?? DEFAULT_SANDBOX_USERS;
  // Cognito matches callback URLs exactly and allows plain http only for localhost.
  const redirectUri = `http://localhost:${redirectPort}/callback`;
  const logoutUri = `http://localhost:${redirectPort}/logout`;

  await mkdir(options.dataDir, { recursive: true });
  const credentials = await credentialStore(options);

  // Started in order; whatever did start is closed again if a later one fails.
  const started: { close(): Promise<void> }[] = [];
  const closeAll = async (): Promise<void> => {
    const servers = started.splice(0).reverse();
    await Promise.allSettled(servers.map((server) => server.close()));
  };

  try {
    const s3: S3Server = await listening('S3', portOf(0), () =>
      startS3Server({
        dataDir: join(options.dataDir, 's3'),
        credentials,
        region: SANDBOX_REGION,
        buckets: [SANDBOX_BUCKET],
        host,
        port: portOf(0),
        ...(options.log ? { log: options.log } : {}),
      }),
    );
    started.push(s3);
    const userPool: UserPool = await listening('user pool / hosted UI', portOf(1), () =>
      startUserPool({
        region: SANDBOX_REGION,
        redirectUris: [redirectUri],
        postLogoutRedirectUris: [logoutUri],
        users: [...users],
        host,
        port: portOf(1),
        ...(options.idTokenTtlSeconds === undefined ? {} : { idTokenTtlSeconds: options.idTokenTtlSeconds }),
      }),
    );
    started.push(userPool);
    const identityPool: IdentityPool = await listening('identity API', portOf(2), () =>
      startIdentityPool({
        region: SANDBOX_REGION,
        providers: [{ issuer: userPool.issuer, clientId: userPool.clientId, jwksUri: userPool.jwksUri }],
        credentials,
        ...(options.credentialTtlMs !== undefined ? { credentialTtlMs: options.credentialTtlMs } : {}),
        host,
        port: portOf(2),
      }),
    );
    started.push(identityPool);

    const stratusConfig: StratusConfig = {
      version: 1,
      auth: 'cognito',
      region: SANDBOX_REGION,
      bucket: SANDBOX_BUCKET,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      cognito: {
        issuer: userPool.issuer,
        clientId: userPool.clientId,
        identityPoolId: identityPool.identityPoolId,
        redirectUri,
        identityEndpoint: identityPool.endpoint,
        hostedUiBase: userPool.hostedUiBase,
      },
    };
    const info: SandboxInfo = {
      dataDir: options.dataDir,
      region: SANDBOX_REGION,
      bucket: SANDBOX_BUCKET,
      s3Endpoint: s3.endpoint,
      adminAccessKeyId: credentials.admin.accessKeyId,
      adminSecretAccessKey: credentials.admin.secretAccessKey,
      issuer: userPool.issuer,
      userPoolId: userPool.userPoolId,
      clientId: userPool.clientId,
      hostedUiBase: userPool.hostedUiBase,
      loginsKey: userPool.loginsKey,
      identityPoolId: identityPool.identityPoolId,
      identityEndpoint: identityPool.endpoint,
      redirectUri,
      logoutUri,
      users: users.map(({ username, password, email }) => ({ username, password, email })),
      stratusConfig,
    };

    return {
      info,
      faults: s3.faults,
      requests: s3.requests,
      identityIdFor(username) {
        const user = users.find((u) => u.username.toLowerCase() === username.toLowerCase());
        if (!user) return undefined;
        // The same derivation the user pool uses for a user without an explicit sub.
        const sub = user.sub ?? deterministicUuid(NAMESPACE_USER_SUB, `${userPool.userPoolId}/${user.username}`);
        return identityPool.identityIdFor(sub);
      },
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
