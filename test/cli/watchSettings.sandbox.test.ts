/**
 * The Settings screen of `stratus watch --ui` end to end (issue 8): the real
 * renderer in real Chromium, a real engine against the sandbox, started with
 * a config file. What the CLI reads from the file and flags is shown
 * read-only with where it is set; the bandwidth limits change live, for this
 * session, and the page says which file keeps them — the file itself is left
 * as it was.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
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
  world = await startCliSandbox('watch-settings');
  browser = await launchChromium();
  await mkdir(shots, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await world?.dispose();
});

describe('stratus watch --ui Settings', () => {
  it('shows the config file\'s preferences read-only with their source, and changes bandwidth for this session only', async () => {
    const { sandbox, scratch, env } = world;
    const folder = await mkdtemp(join(scratch, 'settings-'));
    const prefix = `settings-${randomUUID()}/`;
    const config = join(scratch, `config-${randomUUID()}.json`);
    const text = JSON.stringify({
      version: 1, auth: 'aws', region: sandbox.info.region, bucket: sandbox.info.bucket, endpoint: sandbox.info.s3Endpoint, prefix,
      deviceName: 'ui-config-box', massDelete: { maxFiles: 3, maxRatio: 0.25 }, bandwidth: { upBytesPerSecond: 1_048_576 }, startAtLogin: true,
    });
    await writeFile(config, text);
    const out: string[] = [];
    const interrupt = new AbortController();
    const done = runCli(['watch', '--ui', '--config', config, '--folder', folder, '--limit-down', '2M', '--poll-ms', '400'], {
      stdout: (l) => out.push(l), stderr: () => undefined, version: 'test', env, cwd: scratch, signal: interrupt.signal,
    });
    try {
      await until(() => out.some((l) => l.includes('status page: ')), 15_000, 'the status page line');
      const url = /status page: (\S+)/.exec(out.find((l) => l.includes('status page: ')) ?? '')?.[1] ?? '';
      const page = await browser.newPage({ viewport: { width: 520, height: 900 } });
      await page.goto(url);
      await page.waitForSelector('#status[aria-busy="false"]', { timeout: 10_000 });
      await page.click('#tab-settings');
      await page.waitForSelector('#setting-deviceName');

      const fromFile = `Set by the config file ${config}`;
      expect(await page.inputValue('#setting-deviceName')).toBe('ui-config-box');
      expect(await page.isDisabled('#setting-deviceName')).toBe(true);
      expect(await page.textContent('#setting-deviceName-lock')).toBe(fromFile);
      expect(await page.textContent('#setting-folder-lock')).toBe('Set by --folder');
      expect(await page.inputValue('#setting-mass-files')).toBe('3');
      expect(await page.inputValue('#setting-mass-share')).toBe('25');
      expect(await page.textContent('#setting-massDelete-lock')).toBe(fromFile);
      expect(await page.textContent('#setting-startAtLogin-lock')).toBe('Set by the desktop app only');
      // Up from the file, down from --limit-down (2 MiB/s = 2048 KiB/s), both editable here.
      expect(await page.inputValue('#setting-bandwidth-up')).toBe('1024');
      expect(await page.inputValue('#setting-bandwidth-down')).toBe('2048');
      expect(await page.isDisabled('#setting-bandwidth-up')).toBe(false);
      expect(await seriousAxeViolations(page)).toEqual([]);

      await page.fill('#setting-bandwidth-up', '64');
      await page.press('#setting-bandwidth-up', 'Tab');
      await expect.poll(() => page.textContent('#settings-status'), { timeout: 10_000 })
        .toBe(`Bandwidth limits set (up: 64 KiB/s, down: 2048 KiB/s) for this session; put "bandwidth" in ${config} to keep it.`);
      await page.screenshot({ path: join(shots, 'cli-settings-bandwidth.png'), fullPage: true });
      // Shown as in effect when the screen is read again; the file is not rewritten.
      await page.click('#tab-status');
      await page.click('#tab-settings');
      await expect.poll(() => page.inputValue('#setting-bandwidth-up'), { timeout: 10_000 }).toBe('64');
      expect(await readFile(config, 'utf8')).toBe(text);
      await page.close();
    } finally {
      interrupt.abort();
    }
    expect(await done).toBe(ExitCode.ok);
  }, 90_000);
});
