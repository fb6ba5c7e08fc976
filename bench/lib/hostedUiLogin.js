// Signs the CLI in against the sandbox's Cognito-like hosted UI without a browser:
// runs `stratus login --no-browser`, takes the sign-in URL it prints, walks the hosted
// UI with plain HTTP (redirects by hand, a one-host cookie jar, the sign-in form POSTed)
// and finally requests the callback URL, which the CLI's loopback server is waiting for.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** Enough of a cookie jar for one sign-in on one host. */
class Cookies {
  #map = new Map();
  header() {
    return [...this.#map].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  take(response) {
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.#map.delete(pair.slice(0, eq).trim());
      else this.#map.set(pair.slice(0, eq).trim(), value);
    }
  }
}

async function request(jar, url, init = {}) {
  const headers = new Headers(init.headers);
  const cookie = jar.header();
  if (cookie) headers.set('cookie', cookie);
  const res = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.take(res);
  const location = res.headers.get('location');
  return { url, status: res.status, location: location === null ? undefined : new URL(location, url).href, body: await res.text() };
}

/** Follows redirects until one points at `stop` (returned as `callback`) or a page is served. */
async function walk(jar, url, stop, init) {
  let hop = await request(jar, url, init);
  for (let i = 0; i < 12 && hop.location !== undefined; i++) {
    if (hop.location.startsWith(stop)) return { callback: hop.location, page: hop };
    hop = await request(jar, hop.location);
  }
  return { page: hop };
}

/**
 * @param {{ repoRoot: string, configFile: string, env: Record<string,string>, redirectUri: string, username: string, password: string }} o
 * @returns {Promise<void>} resolves once `stratus login` exited 0
 */
export async function loginWithHostedUi(o) {
  const child = spawn(process.execPath, [join(o.repoRoot, 'bin/stratus.js'), 'login', '--no-browser', '--config', o.configFile], {
    env: o.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  const url = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', resolve);
    exited.then((code) => reject(new Error(`stratus login exited (${code}) before printing the sign-in URL: ${stderr.slice(-500)}`)));
  });
  try {
    const jar = new Cookies();
    let { callback, page } = await walk(jar, url, o.redirectUri);
    if (callback === undefined) {
      const action = /<form method="post" action="([^"]+)"/.exec(page.body)?.[1];
      if (action === undefined) throw new Error(`the hosted UI served no sign-in form (HTTP ${page.status} at ${page.url})`);
      ({ callback } = await walk(jar, new URL(action.replaceAll('&#38;', '&').replaceAll('&amp;', '&'), page.url).href, o.redirectUri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: o.username, password: o.password }).toString(),
      }));
    }
    if (callback === undefined) throw new Error('the hosted UI did not redirect to the callback after the sign-in form');
    await fetch(callback);
  } catch (err) {
    child.kill('SIGINT');
    await exited;
    throw err;
  }
  const code = await exited;
  if (code !== 0) throw new Error(`stratus login exited with ${code}: ${stderr.slice(-500)}`);
}
