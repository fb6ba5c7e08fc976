/**
 * The built status page in real Chromium: it renders what `window.stratus`
 * reports, follows status changes, keeps its strict CSP, and never renders
 * status text as markup. `window.stratus` is stood in for by a small fake with
 * the same shape the preload exposes; everything else is the shipped bundle.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusSnapshot } from '../../src/shared/StratusApi.js';
import { seriousAxeViolations } from '../support/axe.js';
import { launchChromium } from '../support/chromium.js';
import { openFakePage } from '../support/fakeStratusPage.js';
import { serveRenderer, type StaticServer } from '../support/staticServer.js';

const repo = resolve(import.meta.dirname, '../..');
const rendererDir = join(repo, 'out/renderer');
const resultsDir = join(repo, 'test-results');

let browser: Browser;
let server: StaticServer;

async function openPage(initial: StatusSnapshot): Promise<{ page: Page; errors: string[] }> {
  const { page, errors } = await openFakePage(browser, server.url, initial);
  return { page, errors };
}

beforeAll(async () => {
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new Error('out/renderer is missing: run "npm run build" first (npm test does).');
  }
  server = await serveRenderer(rendererDir);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('status page in Chromium', () => {
  it('shows "Not signed in" for a signed-out user and saves a screenshot', async () => {
    const { page, errors } = await openPage({ version: 1, auth: 'signed-out', sync: 'checking' });
    await expect.poll(() => page.textContent('#status-title')).toBe('Not signed in');
    expect(await page.textContent('.status-detail')).toContain('Sign in');
    await mkdir(resultsDir, { recursive: true });
    const file = join(resultsDir, 'renderer-not-signed-in.png');
    await page.screenshot({ path: file });
    expect(existsSync(file)).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('follows status changes pushed through onDidChangeStatus', async () => {
    const { page } = await openPage({ version: 1, auth: 'signed-out', sync: 'checking' });
    await page.evaluate(() => {
      const emit = (window as unknown as { __emitStatus: (s: unknown) => void }).__emitStatus;
      emit({ version: 1, auth: 'signed-in', sync: 'up-to-date', account: 'ada@example.com', folder: '~/Stratus', lastCheckAt: '2026-11-22T14:02:00Z' });
    });
    await expect.poll(() => page.textContent('#status-title')).toBe('Up to date');
    expect(await page.textContent('.status-detail')).toBe('ada@example.com · ~/Stratus is in sync.');
    expect(await page.getAttribute('#status', 'data-sync')).toBe('up-to-date');
    expect(await page.textContent('#status-checked')).toMatch(/^Last checked \d\d:\d\d/);
    await page.close();
  });

  it('renders messages as text, never as markup', async () => {
    const { page } = await openPage({
      version: 1,
      auth: 'signed-in',
      sync: 'needs-attention',
      message: '<img src=x onerror="window.__pwned=1"> Bucket not found',
    });
    expect(await page.textContent('.status-message')).toBe('<img src=x onerror="window.__pwned=1"> Bucket not found');
    expect(await page.locator('.status-message img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.close();
  });

  it('blocks inline script under its Content-Security-Policy', async () => {
    const { page } = await openPage({ version: 1, auth: 'signed-out', sync: 'checking' });
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.__inlineRan = true;';
      document.body.append(script);
    });
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations))
      .toContain('script-src-elem');
    expect(await page.evaluate(() => (window as unknown as { __inlineRan?: boolean }).__inlineRan)).toBeUndefined();
    await page.close();
  });

  it('has no serious or critical axe-core violations, and the check is not vacuous', async () => {
    const { page } = await openPage({ version: 1, auth: 'signed-in', sync: 'needs-attention', folder: '~/Stratus', pending: 2, message: '2 items could not be synced.' });
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.evaluate(() => {
      const img = document.createElement('img');
      img.src = './icon.svg';
      document.body.append(img);
    });
    expect((await seriousAxeViolations(page)).join('\n')).toMatch(/^image-alt: /m);
    await page.close();
  });
});
