/**
 * The Settings screen's side in the app: the `Preferences` the renderer sees
 * (StratusApi's names, which are the settings file's and the CLI config
 * file's) taken from the stored settings, and the `SettingsView` around them.
 * Everything is editable in the app; nothing is managed yet (the enterprise
 * rollout issue brings policies). Secrets and the plaintext-storage opt-in
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

export function settingsView(settings: AppSettings, ignoreRules: string, logsFolder: string): SettingsView {
  return { values: preferencesOf(settings), editable: PREFERENCE_KEYS, managed: [], ignoreRules, logsFolder };
}
