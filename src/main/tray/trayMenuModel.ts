/**
 * What the tray shows, as plain data: the context menu (`trayMenuModel`) and
 * the tooltip (`trayTooltip`) for a status and the settings. AppTray.ts turns
 * the model into an Electron Menu; keeping the decisions here lets Node tests
 * pin them for each of the eight states. The state names are the fixed ones
 * (SYNC_STATE_LABELS), and the time of the last completed check is always
 * shown: "Up to date" is never shown without it.
 *
 * The menu is the tray's whole interface: on Linux (AppIndicator) clicks on
 * the icon may never arrive, so everything a click would do is in the menu.
 */
import { formatBytes } from '../../shared/format.js';
import { SYNC_STATE_LABELS, type StatusSnapshot } from '../../shared/StratusApi.js';
import type { AppSettings } from '../settings/appSettings.js';

export type TrayAction =
  | 'open-folder' | 'open-window' | 'sync-now' | 'pause-30' | 'pause-60' | 'pause-until-resumed' | 'resume' | 'sign-in' | 'sign-out' | 'quit'
  | 'snooze-30' | 'snooze-60' | 'snooze-480' | 'install-update';

/**
 * A newer version the updater knows of (updates/AppUpdater.ts): found but not
 * downloaded (notify mode: the user decides) or downloaded (installs on quit,
 * or now from the menu). Never set when updates are off.
 */
export interface TrayUpdate {
  readonly version: string;
  readonly downloaded: boolean;
}

export type TrayMenuItem =
  /** Information only (shown disabled). */
  | { readonly kind: 'label'; readonly label: string }
  | { readonly kind: 'separator' }
  | { readonly kind: 'action'; readonly action: TrayAction; readonly label: string; readonly enabled: boolean };

export interface TrayFormat {
  /** Local clock time for an ISO instant. @default "14:05" style, the user's locale */
  readonly time?: (iso: string) => string;
}

function defaultTime(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** The first line of the menu: the state's fixed name, and what it means now. */
export function stateLine(status: StatusSnapshot, format: TrayFormat = {}): string {
  const time = format.time ?? defaultTime;
  const label = SYNC_STATE_LABELS[status.sync];
  switch (status.sync) {
    case 'syncing': {
      const p = status.progress;
      return p === undefined || p.total === 0 ? label : `${label}: ${p.done.toLocaleString('en-US')} of ${plural(p.total, 'file')}`;
    }
    case 'paused':
      return status.pausedUntil === undefined ? `${label} until you resume` : `${label} until ${time(status.pausedUntil)}`;
    case 'needs-attention': {
      const n = status.attention?.length ?? status.pending ?? 0;
      return n === 0 ? label : `${label}: ${plural(n, 'item')}`;
    }
    case 'stopped-confirm-deletes':
      if (status.rail?.code === 'first-download') return `Stopped: confirm download (${plural(status.rail.count, 'file')})`;
      return status.rail === undefined ? label : `${label} (${plural(status.rail.count, 'file')})`;
    default:
      return label;
  }
}

/** The second line: the last completed check, always (never a bare "Up to date"). */
export function lastCheckLine(status: StatusSnapshot, format: TrayFormat = {}): string {
  const time = format.time ?? defaultTime;
  return status.lastCheckAt === undefined ? 'Not checked yet' : `Last checked at ${time(status.lastCheckAt)}`;
}

export function trayMenuModel(
  status: StatusSnapshot, settings: Pick<AppSettings, 'folder' | 'connection'>, format: TrayFormat = {}, update?: TrayUpdate,
): TrayMenuItem[] {
  const folder = settings.folder ?? status.folder;
  const cognito = settings.connection?.auth === 'cognito';
  const signedIn = status.auth === 'signed-in' && status.sync !== 'sign-in-required';
  // Syncing needs a folder and (in cognito mode) a sign-in; without them the sync items stay visible but greyed.
  const canSync = folder !== undefined && settings.connection !== undefined && (!cognito || signedIn);
  const items: TrayMenuItem[] = [
    { kind: 'label', label: stateLine(status, format) },
    { kind: 'label', label: lastCheckLine(status, format) },
    { kind: 'separator' },
    { kind: 'action', action: 'open-folder', label: 'Open folder', enabled: folder !== undefined },
    { kind: 'action', action: 'open-window', label: 'Open Stratus', enabled: true },
    { kind: 'separator' },
    { kind: 'action', action: 'sync-now', label: 'Sync now', enabled: canSync && status.sync !== 'paused' },
  ];
  if (status.sync === 'paused') {
    items.push({ kind: 'action', action: 'resume', label: 'Resume', enabled: canSync });
  } else {
    items.push(
      { kind: 'action', action: 'pause-30', label: 'Pause for 30 minutes', enabled: canSync },
      { kind: 'action', action: 'pause-60', label: 'Pause for 1 hour', enabled: canSync },
      { kind: 'action', action: 'pause-until-resumed', label: 'Pause until resumed', enabled: canSync },
    );
  }
  if (cognito) {
    items.push({ kind: 'separator' });
    items.push(signedIn
      ? { kind: 'action', action: 'sign-out', label: status.account === undefined ? 'Sign out' : `Sign out (${status.account})`, enabled: true }
      : { kind: 'action', action: 'sign-in', label: 'Sign in…', enabled: status.auth !== 'signing-in' });
  }
  // Snooze mutes file-change notices only; what needs the user still gets through.
  items.push(
    { kind: 'separator' },
    { kind: 'action', action: 'snooze-30', label: 'Snooze file notifications for 30 minutes', enabled: true },
    { kind: 'action', action: 'snooze-60', label: 'Snooze file notifications for 1 hour', enabled: true },
    { kind: 'action', action: 'snooze-480', label: 'Snooze file notifications for 8 hours', enabled: true },
  );
  if (update !== undefined) {
    // Installing is always visible (the installer shows itself and asks for an administrator where it must).
    items.push({ kind: 'separator' }, {
      kind: 'action', action: 'install-update', enabled: true,
      label: update.downloaded ? `Restart to update to Stratus ${update.version}` : `Install Stratus ${update.version}…`,
    });
  }
  items.push({ kind: 'separator' }, { kind: 'action', action: 'quit', label: 'Quit Stratus', enabled: true });
  return items;
}

/** Windows cuts tray tooltips at 127 characters; the others show about as much. */
export const TOOLTIP_MAX = 127;

/** "Stratus: <state>" and the counts that matter in it, on short lines. */
export function trayTooltip(status: StatusSnapshot, format: TrayFormat = {}): string {
  const lines = [`Stratus: ${stateLine(status, format)}`];
  const p = status.progress;
  if (status.sync === 'syncing' && p !== undefined && p.bytesLeft > 0) lines.push(`${formatBytes(p.bytesLeft)} left`);
  const waiting = status.pending ?? 0;
  if (status.sync !== 'needs-attention' && waiting > 0) lines.push(`${plural(waiting, 'item')} waiting`);
  if (status.sync === 'stopped-confirm-deletes' && status.rail !== undefined) {
    lines.push(status.rail.code === 'first-download' ? 'would download them to this computer' : status.rail.direction === 'remote' ? 'would delete them in the cloud' : 'would delete them on this computer');
  }
  lines.push(lastCheckLine(status, format));
  const text = lines.join('\n');
  return text.length <= TOOLTIP_MAX ? text : `${text.slice(0, TOOLTIP_MAX - 1)}…`;
}
