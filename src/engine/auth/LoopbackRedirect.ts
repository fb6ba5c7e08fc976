/**
 * The loopback redirect of a native app's sign-in
 * (https://www.rfc-editor.org/rfc/rfc8252#section-7.3): a one-shot HTTP server
 * on the callback URL's port that receives the browser's redirect, answers it
 * with a small "you can close this window" page, and shuts down.
 *
 * Cognito matches callback URLs exactly (port included), so the port is a
 * setting, not an ephemeral one; a busy port is an error naming it. For a
 * `localhost` callback it listens on 127.0.0.1 and, when the machine has it,
 * on ::1 — browsers may resolve localhost to either (RFC 8252 §8.3 prefers
 * IP literals, but Cognito allows plain http only for `localhost`).
 *
 * Emits the first request to the callback path as a URL through `result`;
 * anything else (favicon…) gets a 404 and changes nothing.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isStratusError, type StratusError } from '../../core/StratusError.js';
import { aborted, authError } from './authErrors.js';

export interface LoopbackAnswer<T> {
  /** HTTP status of the page shown in the browser. */
  readonly status: number;
  readonly title: string;
  readonly message: string;
  /** What `result` settles with: a value, or an error to reject with. */
  readonly outcome: { readonly value: T } | { readonly error: StratusError };
}

export interface LoopbackRedirectOptions<T> {
  /** The registered callback, e.g. `http://localhost:53682/callback`; host must be a loopback name. */
  readonly redirectUri: string;
  /** Path to wait on. @default the redirect URI's path */
  readonly path?: string;
  /** Decides the browser page and the outcome for the one request on `path`. */
  readonly answer: (url: URL) => LoopbackAnswer<T>;
  /** Gives up (error 'sign-in-timeout') after this long. @default 300_000 (5 min) */
  readonly timeoutMs?: number;
  /** Message of the timeout error. @default "No sign-in arrived within … s …" */
  readonly timeoutMessage?: string;
  /**
   * Aborting rejects and closes the server: with the abort reason when it is a
   * StratusError (e.g. 'sign-in-cancelled' when a login window was closed),
   * otherwise with code 'aborted' (Ctrl-C).
   */
  readonly signal?: AbortSignal;
}

export interface LoopbackRedirect<T> {
  readonly port: number;
  /** Settles once: the first callback, the timeout, or the abort. */
  readonly result: Promise<T>;
  /** Stops listening and drops open connections; safe to call twice. */
  close(): Promise<void>;
}

const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  // The page has no scripts, styles from elsewhere or frames; and must not be cached or leak the URL (it holds the code).
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function loopbackPage(title: string, message: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>`
    + '<style>body{font-family:system-ui,sans-serif;display:grid;place-items:center;min-height:90vh}</style></head>'
    + `<body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></main></body></html>`;
}

/** The addresses to bind for a redirect URI's host, or undefined if it is not loopback. */
function loopbackHosts(hostname: string): string[] | undefined {
  if (hostname === 'localhost') return ['127.0.0.1', '::1'];
  if (hostname === '127.0.0.1') return ['127.0.0.1'];
  if (hostname === '[::1]') return ['::1'];
  return undefined;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Parses and checks a callback URL: http, loopback host, explicit port. */
export function parseRedirectUri(redirectUri: string): { url: URL; hosts: string[]; port: number } {
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch (err) {
    throw authError('redirect-uri-invalid', `cognito.redirectUri "${redirectUri}" is not a URL; use e.g. http://localhost:53682/callback.`, err);
  }
  const hosts = loopbackHosts(url.hostname);
  if (url.protocol !== 'http:' || hosts === undefined || url.port === '') {
    throw authError(
      'redirect-uri-invalid',
      `cognito.redirectUri must be a loopback http URL with a port, such as http://localhost:53682/callback (got "${redirectUri}"); register the same URL as a callback of the app client.`,
    );
  }
  return { url, hosts, port: Number(url.port) };
}

/** Starts listening; rejects with 'callback-port-busy' naming the port when another program holds it. */
export async function listenForRedirect<T>(options: LoopbackRedirectOptions<T>): Promise<LoopbackRedirect<T>> {
  const { url, hosts, port } = parseRedirectUri(options.redirectUri);
  const path = options.path ?? url.pathname;
  const servers: Server[] = [];
  let settle: ((outcome: { value: T } | { error: StratusError }) => void) | undefined;
  const result = new Promise<T>((resolve, reject) => {
    settle = (outcome) => {
      settle = undefined;
      if ('value' in outcome) resolve(outcome.value);
      else reject(outcome.error);
    };
  });
  // The caller may close before awaiting `result` (e.g. opening the browser failed): never an unhandled rejection.
  result.catch(() => undefined);

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= Promise.all(servers.map(closeServer)).then(() => undefined);
    return closed;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const requestUrl = new URL(req.url ?? '/', `${url.protocol}//${url.host}`);
    if (req.method !== 'GET' || requestUrl.pathname !== path || settle === undefined) {
      res.writeHead(404, PAGE_HEADERS).end(loopbackPage('Not found', 'Nothing here. You can close this window.'));
      return;
    }
    const answer = options.answer(requestUrl);
    const done = settle;
    settle = undefined;
    res.writeHead(answer.status, { ...PAGE_HEADERS, Connection: 'close' });
    // Shut down only after the page is sent, so the browser shows it instead of a reset connection.
    res.end(loopbackPage(answer.title, answer.message), () => {
      void close();
    });
    done(answer.outcome);
  };

  for (const host of hosts) {
    const server = createServer(handle);
    try {
      await listen(server, host, port);
      servers.push(server);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // No IPv6 loopback on this machine: browsers then resolve localhost to 127.0.0.1 only.
      if (host === '::1' && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT' || code === 'EINVAL')) continue;
      await close();
      if (code === 'EADDRINUSE' || code === 'EACCES') {
        throw authError(
          'callback-port-busy',
          `Port ${port} (${host === '::1' ? '[::1]' : host}) for the sign-in callback ${options.redirectUri} is ${code === 'EACCES' ? 'not available to this user' : 'in use by another program'}: `
            + 'close that program (another "stratus login"?), or register a callback URL with another port in the app client and set cognito.redirectUri to it.',
          err,
        );
      }
      throw err;
    }
  }

  const timeoutMs = options.timeoutMs ?? 300_000;
  const timer = setTimeout(() => {
    settle?.({
      error: authError('sign-in-timeout', options.timeoutMessage ?? `No sign-in arrived within ${Math.round(timeoutMs / 1000)} s (the browser window was closed, or sign-in was not finished); sign in again.`),
    });
    void close();
  }, timeoutMs);
  // The timer alone must not keep a process alive whose caller already gave up.
  timer.unref();
  const onAbort = (): void => {
    const reason: unknown = options.signal?.reason;
    settle?.({ error: isStratusError(reason) ? reason : aborted('waiting for the browser sign-in') });
    void close();
  };
  if (options.signal?.aborted === true) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  void result.finally(() => {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }).catch(() => undefined);

  return { port, result, close };
}
