// Drives the built main bundle (copied next to a node_modules whose `electron` is ./electron.js) through its
// IPC handlers and test hooks, like the renderer and the tray would, and prints one JSON object per step.
// Run by mainBundle.smoke.test.ts as `node --preserve-symlinks drive.mjs` with SMOKE_DIR, STRATUS_CONFIG and
// the sandbox's AWS key in the environment.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.SMOKE_DIR;
const electron = await import('electron');
await import('./main/index.js');
const out = (step, value) => process.stdout.write(`${JSON.stringify({ step, value })}\n`);
const until = async (check, ms, what) => {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};
const hooks = () => globalThis.stratusTestHooks;
await until(() => hooks() !== undefined, 10_000, 'the app to compose');
const trusted = { senderFrame: { url: 'stratus-app://app/index.html' } };
const invoke = (channel, ...args) => electron.handlers.get(channel)(trusted, ...args);

if (process.env.SMOKE_MODE === 'cognito') {
  await cognito();
  process.exit(0);
}

await until(() => hooks().status().setup?.step === 'choose-folder', 20_000, 'the choose-folder step');
out('first-status', hooks().status());
out('first-tray', { model: hooks().trayModel(), tooltip: electron.trays[0].tooltip });
const folder = join(dir, 'home', 'Stratus');
mkdirSync(folder, { recursive: true });
writeFileSync(join(folder, 'a.txt'), 'A');
out('choose', await invoke('stratus:run', { type: 'choose-folder', path: folder }));
out('choose-merge', await invoke('stratus:run', { type: 'choose-folder', path: folder, merge: true }));
await until(() => hooks().status().setup?.step === 'done', 60_000, 'the first sync');
out('done-status', hooks().status());
try {
  electron.handlers.get('stratus:get-status')({ senderFrame: { url: 'https://evil.example/' } });
  out('untrusted', 'answered');
} catch (err) {
  out('untrusted', err.message);
}
out('settings', await invoke('stratus:get-settings'));
out('preview', await invoke('stratus:preview-ignore', '*.txt\n'));
out('show-in-folder', await invoke('stratus:run', { type: 'show-in-folder', path: 'a.txt' }));
out('outside', await invoke('stratus:run', { type: 'open-path', path: '../a.txt' }));
out('pause', await invoke('stratus:run', { type: 'pause', minutes: 30 }));
await until(() => hooks().status().sync === 'paused', 20_000, 'paused');
out('paused-tray', hooks().trayModel());
out('update-settings', await invoke('stratus:run', { type: 'update-settings', change: { notifications: false, deviceName: 'smoke-box' } }));
out('settings-file', JSON.parse(readFileSync(join(dir, 'userData', 'settings.json'), 'utf8')));
const quit = new Promise((resolve) => {
  globalThis.smokeQuit = resolve;
});
electron.app.quit();
await quit;
out('log', electron.log.filter((entry) => entry[0] !== 'send'));
out('pushed', electron.log.filter((entry) => entry[0] === 'send').length);
out('log-file', readFileSync(join(dir, 'logs', 'stratus.log'), 'utf8').trim().split('\n').length);
process.exit(0);

/**
 * Cognito mode, signing in "in the system browser" (the setting is on): the URL the app hands to
 * shell.openExternal is opened in Chromium and the sandbox's hosted UI is filled in.
 */
async function cognito() {
  await until(() => hooks().status().setup?.step === 'sign-in', 20_000, 'the sign-in step');
  out('cognito-first-status', hooks().status());
  const signedIn = invoke('stratus:run', { type: 'sign-in' });
  await until(() => electron.log.some((e) => e[0] === 'external'), 20_000, 'the hosted UI address');
  const url = electron.log.find((e) => e[0] === 'external')[1];
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: process.env.SMOKE_CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await page.locator('#username').fill(process.env.SMOKE_USER);
    await page.locator('#password').fill(process.env.SMOKE_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Signed in to Stratus' }).waitFor();
  } finally {
    await browser.close();
  }
  out('sign-in', await signedIn);
  out('signed-in-status', hooks().status());
  const folder = join(dir, 'home', 'Stratus');
  out('choose', await invoke('stratus:run', { type: 'choose-folder', path: folder }));
  writeFileSync(join(folder, 'from-ada.txt'), 'hello');
  await until(() => hooks().status().setup?.step === 'done', 60_000, 'the first sync');
  await until(() => hooks().status().sync === 'up-to-date' && (hooks().status().recent ?? []).some((r) => r.path === 'from-ada.txt'), 60_000, 'the upload');
  out('cognito-done-status', hooks().status());
  out('sign-out', await invoke('stratus:run', { type: 'sign-out' }));
  out('signed-out-status', hooks().status());
  const quit = new Promise((resolve) => {
    globalThis.smokeQuit = resolve;
  });
  electron.app.quit();
  await quit;
  out('cognito-log', electron.log.filter((entry) => entry[0] !== 'send'));
}
