/**
 * The status page's command channel, from Node with a raw WebSocket client:
 * a valid command reaches the controller and its answer comes back with the
 * request's id; a command that fails the shared validator (a path leaving the
 * sync folder, an unknown type) never reaches it; without a controller the
 * page is read-only.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Emitter } from '../../../src/core/Emitter.js';
import { startStatusPage, type StatusPage } from '../../../src/engine/ui/StatusPageServer.js';
import type { StatusSnapshot, StratusCommand } from '../../../src/shared/StratusApi.js';

let dir: string;
const received: StratusCommand[] = [];
const status: StatusSnapshot = { version: 1, auth: 'signed-in', sync: 'up-to-date' };
const source = { current: status, onDidChangeStatus: new Emitter<StatusSnapshot>().event };
let withController: StatusPage;
let readOnly: StatusPage;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-ui-commands-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>Stratus</title>');
  withController = await startStatusPage({
    rendererDir: dir,
    source,
    controller: {
      run: (command) => {
        received.push(command);
        return Promise.resolve(command.type === 'sync-now' ? { ok: true } : { ok: false, message: 'Not now.' });
      },
    },
  });
  readOnly = await startStatusPage({ rendererDir: dir, source });
});

afterAll(async () => {
  await withController.close();
  await readOnly.close();
  await rm(dir, { recursive: true, force: true });
});

function cookieFor(page: StatusPage): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: page.port, path: new URL(page.url).search.replace(/^/, '/'), headers: { host: `127.0.0.1:${page.port}` } }, (res) => {
      res.resume();
      resolve((res.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '');
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens the socket, sends each request, and collects the answers by id. */
async function ask(page: StatusPage, requests: readonly unknown[]): Promise<Map<number, unknown>> {
  const cookie = await cookieFor(page);
  const ws = new WebSocket(`ws://127.0.0.1:${page.port}/api`, { headers: { cookie, origin: `http://127.0.0.1:${page.port}` } });
  const answers = new Map<number, unknown>();
  await new Promise<void>((resolve, reject) => {
    ws.on('open', () => {
      for (const r of requests) ws.send(JSON.stringify(r));
    });
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { type: string; id?: number };
      if (m.type !== 'status' && m.id !== undefined) answers.set(m.id, m);
      if (answers.size === requests.length) resolve();
    });
    ws.on('error', reject);
  });
  ws.close();
  return answers;
}

describe('status page commands', () => {
  it('passes valid commands to the controller and answers with the same id', async () => {
    const answers = await ask(withController, [
      { id: 1, method: 'run', command: { type: 'sync-now' } },
      { id: 2, method: 'run', command: { type: 'retry-now', path: 'docs/a.txt' } },
    ]);
    expect(answers.get(1)).toEqual({ type: 'result', id: 1, result: { ok: true } });
    expect(answers.get(2)).toEqual({ type: 'result', id: 2, result: { ok: false, message: 'Not now.' } });
    expect(received).toEqual([{ type: 'sync-now' }, { type: 'retry-now', path: 'docs/a.txt' }]);
  });

  it('never passes on a command that fails the validator', async () => {
    received.length = 0;
    const answers = await ask(withController, [
      { id: 3, method: 'run', command: { type: 'open-path', path: '../../etc/passwd' } },
      { id: 4, method: 'run', command: { type: 'rm-rf' } },
      { id: 5, method: 'run' },
    ]);
    for (const id of [3, 4, 5]) expect(answers.get(id)).toEqual({ type: 'error', id, message: 'malformed command' });
    expect(received).toEqual([]);
  });

  it('is read-only without a controller', async () => {
    const answers = await ask(readOnly, [{ id: 6, method: 'run', command: { type: 'pause' } }]);
    expect(answers.get(6)).toEqual({ type: 'result', id: 6, result: { ok: false, message: 'This status page is read-only.' } });
  });
});
