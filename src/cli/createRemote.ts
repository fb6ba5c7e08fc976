/**
 * Builds the S3 side of a sync: an S3Client and an S3RemoteStore.
 * - `--auth aws`: the AWS SDK's credential chain, on the configured prefix.
 * - `--auth cognito`: the signed-in user's identity-pool credentials (from the
 *   token vault's refresh token), on the prefix `<identityId>/` — the only one
 *   those credentials may touch, so no other prefix can be chosen.
 * Both go through the network the policies configure (ProxyUrl,
 * ProxyBypassList, ExtraCaCertificates; else HTTPS_PROXY/NO_PROXY) and trust
 * the OS certificate store (src/engine/net/HttpNetwork.ts).
 * The SDK is imported here, lazily, so `stratus --help` does not pay its
 * ~125 ms load time. Credentials are resolved once up front, so "no
 * credentials" / "not signed in" / "signed out" is one clear line instead of
 * a failure somewhere inside the first listing.
 */
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { StratusError } from '../core/StratusError.js';
import { cliStateDir } from '../engine/auth/stateDir.js';
import type { Logger } from '../engine/logger.js';
import type { HttpNetwork } from '../engine/net/HttpNetwork.js';
import type { RemoteStore } from '../engine/ports.js';
import type { SyncLocation } from '../engine/SyncEngine.js';
import type { Env, SyncSettings } from './config.js';
import type { FailureContext } from './failures.js';

export interface RemoteConnection {
  readonly remote: RemoteStore;
  /** The client `remote` uses (stratus doctor sends its own checks through it). */
  readonly client: S3Client;
  readonly location: SyncLocation;
  /** Closes the client's sockets so the process can exit promptly. */
  dispose(): void;
}

/** Names the server in messages: the endpoint URL, or AWS S3 in the region. */
export function endpointLabel(settings: Pick<SyncSettings, 'endpoint' | 'region'>): string {
  return settings.endpoint ?? `AWS S3 (${settings.region})`;
}

function set(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

/**
 * The AWS SDK's default credential chain, fed from `env` (the CLI's
 * environment) where the chain would read process.env: static keys first (as
 * the SDK's fromEnv does, and only when no AWS_PROFILE is set, as its chain
 * prefers a profile), then profiles from AWS_CONFIG_FILE /
 * AWS_SHARED_CREDENTIALS_FILE / AWS_PROFILE, then SSO, credential_process, web
 * identity and instance metadata — which still read process.env, the same
 * object as `env` in the real process.
 */
async function credentialChain(env: Env): Promise<AwsCredentialIdentityProvider> {
  const profile = env['AWS_PROFILE'];
  const accessKeyId = env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = env['AWS_SECRET_ACCESS_KEY'];
  const sessionToken = env['AWS_SESSION_TOKEN'];
  if (!set(profile) && set(accessKeyId) && set(secretAccessKey)) {
    const identity: AwsCredentialIdentity = { accessKeyId, secretAccessKey, ...(set(sessionToken) ? { sessionToken } : {}) };
    return () => Promise.resolve(identity);
  }
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  const credentialsFile = env['AWS_SHARED_CREDENTIALS_FILE'];
  const configFile = env['AWS_CONFIG_FILE'];
  return fromNodeProviderChain({
    ...(set(profile) ? { profile } : {}),
    ...(set(credentialsFile) ? { filepath: credentialsFile } : {}),
    ...(set(configFile) ? { configFilepath: configFile } : {}),
  });
}

async function resolveCredentials(provider: AwsCredentialIdentityProvider, env: Env): Promise<void> {
  try {
    await provider();
  } catch (err) {
    const profile = env['AWS_PROFILE'];
    // The chain's own wording names which source failed (e.g. a missing profile); it carries no secrets.
    const detail = err instanceof Error && set(profile) ? ` (${err.message.split('\n')[0] ?? ''})` : '';
    throw new StratusError(
      'no-credentials',
      set(profile)
        ? `no AWS credentials found for profile "${profile}"${detail}`
        : 'no AWS credentials found (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile)',
      { severity: 'fatal', cause: err },
    );
  }
}

/**
 * The HTTP network for this invocation: the network policies (enforced or
 * default; the CLI has no flags for them) and the proxy variables of `env`.
 * Fails with a fatal StratusError for a bad proxy URL or CA file.
 */
export async function cliNetwork(env: Env, cwd: string, log?: Logger): Promise<HttpNetwork> {
  const [{ platformPolicySources }, { readPolicySet }, { resolveSettings }, { networkSettingsOf }, { HttpNetwork }] = await Promise.all([
    import('../engine/policy/platformPolicySources.js'),
    import('../engine/policy/PolicySource.js'),
    import('../engine/policy/resolveSettings.js'),
    import('../engine/net/networkSettingsOf.js'),
    import('../engine/net/HttpNetwork.js'),
  ]);
  const policies = await readPolicySet(platformPolicySources({ platform: process.platform, env, cwd }));
  const settings = networkSettingsOf(resolveSettings({ policies }).settings);
  const network = await HttpNetwork.create({ settings, env });
  for (const problem of network.proxy.problems) log?.warn(problem);
  if (network.proxy.source !== undefined) log?.debug('using a proxy', { from: network.proxy.source });
  return network;
}

/** Cognito mode: the vault's session → identity pool credentials → the user's own prefix. */
async function createCognitoRemote(settings: SyncSettings, env: Env, log: Logger, cwd: string, network: HttpNetwork): Promise<RemoteConnection> {
  const cognito = settings.cognito;
  if (cognito === undefined) throw new StratusError('config-invalid', 'cognito settings are required when auth is "cognito"', { severity: 'fatal' });
  const [{ CognitoAuth }, { notSignedIn }, { vaultFor }] = await Promise.all([
    import('../engine/auth/CognitoAuth.js'),
    import('../engine/auth/authErrors.js'),
    import('./cognitoAccount.js'),
  ]);
  const vault = vaultFor(cognito, env, cwd);
  // Checked before any network: "not signed in" must not wait for an unreachable server.
  if ((await vault.get()) === undefined) throw notSignedIn();
  const auth = await CognitoAuth.connect({ cognito, vault, log, network });
  const session = await auth.restore();
  if (session === undefined) throw notSignedIn();
  // One provider (and one S3 client) per signed-in user: the SDK caches the identity ID inside it.
  const credentials = auth.credentialsFor(session);
  await credentials.provider();
  const prefix = await credentials.prefix();
  const { selfCachingProvider } = await import('../engine/remote/credentialRefresh.js');
  return s3Connection(settings, network, selfCachingProvider(credentials.provider), prefix, machineCacheFile(env, cwd), log, () => credentials.invalidate());
}

/** Where the CLI keeps the servers' measured capabilities for all its folders (machineCapabilityCache.ts). */
function machineCacheFile(env: Env, cwd: string): string {
  return join(cliStateDir(env, process.platform, cwd), 'servers.json');
}

async function s3Connection(
  settings: SyncSettings, network: HttpNetwork, credentials: AwsCredentialIdentityProvider, prefix: string, capabilitiesFile: string,
  log?: Logger, invalidateCredentials?: () => void,
): Promise<RemoteConnection> {
  const [{ S3Client }, { S3RemoteStore }, { refreshCredentialsOnExpiry }, { FileCapabilityCache }] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('../engine/remote/S3RemoteStore.js'),
    import('../engine/remote/credentialRefresh.js'),
    import('../engine/remote/machineCapabilityCache.js'),
  ]);
  // A silent host (firewall, wrong port on a remote machine) would otherwise hang until the OS gives up (minutes).
  const requestHandler = network.sdkRequestHandler({ connectionTimeout: 10_000 });
  const client = new S3Client({
    region: settings.region,
    credentials,
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    ...(settings.forcePathStyle === undefined ? {} : { forcePathStyle: settings.forcePathStyle }),
    requestHandler,
  });
  // Identity-pool credentials the server cut short are fetched anew on the spot (the provider can forget them).
  if (invalidateCredentials !== undefined) refreshCredentialsOnExpiry(client, invalidateCredentials);
  return {
    // Small files go out on the client's own agents without the SDK's middleware (leanPut.ts).
    remote: new S3RemoteStore({
      client, bucket: settings.bucket, prefix, directAgents: requestHandler, machineCache: new FileCapabilityCache(capabilitiesFile), ...(log === undefined ? {} : { log }),
    }),
    client,
    location: { bucket: settings.bucket, prefix, ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }) },
    dispose: () => {
      client.destroy();
      network.dispose();
    },
  };
}

/** `cwd` resolves a relative STRATUS_STATE_DIR (cognito mode). @default process.cwd() */
export async function createRemote(settings: SyncSettings, env: Env, log: Logger, cwd: string = process.cwd()): Promise<RemoteConnection> {
  const network = await cliNetwork(env, cwd, log);
  try {
    if (settings.auth === 'cognito') return await createCognitoRemote(settings, env, log, cwd, network);
    const credentials = await credentialChain(env);
    await resolveCredentials(credentials, env);
    return await s3Connection(settings, network, credentials, settings.prefix ?? '', machineCacheFile(env, cwd), log);
  } catch (err) {
    network.dispose();
    throw err;
  }
}

/**
 * What a one-line failure message names: the bucket, the prefix (in cognito mode
 * known only once signed in: `<identityId>/`), the server and the folder.
 */
export function failureContext(
  settings: Pick<SyncSettings, 'bucket' | 'prefix' | 'endpoint' | 'region'> & { readonly folder?: string },
  connection: RemoteConnection | undefined,
  options: { readonly verbose: boolean; readonly signal?: AbortSignal | undefined },
): FailureContext {
  const prefix = connection?.location.prefix ?? settings.prefix;
  return {
    bucket: settings.bucket,
    ...(prefix === undefined ? {} : { prefix }),
    endpoint: endpointLabel(settings),
    ...(settings.folder === undefined ? {} : { folder: settings.folder }),
    verbose: options.verbose,
    interrupted: options.signal?.aborted === true,
  };
}
