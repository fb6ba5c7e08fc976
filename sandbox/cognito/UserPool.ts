/**
 * UserPool: a Cognito-like user pool with its hosted UI, on one loopback origin.
 *
 *   issuer     http://localhost:PORT/<region>_<id>   (discovery + JWKS under it, like
 *                                                     cognito-idp.<region>.amazonaws.com/<poolId>)
 *   hosted UI  http://localhost:PORT                 /oauth2/authorize, /oauth2/token,
 *                                                     /oauth2/userInfo, /oauth2/revoke,
 *                                                     /login/<uid>, /logout
 *
 * Built on oidc-provider (the OAuth/OIDC protocol), with the sign-in page, Cognito's
 * logout and userInfo, and Cognito's token shapes added around it. Listens on
 * 127.0.0.1 but is addressed as `localhost`, so its cookies do not collide with other
 * sandbox servers on 127.0.0.1 (browsers do not separate cookies by port).
 */
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider from 'oidc-provider';
import { cognitoShape } from './cognitoShape.js';
import { hostedUiRoutes } from './hostedUiRoutes.js';
import { listenLoopback, type RequestHandler } from './listenLoopback.js';
import { SandboxUserDirectory, type SandboxUser } from './SandboxUserDirectory.js';
import { userInfoEndpoint } from './userInfoEndpoint.js';
import { ROUTES, userPoolConfiguration } from './userPoolConfiguration.js';

export type { SandboxUser } from './SandboxUserDirectory.js';
export { SIGN_IN_ERROR } from './hostedUiPages.js';

export interface UserPoolOptions {
  /** @default 'us-east-1' (or the prefix of `userPoolId`) */
  readonly region?: string;
  /** Cognito's `<region>_<id>` form. @default `${region}_Sandbox01` */
  readonly userPoolId?: string;
  /** @default 'stratussandboxclient000001' */
  readonly clientId?: string;
  /** Shown on the sign-in page. @default 'Stratus' */
  readonly appName?: string;
  /** Allowed callback URLs, matched exactly, port included (e.g. http://localhost:53682/callback). */
  readonly redirectUris: string[];
  /** Allowed sign-out URLs for `/logout?logout_uri=`. @default [] */
  readonly postLogoutRedirectUris?: string[];
  readonly users: SandboxUser[];
  /** Listen address. @default '127.0.0.1' */
  readonly host?: string;
  /** Host name in every URL the pool hands out. @default 'localhost' */
  readonly publicHost?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** ID and access token lifetime; Cognito allows 300–86400. @default 3600 */
  readonly idTokenTtlSeconds?: number;
  /** Cognito allows 1 h–10 years. @default 2592000 (30 days) */
  readonly refreshTokenTtlSeconds?: number;
  /** Issue a new refresh token on every refresh (Cognito's optional rotation). @default false */
  readonly rotateRefreshTokens?: boolean;
  /**
   * Clock for the checks the sandbox makes itself (userInfo token expiry). Token
   * timestamps come from oidc-provider, which always uses the system clock.
   * @default Date.now
   */
  readonly now?: () => number;
}

export interface UserPool {
  /** `http://localhost:PORT/<userPoolId>`, the `iss` of every token. */
  readonly issuer: string;
  readonly clientId: string;
  readonly userPoolId: string;
  readonly region: string;
  readonly jwksUri: string;
  /** Hosted UI origin, e.g. `http://localhost:PORT` (append /logout, /oauth2/…). */
  readonly hostedUiBase: string;
  /** The identity pool's `Logins` key for this pool: the issuer without its scheme. */
  readonly loginsKey: string;
  close(): Promise<void>;
}

async function createSigningKey(): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `sandbox-${Date.now().toString(36)}`;
  const meta = { kid, alg: 'RS256', use: 'sig' };
  return {
    privateJwk: { ...(await exportJWK(privateKey)), ...meta },
    publicJwk: { ...(await exportJWK(publicKey)), ...meta },
  };
}

function validateOptions(options: UserPoolOptions, userPoolId: string, region: string): void {
  if (!/^[\w-]+_[0-9a-zA-Z]+$/.test(userPoolId)) throw new Error(`userPoolId ${userPoolId} is not <region>_<id>`);
  if (!userPoolId.startsWith(`${region}_`)) throw new Error(`userPoolId ${userPoolId} is not in ${region}`);
  if (options.redirectUris.length === 0) throw new Error('at least one redirect URI is required');
  const ttl = options.idTokenTtlSeconds;
  if (ttl !== undefined && !(Number.isInteger(ttl) && ttl > 0)) throw new Error('idTokenTtlSeconds must be a positive integer');
}

export async function startUserPool(options: UserPoolOptions): Promise<UserPool> {
  const region = options.region ?? options.userPoolId?.split('_')[0] ?? 'us-east-1';
  const userPoolId = options.userPoolId ?? `${region}_Sandbox01`;
  validateOptions(options, userPoolId, region);
  const clientId = options.clientId ?? 'stratussandboxclient000001';
  const appName = options.appName ?? 'Stratus';
  const publicHost = options.publicHost ?? 'localhost';
  const postLogoutRedirectUris = options.postLogoutRedirectUris ?? [];
  const users = new SandboxUserDirectory(options.users, userPoolId);

  // The issuer needs the port, so listen first and attach the provider once it exists.
  let handler: RequestHandler | undefined;
  const server = await listenLoopback(
    (req, res) => {
      if (handler) {
        handler(req, res);
        return;
      }
      res.writeHead(503, { 'Retry-After': '1' }).end();
    },
    { host: options.host ?? '127.0.0.1', port: options.port ?? 0, alsoIpv6: publicHost === 'localhost' },
  );

  try {
    const hostedUiBase = `http://${publicHost}:${server.port}`;
    const issuer = `${hostedUiBase}/${userPoolId}`;
    const { privateJwk, publicJwk } = await createSigningKey();
    const provider = new Provider(
      issuer,
      userPoolConfiguration({
        userPoolId,
        clientId,
        appName,
        redirectUris: options.redirectUris,
        postLogoutRedirectUris,
        signingKey: privateJwk,
        users,
        accessTokenResource: `${hostedUiBase}${ROUTES.userinfo}`,
        idTokenTtlSeconds: options.idTokenTtlSeconds ?? 3600,
        refreshTokenTtlSeconds: options.refreshTokenTtlSeconds ?? 30 * 24 * 3600,
        rotateRefreshTokens: options.rotateRefreshTokens ?? false,
        cookiePrefix: `cognito_sandbox_${server.port}`,
      }),
    );
    provider.use(
      cognitoShape({
        userPoolId,
        tokenPath: ROUTES.token,
        rotateRefreshTokens: options.rotateRefreshTokens ?? false,
      }),
    );
    provider.use(
      userInfoEndpoint({
        path: ROUTES.userinfo,
        issuer,
        clientId,
        publicJwks: { keys: [publicJwk] },
        provider,
        users,
        now: options.now ?? Date.now,
      }),
    );
    provider.use(
      hostedUiRoutes({
        provider,
        users,
        clientId,
        appName,
        redirectUris: options.redirectUris,
        postLogoutRedirectUris,
      }),
    );
    handler = provider.callback();

    return {
      issuer,
      clientId,
      userPoolId,
      region,
      jwksUri: `${issuer}/.well-known/jwks.json`,
      hostedUiBase,
      loginsKey: issuer.replace(/^https?:\/\//, ''),
      close: () => server.close(),
    };
  } catch (err) {
    await server.close();
    throw err;
  }
}
