/**
 * End-to-end: the real Electron app, driven by Playwright's `_electron`.
 *
 * Runs wherever an Electron binary is present (a developer machine after
 * `npx install-electron`, or STRATUS_ELECTRON=/path/to/electron). Where none can
 * be had (this CI has no internet to download one), the suite is skipped and
 * says so on stdout. Waits on app events and selectors, never on sleeps.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { _electron as electron, type ElectronApplication } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findElectronBinary } from '../support/electronBinary.js';

const repo = resolve(import.meta.dirname, '../..');
const binary = findElectronBinary();
if (binary === undefined) {
  console.log(
    'skipped: no Electron binary (test/e2e needs one: run "npx install-electron" with internet, or set STRATUS_ELECTRON)',
  );
}

describe.skipIf(binary === undefined)('Stratus desktop app (Electron)', () => {
  let app: ElectronApplication;

  beforeAll(async () => {
    app = await electron.launch({
      // Defined here: the suite is skipped when no binary was found.
      executablePath: binary as string,
      args: [join(repo, 'out/main/index.js')],
      cwd: repo,
    });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('opens the status window on the app protocol showing "Not signed in"', async () => {
    const page = await app.firstWindow();
    await page.waitForSelector('#status[aria-busy="false"]');
    expect(page.url()).toBe('stratus-app://app/index.html');
    expect(await page.textContent('#status-title')).toBe('Not signed in');
    await mkdir(join(repo, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(repo, 'test-results/electron-not-signed-in.png') });
  });

  it('exposes only the stratus bridge to the page, with no Node access', async () => {
    const page = await app.firstWindow();
    const globals = await page.evaluate(() => ({
      stratus: Object.keys((window as unknown as { stratus: object }).stratus).sort(),
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (window as unknown as { process?: unknown }).process,
    }));
    expect(globals).toEqual({ stratus: ['getStatus', 'onDidChangeStatus'], require: 'undefined', process: 'undefined' });
  });

  it('refuses to navigate the window away from the app origin', async () => {
    const page = await app.firstWindow();
    await page.evaluate(() => {
      window.location.href = 'https://example.com/';
    });
    // will-navigate is refused synchronously; the page and its status stay.
    expect(await page.textContent('#status-title')).toBe('Not signed in');
    expect(page.url()).toBe('stratus-app://app/index.html');
  });
});
