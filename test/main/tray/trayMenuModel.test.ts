/**
 * The tray's menu and tooltip for each of the eight states, with the fixed
 * state names, the last completed check always shown, and the actions that
 * fit (Pause ↔ Resume, Sign in ↔ Sign out, greyed sync items before setup).
 */
import { describe, expect, it } from 'vitest';
import { SYNC_STATE_LABELS, type StatusSnapshot, type SyncState } from '../../../src/shared/StratusApi.js';
import { TOOLTIP_MAX, trayMenuModel, trayTooltip, type TrayMenuItem } from '../../../src/main/tray/trayMenuModel.js';
import type { AppSettings } from '../../../src/main/settings/appSettings.js';
import type { StratusConfig } from '../../../src/shared/StratusConfig.js';

const time = (iso: string): string => iso.slice(11, 16);
const format = { time };
const cognito: StratusConfig = {
  version: 1, auth: 'cognito', region: 'eu-west-1', bucket: 'stratus-data',
  cognito: { issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/x', clientId: 'c', identityPoolId: 'eu-west-1:1', redirectUri: 'http://localhost:53682/callback' },
};
const settings: Pick<AppSettings, 'folder' | 'connection'> = { folder: '/home/ada/Stratus', connection: cognito };
const base: StatusSnapshot = { version: 1, auth: 'signed-in', account: 'ada@example.com', sync: 'up-to-date', folder: '/home/ada/Stratus', lastCheckAt: '2026-11-22T14:02:00.000Z' };

const STATUS: Readonly<Record<SyncState, StatusSnapshot>> = {
  checking: { ...base, sync: 'checking' },
  'up-to-date': base,
  syncing: { ...base, sync: 'syncing', progress: { done: 3, total: 12, bytesLeft: 5 * 1024 * 1024, current: ['a.txt'] } },
  paused: { ...base, sync: 'paused', pausedUntil: '2026-11-22T14:32:00.000Z' },
  offline: { ...base, sync: 'offline', pending: 2 },
  'sign-in-required': { ...base, auth: 'signed-out', sync: 'sign-in-required' },
  'needs-attention': {
    ...base, sync: 'needs-attention', pending: 2,
    attention: [
      { kind: 'error', path: 'a.txt', message: 'Access denied', retrying: false },
      { kind: 'conflict', path: 'b.txt', message: 'both changed', at: '2026-11-22T14:00:00.000Z', here: { path: 'b (conflicted copy).txt', size: 1, modifiedAt: '2026-11-22T13:00:00.000Z' }, other: { path: 'b.txt', size: 2, modifiedAt: '2026-11-22T13:30:00.000Z' } },
    ],
  },
  'stopped-confirm-deletes': { ...base, sync: 'stopped-confirm-deletes', rail: { code: 'mass-delete', direction: 'remote', count: 600, sample: ['x.txt'], message: 'm' } },
};

const EXPECTED_STATE_LINE: Readonly<Record<SyncState, string>> = {
  checking: 'Checking',
  'up-to-date': 'Up to date',
  syncing: 'Syncing: 3 of 12 files',
  paused: 'Paused until 14:32',
  offline: 'Offline',
  'sign-in-required': 'Sign in required',
  'needs-attention': 'Needs attention: 2 items',
  'stopped-confirm-deletes': 'Stopped: confirm deletes (600 files)',
};

const SNOOZE = ['snooze-30', 'snooze-60', 'snooze-480'];

function actions(items: readonly TrayMenuItem[]): string[] {
  return items.flatMap((item) => (item.kind === 'action' ? [`${item.action}${item.enabled ? '' : ' (disabled)'}`] : []));
}

describe('trayMenuModel', () => {
  for (const state of Object.keys(SYNC_STATE_LABELS) as SyncState[]) {
    it(`shows "${SYNC_STATE_LABELS[state]}" with the last check, and the actions that fit, when ${state}`, () => {
      const items = trayMenuModel(STATUS[state], settings, format);
      expect(items[0]).toEqual({ kind: 'label', label: EXPECTED_STATE_LINE[state] });
      expect(items[0]?.kind === 'label' && items[0].label.startsWith(SYNC_STATE_LABELS[state])).toBe(true);
      expect(items[1]).toEqual({ kind: 'label', label: 'Last checked at 14:02' });
      const expected = state === 'paused'
        ? ['open-folder', 'open-window', 'sync-now (disabled)', 'resume', 'sign-out', ...SNOOZE, 'quit']
        : state === 'sign-in-required'
          ? ['open-folder', 'open-window', 'sync-now (disabled)', 'pause-30 (disabled)', 'pause-60 (disabled)', 'pause-until-resumed (disabled)', 'sign-in', ...SNOOZE, 'quit']
          : ['open-folder', 'open-window', 'sync-now', 'pause-30', 'pause-60', 'pause-until-resumed', 'sign-out', ...SNOOZE, 'quit'];
      expect(actions(items)).toEqual(expected);
    });
  }

  it('labels the menu items as the issue names them', () => {
    const labels = trayMenuModel(base, settings, format).flatMap((i) => (i.kind === 'action' ? [i.label] : []));
    expect(labels).toEqual(['Open folder', 'Open Stratus', 'Sync now', 'Pause for 30 minutes', 'Pause for 1 hour', 'Pause until resumed', 'Sign out (ada@example.com)', 'Snooze file notifications for 30 minutes', 'Snooze file notifications for 1 hour', 'Snooze file notifications for 8 hours', 'Quit Stratus']);
    const { pausedUntil: _until, ...untilResumed } = STATUS.paused;
    const paused = trayMenuModel(untilResumed, settings, format);
    expect(paused[0]).toEqual({ kind: 'label', label: 'Paused until you resume' });
  });

  it('never shows Up to date without saying when the last check was (or that there was none)', () => {
    const { lastCheckAt: _none, ...fresh } = base;
    expect(trayMenuModel(fresh, settings, format)[1]).toEqual({ kind: 'label', label: 'Not checked yet' });
  });

  it('greys out syncing and Open folder before the first run chose a folder, and offers Sign in', () => {
    const items = trayMenuModel({ version: 1, auth: 'signed-out', sync: 'checking' }, { connection: cognito }, format);
    expect(actions(items)).toEqual(['open-folder (disabled)', 'open-window', 'sync-now (disabled)', 'pause-30 (disabled)', 'pause-60 (disabled)', 'pause-until-resumed (disabled)', 'sign-in', ...SNOOZE, 'quit']);
  });

  it('has no Sign in / Sign out in aws mode (the AWS SDK credentials are used)', () => {
    const aws: StratusConfig = { version: 1, auth: 'aws', region: 'us-east-1', bucket: 'b-1', prefix: 'p/' };
    expect(actions(trayMenuModel(base, { folder: '/f', connection: aws }, format))).toEqual(
      ['open-folder', 'open-window', 'sync-now', 'pause-30', 'pause-60', 'pause-until-resumed', ...SNOOZE, 'quit']);
  });

  it('offers a known update above Quit — install when found, restart when downloaded — and nothing without one', () => {
    const found = trayMenuModel(base, settings, format, { version: '1.4.2', downloaded: false });
    expect(actions(found).slice(-2)).toEqual(['install-update', 'quit']);
    expect(found.find((i) => i.kind === 'action' && i.action === 'install-update')).toMatchObject({ label: 'Install Stratus 1.4.2…', enabled: true });
    const ready = trayMenuModel(base, settings, format, { version: '1.4.2', downloaded: true });
    expect(ready.find((i) => i.kind === 'action' && i.action === 'install-update')).toMatchObject({ label: 'Restart to update to Stratus 1.4.2' });
    expect(actions(trayMenuModel(base, settings, format))).not.toContain('install-update');
  });

  it('says "confirm download" for a first-download stop', () => {
    const stopped: StatusSnapshot = { ...base, sync: 'stopped-confirm-deletes', rail: { code: 'first-download', direction: 'local', count: 3210, bytes: 10, sample: [], message: 'm' } };
    expect(trayMenuModel(stopped, settings, format)[0]).toEqual({ kind: 'label', label: 'Stopped: confirm download (3,210 files)' });
    expect(trayTooltip(stopped, format)).toContain('would download them to this computer');
  });

  it('disables Sign in while a sign-in is under way', () => {
    const items = trayMenuModel({ ...base, auth: 'signing-in', sync: 'sign-in-required' }, settings, format);
    expect(actions(items)).toContain('sign-in (disabled)');
  });
});

describe('trayTooltip', () => {
  const EXPECTED: Readonly<Record<SyncState, string>> = {
    checking: 'Stratus: Checking\nLast checked at 14:02',
    'up-to-date': 'Stratus: Up to date\nLast checked at 14:02',
    syncing: 'Stratus: Syncing: 3 of 12 files\n5.0 MiB left\nLast checked at 14:02',
    paused: 'Stratus: Paused until 14:32\nLast checked at 14:02',
    offline: 'Stratus: Offline\n2 items waiting\nLast checked at 14:02',
    'sign-in-required': 'Stratus: Sign in required\nLast checked at 14:02',
    'needs-attention': 'Stratus: Needs attention: 2 items\nLast checked at 14:02',
    'stopped-confirm-deletes': 'Stratus: Stopped: confirm deletes (600 files)\nwould delete them in the cloud\nLast checked at 14:02',
  };
  for (const state of Object.keys(SYNC_STATE_LABELS) as SyncState[]) {
    it(`says the state and its counts when ${state}`, () => {
      const tooltip = trayTooltip(STATUS[state], format);
      expect(tooltip).toBe(EXPECTED[state]);
      expect(tooltip.length).toBeLessThanOrEqual(TOOLTIP_MAX);
    });
  }

  it('stays within the Windows tooltip limit', () => {
    const long = trayTooltip({ ...STATUS['stopped-confirm-deletes'], pending: 123_456_789, rail: { code: 'mass-delete', direction: 'local', count: 123_456_789, sample: [], message: 'm' } }, format);
    expect(long.length).toBeLessThanOrEqual(TOOLTIP_MAX);
  });
});
