/**
 * `stratus login / whoami / sync --once / logout` in cognito mode against the
 * sandbox, with the sandbox's own stratus.json unchanged:
 * - end to end: the built bin prints the sign-in URL as its first line, real
 *   Chromium signs in on the hosted UI, the CLI exits 0; the vault file is
 *   0600 and holds no ID/access token; sync writes under <identityId>/;
 *   whoami reports the user; a second login in the same browser revokes the
 *   first refresh token; logout ends on the CLI's "You are signed out" page;
 * - in-process (runCli, hosted UI walked by fetch): not signed in, a forced
 *   prefix, a revoked session, a busy callback port, login over another
 *   user's sign-in, logout (with and without a browser coming back).
 * Skips the browser part, saying why, when no Chromium is installed.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../src/cli/config.js';
import { ExitCode, runCli } from '../../src/cli/runCli.js';
import type { WhoamiJson } from '../../src/cli/commands/whoami.js';
import { startSandbox, type Sandbox } from '../../sandbox/startSandbox.js';
import { CHROMIUM_PATH, launchChromium } from '../support/chromium.js';
import { signInWithFetch } from '../sandbox/cognito/cognitoTestKit.js';
import { freePort } from '../engine/auth/authTestKit.js';

const repo = resolve(import.meta.dirname, '../..');
const bin = join(repo, 'bin/stratus.js');
const hasChromium = existsSync(CHROMIUM_PATH);
if (!hasChromium) console.warn(`[skip] stratus login end to end in Chromium: no Chromium at ${CHROMIUM_PATH} (set STRATUS_CHROMIUM)`);

let scratch: string;
let sandbox: Sandbox;
let configFile: string;
let admin: S3Client;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'stratus-cli-login-'));
  sandbox = await startSandbox({ dataDir: join(scratch, 'sandbox'), redirectPort: await freePort() });
  configFile = join(scratch, 'stratus.json');
  await writeFile(configFile, JSON.stringify(sandbox.info.stratusConfig, null, 2));
  const { info } = sandbox;
  admin = new S3Client({
    region: info.region, endpoint: info.s3Endpoint, forcePathStyle: true,
    credentials: { accessKeyId: info.adminAccessKeyId, secretAccessKey: info.adminSecretAccessKey },
  });
});

afterAll(async () => {
  admin?.destroy();
  await sandbox?.close();
  await rm(scratch, { recursive: true, force: true });
});

interface Run {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

/** runCli in-process with a hermetic environment (state dir, HOME) and the sandbox config. */
async function stratus(stateDir: string, argv: readonly string[], onLine?: (line: string) => void, signal?: AbortSignal): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const env: Env = { STRATUS_STATE_DIR: stateDir, HOME: scratch, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };
  const code = await runCli([...argv, '--config', configFile], {
    stdout: (line) => {
      out.push(line);
      onLine?.(line);
    },
    stderr: (line) => err.push(line),
    version: 'test',
    env,
    cwd: scratch,
    ...(signal === undefined ? {} : { signal }),
  });
  return { code, out, err };
}

function user(name: string): { username: string; password: string } {
  const found = sandbox.info.users.find((u) => u.username === name);
  if (found === undefined) throw new Error(`no sandbox user ${name}`);
  return found;
}

/** `stratus login --no-browser` in-process, the hosted UI walked by fetch from the printed URL. */
async function loginWithFetch(stateDir: string, name: string, ...extra: string[]): Promise<Run> {
  let delivered: Promise<void> | undefined;
  const run = await stratus(stateDir, ['login', '--no-browser', ...extra], (line) => {
    if (delivered !== undefined || !line.startsWith('http')) return;
    delivered = (async () => {
      const { redirectUri } = sandbox.info;
      const result = await signInWithFetch(new URL(line), redirectUri, user(name).username, user(name).password);
      if (result.callback === undefined) throw new Error('the hosted UI did not reach the callback');
      await fetch(result.callback);
    })();
  });
  await delivered;
  return run;
}

/** `stratus logout --no-browser` in-process; a fetch "browser" opens the printed URL and follows it to the CLI's page. */
async function logoutWithFetch(stateDir: string): Promise<Run & { page?: { url: string; status: number; text: string } }> {
  let visited: Promise<{ url: string; status: number; text: string }> | undefined;
  const run = await stratus(stateDir, ['logout', '--no-browser'], (line) => {
    if (visited !== undefined || !line.startsWith('http')) return;
    visited = fetch(line).then(async (response) => ({ url: response.url, status: response.status, text: await response.text() }));
  });
  return { ...run, ...(visited === undefined ? {} : { page: await visited }) };
}

function storedRefreshToken(file: string): Promise<string> {
  return readFile(file, 'utf8').then((text) => (JSON.parse(text) as { session: { refreshToken: string } }).session.refreshToken);
}

async function sessionFiles(stateDir: string): Promise<string[]> {
  const dir = join(stateDir, 'sessions');
  return existsSync(dir) ? (await readdir(dir)).map((name) => join(dir, name)) : [];
}

async function remoteKeys(prefix: string): Promise<string[]> {
  const out = await admin.send(new ListObjectsV2Command({ Bucket: sandbox.info.bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => (o.Key ?? '').slice(prefix.length)).sort();
}

describe.skipIf(!hasChromium)('stratus login end to end (built bin, Chromium)', () => {
  let browser: Browser;
  beforeAll(async () => {
    if (!existsSync(join(repo, 'out/tsc/src/cli/index.js'))) {
      throw new Error('out/tsc is missing: run "npm run build" (or "npx tsc -b") first; npm test does.');
    }
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('signs in through the browser, then syncs under <identityId>/ and reports the user', async () => {
    const stateDir = join(scratch, 'state-e2e');
    const child = spawn(process.execPath, [bin, 'login', '--no-browser', '--config', configFile], {
      env: { STRATUS_STATE_DIR: stateDir, HOME: scratch, PATH: process.env['PATH'] ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const stdout: string[] = [];
    const stderr: string[] = [];
    createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
    const firstLine = new Promise<string>((done) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        stdout.push(line);
        if (stdout.length === 1) done(line);
      });
    });
    try {
      const url = new URL(await firstLine);
      expect(url.origin).toBe(sandbox.info.hostedUiBase);
      expect(url.pathname).toBe('/oauth2/authorize');
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');
      for (const name of ['state', 'nonce', 'code_challenge']) expect(url.searchParams.get(name)).toMatch(/.{20,}/);

      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(url.href);
        await page.locator('#username').fill(user('ada').username);
        await page.locator('#password').fill(user('ada').password);
        await page.getByRole('button', { name: 'Sign in' }).click();
        // The loopback listener's answer page (waits for the redirect to land there).
        await page.getByRole('heading', { name: 'Signed in to Stratus' }).waitFor();
        expect(await page.textContent('body')).toContain('You can close this window');
      } finally {
        await context.close();
      }
      expect(await exited, stderr.join('\n')).toBe(0);
    } finally {
      child.kill();
    }
    const identityId = sandbox.identityIdFor('ada') ?? '?';
    expect(stdout[1]).toBe(`signed in as ada (ada@example.com); your files sync to s3://${sandbox.info.bucket}/${identityId}/`);
    expect(stdout[2]).toContain('plain file that only your user account can read (mode 0600)');

    // The vault: one 0600 file in a 0700 folder, holding the refresh token and no ID/access token.
    const [file, ...others] = await sessionFiles(stateDir);
    expect(others).toEqual([]);
    if (file === undefined) throw new Error('no vault file');
    expect(stdout[2]).toContain(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    const text = await readFile(file, 'utf8');
    expect(text).toContain('"refreshToken"');
    expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
    expect(text).not.toMatch(/idToken|accessToken|id_token|access_token/i);

    // Sync in cognito mode writes under <identityId>/ (seen with the admin key).
    const folder = await mkdtemp(join(scratch, 'folder-'));
    await writeFile(join(folder, 'hello.txt'), 'hello from ada');
    const sync = await stratus(stateDir, ['sync', '--once', '--folder', folder]);
    expect(sync.err).toEqual([]);
    expect(sync.code).toBe(ExitCode.ok);
    expect(sync.out[0]).toContain(`s3://${sandbox.info.bucket}/${identityId}/`);
    expect(await remoteKeys(`${identityId}/`)).toContain('hello.txt');

    const whoami = await stratus(stateDir, ['whoami', '--json']);
    expect(whoami.err).toEqual([]);
    expect(whoami.code).toBe(ExitCode.ok);
    const json = JSON.parse(whoami.out[0] ?? '{}') as WhoamiJson;
    expect(json).toMatchObject({ user: 'ada', email: 'ada@example.com', identityId, prefix: `${identityId}/`, vaultFile: file });
    expect(Date.parse(json.idTokenExpiresAt ?? '')).toBeGreaterThan(Date.now());
    expect(whoami.out.join('\n')).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
  });

  it('signs in again in the same browser (revoking the old token), then signs out onto "You are signed out"', async () => {
    const stateDir = join(scratch, 'state-e2e-again');
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const first = await loginInBrowser(page, stateDir);
      expect(first.signInFormShown).toBe(true);
      const [file] = await sessionFiles(stateDir);
      if (file === undefined) throw new Error('no vault file');
      const oldToken = await storedRefreshToken(file);

      // The hosted UI still has its session: the second login passes without the form.
      const second = await loginInBrowser(page, stateDir);
      expect(second.signInFormShown).toBe(false);
      expect(second.stdout[2]).toBe('the previous sign-in (ada) was replaced and revoked at the user pool');
      const newToken = await storedRefreshToken(file);
      expect(newToken).not.toBe(oldToken);
      const config = await oidc.discovery(new URL(sandbox.info.issuer), sandbox.info.clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
      await expect(oidc.refreshTokenGrant(config, oldToken)).rejects.toMatchObject({ error: 'invalid_grant' });
      expect((await stratus(stateDir, ['whoami'])).code).toBe(ExitCode.ok);

      // Logout: the browser follows the printed URL through the hosted UI to the CLI's own page.
      const logout = spawnStratus(stateDir, ['logout', '--no-browser']);
      try {
        const url = new URL(await logout.firstLine);
        expect(`${url.origin}${url.pathname}`).toBe(`${sandbox.info.hostedUiBase}/logout`);
        expect(url.searchParams.get('logout_uri')).toBe(sandbox.info.logoutUri);
        await page.goto(url.href);
        await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
        expect(page.url()).toBe(sandbox.info.logoutUri);
        expect(await page.textContent('body')).toContain('You can close this window');
        expect(await logout.exited, logout.stderr.join('\n')).toBe(0);
      } finally {
        logout.child.kill();
      }
      expect(logout.stdout[1]).toContain('signed out ada: the refresh token was revoked');
      expect(await sessionFiles(stateDir)).toEqual([]);
      await expect(oidc.refreshTokenGrant(config, newToken)).rejects.toMatchObject({ error: 'invalid_grant' });

      // The hosted UI session ended too: the next sign-in asks for the password again.
      const third = await loginInBrowser(page, stateDir);
      expect(third.signInFormShown).toBe(true);
    } finally {
      await context.close();
    }
  });
});

interface Spawned {
  readonly child: ReturnType<typeof spawn>;
  readonly firstLine: Promise<string>;
  readonly exited: Promise<number | null>;
  readonly stdout: string[];
  readonly stderr: string[];
}

/** The built bin as a user runs it, with a hermetic environment. */
function spawnStratus(stateDir: string, argv: readonly string[]): Spawned {
  const child = spawn(process.execPath, [bin, ...argv, '--config', configFile], {
    env: { STRATUS_STATE_DIR: stateDir, HOME: scratch, PATH: process.env['PATH'] ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const stdout: string[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
  const firstLine = new Promise<string>((done) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      stdout.push(line);
      if (stdout.length === 1) done(line);
    });
  });
  return { child, firstLine, exited, stdout, stderr };
}

/** `stratus login --no-browser` with `page` as the browser; signs in as ada if the hosted UI asks. */
async function loginInBrowser(page: Page, stateDir: string): Promise<{ stdout: string[]; signInFormShown: boolean }> {
  const login = spawnStratus(stateDir, ['login', '--no-browser']);
  try {
    await page.goto(await login.firstLine);
    const done = page.getByRole('heading', { name: 'Signed in to Stratus' });
    const form = page.locator('#password');
    await Promise.race([done.waitFor(), form.waitFor()]);
    const signInFormShown = await form.isVisible();
    if (signInFormShown) {
      await page.locator('#username').fill(user('ada').username);
      await form.fill(user('ada').password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await done.waitFor();
    }
    expect(await login.exited, login.stderr.join('\n')).toBe(0);
    return { stdout: login.stdout, signInFormShown };
  } finally {
    login.child.kill();
  }
}

describe('stratus sign-in commands in-process', () => {
  it('says "not signed in" (exit 2) to sync and whoami before any login, without network', async () => {
    const stateDir = join(scratch, 'state-none');
    const folder = await mkdtemp(join(scratch, 'folder-'));
    const sync = await stratus(stateDir, ['sync', '--once', '--folder', folder]);
    expect(sync).toMatchObject({ code: ExitCode.usage, err: ['stratus: not signed in; run stratus login'] });
    const whoami = await stratus(stateDir, ['whoami']);
    expect(whoami).toMatchObject({ code: ExitCode.usage, err: ['stratus: not signed in; run stratus login'] });
    const logout = await stratus(stateDir, ['logout', '--no-browser']);
    expect(logout.code).toBe(ExitCode.ok);
    expect(logout.out).toHaveLength(1);
    expect(logout.out[0]).toContain('not signed in');
  });

  it('refuses a prefix in cognito mode: the prefix is the identity', async () => {
    const folder = await mkdtemp(join(scratch, 'folder-'));
    const run = await stratus(join(scratch, 'state-prefix'), ['sync', '--once', '--folder', folder, '--prefix', 'someone-else/']);
    expect(run.code).toBe(ExitCode.usage);
    expect(run.err).toEqual(['stratus: a prefix (from --prefix) cannot be used with auth "cognito": the prefix is your identity ID (<identityId>/), set by signing in; remove it']);
  });

  it('refuses login for auth "aws" with one line', async () => {
    const run = await stratus(join(scratch, 'state-aws'), ['login', '--no-browser', '--auth', 'aws']);
    expect(run.code).toBe(ExitCode.usage);
    expect(run.err).toHaveLength(1);
    expect(run.err[0]).toMatch(/^stratus: signing in is for auth "cognito"/);
  });

  it('names the busy callback port (exit 2) and prints no URL', async () => {
    const port = Number(new URL(sandbox.info.redirectUri).port);
    const squatter: Server = createServer();
    await new Promise<void>((done) => squatter.listen(port, '127.0.0.1', done));
    try {
      const run = await stratus(join(scratch, 'state-busy'), ['login', '--no-browser']);
      expect(run.code).toBe(ExitCode.usage);
      expect(run.out).toEqual([]);
      expect(run.err).toHaveLength(1);
      expect(run.err[0]).toContain(`Port ${port}`);
    } finally {
      await new Promise<void>((done) => squatter.close(() => done()));
    }
  });

  it('reports a revoked session as signed out (exit 2), and logout revokes and clears the vault', async () => {
    const stateDir = join(scratch, 'state-grace');
    const login = await loginWithFetch(stateDir, 'grace', '--verbose');
    expect(login.err.filter((l) => l.startsWith('stratus:'))).toEqual([]);
    expect(login.code).toBe(ExitCode.ok);
    // Debug logs say what happened, never with a token, an authorization code or the sign-in URL.
    expect(login.err.some((l) => l.includes('"signed in"'))).toBe(true);
    expect(login.err.join('\n')).not.toMatch(/eyJ[\w-]+\.|code=|code_challenge|refresh_?token"?:\s*"[^[]/i);
    const [file] = await sessionFiles(stateDir);
    if (file === undefined) throw new Error('no vault file');
    const { session } = JSON.parse(await readFile(file, 'utf8')) as { session: { refreshToken: string } };

    // Revoked behind the CLI's back (another device signed out): the next run says so.
    const config = await oidc.discovery(new URL(sandbox.info.issuer), sandbox.info.clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    await oidc.tokenRevocation(config, session.refreshToken);
    const folder = await mkdtemp(join(scratch, 'folder-'));
    const sync = await stratus(stateDir, ['sync', '--once', '--folder', folder]);
    expect(sync).toMatchObject({ code: ExitCode.usage, err: ['stratus: You are signed out (your session expired or was revoked); run `stratus login`.'] });

    // Sign in again, then log out: the token is revoked (a refresh fails) and the vault is empty.
    expect((await loginWithFetch(stateDir, 'grace')).code).toBe(ExitCode.ok);
    const { session: second } = JSON.parse(await readFile(file, 'utf8')) as { session: { refreshToken: string } };
    const logout = await logoutWithFetch(stateDir);
    expect(logout.err.filter((l) => l.startsWith('stratus:'))).toEqual([]);
    expect(logout.code).toBe(ExitCode.ok);
    // The hosted UI sent the browser on to the sign-out URL, and the CLI answered it.
    expect(logout.page).toMatchObject({ url: sandbox.info.logoutUri, status: 200 });
    expect(logout.page?.text).toContain('You are signed out');
    const logoutUrl = new URL(logout.out[0] ?? '');
    expect(`${logoutUrl.origin}${logoutUrl.pathname}`).toBe(`${sandbox.info.hostedUiBase}/logout`);
    expect(logoutUrl.searchParams.get('client_id')).toBe(sandbox.info.clientId);
    expect(logoutUrl.searchParams.get('logout_uri')).toBe(sandbox.info.logoutUri);
    expect(await sessionFiles(stateDir)).toEqual([]);
    await expect(oidc.refreshTokenGrant(config, second.refreshToken)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await stratus(stateDir, ['whoami'])).toMatchObject({ code: ExitCode.usage, err: ['stratus: not signed in; run stratus login'] });
  });

  it('revokes the stored sign-in when another user logs in over it', async () => {
    const stateDir = join(scratch, 'state-switch');
    expect((await loginWithFetch(stateDir, 'ada')).code).toBe(ExitCode.ok);
    const [file] = await sessionFiles(stateDir);
    if (file === undefined) throw new Error('no vault file');
    const adaToken = await storedRefreshToken(file);
    const grace = await loginWithFetch(stateDir, 'grace');
    expect(grace.err.filter((l) => l.startsWith('stratus:'))).toEqual([]);
    expect(grace.code).toBe(ExitCode.ok);
    expect(grace.out[1]).toMatch(/^signed in as grace/);
    expect(grace.out[2]).toBe('the previous sign-in (ada) was replaced and revoked at the user pool');
    const config = await oidc.discovery(new URL(sandbox.info.issuer), sandbox.info.clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    await expect(oidc.refreshTokenGrant(config, adaToken)).rejects.toMatchObject({ error: 'invalid_grant' });
    const whoami = await stratus(stateDir, ['whoami', '--json']);
    expect(JSON.parse(whoami.out[0] ?? '{}')).toMatchObject({ user: 'grace' });
  });

  it('logout without a browser coming back: signed out at once, and Ctrl-C ends the wait quietly', async () => {
    const stateDir = join(scratch, 'state-nobody');
    expect((await loginWithFetch(stateDir, 'ada')).code).toBe(ExitCode.ok);
    const controller = new AbortController();
    const started = Date.now();
    const logout = await stratus(stateDir, ['logout', '--no-browser'], (line) => {
      // The sign-out is complete once the summary line is printed; only the wait for the page remains.
      if (line.startsWith('signed out ')) setTimeout(() => controller.abort(), 300);
    }, controller.signal);
    expect(logout.code).toBe(ExitCode.ok);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(logout.err.filter((l) => l.startsWith('stratus:'))).toEqual([]);
    expect(logout.err.join('\n')).toContain('waiting up to 2 minutes');
    expect(await sessionFiles(stateDir)).toEqual([]);
    // Nothing listens any more once the CLI returned.
    await expect(fetch(sandbox.info.logoutUri)).rejects.toThrow();
  });

  it('logout still signs out when the sign-out page\'s port is taken, and says the page will fail', async () => {
    const stateDir = join(scratch, 'state-logout-busy');
    expect((await loginWithFetch(stateDir, 'ada')).code).toBe(ExitCode.ok);
    const port = Number(new URL(sandbox.info.redirectUri).port);
    const squatter: Server = createServer();
    await new Promise<void>((done) => squatter.listen(port, '127.0.0.1', done));
    try {
      const logout = await stratus(stateDir, ['logout', '--no-browser']);
      expect(logout.code).toBe(ExitCode.ok);
      expect(logout.out[0]).toMatch(/\/logout\?/);
      expect(logout.err[0]).toContain(`Port ${port}`);
      expect(logout.err[1]).toContain('you are signed out all the same');
      expect(await sessionFiles(stateDir)).toEqual([]);
    } finally {
      await new Promise<void>((done) => squatter.close(() => done()));
    }
  });
});
