/**
 * Shared pieces for the sandbox Cognito suites: a one-shot loopback callback server,
 * an openid-client authorization request (S256 PKCE + state + nonce), and a
 * cookie-keeping fetch walk through the hosted UI for suites that need tokens but
 * not a browser.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';

export interface CallbackServer {
  readonly redirectUri: string;
  readonly port: number;
  /** Resolves with the full callback URL of the next request to /callback. */
  next(): Promise<URL>;
  close(): Promise<void>;
}

export async function startCallbackServer(): Promise<CallbackServer> {
  let waiting: ((url: URL) => void) | undefined;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://localhost:${(server.address() as AddressInfo).port}`);
    if (url.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!DOCTYPE html><title>Signed in</title><p>You can close this window.</p>');
    waiting?.(url);
    waiting = undefined;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    redirectUri: `http://localhost:${port}/callback`,
    next: () => new Promise<URL>((resolve) => (waiting = resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface AuthorizationRequest {
  readonly url: URL;
  readonly codeVerifier: string;
  readonly state: string;
  readonly nonce: string;
}

export function discover(issuer: string, clientId: string): Promise<client.Configuration> {
  return client.discovery(new URL(issuer), clientId, undefined, client.None(), {
    execute: [client.allowInsecureRequests],
  });
}

/** RFC 7636 §4.1–4.2 verifier/challenge, plus state and nonce. */
export async function authorizationRequest(
  config: client.Configuration,
  redirectUri: string,
  extra: Record<string, string> = {},
): Promise<AuthorizationRequest> {
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid email profile',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { url, codeVerifier, state, nonce };
}

/** A tiny cookie jar: enough for one host, ignores cookie paths (the server scopes by name). */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /expires=thu, 01 jan 1970/i.test(a.trim()) || /^max-age=0$/i.test(a.trim()));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  names(): string[] {
    return [...this.cookies.keys()];
  }
}

export interface Hop {
  readonly url: string;
  readonly status: number;
  readonly location?: string;
  readonly body: string;
}

/** One request without following redirects, keeping cookies in `jar`. */
export async function hop(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Hop> {
  const headers = new Headers(init.headers);
  if (jar.header()) headers.set('cookie', jar.header());
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.store(response);
  const location = response.headers.get('location');
  return {
    url,
    status: response.status,
    ...(location ? { location: new URL(location, url).href } : {}),
    body: await response.text(),
  };
}

/**
 * Follows redirects from `start` until one leaves for `stopPrefix` (the callback) or a
 * page is served; returns every hop so tests can assert where the walk ended.
 */
export async function follow(jar: CookieJar, start: string, stopPrefix: string, init?: RequestInit): Promise<Hop[]> {
  const hops: Hop[] = [];
  let next: Hop = await hop(jar, start, init);
  hops.push(next);
  for (let i = 0; i < 10 && next.location && !next.location.startsWith(stopPrefix); i++) {
    next = await hop(jar, next.location);
    hops.push(next);
  }
  return hops;
}

/**
 * Signs in through the hosted UI with plain HTTP, as a browser would: authorize →
 * sign-in form → POST credentials → (silent consent) → callback. Returns the hops;
 * the last one's `location` is the callback URL on success.
 */
export async function signInWithFetch(
  authorizationUrl: URL,
  redirectUri: string,
  username: string,
  password: string,
  jar = new CookieJar(),
): Promise<{ hops: Hop[]; callback?: URL; jar: CookieJar }> {
  const toForm = await follow(jar, authorizationUrl.href, redirectUri);
  const formPage = toForm.at(-1);
  if (!formPage || formPage.location?.startsWith(redirectUri)) {
    // Already signed in: the session cookie short-circuited the form.
    return { hops: toForm, jar, ...(formPage?.location ? { callback: new URL(formPage.location) } : {}) };
  }
  const action = /<form method="post" action="([^"]+)"/.exec(formPage.body)?.[1];
  if (!action) return { hops: toForm, jar };
  const posted = await follow(jar, new URL(action.replaceAll('&#38;', '&'), formPage.url).href, redirectUri, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password }).toString(),
  });
  const hops = [...toForm, ...posted];
  const last = hops.at(-1);
  return { hops, jar, ...(last?.location?.startsWith(redirectUri) ? { callback: new URL(last.location) } : {}) };
}
