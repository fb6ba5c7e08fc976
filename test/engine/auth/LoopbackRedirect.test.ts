/**
 * The RFC 8252 loopback listener: answers the browser with a page, settles
 * once, shuts down, names a busy port, times out, and stops on abort.
 */
import { createServer, type Server } from 'node:net';
import { freePort } from '../../support/ports.js';
import { afterEach, describe, expect, it } from 'vitest';
import { signInCancelled } from '../../../src/engine/auth/authErrors.js';
import { listenForRedirect, parseRedirectUri, type LoopbackAnswer } from '../../../src/engine/auth/LoopbackRedirect.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((done) => s.close(() => done()))));
});


const ok = (url: URL): LoopbackAnswer<string> => ({ status: 200, title: 'Signed in to Stratus', message: 'You can close this window.', outcome: { value: url.searchParams.get('code') ?? '' } });

describe('listenForRedirect', () => {
  it('answers the callback with a "you can close this window" page, settles with it, and stops listening', async () => {
    const port = await freePort();
    const redirect = await listenForRedirect({ redirectUri: `http://localhost:${port}/callback`, answer: ok });
    const favicon = await fetch(`http://127.0.0.1:${port}/favicon.ico`);
    expect(favicon.status).toBe(404);
    const response = await fetch(`http://localhost:${port}/callback?code=abc&state=s`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('You can close this window');
    expect(response.headers.get('cache-control')).toBe('no-store');
    await expect(redirect.result).resolves.toBe('abc');
    await redirect.close();
    await expect(fetch(`http://127.0.0.1:${port}/callback?code=again`)).rejects.toThrow();
  });

  it('listens on ::1 too for a localhost callback, when the machine has IPv6 loopback', async () => {
    const port = await freePort();
    const probe = createServer();
    const hasIpv6 = await new Promise<boolean>((done) => {
      probe.once('error', () => done(false));
      probe.listen(0, '::1', () => probe.close(() => done(true)));
    });
    if (!hasIpv6) {
      console.warn('[skip] no IPv6 loopback on this machine: only 127.0.0.1 can be tested');
      return;
    }
    const redirect = await listenForRedirect({ redirectUri: `http://localhost:${port}/callback`, answer: ok });
    const response = await fetch(`http://[::1]:${port}/callback?code=v6`);
    expect(response.status).toBe(200);
    await expect(redirect.result).resolves.toBe('v6');
    await redirect.close();
  });

  it('names the port when another program holds it', async () => {
    const port = await freePort();
    const squatter = createServer();
    servers.push(squatter);
    await new Promise<void>((done) => squatter.listen(port, '127.0.0.1', done));
    await expect(listenForRedirect({ redirectUri: `http://localhost:${port}/callback`, answer: ok })).rejects.toMatchObject({
      code: 'callback-port-busy',
      message: expect.stringContaining(`Port ${port}`) as unknown,
    });
  });

  it('gives up after the timeout with a sign-in-timeout error', async () => {
    const port = await freePort();
    const redirect = await listenForRedirect({ redirectUri: `http://localhost:${port}/callback`, answer: ok, timeoutMs: 100 });
    await expect(redirect.result).rejects.toMatchObject({ code: 'sign-in-timeout' });
    await redirect.close();
  });

  it('stops with code "aborted" when the signal fires (Ctrl-C)', async () => {
    const port = await freePort();
    const controller = new AbortController();
    const redirect = await listenForRedirect({ redirectUri: `http://localhost:${port}/callback`, answer: ok, signal: controller.signal });
    controller.abort();
    await expect(redirect.result).rejects.toMatchObject({ code: 'aborted' });
    await redirect.close();
  });

  it('rejects with the abort reason when it is a StratusError (a closed login window)', async () => {
    const port = await freePort();
    const controller = new AbortController();
    const redirect = await listenForRedirect({ redirectUri: `http://localhost:${port}/callback`, answer: ok, signal: controller.signal });
    controller.abort(signInCancelled());
    await expect(redirect.result).rejects.toMatchObject({ code: 'sign-in-cancelled' });
    await redirect.close();
    await expect(fetch(`http://127.0.0.1:${port}/callback?code=late`)).rejects.toThrow();
  });

  it('refuses callback URLs that are not loopback http with a port', () => {
    for (const uri of ['https://localhost:53682/callback', 'http://example.com:53682/callback', 'http://localhost/callback', 'nonsense']) {
      expect(() => parseRedirectUri(uri), uri).toThrow(expect.objectContaining({ code: 'redirect-uri-invalid' }) as Error);
    }
    expect(parseRedirectUri('http://127.0.0.1:8080/cb').hosts).toEqual(['127.0.0.1']);
    expect(parseRedirectUri('http://localhost:8080/cb').hosts).toEqual(['127.0.0.1', '::1']);
  });
});
