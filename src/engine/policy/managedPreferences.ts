/**
 * Which Settings-screen preferences an organization's enforced policies lock
 * ("Managed by your organization"), from resolved settings. One mapping for
 * both faces: the app (src/main/policy/AppPolicies.ts) and `stratus watch --ui`
 * (src/cli/watchPreferences.ts), so a locked setting is read-only on both.
 */
import type { PreferenceKey } from '../../shared/StratusApi.js';
import type { ResolvedSetting } from './resolveSettings.js';

/** Preference → the policy settings behind it (any one locked locks the preference). */
const BEHIND: readonly (readonly [PreferenceKey, readonly string[]])[] = [
  ['folder', ['folder']],
  ['startAtLogin', ['startAtLogin']],
  ['notifications', ['notificationLevel']],
  ['bandwidth', ['uploadLimitKiBps', 'downloadLimitKiBps']],
  ['massDelete', ['massDeleteMaxFiles', 'massDeleteMaxPercent']],
  ['logLevel', ['logLevel']],
  ['useSystemBrowser', ['useSystemBrowser']],
];

export function managedPreferences(settings: Readonly<Record<string, ResolvedSetting>>): PreferenceKey[] {
  return BEHIND.filter(([, names]) => names.some((name) => settings[name]?.locked === true)).map(([key]) => key);
}
