/**
 * `stratus watch --ui` end to end (issue 8, transport 2): the real renderer in
 * real Chromium, over the status page's WebSocket, showing a real engine
 * syncing against the sandbox — no mocked engine. Saves a screenshot of each
 * state it reaches under test-results/.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, runCli } from '../../src/cli/runCli.js';
import { seriousAxeViolations } from '../support/axe.js';
import { launchChromium } from '../support/chromium.js';
import { startCliSandbox, type CliSandbox } from './cliSandbox.js';
import { until } from '../support/until.js';

const repo = resolve(import.meta.dirname, '../..');
const resultsDir = join(repo, 'test-results');

let world: CliSandbox;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(join(repo, 'out/renderer/index.html'))) throw new Error('out/renderer is missing: run "npm run build" first (npm test does).');
  world = await startCliSandbox('ui');
  browser = await launchChromium();
  await mkdir(resultsDir, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await world?.dispose();
});


describe('stratus watch --ui', () => {
  it('serves the real UI of a real engine: Checking or Syncing, then Up to date with the time of the check; a new file syncs; Not connected after it stops', async () => {
    const { sandbox, scratch, env, admin } = world;
    const folder = await mkdtemp(join(scratch, 'folder-'));
    const prefix = `ui-${randomUUID()}/`;
    await writeFile(join(folder, 'hello.txt'), 'hello from the status page test');
    const out: string[] = [];
    const err: string[] = [];
    const interrupt = new AbortController();
    const done = runCli([
      'watch', '--ui', '--auth', 'aws', '--endpoint', sandbox.info.s3Endpoint, '--bucket', sandbox.info.bucket,
      '--region', sandbox.info.region, '--prefix', prefix, '--folder', folder, '--debounce-ms', '200', '--poll-ms', '500',
    ], { stdout: (l) => out.push(l), stderr: (l) => err.push(l), version: 'test', env, cwd: scratch, signal: interrupt.signal });
    try {
      await until(() => out.some((l) => l.includes('status page: ')), 15_000, 'the status page line');
      const url = /status page: (\S+)/.exec(out.find((l) => l.includes('status page: ')) ?? '')?.[1] ?? '';
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);

      const page = await browser.newPage({ viewport: { width: 420, height: 560 } });
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      await page.goto(url);
      // The token was traded for a cookie: it is gone from the address bar.
      expect(page.url()).toBe(url.replace(/\?token=.*$/, ''));
      await page.waitForSelector('#status[aria-busy="false"]', { timeout: 10_000 }).catch((e: unknown) => {
        throw new Error(`the page never rendered a status (${problems.join(' | ')})`, { cause: e });
      });
      await expect.poll(() => page.textContent('#status-title'), { timeout: 15_000 }).toBe('Up to date');
      expect(await page.textContent('#status-checked')).toMatch(/^Last checked /);
      expect(await page.getAttribute('#status', 'data-sync')).toBe('up-to-date');
      await expect.poll(() => page.locator('#activity-list li').count()).toBeGreaterThan(0);
      expect(await page.textContent('#activity-list li:first-child .activity-path')).toBe('hello.txt');
      expect(await page.textContent('#activity-list li:first-child .activity-what')).toMatch(/^Uploaded · /);
      expect(await seriousAxeViolations(page)).toEqual([]);
      await page.screenshot({ path: join(resultsDir, 'status-page-up-to-date.png') });
      await page.emulateMedia({ colorScheme: 'dark' });
      expect(await seriousAxeViolations(page)).toEqual([]);
      await page.screenshot({ path: join(resultsDir, 'status-page-up-to-date-dark.png') });
      await page.emulateMedia({ colorScheme: 'light' });
      const keys = async (): Promise<string[]> => ((await admin.send(new ListObjectsV2Command({ Bucket: sandbox.info.bucket, Prefix: prefix }))).Contents ?? [])
        .map((o) => (o.Key ?? '').slice(prefix.length)).filter((k) => !k.startsWith('.stratus/'));
      expect(await keys()).toEqual(['hello.txt']);

      // A new file: the page leaves "Up to date" while it is checked and sent, and comes back to it after.
      const seen: string[] = [];
      await page.exposeFunction('__recordState', (s: string) => seen.push(s));
      await page.evaluate(() => {
        const status = document.getElementById('status');
        if (status === null) return;
        new MutationObserver(() => void (window as unknown as { __recordState: (s: string) => Promise<void> }).__recordState(status.dataset['sync'] ?? ''))
          .observe(status, { attributes: true, attributeFilter: ['data-sync'] });
      });
      await writeFile(join(folder, 'second.txt'), 'written while the page watched');
      await until(async () => (await keys()).includes('second.txt'), 10_000, 'the upload');
      await expect.poll(() => page.getAttribute('#status', 'data-sync'), { timeout: 10_000 }).toBe('up-to-date');
      expect(seen.some((s) => s === 'checking' || s === 'syncing')).toBe(true);
      expect(seen.at(-1)).toBe('up-to-date');
      await expect.poll(() => page.textContent('#activity-list li:first-child .activity-path')).toBe('second.txt');

      interrupt.abort();
      expect(await done).toBe(ExitCode.ok);
      await expect.poll(() => page.textContent('#status-title'), { timeout: 10_000 }).toBe('Not connected');
      await page.screenshot({ path: join(resultsDir, 'status-page-not-connected.png') });
      expect(problems).toEqual([]);
      expect(err).toEqual([]);
      await page.close();
    } finally {
      interrupt.abort();
      await done;
    }
  }, 60_000);

  it('refuses a bad --ui-port before starting anything', async () => {
    const err: string[] = [];
    const code = await runCli(['watch', '--ui-port', 'lots', '--auth', 'aws', '--bucket', 'b', '--region', 'us-east-1', '--prefix', 'p/', '--folder', world.scratch], {
      stdout: () => undefined, stderr: (l) => err.push(l), version: 'test', env: world.env, cwd: world.scratch,
    });
    expect(code).toBe(ExitCode.usage);
    expect(err).toEqual(['stratus: --ui-port must be a port number from 0 to 65535 (got "lots")']);
  });
});
