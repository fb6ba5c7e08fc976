/**
 * The built main bundle (out/main, electron-vite) run in plain Node against
 * a stand-in for Electron's API (test/main/fakeElectron/electron.js) and the
 * sandbox: the one check here of the Electron-side wiring (composition,
 * index, IPC handlers, tray, settings store, utilityProcess child) short of
 * a real Electron binary. Driven through the IPC handlers as the renderer
 * would: first run with a merged folder → first sync → done; an untrusted
 * sender refused; settings, ignore preview, show-in-folder, a path outside
 * the folder refused; pause → the tray offers Resume; a settings change
 * restarts the engine and lands in settings.json (a CLI config file too);
 * Quit stops the engine before exiting.
 *
 * Needs the bundle: `npm run build` (npm test does); skipped with a reason
 * without it. STRATUS_MAIN_BUNDLE_DIR points at another build.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrayMenuItem } from '../../src/main/tray/trayMenuModel.js';
import type { StatusSnapshot } from '../../src/shared/StratusApi.js';
import { startCliSandbox, type CliSandbox } from '../cli/cliSandbox.js';
import { CHROMIUM_PATH } from '../support/chromium.js';

const repo = resolve(import.meta.dirname, '../..');
const bundle = process.env['STRATUS_MAIN_BUNDLE_DIR'] ?? join(repo, 'out/main');
/** The newest change under src/main, src/engine/host and src/shared: a bundle older than that is not what is being tested. */
function newestSource(): number {
  let newest = 0;
  for (const folder of ['src/main', 'src/engine/host', 'src/shared']) {
    for (const entry of readdirSync(join(repo, folder), { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}
const present = existsSync(join(bundle, 'index.js')) && existsSync(join(bundle, 'engineProcess.js'));
const fresh = present && statSync(join(bundle, 'index.js')).mtimeMs >= newestSource();
const built = present && fresh;
if (!present) console.log(`skipped: no main bundle at ${bundle} (run "npm run build" first; npm test does)`);
else if (!fresh) console.log(`skipped: the main bundle at ${bundle} is older than the sources (run "npm run build"; npm test does)`);

let world: CliSandbox;
const steps = new Map<string, unknown>();

/** Copies the bundle next to a node_modules whose `electron` is the stand-in, and runs the driver in `mode`. */
async function runDriver(mode: 'aws' | 'cognito', config: object, settings?: object): Promise<void> {
  const dir = join(world.scratch, `app-${mode}`);
  // A node_modules like the repo's, but whose `electron` is the stand-in (--preserve-symlinks keeps it so for electron-store too).
  await mkdir(join(dir, 'node_modules', 'electron'), { recursive: true });
  for (const name of await readdir(join(repo, 'node_modules'))) {
    if (name !== 'electron' && !name.startsWith('.')) await symlink(join(repo, 'node_modules', name), join(dir, 'node_modules', name));
  }
  await writeFile(join(dir, 'node_modules', 'electron', 'package.json'), JSON.stringify({ name: 'electron', type: 'module', main: 'index.js' }));
  await cp(join(import.meta.dirname, 'fakeElectron', 'electron.js'), join(dir, 'node_modules', 'electron', 'index.js'));
  await cp(bundle, join(dir, 'main'), { recursive: true });
  await cp(join(import.meta.dirname, 'fakeElectron', 'drive.mjs'), join(dir, 'drive.mjs'));
  await writeFile(join(dir, 'stratus.json'), JSON.stringify(config));
  if (settings !== undefined) {
    await mkdir(join(dir, 'userData'), { recursive: true });
    await writeFile(join(dir, 'userData', 'settings.json'), JSON.stringify(settings));
  }
  const user = world.sandbox.info.users[0];
  const child = spawn(process.execPath, ['--preserve-symlinks', 'drive.mjs'], {
    cwd: dir,
    env: {
      ...process.env, ...world.env, SMOKE_DIR: dir, SMOKE_MODE: mode, STRATUS_CONFIG: join(dir, 'stratus.json'), STRATUS_TEST_HOOKS: '1',
      SMOKE_CHROMIUM: CHROMIUM_PATH, SMOKE_USER: user?.username ?? '', SMOKE_PASSWORD: user?.password ?? '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  for (const line of stdout.split('\n')) {
    if (line.startsWith('{"step"')) {
      const { step, value } = JSON.parse(line) as { step: string; value: unknown };
      steps.set(step, value);
    }
  }
  if (code !== 0) throw new Error(`the app exited with ${code}: ${stderr.split('\n').filter((l) => !l.startsWith('{')).join('\n').slice(-2000)}`);
}

beforeAll(async () => {
  if (!built) return;
  world = await startCliSandbox('main-bundle');
});

afterAll(async () => {
  await world?.dispose();
});

function step<T>(name: string): T {
  if (!steps.has(name)) throw new Error(`the driver did not reach "${name}"`);
  return steps.get(name) as T;
}

describe.skipIf(!built)('the main bundle with a stand-in for Electron', () => {
  beforeAll(async () => {
    const { info } = world.sandbox;
    await runDriver('aws', { version: 1, auth: 'aws', region: info.region, bucket: info.bucket, endpoint: info.s3Endpoint, forcePathStyle: true, prefix: 'bundle/' });
  }, 120_000);

  it('starts on the first run: choose the folder, in the window and the tray', () => {
    expect(step<StatusSnapshot>('first-status')).toMatchObject({ auth: 'signed-in', sync: 'needs-attention', canOpenFiles: true, setup: { step: 'choose-folder' } });
    const tray = step<{ model: TrayMenuItem[]; tooltip: string }>('first-tray');
    expect(tray.model[0]).toEqual({ kind: 'label', label: 'Needs attention' });
    expect(tray.tooltip).toBe('Stratus: Needs attention\nNot checked yet');
  });

  it('asks before merging, then syncs and ends the first run', async () => {
    expect(step<{ confirm?: string }>('choose').confirm).toMatch(/already holds 1 item/);
    expect(step('choose-merge')).toEqual({ ok: true });
    expect(step<StatusSnapshot>('done-status')).toMatchObject({ sync: 'up-to-date', canOpenFiles: true, setup: { step: 'done' } });
    const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const listed = await world.admin.send(new ListObjectsV2Command({ Bucket: world.sandbox.info.bucket, Prefix: 'bundle/' }));
    expect((listed.Contents ?? []).map((o) => o.Key)).toContain('bundle/a.txt');
  });

  it('refuses IPC from a frame that is not the app, and pushes status changes to the status window', () => {
    expect(step('untrusted')).toBe('Refused IPC from untrusted frame: https://evil.example/');
    expect(step<number>('pushed')).toBeGreaterThan(3);
  });

  it('answers the Settings screen and the ignore preview', () => {
    expect(step<{ values: object; managed: unknown[] }>('settings')).toMatchObject({ values: { notifications: true, logLevel: 'info' }, managed: [] });
    expect(step('preview')).toEqual({ hidden: 1, sample: ['a.txt'], problems: [] });
  });

  it('shows a file in its folder in main, and refuses a path outside the folder', () => {
    expect(step('show-in-folder')).toEqual({ ok: true });
    expect(step('outside')).toEqual({ ok: false, message: 'Stratus refused a request it does not understand.' });
  });

  it('pauses through the engine, and the tray then offers Resume', () => {
    expect(step('pause')).toEqual({ ok: true });
    const actions = step<TrayMenuItem[]>('paused-tray').flatMap((i) => (i.kind === 'action' ? [i.action] : []));
    expect(actions).toEqual(['open-folder', 'open-window', 'sync-now', 'resume', 'snooze-30', 'snooze-60', 'snooze-480', 'quit']);
  });

  it('stores a settings change in settings.json, a superset of the CLI config file', () => {
    expect(step('update-settings')).toEqual({ ok: true });
    expect(step('settings-file')).toMatchObject({ version: 1, auth: 'aws', prefix: 'bundle/', notifications: false, deviceName: 'smoke-box' });
  });

  it('ran the engine in a utilityProcess, restarted it for the new device name, told the user once, and quit after stopping it', () => {
    const log = step<unknown[][]>('log');
    expect(log.filter((e) => e[0] === 'fork')).toEqual([
      ['fork', join(world.scratch, 'app-aws', 'main', 'engineProcess.js'), 'Stratus sync engine'],
      ['fork', join(world.scratch, 'app-aws', 'main', 'engineProcess.js'), 'Stratus sync engine'],
    ]);
    expect(log.filter((e) => e[0] === 'notification').map((e) => e[1])).toEqual(['Stratus is set up']);
    expect(log.at(-1)).toEqual(['quit']);
    expect(log.filter((e) => e[0] === 'window').map((e) => e[1])).toEqual(['Stratus']);
    expect(step<number>('log-file')).toBeGreaterThan(0);
  });
});

const hasChromium = existsSync(CHROMIUM_PATH);
if (built && !hasChromium) console.log(`skipped (cognito part): no Chromium at ${CHROMIUM_PATH} to sign in with`);

describe.skipIf(!built || !hasChromium)('the main bundle in cognito mode, signing in through the system browser', () => {
  beforeAll(async () => {
    const { info } = world.sandbox;
    await runDriver('cognito', info.stratusConfig, { useSystemBrowser: true });
  }, 180_000);

  it('starts on Sign in, signs in through the hosted UI, and asks for the folder', () => {
    expect(step<StatusSnapshot>('cognito-first-status')).toMatchObject({ auth: 'signed-out', sync: 'sign-in-required', setup: { step: 'sign-in' } });
    expect(step('sign-in')).toEqual({ ok: true });
    expect(step<StatusSnapshot>('signed-in-status')).toMatchObject({ auth: 'signed-in', setup: { step: 'choose-folder' } });
  });

  it('syncs under the identity\'s own prefix with the identity pool\'s credentials, which never reach the status', async () => {
    const identityId = world.sandbox.identityIdFor(world.sandbox.info.users[0]?.username ?? '');
    expect(identityId).toBeDefined();
    const done = step<StatusSnapshot>('cognito-done-status');
    expect(done).toMatchObject({ sync: 'up-to-date', auth: 'signed-in', canOpenFiles: true, location: { prefix: `${identityId}/`, identityId } });
    const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const listed = await world.admin.send(new ListObjectsV2Command({ Bucket: world.sandbox.info.bucket, Prefix: `${identityId}/` }));
    expect((listed.Contents ?? []).map((o) => o.Key)).toContain(`${identityId}/from-ada.txt`);
    expect(JSON.stringify([...steps.values()])).not.toMatch(/secretAccessKey|sessionToken|refreshToken|idToken/i);
  });

  it('signs out: syncing stops, Sign in required, and the hosted UI\'s /logout is opened', () => {
    expect(step('sign-out')).toEqual({ ok: true });
    expect(step<StatusSnapshot>('signed-out-status')).toMatchObject({ auth: 'signed-out', sync: 'sign-in-required' });
    const external = step<unknown[][]>('cognito-log').filter((e) => e[0] === 'external').map((e) => new URL(String(e[1])).pathname);
    expect(external).toHaveLength(2);
    expect(external[1]).toMatch(/\/logout$/);
  });
});
