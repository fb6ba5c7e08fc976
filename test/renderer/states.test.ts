/**
 * Every user-visible state of the status window in real Chromium (issue 8):
 * the eight fixed state names, each checked with axe-core (light and dark) and
 * saved as a screenshot under test-results/states/ (the README's pictures in
 * docs/screenshots/ are these files). Plus what the panels promise: conflict
 * columns never swapped, the rail's direction and sample, the commands each
 * button sends, refusals shown in words, the Account screen, and the whole
 * window usable with the keyboard alone. The API is a stand-in of the
 * preload's shape (test/support/fakeStratusPage.ts); the flows against a real
 * engine are in test/cli/statusPageFlows.sandbox.test.ts.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNC_STATE_LABELS, type SettingsView, type StatusSnapshot, type SyncState } from '../../src/shared/StratusApi.js';
import { isStatusSnapshot } from '../../src/shared/validators.js';
import { seriousAxeViolations } from '../support/axe.js';
import { launchChromium } from '../support/chromium.js';
import { openFakePage } from '../support/fakeStratusPage.js';
import { serveRenderer, type StaticServer } from '../support/staticServer.js';

const repo = resolve(import.meta.dirname, '../..');
const rendererDir = join(repo, 'out/renderer');
const shots = join(repo, 'test-results', 'states');

let browser: Browser;
let server: StaticServer;

beforeAll(async () => {
  if (!existsSync(join(rendererDir, 'index.html'))) throw new Error('out/renderer is missing: run "npm run build" first (npm test does).');
  server = await serveRenderer(rendererDir);
  browser = await launchChromium();
  await mkdir(shots, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Minutes before 14:00 local time today, as ISO (screenshots read like a real afternoon). */
function at(hours: number, minutes: number): string {
  const d = new Date();
  d.setHours(hours, minutes, 0, 0);
  return d.toISOString();
}

const base = {
  version: 1,
  auth: 'signed-in',
  account: 'ada@example.com',
  folder: '/home/ada/Stratus',
  lastCheckAt: at(14, 2),
  canOpenFiles: true,
  location: { user: 'ada@example.com', identityId: 'eu-west-1:5b0c4a1e-8f2d-4c7e-9a51-2f6d3b9e7c10', bucket: 'acme-stratus', prefix: 'eu-west-1:5b0c4a1e-8f2d-4c7e-9a51-2f6d3b9e7c10/', usedBytes: 734_003_200, usedFiles: 1284 },
  recent: [
    { path: 'Reports/Q3 summary.pdf', kind: 'uploaded', at: at(14, 1) },
    { path: 'Photos/2026/harbour.jpg', kind: 'downloaded', at: at(13, 58) },
    { path: 'old-draft.txt', kind: 'deleted-remotely', at: at(13, 40) },
  ],
} as const satisfies Partial<StatusSnapshot>;

const conflict = {
  kind: 'conflict',
  path: 'Budget 2027.xlsx',
  message: 'Changed on this computer and in the cloud since the last sync: both versions were kept.',
  here: { path: 'Budget 2027 (conflicted copy ada-laptop 2026-11-22 135500).xlsx', size: 48_213, modifiedAt: at(13, 55), device: 'ada-laptop' },
  other: { path: 'Budget 2027.xlsx', size: 51_877, modifiedAt: at(13, 50) },
  at: at(13, 56),
} as const;

const STATES: Readonly<Record<SyncState, StatusSnapshot>> = {
  checking: { ...base, sync: 'checking' },
  'up-to-date': { ...base, sync: 'up-to-date' },
  syncing: {
    ...base, sync: 'syncing',
    progress: { done: 12, total: 40, bytesLeft: 125_829_120, bytesPerSecond: 5_452_595, etaSeconds: 24, current: ['Video/launch.mp4', 'Reports/Q4.xlsx', 'notes.md'], next: ['Photos/beach.jpg', 'Photos/dunes.jpg'] },
  },
  paused: { ...base, sync: 'paused', pausedUntil: at(14, 32) },
  offline: { ...base, sync: 'offline' },
  'sign-in-required': { ...base, sync: 'sign-in-required', message: 'Your session ended (the sign-in was revoked). Sign in again; nothing waiting to sync is lost.' },
  'needs-attention': {
    ...base, sync: 'needs-attention', pending: 2,
    message: '1 item could not be synced; 1 conflict: both versions were kept.',
    attention: [
      { kind: 'error', path: 'Design/huge-render.psd', message: 'The server refused the upload (500 InternalError).', retrying: true, attempts: 3, nextAttemptAt: at(14, 10) },
      conflict,
    ],
  },
  'stopped-confirm-deletes': {
    ...base, sync: 'stopped-confirm-deletes',
    message: 'This run would delete 612 files on the server (of 1,284 synced files). Stratus stopped to ask first.',
    rail: { code: 'mass-delete', direction: 'remote', count: 612, sample: ['Archive/2019/a.pdf', 'Archive/2019/b.pdf', 'Archive/2019/c.pdf'], message: 'This run would delete 612 files on the server.' },
  },
};

describe('the eight states', () => {
  for (const [state, status] of Object.entries(STATES) as [SyncState, StatusSnapshot][]) {
    it(`${SYNC_STATE_LABELS[state]}: named, accessible in light and dark, saved as a screenshot`, async () => {
      expect(isStatusSnapshot(status)).toBe(true);
      const { page, errors } = await openFakePage(browser, server.url, status, { width: 560, height: 820 });
      expect(await page.textContent('#status-title')).toBe(SYNC_STATE_LABELS[state]);
      expect(await page.getAttribute('#status', 'data-sync')).toBe(state);
      expect(await page.textContent('#status-checked')).toMatch(/^Last checked \d\d:\d\d/);
      expect(await page.title()).toBe(`Stratus — ${SYNC_STATE_LABELS[state]}`);
      expect(await seriousAxeViolations(page)).toEqual([]);
      await page.screenshot({ path: join(shots, `${state}.png`), fullPage: true });
      await page.emulateMedia({ colorScheme: 'dark' });
      expect(await seriousAxeViolations(page)).toEqual([]);
      await page.screenshot({ path: join(shots, `${state}-dark.png`), fullPage: true });
      expect(errors).toEqual([]);
      await page.close();
    });
  }
});

describe('panels', () => {
  it('shows what is moving: names, N of M, bytes left, rate and ETA', async () => {
    const { page } = await openFakePage(browser, server.url, STATES.syncing);
    expect(await page.textContent('.progress-moving')).toBe('launch.mp4 and 2 more');
    expect(await page.textContent('.progress-counts')).toBe('12 of 40 items · 120 MiB left · 5.2 MiB/s · less than a minute left');
    expect(await page.getAttribute('#progress progress', 'value')).toBe('12');
    expect(await page.textContent('.progress-next')).toBe('Next: beach.jpg, dunes.jpg and 23 more');
    await page.close();
  });

  it('puts this computer\'s version on the left and the cloud\'s on the right, and sends the choice for the right file', async () => {
    const fake = await openFakePage(browser, server.url, STATES['needs-attention'], { width: 560, height: 820 });
    const row = fake.page.locator('#attention-list li.conflict');
    const [left, right] = [row.locator('.version').nth(0), row.locator('.version').nth(1)];
    expect(await left.locator('h4').textContent()).toBe('This computer');
    expect(await left.locator('[data-fact="name"]').textContent()).toBe('Budget 2027 (conflicted copy ada-laptop 2026-11-22 135500).xlsx');
    expect(await left.locator('[data-fact="size"]').textContent()).toBe('47.1 KiB');
    expect(await left.locator('[data-fact="device"]').textContent()).toBe('ada-laptop');
    expect(await right.locator('h4').textContent()).toBe('Cloud');
    expect(await right.locator('[data-fact="name"]').textContent()).toBe('Budget 2027.xlsx');
    expect(await right.locator('[data-fact="size"]').textContent()).toBe('50.7 KiB');
    // The modified times are the right way round too (13:55 here, 13:50 in the cloud).
    expect(await left.locator('[data-fact="modified"]').textContent()).toMatch(/\b(13|01):55\b/);
    expect(await right.locator('[data-fact="modified"]').textContent()).toMatch(/\b(13|01):50\b/);
    await left.locator('[data-action="open-path"]').click();
    await right.locator('[data-action="open-path"]').click();
    await row.locator('[data-action="keep-here"]').click();
    await row.locator('[data-action="keep-other"]').click();
    await row.locator('[data-action="keep-both"]').click();
    const error = fake.page.locator('#attention-list li.error');
    await error.locator('[data-action="retry-now"]').click();
    await error.locator('[data-action="ignore-path"]').click();
    expect(await fake.commands()).toEqual([
      { type: 'open-path', path: conflict.here.path },
      { type: 'open-path', path: conflict.other.path },
      { type: 'resolve-conflict', path: 'Budget 2027.xlsx', keep: 'here' },
      { type: 'resolve-conflict', path: 'Budget 2027.xlsx', keep: 'other' },
      { type: 'resolve-conflict', path: 'Budget 2027.xlsx', keep: 'both' },
      { type: 'retry-now', path: 'Design/huge-render.psd' },
      { type: 'ignore-path', path: 'Design/huge-render.psd' },
    ]);
    expect(await error.textContent()).toMatch(/tries again at [^(]+ \(attempt 4\)/);
    await fake.page.close();
  });

  it('names the rail\'s direction and count, lists the sample, and sends Confirm or Restore', async () => {
    const fake = await openFakePage(browser, server.url, STATES['stopped-confirm-deletes']);
    expect(await fake.page.textContent('#rail .rail-what')).toBe('612 files deleted on this computer would be deleted in the cloud. Nothing has been deleted.');
    expect(await fake.page.locator('#rail .rail-sample li').allTextContents()).toEqual(['Archive/2019/a.pdf', 'Archive/2019/b.pdf', 'Archive/2019/c.pdf']);
    expect(await fake.page.textContent('#rail p.muted')).toBe('…and 609 more.');
    expect(await fake.page.textContent('#rail [data-action="confirm-deletes"]')).toBe('Delete 612 files in the cloud');
    await fake.page.click('#rail [data-action="restore-deletes"]');
    await fake.page.click('#rail [data-action="confirm-deletes"]');
    expect(await fake.commands()).toEqual([{ type: 'restore-deletes' }, { type: 'confirm-deletes' }]);
    // The other direction reads the other way.
    await fake.emit({ ...STATES['stopped-confirm-deletes'], rail: { code: 'remote-empty', direction: 'local', count: 3, sample: ['a', 'b', 'c'], message: 'm' } });
    await expect.poll(() => fake.page.textContent('#rail .rail-what')).toBe('3 files missing in the cloud would be deleted on this computer. Nothing has been deleted.');
    expect(await fake.page.textContent('#rail [data-action="restore-deletes"]')).toBe('Upload them again');
    await fake.page.close();
  });

  it('shows a first-download stop with its size and Download / Pause, never Restore (nothing was deleted)', async () => {
    const rail = { code: 'first-download' as const, direction: 'local' as const, count: 3210, bytes: 13_314_398_618, sample: ['Photos/2019/a.jpg', 'Photos/2019/b.jpg'], message: 'This first sync would download 3,210 files.' };
    const fake = await openFakePage(browser, server.url, { ...STATES['stopped-confirm-deletes'], rail });
    expect(await fake.page.textContent('#rail h2')).toBe('Stopped before downloading');
    expect(await fake.page.textContent('#rail .rail-what')).toBe('The first sync would download 3,210 files (12.4 GiB) to this computer. Nothing has been transferred.');
    expect(await fake.page.textContent('#status-title')).toBe('Stopped: confirm download');
    expect(await fake.page.title()).toBe('Stratus — Stopped: confirm download');
    expect(await fake.page.locator('#rail [data-action="restore-deletes"]').count()).toBe(0);
    expect(await fake.page.locator('#rail [data-action="confirm-deletes"]').count()).toBe(0);
    expect(await fake.page.textContent('#rail [data-action="confirm-download"]')).toBe('Download 3,210 files (12.4 GiB)');
    expect(await seriousAxeViolations(fake.page)).toEqual([]);
    await fake.page.click('#rail [data-action="confirm-download"]');
    await fake.page.click('#rail [data-action="rail-pause"]');
    expect(await fake.commands()).toEqual([{ type: 'confirm-download' }, { type: 'pause' }]);
    await fake.page.close();
  });

  it('shows a refused command in words, and no Open buttons where files cannot be opened', async () => {
    const fake = await openFakePage(browser, server.url, { ...STATES['needs-attention'], canOpenFiles: false });
    expect(await fake.page.locator('[data-action="open-path"]').count()).toBe(0);
    expect(await fake.page.locator('[data-action="show-in-folder"]').count()).toBe(0);
    await fake.page.evaluate(() => {
      (window as unknown as { __commandResult: unknown }).__commandResult = { ok: false, message: 'No conflict is recorded for Budget 2027.xlsx.' };
    });
    await fake.page.click('#attention-list li.conflict [data-action="keep-both"]');
    await expect.poll(() => fake.page.textContent('#notice')).toBe('No conflict is recorded for Budget 2027.xlsx.');
    expect(await fake.page.isVisible('#notice')).toBe(true);
    await fake.page.close();
  });

  it('keeps focus on a row\'s button while statuses stream in', async () => {
    const fake = await openFakePage(browser, server.url, STATES['needs-attention']);
    await fake.page.focus('#attention-list li.error [data-action="retry-now"]');
    const focused = (): Promise<string | undefined> => fake.page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset['action']);
    expect(await focused()).toBe('retry-now');
    for (let i = 0; i < 5; i++) await fake.emit({ ...STATES['needs-attention'], lastCheckAt: at(14, 3 + i) });
    expect(await focused()).toBe('retry-now');
    // Same item, new retry time: the row is rebuilt, focus follows to the same action.
    await fake.emit({ ...STATES['needs-attention'], attention: [{ ...STATES['needs-attention'].attention?.[0], nextAttemptAt: at(14, 20) } as never, conflict] });
    expect(await fake.page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset['action'])).toBe('retry-now');
    await fake.page.close();
  });

  it('shows the Account screen: user, identity, bucket, prefix, storage used — and no secrets', async () => {
    const fake = await openFakePage(browser, server.url, STATES['up-to-date'], { width: 560, height: 600 });
    await fake.page.click('#tab-account');
    expect(await fake.page.isVisible('#screen-account')).toBe(true);
    expect(await fake.page.isVisible('#screen-status')).toBe(false);
    expect(await fake.page.getAttribute('#tab-account', 'aria-current')).toBe('page');
    const facts = await fake.page.locator('#account-facts dt, #account-facts dd').allTextContents();
    expect(facts).toEqual([
      'User', 'ada@example.com',
      'Identity ID', 'eu-west-1:5b0c4a1e-8f2d-4c7e-9a51-2f6d3b9e7c10',
      'Bucket', 'acme-stratus',
      'Prefix', 'eu-west-1:5b0c4a1e-8f2d-4c7e-9a51-2f6d3b9e7c10/',
      'Storage used', `700 MiB in ${(1284).toLocaleString('en-US')} files`,
    ]);
    expect(await seriousAxeViolations(fake.page)).toEqual([]);
    await fake.page.screenshot({ path: join(shots, 'account.png'), fullPage: true });
    await fake.page.evaluate(() => {
      (window as unknown as { __commandResult: unknown }).__commandResult = { ok: false, message: 'Signing out is not possible from here: run "stratus logout" on the computer that syncs.' };
    });
    await fake.page.click('#sign-out');
    expect(await fake.commands()).toEqual([{ type: 'sign-out' }]);
    await expect.poll(() => fake.page.textContent('#notice')).toMatch(/^Signing out is not possible from here/);
    await fake.page.close();
  });

  it('can be used with the keyboard alone: Tab reaches every control in order, Enter acts', async () => {
    const fake = await openFakePage(browser, server.url, STATES['needs-attention'], { width: 560, height: 820 });
    const reached: string[] = [];
    for (let i = 0; i < 21; i++) {
      await fake.page.keyboard.press('Tab');
      reached.push(await fake.page.evaluate(() => {
        const a = document.activeElement as HTMLElement | null;
        return a?.id !== undefined && a.id !== '' ? `#${a.id}` : (a?.dataset['action'] ?? a?.tagName ?? '');
      }));
    }
    expect(reached.slice(0, 7)).toEqual(['#tab-status', '#tab-account', '#tab-settings', '#sync-now', '#pause-for', '#pause', 'retry-now']);
    expect(reached).toContain('keep-both');
    await fake.page.focus('#sync-now');
    await fake.page.keyboard.press('Enter');
    await fake.page.focus('#tab-account');
    await fake.page.keyboard.press('Enter');
    expect(await fake.page.isVisible('#screen-account')).toBe(true);
    expect(await fake.commands()).toEqual([{ type: 'sync-now' }]);
    await fake.page.close();
  });
});

describe('Settings screen', () => {
  const settings: SettingsView = {
    values: {
      folder: '/home/ada/Stratus', deviceName: 'ada-laptop', startAtLogin: true, notifications: true,
      bandwidth: { upBytesPerSecond: 1_048_576 }, pauseOnBattery: false, massDelete: { maxFiles: 500, maxRatio: 0.5 }, logLevel: 'info', useSystemBrowser: false,
    },
    editable: ['deviceName', 'startAtLogin', 'notifications', 'bandwidth', 'pauseOnBattery', 'massDelete', 'logLevel', 'useSystemBrowser'],
    managed: ['useSystemBrowser'],
    sources: { folder: 'the first run' },
    ignoreRules: '*.tmp\n',
    logsFolder: '/home/ada/.config/Stratus/logs',
  };

  it('shows every setting with its value, locks what is managed or set elsewhere, and saves each change as it is made', async () => {
    const fake = await openFakePage(browser, server.url, STATES['up-to-date'], { width: 560, height: 900 }, settings, { hidden: 2, sample: ['build/', 'notes.tmp'], problems: [] });
    await fake.page.click('#tab-settings');
    await fake.page.waitForSelector('#setting-deviceName');
    expect(await fake.page.inputValue('#setting-folder')).toBe('/home/ada/Stratus');
    expect(await fake.page.textContent('[data-setting="folder"] .setting-lock')).toBe('Set by the first run');
    expect(await fake.page.inputValue('#setting-deviceName')).toBe('ada-laptop');
    expect(await fake.page.inputValue('#setting-bandwidth-up')).toBe('1024');
    expect(await fake.page.inputValue('#setting-bandwidth-down')).toBe('');
    expect(await fake.page.inputValue('#setting-mass-share')).toBe('50');
    expect(await fake.page.isDisabled('#setting-useSystemBrowser')).toBe(true);
    expect(await fake.page.textContent('[data-setting="useSystemBrowser"] .setting-lock')).toBe('Managed by your organization');
    expect(await fake.page.isDisabled('#setting-startAtLogin')).toBe(false);
    expect(await seriousAxeViolations(fake.page)).toEqual([]);

    await fake.page.fill('#setting-deviceName', 'ada-desk');
    await fake.page.press('#setting-deviceName', 'Tab');
    await fake.page.uncheck('#setting-startAtLogin');
    await fake.page.fill('#setting-bandwidth-down', '2048');
    await fake.page.press('#setting-bandwidth-down', 'Tab');
    await fake.page.fill('#setting-mass-files', '50');
    await fake.page.press('#setting-mass-files', 'Tab');
    await fake.page.selectOption('#setting-logLevel', 'debug');
    await expect.poll(() => fake.commands()).toEqual([
      { type: 'update-settings', change: { deviceName: 'ada-desk' } },
      { type: 'update-settings', change: { startAtLogin: false } },
      { type: 'update-settings', change: { bandwidth: { upBytesPerSecond: 1_048_576, downBytesPerSecond: 2_097_152 } } },
      { type: 'update-settings', change: { massDelete: { maxFiles: 50, maxRatio: 0.5 } } },
      { type: 'update-settings', change: { logLevel: 'debug' } },
    ]);
    await fake.page.screenshot({ path: join(shots, 'settings.png'), fullPage: true });
    await fake.page.close();
  });

  it('previews what the ignore rules hide before saving them', async () => {
    const fake = await openFakePage(browser, server.url, STATES['up-to-date'], { width: 560, height: 900 }, settings, { hidden: 2, sample: ['build/', 'notes.tmp'], problems: [] });
    await fake.page.click('#tab-settings');
    await fake.page.waitForSelector('#ignore-rules');
    expect(await fake.page.inputValue('#ignore-rules')).toBe('*.tmp\n');
    await expect.poll(() => fake.page.textContent('#ignore-preview')).toBe('Hides 2 items: build/, notes.tmp');
    await fake.page.fill('#ignore-rules', '*.tmp\nbuild/\n');
    await expect.poll(() => fake.page.evaluate(() => (window as unknown as { __previews: string[] }).__previews.at(-1))).toBe('*.tmp\nbuild/\n');
    await fake.page.click('[data-action="save-ignore"]');
    await expect.poll(() => fake.commands()).toEqual([{ type: 'set-ignore-rules', text: '*.tmp\nbuild/\n' }]);
    await fake.page.click('[data-action="open-logs"]');
    await expect.poll(() => fake.commands()).toContainEqual({ type: 'open-logs' });
    await fake.page.close();
  });
  it('lists the organization\'s ignore patterns read-only above the editor', async () => {
    const managed: SettingsView = { ...settings, adminIgnoreRules: ['*.pst', 'secrets/'] };
    const fake = await openFakePage(browser, server.url, STATES['up-to-date'], { width: 560, height: 900 }, managed, { hidden: 0, sample: [], problems: [] });
    await fake.page.click('#tab-settings');
    await fake.page.waitForSelector('#admin-ignore-rules');
    expect(await fake.page.textContent('#admin-ignore-rules .setting-lock')).toBe('Set by your organization (cannot be changed)');
    expect(await fake.page.locator('#admin-ignore-rules li').allTextContents()).toEqual(['*.pst', 'secrets/']);
    // Read-only: a list, not a field; the user's rules stay in the editor alone.
    expect(await fake.page.locator('#admin-ignore-rules input, #admin-ignore-rules textarea').count()).toBe(0);
    expect(await fake.page.inputValue('#ignore-rules')).toBe('*.tmp\n');
    // Above the editor.
    expect(await fake.page.evaluate(() => {
      const list = document.getElementById('admin-ignore-rules');
      const editor = document.getElementById('ignore-rules');
      return list !== null && editor !== null && (list.compareDocumentPosition(editor) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
    })).toBe(true);
    expect(await seriousAxeViolations(fake.page)).toEqual([]);
    await fake.page.close();
  });

  it('shows no organization list when there are no admin patterns', async () => {
    const fake = await openFakePage(browser, server.url, STATES['up-to-date'], { width: 560, height: 900 }, settings, { hidden: 0, sample: [], problems: [] });
    await fake.page.click('#tab-settings');
    await fake.page.waitForSelector('#ignore-rules');
    expect(await fake.page.locator('#admin-ignore-rules').count()).toBe(0);
    await fake.page.close();
  });
});
