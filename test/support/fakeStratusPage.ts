/**
 * Opens the built renderer in Chromium with a stand-in `window.stratus` of the
 * preload's shape, installed before any page script runs: `getStatus` answers
 * the given snapshot, `__emitStatus(s)` pushes a change, and every `run`
 * command is recorded in `window.__commands` and answered with
 * `window.__commandResult` (default `{ ok: true }`); `getSettings` answers
 * `window.__settings` (set with the `settings` argument) and `previewIgnore`
 * records its text in `window.__previews` and answers `window.__preview`.
 * Everything else is the shipped bundle, served with the app protocol's CSP.
 */
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { IgnorePreview, SettingsView, StatusSnapshot, StratusCommand } from '../../src/shared/StratusApi.js';

export interface FakePage {
  readonly page: Page;
  readonly errors: string[];
  emit(status: StatusSnapshot): Promise<void>;
  commands(): Promise<StratusCommand[]>;
}

const NO_SETTINGS: SettingsView = { values: {}, editable: [], managed: [], ignoreRules: '' };
const NO_PREVIEW: IgnorePreview = { hidden: 0, sample: [], problems: [] };

export async function openFakePage(
  browser: Browser, baseUrl: string, initial: StatusSnapshot, viewport = { width: 420, height: 560 },
  settings: SettingsView = NO_SETTINGS, preview: IgnorePreview = NO_PREVIEW,
): Promise<FakePage> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  await page.addInitScript(({ status, settings, preview }) => {
    const listeners = new Set<(s: unknown) => void>();
    const w = window as unknown as Record<string, unknown>;
    w['__cspViolations'] = [];
    w['__commands'] = [];
    w['__commandResult'] = { ok: true };
    w['__settings'] = settings;
    w['__preview'] = preview;
    w['__previews'] = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      (w['__cspViolations'] as string[]).push(e.violatedDirective);
    });
    w['__emitStatus'] = (s: unknown) => listeners.forEach((l) => l(s));
    w['stratus'] = Object.freeze({
      getStatus: () => Promise.resolve(status),
      onDidChangeStatus: (listener: (s: unknown) => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      run: (command: unknown) => {
        (w['__commands'] as unknown[]).push(command);
        return Promise.resolve(w['__commandResult']);
      },
      getSettings: () => Promise.resolve(w['__settings']),
      previewIgnore: (text: string) => {
        (w['__previews'] as string[]).push(text);
        return Promise.resolve(w['__preview']);
      },
    });
  }, { status: initial, settings, preview });
  const response = await page.goto(`${baseUrl}/index.html`);
  expect(response?.status()).toBe(200);
  expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
  await page.waitForSelector('#status[aria-busy="false"]');
  return {
    page,
    errors,
    emit: async (status) => {
      await page.evaluate((s) => (window as unknown as { __emitStatus: (s: unknown) => void }).__emitStatus(s), status);
    },
    commands: () => page.evaluate(() => (window as unknown as { __commands: StratusCommand[] }).__commands),
  };
}
