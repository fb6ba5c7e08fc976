/**
 * Helpers for the sign-in suites: a free loopback port for the callback, and a
 * "browser" that walks the sandbox hosted UI with fetch and then delivers the
 * callback to Stratus' loopback listener, optionally tampered with.
 */
import { CookieJar, signInWithFetch } from '../../sandbox/cognito/cognitoTestKit.js';

export { freePort } from '../../support/ports.js';
export { CookieJar };

export interface FetchBrowser {
  /** Pass as `openUrl`: signs in on the hosted UI and delivers the callback. */
  readonly open: (url: string) => void;
  /** Resolves when the callback was delivered (with the page Stratus answered), or rejects with what went wrong. */
  readonly done: Promise<{ status: number; page: string }>;
}

/** `jar`: pass one jar to several sign-ins to act as one browser (the hosted UI session is reused). */
export function fetchBrowser(
  user: { readonly username: string; readonly password: string },
  redirectUri: string,
  tamper: (callback: URL) => URL = (callback) => callback,
  jar: CookieJar = new CookieJar(),
): FetchBrowser {
  let open!: (url: string) => void;
  const done = new Promise<{ status: number; page: string }>((resolve, reject) => {
    open = (url) => {
      void (async () => {
        const result = await signInWithFetch(new URL(url), redirectUri, user.username, user.password, jar);
        if (result.callback === undefined) throw new Error(`the hosted UI did not reach the callback (last hop: ${result.hops.at(-1)?.url ?? '?'})`);
        const response = await fetch(tamper(result.callback));
        return { status: response.status, page: await response.text() };
      })().then(resolve, reject);
    };
  });
  done.catch(() => undefined);
  return { open: (url) => open(url), done };
}
