/**
 * The status window's flows end to end (issue 8): the real renderer in real
 * Chromium, over the status page's WebSocket (transport 2), driving a real
 * engine (`stratus watch --ui`) against the sandbox S3 — no mocked engine.
 * Each flow is driven from the page (buttons, keyboard), checked on disk and
 * in the bucket, and checked with axe; each state reached saves a screenshot
 * under test-results/status-flows/.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, runCli } from '../../src/cli/runCli.js';
import { seriousAxeViolations } from '../support/axe.js';
import { launchChromium } from '../support/chromium.js';
import { until } from '../support/until.js';
import { startCliSandbox, type CliSandbox } from './cliSandbox.js';

const repo = resolve(import.meta.dirname, '../..');
const shots = join(repo, 'test-results', 'status-flows');

let world: CliSandbox;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(join(repo, 'out/renderer/index.html'))) throw new Error('out/renderer is missing: run "npm run build" first (npm test does).');
  world = await startCliSandbox('flows');
  browser = await launchChromium();
  await mkdir(shots, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await world?.dispose();
});

interface Watching {
  readonly folder: string;
  readonly prefix: string;
  readonly page: Page;
  readonly problems: string[];
  /** Keys under the prefix (engine files left out), sorted. */
  keys(): Promise<string[]>;
  cloudText(path: string): Promise<string>;
  state(): Promise<string | null>;
  shot(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** `stratus watch --ui` on a new folder and prefix, with the page open and showing a first completed check. */
async function watch(label: string, prepare?: (folder: string) => Promise<void>): Promise<Watching> {
  const { sandbox, scratch, env, admin } = world;
  const folder = await mkdtemp(join(scratch, `${label}-`));
  const prefix = `${label}-${randomUUID()}/`;
  await prepare?.(folder);
  const out: string[] = [];
  const interrupt = new AbortController();
  const done = runCli([
    'watch', '--ui', '--auth', 'aws', '--endpoint', sandbox.info.s3Endpoint, '--bucket', sandbox.info.bucket,
    '--region', sandbox.info.region, '--prefix', prefix, '--folder', folder, '--debounce-ms', '150', '--poll-ms', '400',
  ], { stdout: (l) => out.push(l), stderr: () => undefined, version: 'test', env, cwd: scratch, signal: interrupt.signal });
  const stop = async (): Promise<void> => {
    interrupt.abort();
    expect(await done).toBe(ExitCode.ok);
  };
  try {
    await until(() => out.some((l) => l.includes('status page: ')), 15_000, 'the status page line');
    const url = /status page: (\S+)/.exec(out.find((l) => l.includes('status page: ')) ?? '')?.[1] ?? '';
    const page = await browser.newPage({ viewport: { width: 520, height: 760 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(url);
    await page.waitForSelector('#status[aria-busy="false"]', { timeout: 10_000 });
    await expect.poll(() => page.locator('#status-checked').textContent(), { timeout: 20_000 }).toMatch(/^Last checked/);
    const keys = async (): Promise<string[]> => ((await admin.send(new ListObjectsV2Command({ Bucket: sandbox.info.bucket, Prefix: prefix }))).Contents ?? [])
      .map((o) => (o.Key ?? '').slice(prefix.length)).filter((k) => !k.startsWith('.stratus/')).sort();
    return {
      folder, prefix, page, problems, keys,
      cloudText: async (path) => (await (await admin.send(new GetObjectCommand({ Bucket: sandbox.info.bucket, Key: `${prefix}${path}` }))).Body?.transformToString()) ?? '',
      state: () => page.getAttribute('#status', 'data-sync'),
      shot: async (name) => {
        await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
      },
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/** Local files, engine folder left out, sorted. */
async function localFiles(folder: string): Promise<string[]> {
  return (await readdir(folder)).filter((n) => n !== '.stratus').sort();
}

describe('status window flows against a real engine', () => {
  it('pauses from the page (keyboard only) and resumes: nothing is sent while paused, everything after', async () => {
    const w = await watch('pause');
    try {
      await expect.poll(w.state, { timeout: 15_000 }).toBe('up-to-date');
      // Keyboard alone: focus the pause choice, pick "until I resume", tab to Pause, press Enter.
      await w.page.focus('#pause-for');
      await w.page.keyboard.press('End');
      expect(await w.page.inputValue('#pause-for')).toBe('0');
      await w.page.keyboard.press('Tab');
      expect(await w.page.evaluate(() => document.activeElement?.id)).toBe('pause');
      await w.page.keyboard.press('Enter');
      await expect.poll(w.state, { timeout: 10_000 }).toBe('paused');
      expect(await w.page.textContent('.status-detail')).toContain('until you resume');
      expect(await seriousAxeViolations(w.page)).toEqual([]);
      await w.shot('paused');

      await writeFile(join(w.folder, 'while-paused.txt'), 'kept until resume');
      // Long enough for debounce + a run, were it not paused.
      await new Promise((r) => setTimeout(r, 1500));
      expect(await w.keys()).toEqual([]);
      expect(await w.state()).toBe('paused');

      await w.page.focus('#resume');
      await w.page.keyboard.press('Enter');
      await until(async () => (await w.keys()).includes('while-paused.txt'), 15_000, 'the upload after resume');
      await expect.poll(w.state, { timeout: 15_000 }).toBe('up-to-date');

      // A timed pause names its end.
      await w.page.selectOption('#pause-for', '30');
      await w.page.click('#pause');
      await expect.poll(w.state, { timeout: 10_000 }).toBe('paused');
      expect(await w.page.textContent('.status-detail')).toMatch(/paused until \d\d:\d\d/);
      // "Sync now" is hidden while paused; Resume is offered.
      expect(await w.page.isVisible('#sync-now')).toBe(false);
      await w.page.click('#resume');
      await expect.poll(w.state, { timeout: 15_000 }).toBe('up-to-date');
      expect(w.problems).toEqual([]);
    } finally {
      await w.stop();
    }
  }, 90_000);

  it('shows Offline while the server resets every connection, and Up to date again once it answers', async () => {
    const w = await watch('offline');
    try {
      await expect.poll(w.state, { timeout: 15_000 }).toBe('up-to-date');
      world.sandbox.faults.set({ resetRate: 1 });
      await writeFile(join(w.folder, 'queued.txt'), 'written offline');
      await expect.poll(w.state, { timeout: 20_000 }).toBe('offline');
      expect(await w.page.textContent('#status-title')).toBe('Offline');
      expect(await seriousAxeViolations(w.page)).toEqual([]);
      await w.shot('offline');
      world.sandbox.faults.set({});
      // "Sync now" skips the probe's backoff.
      await w.page.click('#sync-now');
      await until(async () => (await w.keys()).includes('queued.txt'), 20_000, 'the upload once back online');
      await expect.poll(w.state, { timeout: 15_000 }).toBe('up-to-date');
    } finally {
      world.sandbox.faults.set({});
      await w.stop();
    }
  }, 90_000);

  it('lists a file that keeps failing in Needs attention with its reason, and Retry now sends it once the server accepts it', async () => {
    const w = await watch('retry');
    try {
      await expect.poll(w.state, { timeout: 15_000 }).toBe('up-to-date');
      world.sandbox.faults.set({ errorRate: 1, errorStatus: 500, onlyKeysMatching: 'stubborn\\.txt$' });
      await writeFile(join(w.folder, 'stubborn.txt'), 'the server refuses this one for now');
      await writeFile(join(w.folder, 'fine.txt'), 'this one goes through');
      await expect.poll(w.state, { timeout: 30_000 }).toBe('needs-attention');
      await expect.poll(() => w.page.locator('#attention-list li.error').count(), { timeout: 10_000 }).toBe(1);
      const row = w.page.locator('#attention-list li.error');
      expect(await row.locator('.attention-path').textContent()).toBe('stubborn.txt');
      expect((await row.locator('.attention-reason').textContent())?.length).toBeGreaterThan(0);
      expect(await w.keys()).toEqual(['fine.txt']);
      expect(await seriousAxeViolations(w.page)).toEqual([]);
      await w.shot('needs-attention-error');

      world.sandbox.faults.set({});
      await row.locator('[data-action="retry-now"]').click();
      await until(async () => (await w.keys()).includes('stubborn.txt'), 20_000, 'the retried upload');
      await expect.poll(w.state, { timeout: 15_000 }).toBe('up-to-date');
      expect(await w.page.locator('#attention-list li').count()).toBe(0);
      expect(await w.page.isHidden('#attention')).toBe(true);
    } finally {
      world.sandbox.faults.set({});
      await w.stop();
    }
  }, 120_000);

  it('shows a conflict side by side with this computer\'s version on the left, and Keep both keeps both on disk and in the cloud', async () => {
    const w = await watch('conflict', async (folder) => {
      await writeFile(join(folder, 'notes.txt'), 'first version');
    });
    try {
      await expect.poll(w.state, { timeout: 15_000 }).toBe('up-to-date');
      await until(async () => (await w.keys()).includes('notes.txt'), 10_000, 'the first upload');
      // Both sides change while paused: this computer writes 11 bytes, another device 38.
      await w.page.selectOption('#pause-for', '0');
      await w.page.click('#pause');
      await expect.poll(w.state, { timeout: 10_000 }).toBe('paused');
      const here = 'mine: local';
      const other = 'theirs: written by another device here';
      await writeFile(join(w.folder, 'notes.txt'), here);
      await world.admin.send(new PutObjectCommand({ Bucket: world.sandbox.info.bucket, Key: `${w.prefix}notes.txt`, Body: other }));
      await w.page.click('#resume');

      await expect.poll(w.state, { timeout: 20_000 }).toBe('needs-attention');
      await expect.poll(() => w.page.locator('#attention-list li.conflict').count(), { timeout: 10_000 }).toBe(1);
      const row = w.page.locator('#attention-list li.conflict');
      expect(await row.locator('.attention-path').textContent()).toBe('notes.txt');
      // The columns are not swapped: left is this computer's (11 B), right the cloud's (38 B).
      const columns = row.locator('.version');
      expect(await columns.nth(0).getAttribute('data-side')).toBe('here');
      expect(await columns.nth(0).locator('h4').textContent()).toBe('This computer');
      expect(await columns.nth(0).locator('[data-fact="size"]').textContent()).toBe(`${here.length} B`);
      expect(await columns.nth(1).getAttribute('data-side')).toBe('other');
      expect(await columns.nth(1).locator('h4').textContent()).toBe('Cloud');
      expect(await columns.nth(1).locator('[data-fact="size"]').textContent()).toBe(`${other.length} B`);
      expect(await columns.nth(0).locator('[data-fact="name"]').textContent()).toMatch(/^notes \(conflicted copy .+\)\.txt$/);
      expect(await seriousAxeViolations(w.page)).toEqual([]);
      await w.shot('needs-attention-conflict');

      await row.locator('[data-action="keep-both"]').click();
      await expect.poll(w.state, { timeout: 15_000 }).toBe('up-to-date');
      const files = await localFiles(w.folder);
      expect(files).toHaveLength(2);
      const copy = files.find((f) => f !== 'notes.txt') ?? '';
      expect(await readFile(join(w.folder, 'notes.txt'), 'utf8')).toBe(other);
      expect(await readFile(join(w.folder, copy), 'utf8')).toBe(here);
      await until(async () => (await w.keys()).length === 2, 10_000, 'both versions in the cloud');
      expect(await w.keys()).toEqual(files);
      expect(await w.cloudText(copy)).toBe(here);
      expect(await w.cloudText('notes.txt')).toBe(other);
    } finally {
      await w.stop();
    }
  }, 120_000);

  it('stops before a mass delete, shows direction, count and names, and deletes in the cloud only once confirmed', async () => {
    const names = Array.from({ length: 14 }, (_, i) => `doc-${String(i).padStart(2, '0')}.txt`);
    const w = await watch('rail', async (folder) => {
      for (const name of names) await writeFile(join(folder, name), `content of ${name}`);
    });
    try {
      await until(async () => (await w.keys()).length === names.length, 20_000, 'the first upload');
      await expect.poll(w.state, { timeout: 15_000 }).toBe('up-to-date');
      const removed = names.slice(0, 12);
      for (const name of removed) await rm(join(w.folder, name));
      await expect.poll(w.state, { timeout: 20_000 }).toBe('stopped-confirm-deletes');
      expect(await w.page.textContent('#status-title')).toBe('Stopped: confirm deletes');
      expect(await w.page.textContent('#rail .rail-what')).toBe('12 files deleted on this computer would be deleted in the cloud. Nothing has been deleted.');
      expect(await w.page.locator('#rail .rail-sample li').allTextContents()).toEqual(removed.slice(0, 10));
      expect(await w.keys()).toEqual(names);
      expect(await seriousAxeViolations(w.page)).toEqual([]);
      await w.shot('stopped-confirm-deletes');

      await w.page.click('#rail [data-action="confirm-deletes"]');
      await until(async () => (await w.keys()).length === 2, 20_000, 'the confirmed deletes');
      expect(await w.keys()).toEqual(names.slice(12));
      await expect.poll(w.state, { timeout: 15_000 }).toBe('up-to-date');
      expect(await w.page.isHidden('#rail')).toBe(true);
    } finally {
      await w.stop();
    }
  }, 120_000);

  it('restores instead: files deleted on this computer come back from the cloud and nothing is deleted there', async () => {
    const names = Array.from({ length: 14 }, (_, i) => `keep-${String(i).padStart(2, '0')}.txt`);
    const w = await watch('restore', async (folder) => {
      for (const name of names) await writeFile(join(folder, name), `content of ${name}`);
    });
    try {
      await until(async () => (await w.keys()).length === names.length, 20_000, 'the first upload');
      await expect.poll(w.state, { timeout: 15_000 }).toBe('up-to-date');
      for (const name of names.slice(0, 12)) await rm(join(w.folder, name));
      await expect.poll(w.state, { timeout: 20_000 }).toBe('stopped-confirm-deletes');
      await w.page.click('#rail [data-action="restore-deletes"]');
      await until(async () => (await localFiles(w.folder)).length === names.length, 20_000, 'the restored files');
      await expect.poll(w.state, { timeout: 15_000 }).toBe('up-to-date');
      expect(await localFiles(w.folder)).toEqual(names);
      expect(await w.keys()).toEqual(names);
      expect(await readFile(join(w.folder, names[0] ?? ''), 'utf8')).toBe(`content of ${names[0] ?? ''}`);
    } finally {
      await w.stop();
    }
  }, 120_000);

  it('edits .stratusignore from Settings: the preview names what it hides, and a hidden file never reaches the cloud', async () => {
    const w = await watch('ignore', async (folder) => {
      await writeFile(join(folder, 'notes.txt'), 'synced');
    });
    try {
      await until(async () => (await w.keys()).includes('notes.txt'), 15_000, 'the first upload');
      await w.page.selectOption('#pause-for', '0');
      await w.page.click('#pause');
      await expect.poll(w.state, { timeout: 10_000 }).toBe('paused');
      await writeFile(join(w.folder, 'secret.key'), 'never upload me');
      await w.page.click('#tab-settings');
      await w.page.waitForSelector('#ignore-rules');
      expect(await w.page.inputValue('#ignore-rules')).toBe('');
      await w.page.fill('#ignore-rules', '*.key\n');
      await expect.poll(() => w.page.textContent('#ignore-preview'), { timeout: 10_000 }).toBe('Hides 1 item: secret.key');
      expect(await seriousAxeViolations(w.page)).toEqual([]);
      await w.shot('settings-ignore-preview');
      await w.page.click('[data-action="save-ignore"]');
      await expect.poll(() => w.page.textContent('#settings-status'), { timeout: 10_000 }).toBe('Saved. 1 item will no longer sync; nothing was deleted.');
      expect(await readFile(join(w.folder, '.stratusignore'), 'utf8')).toBe('*.key\n');
      await w.page.click('#tab-status');
      await w.page.click('#resume');
      await until(async () => (await w.keys()).includes('.stratusignore'), 15_000, 'the rules file upload');
      await expect.poll(w.state, { timeout: 15_000 }).toBe('up-to-date');
      expect(await w.keys()).toEqual(['.stratusignore', 'notes.txt']);
      expect(await localFiles(w.folder)).toEqual(['.stratusignore', 'notes.txt', 'secret.key']);
    } finally {
      await w.stop();
    }
  }, 90_000);
});
