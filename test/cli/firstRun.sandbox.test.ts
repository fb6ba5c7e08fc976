/**
 * The first run through the status page (issue 8, transport 2), end to end in
 * real Chromium against the sandbox: `stratus watch --ui` with a cognito
 * config that names no folder and a user who never signed in → the page says
 * Welcome / Sign in → the sandbox's hosted UI (a real OpenID provider) signs
 * in → Choose the folder (a non-empty folder needs "Merge with the cloud",
 * after the page says nothing is deleted) → first sync → All set, Up to date,
 * with the files under `<identityId>/` and the folder saved in the config file.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../src/cli/config.js';
import { ExitCode, runCli } from '../../src/cli/runCli.js';
import { startSandbox, type Sandbox } from '../../sandbox/startSandbox.js';
import { freePort } from '../engine/auth/authTestKit.js';
import { seriousAxeViolations } from '../support/axe.js';
import { launchChromium } from '../support/chromium.js';
import { until } from '../support/until.js';

const repo = resolve(import.meta.dirname, '../..');
const shots = join(repo, 'test-results', 'first-run');

let scratch: string;
let sandbox: Sandbox;
let admin: S3Client;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(join(repo, 'out/renderer/index.html'))) throw new Error('out/renderer is missing: run "npm run build" first (npm test does).');
  scratch = await mkdtemp(join(tmpdir(), 'stratus-first-run-'));
  sandbox = await startSandbox({ dataDir: join(scratch, 'sandbox'), redirectPort: await freePort() });
  const { info } = sandbox;
  admin = new S3Client({
    region: info.region, endpoint: info.s3Endpoint, forcePathStyle: true,
    credentials: { accessKeyId: info.adminAccessKeyId, secretAccessKey: info.adminSecretAccessKey },
  });
  browser = await launchChromium();
  await mkdir(shots, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  admin?.destroy();
  await sandbox?.close();
  await rm(scratch, { recursive: true, force: true });
});

function user(name: string): { username: string; password: string } {
  const found = sandbox.info.users.find((u) => u.username === name);
  if (found === undefined) throw new Error(`no sandbox user ${name}`);
  return found;
}

describe('first run on the status page', () => {
  it('signs in through the hosted UI, asks before merging a non-empty folder, syncs, and saves the folder', async () => {
    const home = join(scratch, 'home');
    await mkdir(home, { recursive: true });
    const configFile = join(scratch, 'stratus.json');
    // The sandbox's config as an admin would hand it out: no folder in it.
    await writeFile(configFile, JSON.stringify(sandbox.info.stratusConfig, null, 2));
    expect(JSON.parse(await readFile(configFile, 'utf8')).folder).toBeUndefined();
    const folder = join(home, 'Work');
    await mkdir(folder);
    await writeFile(join(folder, 'local.txt'), 'was here before Stratus');

    const env: Env = { STRATUS_STATE_DIR: join(scratch, 'state'), HOME: home, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };
    const out: string[] = [];
    const err: string[] = [];
    const interrupt = new AbortController();
    const done = runCli(['watch', '--ui', '--config', configFile, '--debounce-ms', '150', '--poll-ms', '400'], {
      stdout: (l) => out.push(l), stderr: (l) => err.push(l), version: 'test', env, cwd: scratch, signal: interrupt.signal,
    });
    try {
      await until(() => out.some((l) => l.includes('status page: ')), 15_000, 'the status page line');
      expect(out.some((l) => l.includes('first run: open the status page to sign in and choose the folder to sync'))).toBe(true);
      const url = /status page: (\S+)/.exec(out.find((l) => l.includes('status page: ')) ?? '')?.[1] ?? '';
      const context = await browser.newContext({ viewport: { width: 520, height: 700 } });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(url);
      await page.waitForSelector('#setup:not([hidden])');
      expect(await page.textContent('#setup-title')).toBe('Welcome to Stratus');
      expect(await page.textContent('#status-title')).toBe('Not signed in');
      // Nothing to control yet.
      expect(await page.isHidden('#controls')).toBe(true);
      expect(await seriousAxeViolations(page)).toEqual([]);
      await page.screenshot({ path: join(shots, '1-sign-in.png'), fullPage: true });

      // Sign in: the page offers the hosted UI's address; the sandbox's hosted UI signs in.
      await page.click('#setup [data-action="sign-in"]');
      const link = page.locator('#sign-in-link');
      await link.waitFor();
      const signInUrl = new URL((await link.getAttribute('href')) ?? '');
      expect(signInUrl.origin).toBe(sandbox.info.hostedUiBase);
      expect(signInUrl.searchParams.get('code_challenge_method')).toBe('S256');
      expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
      const [hosted] = await Promise.all([context.waitForEvent('page'), link.click()]);
      await hosted.locator('#username').fill(user('ada').username);
      await hosted.locator('#password').fill(user('ada').password);
      await hosted.getByRole('button', { name: 'Sign in' }).click();
      await hosted.getByRole('heading', { name: 'Signed in to Stratus' }).waitFor();
      await hosted.close();

      // Choose the folder: the default is a new folder under home; a non-empty one needs a second yes.
      await expect.poll(() => page.textContent('#setup-title'), { timeout: 15_000 }).toBe('Choose the folder to sync');
      expect(await page.inputValue('#folder-path')).toBe(join(home, 'Stratus'));
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('folder-path');
      expect(await page.textContent('#status-title')).toBe('Signed in');
      expect(await seriousAxeViolations(page)).toEqual([]);
      await page.screenshot({ path: join(shots, '2-choose-folder.png'), fullPage: true });
      await page.fill('#folder-path', folder);
      await page.keyboard.press('Enter');
      const question = page.locator('#setup .setup-result p');
      await question.waitFor();
      expect(await question.textContent()).toBe(`${folder} already holds 1 item. They will be merged with what is in your cloud storage; nothing will be deleted, here or in the cloud.`);
      await page.screenshot({ path: join(shots, '3-merge-question.png'), fullPage: true });
      // Something is already in the cloud for ada: it must end up beside the local file.
      const identityId = sandbox.identityIdFor('ada') ?? '?';
      const prefix = `${identityId}/`;
      await admin.send(new PutObjectCommand({ Bucket: sandbox.info.bucket, Key: `${prefix}from-cloud.txt`, Body: 'already in the cloud' }));
      expect(await page.evaluate(() => document.activeElement?.getAttribute('data-action'))).toBe('merge-folder');
      await page.keyboard.press('Enter');

      // First sync, then done.
      await expect.poll(() => page.textContent('#setup-title'), { timeout: 20_000 }).toBe('All set');
      await expect.poll(() => page.getAttribute('#status', 'data-sync'), { timeout: 15_000 }).toBe('up-to-date');
      expect(await page.isVisible('#controls')).toBe(true);
      expect(await seriousAxeViolations(page)).toEqual([]);
      await page.screenshot({ path: join(shots, '4-all-set.png'), fullPage: true });
      const keys = ((await admin.send(new ListObjectsV2Command({ Bucket: sandbox.info.bucket, Prefix: prefix }))).Contents ?? [])
        .map((o) => (o.Key ?? '').slice(prefix.length)).filter((k) => !k.startsWith('.stratus/')).sort();
      expect(keys).toEqual(['from-cloud.txt', 'local.txt']);
      expect(await readFile(join(folder, 'from-cloud.txt'), 'utf8')).toBe('already in the cloud');
      expect(await readFile(join(folder, 'local.txt'), 'utf8')).toBe('was here before Stratus');
      // The folder is kept for the next start, in the config file that was used (other fields untouched).
      const saved = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
      expect(saved).toEqual({ ...sandbox.info.stratusConfig, folder });
      expect(out.some((l) => l.includes(`The folder is saved in ${configFile}.`))).toBe(true);
      // The Account screen names the identity and the prefix.
      await page.click('#tab-account');
      expect(await page.locator('#account-facts').textContent()).toContain(prefix);
      expect(problems).toEqual([]);
      await context.close();

      interrupt.abort();
      expect(await done).toBe(ExitCode.ok);
      expect(err).toEqual([]);
    } finally {
      interrupt.abort();
      await done;
    }
  }, 120_000);

  it('stops cleanly with Ctrl-C while the first run waits, and still reports other setting problems at once', async () => {
    const configFile = join(scratch, 'waiting.json');
    await writeFile(configFile, JSON.stringify(sandbox.info.stratusConfig, null, 2));
    const env: Env = { STRATUS_STATE_DIR: join(scratch, 'state-waiting'), HOME: scratch, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };
    const out: string[] = [];
    const interrupt = new AbortController();
    const done = runCli(['watch', '--ui', '--config', configFile], { stdout: (l) => out.push(l), stderr: () => undefined, version: 'test', env, cwd: scratch, signal: interrupt.signal });
    await until(() => out.some((l) => l.includes('first run: ')), 15_000, 'the first-run line');
    interrupt.abort();
    expect(await done).toBe(ExitCode.ok);

    // A setting that is wrong (not merely unchosen) is reported at once, as without --ui: no page waits for it.
    const broken = join(scratch, 'broken.json');
    await writeFile(broken, JSON.stringify({ ...sandbox.info.stratusConfig, bucket: 'Not A Bucket!' }, null, 2));
    const err: string[] = [];
    const lines: string[] = [];
    const code = await runCli(['watch', '--ui', '--config', broken], { stdout: (l) => lines.push(l), stderr: (l) => err.push(l), version: 'test', env, cwd: scratch });
    expect(code).toBe(ExitCode.usage);
    expect(lines).toEqual([]);
    expect(err.join('\n')).toMatch(/bucket/);
  }, 60_000);
});
