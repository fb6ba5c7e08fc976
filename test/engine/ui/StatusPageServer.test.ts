/**
 * The status page's gatekeeping, from Node with raw HTTP and WebSocket
 * clients: nothing without the token, the token only once (then a cookie),
 * no foreign Host (DNS rebinding) or Origin (cross-site WebSocket), only
 * GET/HEAD, the renderer's CSP on every file, and the socket protocol.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Emitter } from '../../../src/core/Emitter.js';
import { startStatusPage, type StatusPage } from '../../../src/engine/ui/StatusPageServer.js';
import type { StatusSnapshot } from '../../../src/shared/StratusApi.js';

let dir: string;
let page: StatusPage;
const changes = new Emitter<StatusSnapshot>();
let current: StatusSnapshot = { version: 1, auth: 'signed-in', sync: 'checking', folder: '/f' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-ui-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>Stratus</title>');
  page = await startStatusPage({ rendererDir: dir, source: { get current() { return current; }, onDidChangeStatus: changes.event } });
});

afterAll(async () => {
  await page.close();
  await rm(dir, { recursive: true, force: true });
});

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: string }

function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: page.port, path, method, headers: { host: `127.0.0.1:${page.port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const token = (): string => new URL(page.url).searchParams.get('token') ?? '';

async function cookie(): Promise<string> {
  const answer = await get(`/?token=${token()}`);
  const set = answer.headers['set-cookie']?.[0] ?? '';
  return set.split(';')[0] ?? '';
}

function openSocket(headers: Record<string, string>): Promise<{ ws: WebSocket; first: unknown } | { refused: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${page.port}/api`, { headers });
    ws.once('message', (data) => resolve({ ws, first: JSON.parse(String(data)) }));
    ws.once('unexpected-response', (_req, res) => resolve({ refused: res.statusCode ?? 0 }));
    ws.once('error', () => resolve({ refused: -1 }));
  });
}

describe('status page server', () => {
  it('prints a loopback URL with a long random token', () => {
    expect(page.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
  });

  it('refuses every request without the token, and a wrong token', async () => {
    for (const path of ['/', '/index.html', '/assets/x.js']) expect((await get(path)).status).toBe(403);
    expect((await get('/?token=not-the-token')).status).toBe(403);
    expect((await get('/', { cookie: 'stratus-status=not-the-token' })).status).toBe(403);
  });

  it('trades the token for an HttpOnly SameSite=Strict cookie and a redirect that drops it from the address bar', async () => {
    const answer = await get(`/?token=${token()}`);
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe('/');
    expect(answer.headers['set-cookie']?.[0]).toMatch(/^stratus-status=[A-Za-z0-9_-]+; HttpOnly; SameSite=Strict; Path=\/$/);
    expect(answer.headers['referrer-policy']).toBe('no-referrer');
  });

  it('serves the renderer to the cookie, with the status page CSP', async () => {
    const answer = await get('/', { cookie: await cookie() });
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('<title>Stratus</title>');
    expect(answer.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(answer.headers['content-security-policy']).toContain("script-src 'self'");
    expect(answer.headers['x-frame-options']).toBe('DENY');
    expect((await get('/../../etc/passwd', { cookie: await cookie() })).status).toBe(404);
  });

  it('refuses a foreign Host header even with the cookie (DNS rebinding) and anything but GET/HEAD', async () => {
    expect((await get('/', { cookie: await cookie(), host: `evil.example:${page.port}` })).status).toBe(403);
    expect((await get(`/?token=${token()}`, { host: 'evil.example' })).status).toBe(403);
    expect((await get('/', { cookie: await cookie() }, 'POST')).status).toBe(405);
  });

  it('opens the socket only with the cookie and this server as Origin, then pushes every status', async () => {
    const origin = `http://127.0.0.1:${page.port}`;
    expect(await openSocket({ origin })).toEqual({ refused: 403 });
    expect(await openSocket({ cookie: await cookie(), origin: 'http://evil.example' })).toEqual({ refused: 403 });
    expect(await openSocket({ cookie: await cookie() })).toEqual({ refused: 403 });

    const opened = await openSocket({ cookie: await cookie(), origin });
    if (!('ws' in opened)) throw new Error(`refused: ${opened.refused}`);
    expect(opened.first).toEqual({ type: 'status', status: current });
    const next = new Promise((resolve) => opened.ws.once('message', (d) => resolve(JSON.parse(String(d)))));
    current = { ...current, sync: 'up-to-date', lastCheckAt: '2026-11-22T10:00:00.000Z' };
    changes.fire(current);
    expect(await next).toEqual({ type: 'status', status: current });

    const answer = new Promise((resolve) => opened.ws.once('message', (d) => resolve(JSON.parse(String(d)))));
    opened.ws.send(JSON.stringify({ id: 7, method: 'getStatus' }));
    expect(await answer).toEqual({ type: 'result', id: 7, result: current });
    const unknown = new Promise((resolve) => opened.ws.once('message', (d) => resolve(JSON.parse(String(d)))));
    opened.ws.send(JSON.stringify({ id: 8, method: 'deleteEverything' }));
    expect(await unknown).toEqual({ type: 'error', id: 8, message: 'unknown method' });
    const closed = new Promise((resolve) => opened.ws.once('close', (code) => resolve(code)));
    opened.ws.send('not json');
    expect(await closed).toBe(1008);
  });
});
