/**
 * The Settings screen of `stratus watch --ui` (issue 8): a PreferencesPort
 * showing the preferences this process runs with — folder, deviceName,
 * bandwidth, massDelete, logLevel — and where each read-only one is set
 * ("--folder", "the config file /x.json", "default"), from the settings
 * merge's `sources`.
 *
 * Only the bandwidth limits can be changed here: live, through the remote's
 * `setBandwidthLimits` (running transfers included), for this session only.
 * The CLI does not rewrite its config file behind a person's back; the result
 * says which key to put in which file to keep the change. Preferences an
 * enforced policy locks are shown as managed (bandwidth then cannot change
 * here either), and AdminIgnorePatterns above the ignore editor, as the app does. The app-only
 * preferences (startAtLogin, notifications, …) mean nothing to the CLI: they
 * have no value here, and their source says so.
 */
import { hostname as osHostname } from 'node:os';
import type { BandwidthLimits } from '../engine/ports.js';
import type { PreferencesPort } from '../engine/watch/SyncController.js';
import type { CommandResult, PreferenceKey, Preferences, SettingsView } from '../shared/StratusApi.js';
import { DEFAULT_MASS_DELETE, type StratusConfig } from '../shared/StratusConfig.js';
import { cliLogLevel } from './CliIo.js';

export interface WatchPreferencesOptions {
  /** The validated settings in effect (folder absolute). */
  readonly settings: Pick<StratusConfig, 'deviceName' | 'massDelete' | 'logLevel'> & { readonly folder: string };
  /** Where each setting came from (MergedSettings.sources): "--folder", "the config file /x.json", "default", … */
  readonly sources: ReadonlyMap<string, string>;
  /** The config file in use (--config / STRATUS_CONFIG), named in "put "bandwidth" in … to keep it". */
  readonly configFile?: string;
  /** The limits in effect at start (effectiveBandwidth: flags over the config file). */
  readonly bandwidth: BandwidthLimits;
  /** `--verbose` was given: debug logs, whatever the config file says. */
  readonly verbose: boolean;
  /** The folder was chosen on the status page's first run, after the settings were merged. */
  readonly folderFromFirstRun?: boolean;
  /** Applies limits to every transfer, running ones included (the remote's); without it, bandwidth is read-only. */
  readonly setBandwidthLimits?: (limits: BandwidthLimits) => void;
  /** @default os.hostname */
  readonly hostname?: () => string;
  /** Preferences the organization's enforced policies lock (PolicyEngineOptions.managed): read-only, "Managed by your organization". */
  readonly managed?: readonly PreferenceKey[];
  /** AdminIgnorePatterns, shown read-only above the `.stratusignore` editor. */
  readonly adminIgnoreRules?: readonly string[];
}

/** Preferences only the desktop app uses (StratusConfig.ts ignores them in a config file). */
const APP_ONLY: readonly PreferenceKey[] = ['startAtLogin', 'notifications', 'pauseOnBattery', 'useSystemBrowser'];

/** Largest rate accepted (1 TiB/s), as `isPreferences` checks it on the way in. */
const MAX_RATE = 2 ** 40;

function isRate(value: unknown): value is number | undefined {
  return value === undefined || (Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= MAX_RATE);
}

function describeRate(bytesPerSecond: number | undefined): string {
  if (bytesPerSecond === undefined) return 'no limit';
  return bytesPerSecond % 1024 === 0 ? `${bytesPerSecond / 1024} KiB/s` : `${bytesPerSecond} bytes/s`;
}

export function watchPreferences(o: WatchPreferencesOptions): PreferencesPort {
  let limits: BandwidthLimits = o.bandwidth;
  const setLimits = o.setBandwidthLimits;
  const source = (key: PreferenceKey): string => o.sources.get(key) ?? 'default';
  const logLevel = cliLogLevel(o.verbose, o.settings.logLevel);

  const sources: { [K in PreferenceKey]?: string } = {
    folder: o.folderFromFirstRun === true ? 'the first-run setup' : source('folder'),
    deviceName: source('deviceName'),
    massDelete: source('massDelete'),
    // Without --verbose or "logLevel", the CLI writes no logs at all (its own lines only).
    logLevel: o.verbose ? '--verbose' : o.sources.get('logLevel') ?? 'default (no logs: --verbose or "logLevel" in the config file turns them on)',
    ...(setLimits === undefined ? { bandwidth: 'this connection (it cannot limit bandwidth)' } : {}),
    // The app's own preferences: the screen still lists them, so it says why they are locked here.
    ...Object.fromEntries(APP_ONLY.map((key) => [key, 'the desktop app only'])),
  };

  return {
    view(): Omit<SettingsView, 'ignoreRules'> {
      const values: Preferences = {
        folder: o.settings.folder,
        deviceName: o.settings.deviceName ?? (o.hostname ?? osHostname)(),
        bandwidth: {
          ...(limits.uploadBytesPerSecond === undefined ? {} : { upBytesPerSecond: limits.uploadBytesPerSecond }),
          ...(limits.downloadBytesPerSecond === undefined ? {} : { downBytesPerSecond: limits.downloadBytesPerSecond }),
        },
        massDelete: o.settings.massDelete ?? DEFAULT_MASS_DELETE,
        ...(logLevel === undefined ? {} : { logLevel }),
      };
      const managed = o.managed ?? [];
      return {
        values,
        editable: setLimits === undefined || managed.includes('bandwidth') ? [] : ['bandwidth'],
        managed,
        sources,
        ...(o.adminIgnoreRules === undefined || o.adminIgnoreRules.length === 0 ? {} : { adminIgnoreRules: o.adminIgnoreRules }),
      };
    },

    update(change: Preferences): Promise<CommandResult> {
      // SyncController lets only `editable` keys through; this guards a caller that does not.
      const other = Object.keys(change).filter((key) => key !== 'bandwidth');
      if (setLimits === undefined || other.length > 0) {
        return Promise.resolve({ ok: false, message: `Only the bandwidth limits can be changed here${other.length > 0 ? ` (not ${other.join(', ')})` : ''}.` });
      }
      const up = change.bandwidth?.upBytesPerSecond;
      const down = change.bandwidth?.downBytesPerSecond;
      if (!isRate(up) || !isRate(down)) {
        return Promise.resolve({ ok: false, message: `Bandwidth limits must be whole numbers of bytes per second from 1 to ${MAX_RATE}.` });
      }
      // Both directions, every time: an absent one lifts its limit, as the Settings screen sends it.
      setLimits({ uploadBytesPerSecond: up, downloadBytesPerSecond: down });
      limits = { ...(up === undefined ? {} : { uploadBytesPerSecond: up }), ...(down === undefined ? {} : { downloadBytesPerSecond: down }) };
      const keep = o.configFile === undefined
        ? 'a config file (--config FILE) to keep it, or start with --limit-up / --limit-down'
        : `${o.configFile} to keep it`;
      return Promise.resolve({
        ok: true,
        message: `Bandwidth limits set (up: ${describeRate(up)}, down: ${describeRate(down)}) for this session; put "bandwidth" in ${keep}.`,
      });
    },
  };
}
