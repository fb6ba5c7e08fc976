/**
 * End-to-end: the real Electron app, driven by Playwright's `_electron`.
 *
 * Runs wherever an Electron binary is present (a developer machine after
 * `npx install-electron`, or STRATUS_ELECTRON=/path/to/electron). Where none can
 * be had (this CI has no internet to download one), the suite is skipped and
 * says so on stdout. Waits on app events and selectors, never on sleeps
 * (`until` polls a condition).
 *
 * Each launch gets its own profile (STRATUS_USER_DATA) and its own config
 * (STRATUS_CONFIG), and STRATUS_TEST_HOOKS=1 lets `app.evaluate` read the tray's
 * menu model and the status in main. Covered: the window on the app protocol,
 * the bridge, navigation refused; the tray menu model; closing the window
 * keeps the app in the tray; a second launch focuses the first; the first run
 * (choose a folder → first sync against the sandbox → done) with the engine in
 * a real utilityProcess; open-path refused outside the folder; the login
 * window's sign-in through the sandbox's hosted UI (cognito).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { _electron as electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrayMenuItem } from '../../src/main/tray/trayMenuModel.js';
import type { CommandResult, StatusSnapshot, StratusCommand } from '../../src/shared/StratusApi.js';
import type { StratusConfig } from '../../src/shared/StratusConfig.js';
import { startCliSandbox, type CliSandbox } from '../cli/cliSandbox.js';
import { findElectronBinary } from '../support/electronBinary.js';
import { until } from '../support/until.js';

const repo = resolve(import.meta.dirname, '../..');
const binary = findElectronBinary();
if (binary === undefined) {
  console.log(
    'skipped: no Electron binary (test/e2e needs one: run "npx install-electron" with internet, or set STRATUS_ELECTRON)',
  );
}

interface Launched {
  readonly app: ElectronApplication;
  readonly env: Record<string, string>;
}

async function launch(config: StratusConfig | undefined, extraEnv: Record<string, string> = {}): Promise<Launched> {
  const profile = await mkdtemp(join(tmpdir(), 'stratus-e2e-'));
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    STRATUS_USER_DATA: join(profile, 'userData'),
    STRATUS_TEST_HOOKS: '1',
    HOME: profile,
    ...extraEnv,
  };
  if (config !== undefined) {
    await writeFile(join(profile, 'stratus.json'), JSON.stringify(config));
    env['STRATUS_CONFIG'] = join(profile, 'stratus.json');
  } else {
    delete env['STRATUS_CONFIG'];
  }
  const app = await electron.launch({
    // Defined here: the suite is skipped when no binary was found.
    executablePath: binary as string,
    args: [join(repo, 'out/main/index.js')],
    cwd: repo,
    env,
  });
  return { app, env };
}

function trayModel(app: ElectronApplication): Promise<TrayMenuItem[]> {
  return app.evaluate(() => (globalThis as unknown as { stratusTestHooks: { trayModel(): TrayMenuItem[] } }).stratusTestHooks.trayModel());
}

function mainStatus(app: ElectronApplication): Promise<StatusSnapshot> {
  return app.evaluate(() => (globalThis as unknown as { stratusTestHooks: { status(): StatusSnapshot } }).stratusTestHooks.status());
}

function run(page: Page, command: StratusCommand): Promise<CommandResult> {
  return page.evaluate((c) => (window as unknown as { stratus: { run(c: unknown): Promise<CommandResult> } }).stratus.run(c), command);
}

function bridgeStatus(page: Page): Promise<StatusSnapshot> {
  return page.evaluate(() => (window as unknown as { stratus: { getStatus(): Promise<StatusSnapshot> } }).stratus.getStatus());
}

describe.skipIf(binary === undefined)('Stratus desktop app (Electron)', () => {
  describe('without a connection', () => {
    let launched: Launched;

    beforeAll(async () => {
      launched = await launch(undefined);
    });

    afterAll(async () => {
      await launched?.app.close().catch(() => undefined);
    });

    it('opens the status window on the app protocol, saying where a config file goes', async () => {
      const page = await launched.app.firstWindow();
      await page.waitForSelector('#status[aria-busy="false"]');
      expect(page.url()).toBe('stratus-app://app/index.html');
      const status = await bridgeStatus(page);
      expect(status).toMatchObject({ auth: 'signed-out', sync: 'needs-attention', canOpenFiles: true });
      expect(status.message).toMatch(/stratus\.json/);
      await mkdir(join(repo, 'test-results'), { recursive: true });
      await page.screenshot({ path: join(repo, 'test-results/electron-no-connection.png') });
    });

    it('exposes only the stratus bridge to the page, with no Node access', async () => {
      const page = await launched.app.firstWindow();
      const globals = await page.evaluate(() => ({
        stratus: Object.keys((window as unknown as { stratus: object }).stratus).sort(),
        require: typeof (window as unknown as { require?: unknown }).require,
        process: typeof (window as unknown as { process?: unknown }).process,
      }));
      expect(globals).toEqual({ stratus: ['getSettings', 'getStatus', 'onDidChangeStatus', 'previewIgnore', 'run'], require: 'undefined', process: 'undefined' });
    });

    it('answers commands with a sentence instead of failing, and refuses malformed ones', async () => {
      const page = await launched.app.firstWindow();
      expect((await run(page, { type: 'sync-now' })).ok).toBe(false);
      const bad = await page.evaluate(() => (window as unknown as { stratus: { run(c: unknown): Promise<unknown> } }).stratus.run({ type: 'open-path', path: '../../etc/passwd' }));
      expect(bad).toEqual({ ok: false, message: 'Stratus refused a request it does not understand.' });
    });

    it('shows the tray menu for the state, with Open Stratus and Quit', async () => {
      const model = await trayModel(launched.app);
      expect(model[0]).toEqual({ kind: 'label', label: 'Needs attention' });
      expect(model[1]).toEqual({ kind: 'label', label: 'Not checked yet' });
      const actions = model.flatMap((i) => (i.kind === 'action' ? [`${i.action}${i.enabled ? '' : ' (disabled)'}`] : []));
      expect(actions).toEqual(['open-folder (disabled)', 'open-window', 'sync-now (disabled)', 'pause-30 (disabled)', 'pause-60 (disabled)', 'pause-until-resumed (disabled)', 'quit']);
    });

    it('refuses to navigate the window away from the app origin', async () => {
      const page = await launched.app.firstWindow();
      await page.evaluate(() => {
        window.location.href = 'https://example.com/';
      });
      // will-navigate is refused synchronously; the page stays.
      expect(page.url()).toBe('stratus-app://app/index.html');
    });

    it('stays in the tray when the window is closed, and a second launch opens the window of the first', async () => {
      const page = await launched.app.firstWindow();
      await page.close();
      await until(async () => (await launched.app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)) === 0, 10_000, 'the window to close');
      // Still running: main answers.
      expect((await mainStatus(launched.app)).version).toBe(1);
      const second = spawn(binary as string, [join(repo, 'out/main/index.js')], { cwd: repo, env: launched.env, stdio: 'ignore' });
      const code = await new Promise<number | null>((done) => second.once('exit', done));
      // The second copy hands over and quits at once.
      expect(code).toBe(0);
      await until(async () => (await launched.app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)) === 1, 10_000, 'the first copy to open its window');
    });
  });

  describe('first run against the sandbox (auth "aws", engine in a utilityProcess)', () => {
    let world: CliSandbox;
    let launched: Launched;

    beforeAll(async () => {
      world = await startCliSandbox('electron');
      const { info } = world.sandbox;
      launched = await launch(
        { version: 1, auth: 'aws', region: info.region, bucket: info.bucket, endpoint: info.s3Endpoint, forcePathStyle: true, prefix: 'electron/' },
        { AWS_ACCESS_KEY_ID: info.adminAccessKeyId, AWS_SECRET_ACCESS_KEY: info.adminSecretAccessKey, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
      );
    }, 120_000);

    afterAll(async () => {
      await launched?.app.close().catch(() => undefined);
      await world?.dispose();
    });

    it('asks for the folder, asks before merging one with files, syncs it and ends with the tray line', async () => {
      const page = await launched.app.firstWindow();
      await until(async () => (await bridgeStatus(page)).setup?.step === 'choose-folder', 20_000, 'the choose-folder step');
      const full = join(world.scratch, 'Existing');
      await mkdir(full, { recursive: true });
      await writeFile(join(full, 'hello.txt'), 'hello from the app');
      const first = await run(page, { type: 'choose-folder', path: full });
      expect(first.ok).toBe(false);
      expect(first.confirm).toMatch(/merge/);
      expect(await run(page, { type: 'choose-folder', path: full, merge: true })).toEqual({ ok: true });
      await until(async () => (await bridgeStatus(page)).setup?.step === 'done', 60_000, 'the first sync to finish');
      const status = await bridgeStatus(page);
      expect(status).toMatchObject({ sync: 'up-to-date', canOpenFiles: true, folder: full });
      expect(status.lastCheckAt).toBeDefined();
      await page.screenshot({ path: join(repo, 'test-results/electron-first-run-done.png') });
      const listed = await world.admin.send(new ListObjectsV2Command({ Bucket: world.sandbox.info.bucket, Prefix: 'electron/' }));
      expect((listed.Contents ?? []).map((o) => o.Key)).toContain('electron/hello.txt');
      expect((await readdir(full)).sort()).toContain('hello.txt');
      const model = await trayModel(launched.app);
      expect(model[0]).toEqual({ kind: 'label', label: 'Up to date' });
    }, 120_000);

    it('shows the settings and stores a change (the settings file is a CLI config file too)', async () => {
      const page = await launched.app.firstWindow();
      const view = await page.evaluate(() => (window as unknown as { stratus: { getSettings(): Promise<{ values: Record<string, unknown>; managed: unknown[] }> } }).stratus.getSettings());
      expect(view.values).toMatchObject({ notifications: true, logLevel: 'info' });
      expect(view.managed).toEqual([]);
      expect(await run(page, { type: 'update-settings', change: { notifications: false } })).toEqual({ ok: true });
      const stored = await launched.app.evaluate(async ({ app }) => {
        const { readFile } = await import('node:fs/promises');
        return JSON.parse(await readFile(`${app.getPath('userData')}/settings.json`, 'utf8')) as Record<string, unknown>;
      });
      expect(stored).toMatchObject({ notifications: false, version: 1, auth: 'aws', prefix: 'electron/' });
    });

    it('pauses and resumes from the same commands the tray menu sends', async () => {
      const page = await launched.app.firstWindow();
      expect((await run(page, { type: 'pause', minutes: 30 })).ok).toBe(true);
      await until(async () => (await mainStatus(launched.app)).sync === 'paused', 20_000, 'paused');
      const paused = await trayModel(launched.app);
      expect(paused.some((i) => i.kind === 'action' && i.action === 'resume')).toBe(true);
      expect((await run(page, { type: 'resume' })).ok).toBe(true);
      await until(async () => (await mainStatus(launched.app)).sync === 'up-to-date', 30_000, 'up to date again');
    }, 60_000);

    it('refuses to open a path outside the sync folder, and opens none that is gone', async () => {
      const page = await launched.app.firstWindow();
      expect((await run(page, { type: 'show-in-folder', path: 'no-such-file.txt' })).message).toMatch(/no longer in your Stratus folder/);
    });

    it('quits cleanly from the tray menu: the engine stops first', async () => {
      const exited = new Promise<void>((done) => launched.app.process().once('exit', () => done()));
      await launched.app.evaluate(({ app }) => app.quit());
      await exited;
      // The engine released the folder's lock: nothing of it is left running on the folder.
      expect(launched.app.process().exitCode).toBe(0);
    }, 30_000);
  });

  describe('sign-in (auth "cognito") in the login window', () => {
    let world: CliSandbox;
    let launched: Launched;

    beforeAll(async () => {
      world = await startCliSandbox('electron-cognito');
      launched = await launch(world.sandbox.info.stratusConfig);
    }, 120_000);

    afterAll(async () => {
      await launched?.app.close().catch(() => undefined);
      await world?.dispose();
    });

    it('starts with Sign in, signs in through the hosted UI in a locked-down window, then asks for the folder', async () => {
      const page = await launched.app.firstWindow();
      await until(async () => (await bridgeStatus(page)).setup?.step === 'sign-in', 20_000, 'the sign-in step');
      const loginWindow = launched.app.waitForEvent('window');
      const signedIn = run(page, { type: 'sign-in' });
      const hosted = await loginWindow;
      const user = world.sandbox.info.users[0];
      if (user === undefined) throw new Error('the sandbox has no seeded user');
      await hosted.locator('#username').fill(user.username);
      await hosted.locator('#password').fill(user.password);
      await hosted.getByRole('button', { name: 'Sign in' }).click();
      expect(await signedIn).toEqual({ ok: true });
      const status = await bridgeStatus(page);
      expect(status).toMatchObject({ auth: 'signed-in', setup: { step: 'choose-folder' } });
      const model = await trayModel(launched.app);
      expect(model.some((i) => i.kind === 'action' && i.action === 'sign-out')).toBe(true);
    }, 120_000);
  });
});
