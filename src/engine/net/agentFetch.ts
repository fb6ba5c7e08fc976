/**
 * A `fetch` over node:http(s) and given agents, so openid-client (its
 * `customFetch`) and the sign-in preflight go through the same proxy and trust
 * the same CAs as the AWS SDK. Node's global fetch (undici inside Node) takes
 * no agent, and its dispatchers (ProxyAgent) are only reachable through the
 * separate `undici` package; this avoids both a second HTTP stack and a
 * process-wide `setGlobalDispatcher`.
 *
 * Scope, enough for OAuth/OIDC requests: the whole response body is buffered
 * (discovery documents and token answers are small), and redirects are never
 * followed — callers must pass `redirect: 'manual'` (openid-client always
 * does), anything else is refused rather than silently treated differently.
 * Failures reject as fetch does: `TypeError('fetch failed', { cause })`, or the
 * signal's reason (AbortError / TimeoutError) when aborted.
 */
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { nodeHttp, nodeHttps } from './nodeHttp.js';

export interface FetchAgents {
  readonly httpAgent: HttpAgent;
  readonly httpsAgent: HttpsAgent;
}

/** RequestInit's fields this fetch reads; `undefined` allowed everywhere (openid-client passes `body: undefined`). */
export interface FetchInit {
  readonly method?: string | undefined;
  readonly headers?: RequestInit['headers'] | undefined;
  readonly body?: RequestInit['body'] | undefined;
  readonly signal?: AbortSignal | null | undefined;
  readonly redirect?: RequestInit['redirect'] | undefined;
  readonly duplex?: 'half' | undefined;
}

export type AgentFetch = (input: string | URL, init?: FetchInit) => Promise<Response>;

/** Statuses whose Response must have a null body (Fetch standard, "null body status"). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

function responseHeaders(message: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(message.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  return headers;
}

export function agentFetch(agents: FetchAgents): AgentFetch {
  return async (input, init = {}) => {
    if (init.redirect !== 'manual') throw new TypeError('agentFetch does not follow redirects; pass redirect: "manual"');
    // Request normalizes every body kind (string, URLSearchParams, bytes, stream) and adds its content-type.
    const prepared = new Request(input, {
      redirect: 'manual',
      ...(init.method === undefined ? {} : { method: init.method }),
      ...(init.headers === undefined ? {} : { headers: init.headers }),
      ...(init.body === undefined ? {} : { body: init.body }),
      ...(init.duplex === undefined ? {} : { duplex: init.duplex }),
    } as RequestInit);
    const body = prepared.body === null ? undefined : Buffer.from(await prepared.arrayBuffer());
    const url = new URL(prepared.url);
    const headers: Record<string, string> = {};
    prepared.headers.forEach((value, name) => {
      headers[name] = value;
    });
    if (body !== undefined) headers['content-length'] = String(body.length);
    const signal = init.signal ?? undefined;
    signal?.throwIfAborted();
    const isHttps = url.protocol === 'https:';
    if (!isHttps && url.protocol !== 'http:') throw new TypeError(`agentFetch supports http and https only, not ${url.protocol}`);
    return new Promise<Response>((resolve, reject) => {
      const send = isHttps ? nodeHttps.request : nodeHttp.request;
      const req = send(url, { method: prepared.method, headers, agent: isHttps ? agents.httpsAgent : agents.httpAgent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', (err) => reject(new TypeError('fetch failed', { cause: err })));
        res.once('end', () => {
          signal?.removeEventListener('abort', onAbort);
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 599) {
            reject(new TypeError('fetch failed', { cause: new Error(`unexpected HTTP status ${status}`) }));
            return;
          }
          const nullBody = NULL_BODY.has(status) || prepared.method === 'HEAD';
          resolve(new Response(nullBody ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage ?? '', headers: responseHeaders(res) }));
        });
      });
      const onAbort = (): void => {
        const reason: unknown = signal?.reason;
        req.destroy();
        reject(reason instanceof Error ? reason : new DOMException('This operation was aborted', 'AbortError'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      req.once('error', (err) => {
        signal?.removeEventListener('abort', onAbort);
        reject(new TypeError('fetch failed', { cause: err }));
      });
      req.end(body);
    });
  };
}
