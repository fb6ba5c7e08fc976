/**
 * LoginWindowFlow: the desktop app's side of a sign-in, every decision kept
 * here and tested in plain Node; ElectronLoginSurface only carries them out
 * on a BrowserWindow.
 *
 * - Where: the app's own login window, or the system browser when the user
 *   chose that (RFC 8252 §4 prefers the system browser,
 *   https://www.rfc-editor.org/rfc/rfc8252#section-4; both are offered).
 * - Which navigations the login window may make (LoginNavigationPolicy): the
 *   hosted UI's origin, and the exact loopback callback — which the engine's
 *   listener answers. Nothing else; new windows never open inside the app
 *   (https links go to the system browser).
 * - Cancelling: closing the window aborts CognitoAuth.signIn with
 *   'sign-in-cancelled', which closes its loopback listener; a page that
 *   cannot load ends it with 'sign-in-unreachable'; when the sign-in ends for
 *   any reason, the window is closed.
 *
 * One sign-in at a time: asking again while one runs brings its window to the
 * front and returns the same promise.
 */
import { authError, signInCancelled } from '../../engine/auth/authErrors.js';
import type { CognitoAuth, SignedIn } from '../../engine/auth/CognitoAuth.js';

/** What the flow tells the window to do. */
export interface LoginWindow {
  load(url: string): void;
  focus(): void;
  /** Closes the window; calling it on a closed window does nothing. */
  close(): void;
}

/** What the window reports; the surface must ask `willNavigate` before every top-level navigation and redirect. */
export interface LoginWindowEvents {
  /** A navigation or redirect of the window's page: return false to block it. */
  willNavigate(url: string): boolean;
  /** The page asked for a new window (target=_blank, window.open): always refused inside the app. */
  willOpenWindow(url: string): void;
  /** The main frame failed to load `url` (not for navigations this flow blocked). */
  didFailLoad(url: string, description: string): void;
  /** The window is gone (closed by the user, or by `close()`). */
  closed(): void;
}

/** The platform side: Electron's BrowserWindow and shell in the app, a fake in tests. */
export interface LoginSurface {
  openWindow(events: LoginWindowEvents): LoginWindow;
  /** Opens the URL in the user's default browser. */
  openExternal(url: string): Promise<void>;
}

export type NavigationKind = 'hosted-ui' | 'callback' | 'blocked';

/**
 * Decides, for each navigation of the login window, whether it is allowed:
 * only pages of the hosted UI's origin, and the loopback callback URL exactly
 * (scheme, host, port and path; its query carries the code and state).
 */
export class LoginNavigationPolicy {
  readonly hostedUiOrigin: string;
  private readonly callback: URL;

  /**
   * @param authorizationUrl where the window starts; must itself be on the hosted UI
   * @param hostedUiOrigin e.g. `https://your-domain.auth.eu-west-1.amazoncognito.com` (a path is ignored)
   * @param callbackUrl the registered loopback redirect URI, e.g. `http://localhost:53682/callback`
   */
  constructor(authorizationUrl: string, hostedUiOrigin: string, callbackUrl: string) {
    this.hostedUiOrigin = new URL(hostedUiOrigin).origin;
    this.callback = new URL(callbackUrl);
    if (this.classify(authorizationUrl) !== 'hosted-ui') {
      throw authError('sign-in-rejected', `The sign-in page ${new URL(authorizationUrl).origin} is not on the hosted UI ${this.hostedUiOrigin}; check cognito.hostedUiBase.`);
    }
  }

  classify(url: string): NavigationKind {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return 'blocked';
    }
    // `origin` is "null" for opaque URLs (data:, about:blank, file:), which therefore never match.
    if (target.origin !== 'null' && target.origin === this.hostedUiOrigin) return 'hosted-ui';
    const cb = this.callback;
    if (target.protocol === cb.protocol && target.hostname === cb.hostname && target.port === cb.port && target.pathname === cb.pathname
      && target.username === '' && target.password === '') {
      return 'callback';
    }
    return 'blocked';
  }

  allows(url: string): boolean {
    return this.classify(url) !== 'blocked';
  }
}

/** Opening a new window from the login page: never inside the app; https links go to the system browser. */
export function externalLinkFor(url: string): string | undefined {
  try {
    return new URL(url).protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

export interface LoginWindowFlowOptions {
  readonly surface: LoginSurface;
  /** The registered loopback callback (cognito.redirectUri). */
  readonly redirectUri: string;
  /** cognito.hostedUiBase; @default the authorization URL's origin */
  readonly hostedUiBase?: string;
  /** The "use the system browser to sign in" setting, read at each sign-in. @default () => false */
  readonly useSystemBrowser?: () => boolean;
}

export interface LoginWindowSignInOptions {
  /** How long to wait for the user. @default CognitoAuth's (5 min) */
  readonly timeoutMs?: number;
  /** The app quits or the user pressed "Cancel" elsewhere: the sign-in ends with that reason. */
  readonly signal?: AbortSignal;
}

/** What is observable of a sign-in in progress (for the UI and tests). */
export interface LoginAttempt {
  readonly via: 'window' | 'system-browser';
  /** Navigations the window was refused, in order. */
  readonly blocked: readonly string[];
}

/** One sign-in in progress. */
interface Running {
  readonly promise: Promise<SignedIn>;
  readonly attempt: { readonly via: 'window' | 'system-browser'; readonly blocked: string[] };
  readonly stop: (reason: unknown) => void;
  window: LoginWindow | undefined;
  settled: boolean;
}

export class LoginWindowFlow {
  private readonly options: LoginWindowFlowOptions;
  private running: Running | undefined;

  constructor(options: LoginWindowFlowOptions) {
    this.options = options;
  }

  /** The sign-in in progress, if any. */
  get current(): LoginAttempt | undefined {
    return this.running?.attempt;
  }

  /** Signs in through `auth` in the login window (or the system browser); resolves once the session is stored. */
  signIn(auth: Pick<CognitoAuth, 'signIn'>, options: LoginWindowSignInOptions = {}): Promise<SignedIn> {
    if (this.running !== undefined) {
      this.running.window?.focus();
      return this.running.promise;
    }
    const controller = new AbortController();
    const outer = options.signal;
    const onOuterAbort = (): void => run.stop(outer?.reason);
    let resolvePromise!: (value: Promise<SignedIn>) => void;
    const run: Running = {
      promise: new Promise<SignedIn>((resolve) => {
        resolvePromise = resolve;
      }),
      attempt: { via: this.options.useSystemBrowser?.() === true ? 'system-browser' : 'window', blocked: [] },
      stop: (reason) => {
        if (!controller.signal.aborted) controller.abort(reason);
      },
      window: undefined,
      settled: false,
    };
    this.running = run;
    if (outer?.aborted === true) onOuterAbort();
    outer?.addEventListener('abort', onOuterAbort, { once: true });

    resolvePromise((async () => {
      try {
        return await auth.signIn({
          openUrl: (url) => this.show(run, url),
          signal: controller.signal,
          ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        });
      } finally {
        run.settled = true;
        outer?.removeEventListener('abort', onOuterAbort);
        if (this.running === run) this.running = undefined;
        // Success, failure or timeout: the window has done its job either way.
        run.window?.close();
        run.window = undefined;
      }
    })());
    return run.promise;
  }

  /** Ends the sign-in in progress (e.g. the app quits) with 'sign-in-cancelled', and closes its window. */
  cancel(): void {
    this.running?.stop(signInCancelled('Signing in was stopped'));
  }

  /** CognitoAuth's `openUrl`: the system browser, or a login window held to the navigation policy. */
  private async show(run: Running, url: string): Promise<void> {
    const { surface } = this.options;
    if (run.attempt.via === 'system-browser') {
      try {
        await surface.openExternal(url);
      } catch (err) {
        throw authError('sign-in-failed', 'Stratus could not open your web browser to sign in; turn off "Sign in with the system browser" to sign in inside Stratus.', err);
      }
      return;
    }
    const policy = new LoginNavigationPolicy(url, this.options.hostedUiBase ?? url, this.options.redirectUri);
    const window = surface.openWindow({
      willNavigate: (target) => {
        if (policy.allows(target)) return true;
        run.attempt.blocked.push(target);
        return false;
      },
      willOpenWindow: (target) => {
        const external = externalLinkFor(target);
        if (external !== undefined) surface.openExternal(external).catch(() => undefined);
      },
      didFailLoad: (target, description) => {
        // The callback page is the engine's own listener; only the hosted UI failing to load ends the sign-in.
        if (run.settled || policy.classify(target) !== 'hosted-ui') return;
        run.stop(authError('sign-in-unreachable', `The sign-in page at ${policy.hostedUiOrigin} could not be loaded (${description}); check your network connection and sign in again.`));
      },
      closed: () => {
        run.window = undefined;
        if (!run.settled) run.stop(signInCancelled());
      },
    });
    run.window = window;
    window.load(url);
  }
}
