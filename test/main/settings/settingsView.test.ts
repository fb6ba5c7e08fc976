/**
 * The Settings screen's data in the app: the stored preferences under the
 * shared contract's names (valid by its own validator), all editable, none
 * managed, and no secret or plaintext opt-in among them.
 */
import { describe, expect, it } from 'vitest';
import { readSettings } from '../../../src/main/settings/appSettings.js';
import { preferencesOf, settingsView } from '../../../src/main/settings/settingsView.js';
import { isSettingsView } from '../../../src/shared/validators.js';

describe('settingsView', () => {
  it('shows the stored preferences, valid for the renderer, everything editable and nothing managed', () => {
    const { settings } = readSettings({ folder: '/home/ada/Stratus', deviceName: 'ada-laptop', bandwidth: { upBytesPerSecond: 1024 }, allowPlaintextTokenStorage: true });
    const view = settingsView(settings, 'build/\n', '/home/ada/.config/Stratus/logs');
    expect(isSettingsView(view)).toBe(true);
    expect(view.values).toEqual({
      folder: '/home/ada/Stratus', deviceName: 'ada-laptop', startAtLogin: true, notifications: true, bandwidth: { upBytesPerSecond: 1024 },
      pauseOnBattery: false, massDelete: { maxFiles: 500, maxRatio: 0.5 }, logLevel: 'info', useSystemBrowser: false,
    });
    expect(view.managed).toEqual([]);
    expect([...view.editable].sort()).toEqual(Object.keys(view.values).sort());
    expect(view).toMatchObject({ ignoreRules: 'build/\n', logsFolder: '/home/ada/.config/Stratus/logs' });
  });

  it('leaves out what is not set', () => {
    expect(preferencesOf(readSettings({}).settings)).not.toHaveProperty('folder');
  });
});
