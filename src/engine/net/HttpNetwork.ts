/**
 * HttpNetwork: the one place a process's outgoing HTTP(S) is configured
 * (issue 9, "Proxy and corporate CA"). Built once per composition root (the
 * CLI's createRemote, the app's engine process) from the network settings
 * and the environment; handed to whatever makes HTTP clients:
 *
 *   sdkRequestHandler()  → `requestHandler` of an AWS SDK v3 client (S3,
 *                          Cognito Identity): NodeHttpHandler options with
 *                          agents of their own, closed by the client's destroy();
 *   fetch                → openid-client's `customFetch` and the sign-in
 *                          preflight (agentFetch.ts), on agents owned here.
 *
 * Every agent trusts the same CAs (trustedCertificates.ts: Node's bundled
 * roots + the OS store + ExtraCaCertificates) through one shared
 * SecureContext, built when the first TLS connection is made (TrustingAgent),
 * and tunnels through the proxy with HTTP CONNECT (https) or
 * forwards to it (plain http) using Node's built-in proxy support
 * (`Agent({ proxyEnv })`, Node ≥ 24.5; its NO_PROXY matching is Node's, fed
 * by proxySettings.ts). No global agent or dispatcher is touched.
 */
import type { Agent as HttpsAgentType } from 'node:https';
import type { Duplex } from 'node:stream';
import type { SecureContext } from 'node:tls';
import { StratusError } from '../../core/StratusError.js';
import { agentFetch, type AgentFetch, type FetchAgents } from './agentFetch.js';
import { decideProxy, redactProxy, type Environment, type NetworkSettings, type ProxyDecision } from './proxySettings.js';
import { nodeHttp, nodeHttps } from './nodeHttp.js';
import { lazyTrustedContext } from './trustedCertificates.js';

/** NodeHttpHandler options (`@smithy/node-http-handler`), which every SDK v3 client accepts as `requestHandler`. */
export interface SdkRequestHandlerOptions extends FetchAgents {
  readonly connectionTimeout?: number;
}

export interface HttpNetworkOptions {
  readonly settings?: NetworkSettings;
  /** HTTPS_PROXY, HTTP_PROXY, NO_PROXY (lower case too). @default {} — pass process.env (or the CLI's env) explicitly */
  readonly env?: Environment;
  /** Include the OS certificate store. @default true */
  readonly systemCertificates?: boolean;
}

/** Node's `proxyEnv` agent option exists from 24.5.0 on; older versions would ignore it and connect directly. */
function supportsProxyEnv(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 24 || (major === 24 && minor >= 5);
}

/** The SDK's own defaults (NodeHttpHandler): keep-alive, at most 50 sockets per host. */
const AGENT_DEFAULTS = { keepAlive: true, maxSockets: 50 } as const;

type ConnectionOptions = Parameters<HttpsAgentType['createConnection']>[0];
type ConnectionCallback = Parameters<HttpsAgentType['createConnection']>[1];

/**
 * An https agent whose connections use the trusted context, asked for only
 * when a connection is made (a process that only talks plain http never
 * builds it). Node's https agent hands its options, ours included, to
 * tls.connect for each connection — through a CONNECT tunnel too.
 */
class TrustingAgent extends nodeHttps.Agent {
  constructor(options: ConstructorParameters<typeof nodeHttps.Agent>[0], private readonly context: () => SecureContext) {
    super(options);
  }

  override createConnection(options: ConnectionOptions, callback?: ConnectionCallback): Duplex | null | undefined {
    return super.createConnection({ ...options, secureContext: this.context() } as ConnectionOptions, callback);
  }
}

export class HttpNetwork {
  readonly proxy: ProxyDecision;
  /** For openid-client's `customFetch` (and any other fetch this process makes to the backend). */
  readonly fetch: AgentFetch;
  private readonly secureContext: () => SecureContext;
  private readonly fetchAgents: FetchAgents;

  private constructor(proxy: ProxyDecision, secureContext: () => SecureContext) {
    this.proxy = proxy;
    this.secureContext = secureContext;
    this.fetchAgents = this.agents();
    this.fetch = agentFetch(this.fetchAgents);
  }

  /**
   * Reads and checks the extra CA file and the proxy settings (the OS store
   * is read, and the context built, at the first TLS connection: ≈ 90 ms). Fails with 'proxy-invalid', 'proxy-unsupported' or
   * 'ca-file-invalid' (fatal StratusErrors that say what to fix).
   */
  static async create(options: HttpNetworkOptions = {}): Promise<HttpNetwork> {
    const settings = options.settings ?? {};
    const proxy = decideProxy(settings, options.env ?? {});
    if (proxy.source !== undefined && !supportsProxyEnv()) {
      throw new StratusError(
        'proxy-unsupported',
        `A proxy is configured (${proxy.source}: ${redactProxy(proxy.proxyEnv.HTTPS_PROXY ?? proxy.proxyEnv.HTTP_PROXY ?? '')}) but this Node.js ${process.versions.node} cannot use one; Stratus needs Node 24.5 or later.`,
        { severity: 'fatal' },
      );
    }
    const secureContext = await lazyTrustedContext({
      ...(settings.extraCaCertificates === undefined || settings.extraCaCertificates === '' ? {} : { extraCaFile: settings.extraCaCertificates }),
      ...(options.systemCertificates === undefined ? {} : { system: options.systemCertificates }),
    });
    return new HttpNetwork(proxy, secureContext);
  }

  /** A fresh pair of agents on this network (the caller destroys them, or hands them to a client that does). */
  agents(): FetchAgents {
    const proxyEnv = this.proxy.proxyEnv;
    const proxied = proxyEnv.HTTPS_PROXY !== undefined || proxyEnv.HTTP_PROXY !== undefined;
    return {
      httpAgent: new nodeHttp.Agent({ ...AGENT_DEFAULTS, ...(proxied ? { proxyEnv: { ...proxyEnv } } : {}) }),
      // Only for the servers: Node checks an https:// proxy's own certificate against its default roots (an http:// proxy has none).
      httpsAgent: new TrustingAgent({ ...AGENT_DEFAULTS, ...(proxied ? { proxyEnv: { ...proxyEnv } } : {}) }, this.secureContext),
    };
  }

  /** `requestHandler` for `new S3Client(...)` / `fromCognitoIdentityPool({ clientConfig })`. */
  sdkRequestHandler(options: { readonly connectionTimeout?: number } = {}): SdkRequestHandlerOptions {
    return { ...this.agents(), ...(options.connectionTimeout === undefined ? {} : { connectionTimeout: options.connectionTimeout }) };
  }

  /** Closes the sockets of the fetch agents (the SDK clients close their own). */
  dispose(): void {
    this.fetchAgents.httpAgent.destroy();
    this.fetchAgents.httpsAgent.destroy();
  }
}
