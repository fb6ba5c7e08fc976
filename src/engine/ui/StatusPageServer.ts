/**
 * StatusPageServer: the second transport of the one UI (issue 8) — the built
 * renderer served on loopback, talking to a live status over a WebSocket, for
 * machines without a desktop (`stratus watch --ui`) and for testing the real
 * UI against a real engine in Chromium.
 *
 * Who may talk to it: only someone holding the random token in the URL that
 * `stratus watch` printed (the way Jupyter does it).
 *   - Binds to 127.0.0.1 only.
 *   - Every request must name this server in its Host header (127.0.0.1:PORT
 *     or localhost:PORT): a page on another site that rebinds its DNS name to
 *     127.0.0.1 sends its own name and is refused (DNS rebinding).
 *   - GET /?token=T with the right token sets an HttpOnly, SameSite=Strict
 *     cookie and redirects to / (the token leaves the address bar and never
 *     travels in a Referer); every other request needs that cookie. Tokens are
 *     compared in constant time.
 *   - The WebSocket (/api) also needs the cookie and an Origin of this very
 *     server: another site's page cannot open it (cross-site WebSocket
 *     hijacking), even from this machine.
 *   - Only GET and HEAD; responses carry the renderer's CSP (connect-src
 *     'self' for the socket), nosniff, no-referrer, no caching, no framing.
 *
 * Protocol (JSON text frames, at most 64 KiB): the server sends
 * `{ "type": "status", "status": StatusSnapshot }` on connect and after every
 * change; the client may send `{ "id": n, "method": "getStatus" }` and gets
 * `{ "type": "result", "id": n, "result": StatusSnapshot }`, or
 * `{ "id": n, "method": "run", "command": StratusCommand }` and gets
 * `{ "type": "result", "id": n, "result": CommandResult }` (a command is
 * checked with the shared validator first; one that fails the check is
 * answered with `{ "type": "error", "id": n, "message": … }`, as is an
 * unknown method); `getSettings` answers a SettingsView and
 * `{ "method": "previewIgnore", "text": … }` an IgnorePreview. Nothing else
 * is accepted.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Event } from '../../core/Emitter.js';
import { StratusError } from '../../core/StratusError.js';
import type { CommandResult, IgnorePreview, SettingsView, StatusSnapshot, StratusCommand } from '../../shared/StratusApi.js';
import { isStratusCommand, MAX_IGNORE_TEXT } from '../../shared/validators.js';
import type { Logger } from '../logger.js';
import { resolveAppAsset, STATUS_PAGE_CSP } from './rendererAssets.js';

export interface StatusSource {
  readonly current: StatusSnapshot;
  readonly onDidChangeStatus: Event<StatusSnapshot>;
}

export interface StatusPageController {
  run(command: StratusCommand): Promise<CommandResult>;
  settings?(): Promise<SettingsView>;
  previewIgnore?(text: string): Promise<IgnorePreview>;
}

export interface StatusPageOptions {
  /** The built renderer (electron-vite's out/renderer). */
  readonly rendererDir: string;
  readonly source: StatusSource;
  /** Carries out the page's commands and answers its Settings screen (SyncController); without it the page is read-only. */
  readonly controller?: StatusPageController;
  /** @default 0 (a free port) */
  readonly port?: number;
  readonly log?: Logger;
}

export interface StatusPage {
  /** `http://127.0.0.1:PORT/?token=…`: the one URL that opens the page. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const COOKIE = 'stratus-status';
const HOST = '127.0.0.1';

const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
};

function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return value.join('=');
  }
  return undefined;
}

export async function startStatusPage(options: StatusPageOptions): Promise<StatusPage> {
  const token = randomBytes(24).toString('base64url');
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  let port = 0;

  const hostAllowed = (req: IncomingMessage): boolean => {
    const host = req.headers.host;
    return host === `${HOST}:${port}` || host === `localhost:${port}`;
  };

  const refuse = (res: ServerResponse, status: number, text: string): void => {
    res.writeHead(status, { ...COMMON_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
    res.end(text);
  };

  const server = createServer((req, res) => {
    if (!hostAllowed(req)) {
      refuse(res, 403, 'Wrong Host header: open the status page through the URL stratus watch printed.\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      refuse(res, 405, 'Only GET and HEAD.\n');
      return;
    }
    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
    const given = url.searchParams.get('token') ?? undefined;
    if (given !== undefined) {
      if (!sameToken(given, token)) {
        refuse(res, 403, 'Wrong token: open the status page through the URL stratus watch printed.\n');
        return;
      }
      res.writeHead(303, {
        ...COMMON_HEADERS,
        'set-cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        location: '/',
      });
      res.end();
      return;
    }
    if (!sameToken(cookieToken(req), token)) {
      refuse(res, 403, 'This status page needs its token: open the URL stratus watch printed.\n');
      return;
    }
    const asset = resolveAppAsset(options.rendererDir, url.pathname, STATUS_PAGE_CSP);
    if (!asset.ok) {
      refuse(res, 404, 'Not found.\n');
      return;
    }
    const stream = createReadStream(asset.filePath);
    stream.on('open', () => {
      res.writeHead(200, { ...COMMON_HEADERS, ...asset.headers });
      if (req.method === 'HEAD') {
        stream.destroy();
        res.end();
        return;
      }
      stream.pipe(res);
    });
    stream.on('error', () => {
      if (!res.headersSent) refuse(res, 404, 'Not found.\n');
      else res.destroy();
    });
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', `http://${HOST}:${port}`).pathname;
    const origin = req.headers.origin;
    const originAllowed = origin === `http://${HOST}:${port}` || origin === `http://localhost:${port}`;
    if (path !== '/api' || !hostAllowed(req) || !originAllowed || !sameToken(cookieToken(req), token)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    sockets.add(ws);
    const send = (message: unknown): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    const subscription = options.source.onDidChangeStatus((status) => send({ type: 'status', status }));
    send({ type: 'status', status: options.source.current });
    ws.on('message', (data, isBinary) => {
      let request: unknown;
      try {
        request = isBinary ? undefined : JSON.parse(String(data));
      } catch {
        request = undefined;
      }
      const id = (request as { id?: unknown } | undefined)?.id;
      const method = (request as { method?: unknown } | undefined)?.method;
      if (typeof id !== 'number' || !Number.isSafeInteger(id)) {
        ws.close(1008, 'malformed request');
        return;
      }
      if (method === 'getStatus') {
        send({ type: 'result', id, result: options.source.current });
      } else if (method === 'run') {
        const command = (request as { command?: unknown }).command;
        if (!isStratusCommand(command)) {
          send({ type: 'error', id, message: 'malformed command' });
        } else if (options.controller === undefined) {
          send({ type: 'result', id, result: { ok: false, message: 'This status page is read-only.' } });
        } else {
          void options.controller.run(command).then((result) => send({ type: 'result', id, result }));
        }
      } else if (method === 'getSettings') {
        const settings = options.controller?.settings;
        if (settings === undefined) send({ type: 'result', id, result: { values: {}, editable: [], managed: [], ignoreRules: '' } });
        else void settings.call(options.controller).then((result) => send({ type: 'result', id, result }), (err: unknown) => send({ type: 'error', id, message: err instanceof Error ? err.message : String(err) }));
      } else if (method === 'previewIgnore') {
        const text = (request as { text?: unknown }).text;
        const preview = options.controller?.previewIgnore;
        if (typeof text !== 'string' || text.length > MAX_IGNORE_TEXT) send({ type: 'error', id, message: 'malformed text' });
        else if (preview === undefined) send({ type: 'result', id, result: { hidden: 0, sample: [], problems: ['Nothing to preview yet.'] } });
        else void preview.call(options.controller, text).then((result) => send({ type: 'result', id, result }), (err: unknown) => send({ type: 'error', id, message: err instanceof Error ? err.message : String(err) }));
      } else {
        send({ type: 'error', id, message: 'unknown method' });
      }
    });
    ws.on('close', () => {
      subscription.dispose();
      sockets.delete(ws);
    });
    ws.on('error', () => ws.terminate());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE'
        ? new StratusError('ui-port-busy', `Port ${options.port ?? 0} on ${HOST} is in use: choose another with --ui-port, or 0 for any free port.`, { severity: 'fatal', cause: err })
        : err);
    });
    server.listen(options.port ?? 0, HOST, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  options.log?.info('status page listening', { port });

  return {
    url: `http://${HOST}:${port}/?token=${token}`,
    port,
    async close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
