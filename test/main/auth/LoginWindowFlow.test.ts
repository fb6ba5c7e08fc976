/**
 * The app's login window logic in plain Node (no Electron): which navigations
 * the window may make, the system-browser setting, and cancelling by closing
 * the window — first against a scripted sign-in, then end to end against the
 * sandbox with a fake window that walks the real hosted UI and asks the flow
 * before every navigation and redirect, as ElectronLoginSurface does.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aborted, authError } from '../../../src/engine/auth/authErrors.js';
import { CognitoAuth, type SignedIn, type SignInOptions } from '../../../src/engine/auth/CognitoAuth.js';
import { MemoryTokenVault } from '../../../src/engine/auth/TokenVault.js';
import { LoginNavigationPolicy, LoginWindowFlow, type LoginSurface, type LoginWindow, type LoginWindowEvents } from '../../../src/main/auth/LoginWindowFlow.js';
import type { CognitoSettings } from '../../../src/shared/StratusConfig.js';
import { startSandbox, type Sandbox } from '../../../sandbox/startSandbox.js';
import { CookieJar, hop } from '../../sandbox/cognito/cognitoTestKit.js';
import { freePort } from '../../support/ports.js';

const HOSTED_UI = 'https://stratus-test.auth.eu-west-1.amazoncognito.com';
const CALLBACK = 'http://localhost:53682/callback';
const AUTHORIZE = `${HOSTED_UI}/oauth2/authorize?client_id=abc&redirect_uri=${encodeURIComponent(CALLBACK)}&response_type=code`;

describe('LoginNavigationPolicy', () => {
  const policy = new LoginNavigationPolicy(AUTHORIZE, HOSTED_UI, CALLBACK);

  it.each([
    [AUTHORIZE, 'hosted-ui'],
    [`${HOSTED_UI}/login?client_id=abc`, 'hosted-ui'],
    [`${HOSTED_UI}/forgotPassword`, 'hosted-ui'],
    [`${CALLBACK}?code=c0de&state=s`, 'callback'],
    [CALLBACK, 'callback'],
    // Not the exact callback: another port, path, host spelling or scheme.
    ['http://localhost:53683/callback?code=c', 'blocked'],
    ['http://localhost:53682/callback/x?code=c', 'blocked'],
    ['http://localhost:53682/?code=c', 'blocked'],
    ['http://127.0.0.1:53682/callback?code=c', 'blocked'],
    ['https://localhost:53682/callback?code=c', 'blocked'],
    ['http://user:pw@localhost:53682/callback?code=c', 'blocked'],
    // Not the hosted UI: look-alikes, other schemes, other sites.
    ['http://stratus-test.auth.eu-west-1.amazoncognito.com/login', 'blocked'],
    ['https://stratus-test.auth.eu-west-1.amazoncognito.com.evil.example/login', 'blocked'],
    ['https://evil.example/?next=https://stratus-test.auth.eu-west-1.amazoncognito.com', 'blocked'],
    ['https://accounts.google.com/o/oauth2/auth', 'blocked'],
    ['file:///etc/passwd', 'blocked'],
    ['data:text/html,<h1>hi</h1>', 'blocked'],
    ['about:blank', 'blocked'],
    ['javascript:alert(1)', 'blocked'],
    ['not a url', 'blocked'],
  ])('%s is %s', (url, kind) => {
    expect(policy.classify(url)).toBe(kind);
    expect(policy.allows(url)).toBe(kind !== 'blocked');
  });

  it('takes the origin of a hosted UI base given with a path', () => {
    expect(new LoginNavigationPolicy(AUTHORIZE, `${HOSTED_UI}/`, CALLBACK).hostedUiOrigin).toBe(HOSTED_UI);
  });

  it('refuses to start on an authorization URL outside the hosted UI', () => {
    expect(() => new LoginNavigationPolicy('https://evil.example/oauth2/authorize', HOSTED_UI, CALLBACK)).toThrow(
      expect.objectContaining({ code: 'sign-in-rejected' }) as Error,
    );
  });
});

/** A window whose navigations the test drives by hand. */
class ScriptedWindow implements LoginWindow {
  readonly loaded: string[] = [];
  focused = 0;
  isClosed = false;

  constructor(readonly events: LoginWindowEvents) {}

  load(url: string): void {
    this.loaded.push(url);
  }

  focus(): void {
    this.focused++;
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    // Electron emits 'closed' for a programmatic close too.
    this.events.closed();
  }

  /** The user clicks the window's close button. */
  userCloses(): void {
    this.close();
  }
}

class FakeSurface implements LoginSurface {
  readonly windows: ScriptedWindow[] = [];
  readonly external: string[] = [];
  failExternal = false;
  makeWindow: (events: LoginWindowEvents) => LoginWindow & { isClosed: boolean } = (events) => new ScriptedWindow(events);

  openWindow(events: LoginWindowEvents): LoginWindow {
    const window = this.makeWindow(events);
    if (window instanceof ScriptedWindow) this.windows.push(window);
    return window;
  }

  openExternal(url: string): Promise<void> {
    if (this.failExternal) return Promise.reject(new Error('no browser'));
    this.external.push(url);
    return Promise.resolve();
  }
}

/**
 * Stands in for CognitoAuth.signIn: shows the URL, then waits until the test
 * completes it, or rejects as the engine does on abort (with a StratusError reason).
 */
class ScriptedAuth {
  finish: ((value: SignedIn) => void) | undefined;
  fail: ((err: unknown) => void) | undefined;
  calls = 0;
  signal: AbortSignal | undefined;

  async signIn(options: SignInOptions): Promise<SignedIn> {
    this.calls++;
    this.signal = options.signal;
    const result = new Promise<SignedIn>((resolve, reject) => {
      this.finish = resolve;
      this.fail = reject;
      options.signal?.addEventListener('abort', () => {
        const reason: unknown = options.signal?.reason;
        reject(reason instanceof Error && 'code' in reason ? reason : aborted('waiting for the browser sign-in'));
      });
    });
    await options.openUrl(AUTHORIZE);
    return result;
  }
}

const SIGNED_IN = { identityId: 'eu-west-1:0000' } as SignedIn;

describe('LoginWindowFlow with a scripted sign-in', () => {
  function setup(useSystemBrowser = false) {
    const surface = new FakeSurface();
    const flow = new LoginWindowFlow({ surface, redirectUri: CALLBACK, hostedUiBase: HOSTED_UI, useSystemBrowser: () => useSystemBrowser });
    return { surface, flow, auth: new ScriptedAuth() };
  }

  it('shows the hosted UI in a login window, lets it through to the callback, and closes it when signed in', async () => {
    const { surface, flow, auth } = setup();
    const done = flow.signIn(auth);
    await Promise.resolve();
    const [window] = surface.windows;
    if (window === undefined) throw new Error('no window opened');
    expect(window.loaded).toEqual([AUTHORIZE]);
    expect(flow.current?.via).toBe('window');
    expect(window.events.willNavigate(`${HOSTED_UI}/login`)).toBe(true);
    expect(window.events.willNavigate('https://evil.example/phish')).toBe(false);
    expect(window.events.willNavigate(`${CALLBACK}?code=c&state=s`)).toBe(true);
    expect(flow.current?.blocked).toEqual(['https://evil.example/phish']);
    auth.finish?.(SIGNED_IN);
    await expect(done).resolves.toBe(SIGNED_IN);
    expect(window.isClosed).toBe(true);
    expect(flow.current).toBeUndefined();
  });

  it('cancels cleanly when the user closes the window: a clear "cancelled" error, the sign-in aborted', async () => {
    const { surface, flow, auth } = setup();
    const done = flow.signIn(auth);
    await Promise.resolve();
    surface.windows[0]?.userCloses();
    await expect(done).rejects.toMatchObject({ code: 'sign-in-cancelled', severity: 'fatal', message: expect.stringContaining('window was closed') as unknown });
    expect(auth.signal?.aborted).toBe(true);
    expect(flow.current).toBeUndefined();
  });

  it('closes the window when the sign-in fails, without reporting that as a cancellation', async () => {
    const { surface, flow, auth } = setup();
    const done = flow.signIn(auth);
    await Promise.resolve();
    auth.fail?.(authError('sign-in-denied', 'Sign-in was cancelled or refused in the browser (access_denied).'));
    await expect(done).rejects.toMatchObject({ code: 'sign-in-denied' });
    expect(surface.windows[0]?.isClosed).toBe(true);
    expect(auth.signal?.aborted).toBe(false);
  });

  it('ends with sign-in-unreachable when the hosted UI page cannot load, but not for the callback page', async () => {
    const { surface, flow, auth } = setup();
    const done = flow.signIn(auth);
    await Promise.resolve();
    const window = surface.windows[0];
    window?.events.didFailLoad(`${CALLBACK}?code=c`, 'ERR_CONNECTION_REFUSED');
    expect(auth.signal?.aborted).toBe(false);
    window?.events.didFailLoad(AUTHORIZE, 'ERR_NAME_NOT_RESOLVED');
    await expect(done).rejects.toMatchObject({ code: 'sign-in-unreachable', message: expect.stringContaining('ERR_NAME_NOT_RESOLVED') as unknown });
    expect(window?.isClosed).toBe(true);
  });

  it('never opens a second window inside the app; https links go to the system browser', async () => {
    const { surface, flow, auth } = setup();
    const done = flow.signIn(auth);
    await Promise.resolve();
    const window = surface.windows[0];
    window?.events.willOpenWindow('https://aws.amazon.com/privacy/');
    window?.events.willOpenWindow('http://insecure.example/');
    window?.events.willOpenWindow('file:///etc/passwd');
    await Promise.resolve();
    expect(surface.external).toEqual(['https://aws.amazon.com/privacy/']);
    expect(surface.windows).toHaveLength(1);
    flow.cancel();
    await expect(done).rejects.toMatchObject({ code: 'sign-in-cancelled' });
  });

  it('runs one sign-in at a time: asking again focuses the open window and shares its result', async () => {
    const { surface, flow, auth } = setup();
    const first = flow.signIn(auth);
    await Promise.resolve();
    const second = flow.signIn(auth);
    expect(second).toBe(first);
    expect(auth.calls).toBe(1);
    expect(surface.windows).toHaveLength(1);
    expect(surface.windows[0]?.focused).toBe(1);
    auth.finish?.(SIGNED_IN);
    await expect(second).resolves.toBe(SIGNED_IN);
    // Once finished, a new sign-in starts afresh.
    const third = flow.signIn(auth);
    await Promise.resolve();
    expect(auth.calls).toBe(2);
    flow.cancel();
    await expect(third).rejects.toMatchObject({ code: 'sign-in-cancelled' });
  });

  it('uses the system browser when that setting is on: no window, and cancel() still ends the wait', async () => {
    const { surface, flow, auth } = setup(true);
    const done = flow.signIn(auth);
    await Promise.resolve();
    expect(surface.windows).toEqual([]);
    expect(surface.external).toEqual([AUTHORIZE]);
    expect(flow.current?.via).toBe('system-browser');
    flow.cancel();
    await expect(done).rejects.toMatchObject({ code: 'sign-in-cancelled', message: expect.stringContaining('Signing in was stopped') as unknown });
  });

  it('says so when the system browser cannot be opened', async () => {
    const { surface, flow } = setup(true);
    surface.failExternal = true;
    const auth = { signIn: async (options: SignInOptions) => {
      await options.openUrl(AUTHORIZE);
      return SIGNED_IN;
    } };
    await expect(flow.signIn(auth)).rejects.toMatchObject({ code: 'sign-in-failed', message: expect.stringContaining('system browser') as unknown });
  });

  it('passes an outside abort (the app quitting) through as the reason', async () => {
    const { flow, auth } = setup();
    const quitting = new AbortController();
    const done = flow.signIn(auth, { signal: quitting.signal });
    await Promise.resolve();
    quitting.abort(aborted('quitting'));
    await expect(done).rejects.toMatchObject({ code: 'aborted' });
  });
});

describe('LoginWindowFlow against the sandbox hosted UI', () => {
  let scratch: string;
  let sandbox: Sandbox;
  let cognito: CognitoSettings;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'stratus-login-window-'));
    sandbox = await startSandbox({ dataDir: join(scratch, 'sandbox'), redirectPort: await freePort() });
    if (sandbox.info.stratusConfig.cognito === undefined) throw new Error('the sandbox config has no cognito block');
    cognito = sandbox.info.stratusConfig.cognito;
  });
  afterAll(async () => {
    await sandbox?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  /**
   * A window that behaves like the browser in the login window: follows every
   * redirect and submits the sign-in form, asking `willNavigate` first each
   * time and stopping where it is refused.
   */
  class HostedUiWindow implements LoginWindow {
    readonly visited: string[] = [];
    readonly pages: string[] = [];
    isClosed = false;
    private readonly jar = new CookieJar();

    constructor(private readonly events: LoginWindowEvents, private readonly user?: { username: string; password: string }) {}

    load(url: string): void {
      void this.walk(url);
    }

    focus(): void {}

    close(): void {
      if (this.isClosed) return;
      this.isClosed = true;
      this.events.closed();
    }

    private async walk(start: string): Promise<void> {
      let next: string | undefined = start;
      let init: RequestInit | undefined;
      for (let i = 0; i < 15 && next !== undefined && !this.isClosed; i++) {
        if (!this.events.willNavigate(next)) return;
        this.visited.push(next);
        const response = await hop(this.jar, next, init);
        init = undefined;
        if (response.location !== undefined) {
          next = response.location;
          continue;
        }
        this.pages.push(response.body);
        const action = /<form method="post" action="([^"]+)"/.exec(response.body)?.[1];
        if (action === undefined || this.user === undefined) return;
        next = new URL(action.replaceAll('&#38;', '&'), response.url).href;
        init = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(this.user).toString() };
      }
    }
  }

  function user(name: string): { username: string; password: string } {
    const found = sandbox.info.users.find((u) => u.username === name);
    if (found === undefined) throw new Error(`no sandbox user ${name}`);
    return { username: found.username, password: found.password };
  }

  function setup(person?: { username: string; password: string }) {
    const windows: HostedUiWindow[] = [];
    const surface = new FakeSurface();
    surface.makeWindow = (events) => {
      const window = new HostedUiWindow(events, person);
      windows.push(window);
      return window;
    };
    const flow = new LoginWindowFlow({ surface, redirectUri: cognito.redirectUri, ...(cognito.hostedUiBase === undefined ? {} : { hostedUiBase: cognito.hostedUiBase }) });
    return { flow, windows };
  }

  it('signs in through the hosted UI inside the window: every step allowed, the session stored, the window closed', async () => {
    const { flow, windows } = setup(user('ada'));
    const vault = new MemoryTokenVault();
    const auth = await CognitoAuth.connect({ cognito, vault });
    const signedIn = await flow.signIn(auth, { timeoutMs: 20_000 });
    expect(signedIn.identityId).toBe(sandbox.identityIdFor('ada'));
    expect((await vault.get())?.username).toBe('ada');
    const [window] = windows;
    if (window === undefined) throw new Error('no window');
    expect(window.isClosed).toBe(true);
    expect(window.visited.length).toBeGreaterThan(2);
    // Everything but the last step was on the hosted UI; the last was the exact callback, which the engine answered.
    expect(window.visited.slice(0, -1).every((url) => new URL(url).origin === new URL(cognito.hostedUiBase ?? cognito.issuer).origin)).toBe(true);
    expect(window.visited.at(-1)?.startsWith(`${cognito.redirectUri}?`)).toBe(true);
    expect(window.pages.at(-1)).toContain('Signed in to Stratus');
  });

  it('cancels when the window is closed on the sign-in form: "cancelled", nothing stored, the callback listener closed', async () => {
    const { flow, windows } = setup();
    const vault = new MemoryTokenVault();
    const auth = await CognitoAuth.connect({ cognito, vault });
    const done = flow.signIn(auth, { timeoutMs: 20_000 });
    // Wait until the window shows the sign-in form, then close it.
    for (let i = 0; i < 100 && !(windows[0]?.pages.some((page) => page.includes('id="password"')) ?? false); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(windows[0]?.pages.at(-1)).toContain('id="password"');
    windows[0]?.close();
    await expect(done).rejects.toMatchObject({ code: 'sign-in-cancelled' });
    expect(await vault.get()).toBeUndefined();
    await expect(fetch(`${cognito.redirectUri}?code=late&state=late`)).rejects.toThrow();
    // And a new sign-in can start at once (the port is free again).
    const again = setup(user('grace'));
    const signedIn = await again.flow.signIn(auth, { timeoutMs: 20_000 });
    expect(signedIn.session.user.username).toBe('grace');
  });
});
