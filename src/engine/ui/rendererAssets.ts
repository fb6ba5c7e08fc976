/**
 * Resolves requests for the built renderer to its files, for both transports
 * of the one UI: the app's custom protocol (src/main/appProtocol.ts) and the
 * loopback status page of `stratus watch --ui` (src/engine/ui/StatusPageServer.ts),
 * and for the Chromium test suite.
 *
 * Pure Node (no electron import). Emits nothing; answers "which file, which
 * type, which headers" or "not found".
 */
import { extname, resolve, sep } from 'node:path';

/** Scheme and host the renderer is served from: `stratus-app://app/index.html`. */
export const APP_SCHEME = 'stratus-app';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/**
 * The renderer's Content-Security-Policy, sent as a header on every response.
 * Nothing inline, nothing remote, no eval: the page talks to the world only
 * through `window.stratus`.
 */
export const RENDERER_CSP = cspWith("connect-src 'none'");

/**
 * The status page's policy: the same, except that the page may open its
 * WebSocket to the server it came from (`'self'` covers ws: on the same host
 * and port). Nothing else changes.
 */
export const STATUS_PAGE_CSP = cspWith("connect-src 'self'");

function cspWith(connectSrc: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    connectSrc,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

export type AssetResolution =
  | { readonly ok: true; readonly filePath: string; readonly headers: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly status: 404 };

/**
 * Maps a URL path (`/`, `/assets/index-abc.js`) to a file under `rootDir`.
 * Anything that would leave `rootDir` (`..`, encoded slashes) is not found.
 */
export function resolveAppAsset(rootDir: string, urlPath: string, csp: string = RENDERER_CSP): AssetResolution {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return { ok: false, status: 404 };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { ok: false, status: 404 };
  const relative = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  const root = resolve(rootDir);
  const filePath = resolve(root, relative);
  if (!filePath.startsWith(root + sep)) return { ok: false, status: 404 };
  const type = MIME_TYPES[extname(filePath).toLowerCase()];
  if (type === undefined) return { ok: false, status: 404 };
  return {
    ok: true,
    filePath,
    headers: {
      'content-type': type,
      'content-security-policy': csp,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    },
  };
}
