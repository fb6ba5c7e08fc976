/**
 * The Settings screen's side in the app: the `Preferences` the renderer sees
 * (StratusApi's names, which are the settings file's and the CLI config
 * file's) taken from the stored settings, and the `SettingsView` around them.
 * Everything is editable in the app except what the organization's policies
 * lock (`managed`, shown "Managed by your organization"); the values shown are
 * the ones that apply (policy/AppPolicies.ts). Secrets and the plaintext-storage opt-in
 * are not shown here. Pure: the caller reads `.stratusignore`.
 */
import type { Preferences, PreferenceKey, SettingsView } from '../../shared/StratusApi.js';
import type { AppSettings } from './appSettings.js';

export const PREFERENCE_KEYS: readonly PreferenceKey[] = [
  'folder', 'deviceName', 'startAtLogin', 'notifications', 'bandwidth', 'pauseOnBattery', 'massDelete', 'logLevel', 'useSystemBrowser',
];

export function preferencesOf(settings: AppSettings): Preferences {
  return {
    ...(settings.folder === undefined ? {} : { folder: settings.folder }),
    ...(settings.deviceName === undefined ? {} : { deviceName: settings.deviceName }),
    startAtLogin: settings.startAtLogin,
    notifications: settings.notifications,
    bandwidth: settings.bandwidth,
    pauseOnBattery: settings.pauseOnBattery,
    massDelete: settings.massDelete,
    logLevel: settings.logLevel,
    useSystemBrowser: settings.useSystemBrowser,
  };
}

/** The policies' part of the view: the settings as they apply, what is locked, the admin ignore patterns. */
export interface SettingsPolicy {
  readonly effective: AppSettings;
  readonly managed: readonly PreferenceKey[];
  readonly adminIgnorePatterns: readonly string[];
}

export function settingsView(settings: AppSettings, ignoreRules: string, logsFolder: string, policy?: SettingsPolicy): SettingsView {
  if (policy === undefined) return { values: preferencesOf(settings), editable: PREFERENCE_KEYS, managed: [], ignoreRules, logsFolder };
  return {
    values: preferencesOf(policy.effective),
    editable: PREFERENCE_KEYS.filter((key) => !policy.managed.includes(key)),
    managed: policy.managed,
    ignoreRules,
    logsFolder,
    ...(policy.adminIgnorePatterns.length === 0 ? {} : { adminIgnoreRules: policy.adminIgnorePatterns }),
  };
}
