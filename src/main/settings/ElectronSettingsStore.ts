/**
 * The settings kept by electron-store in `<userData>/settings.json`,
 * validated with SETTINGS_SCHEMA on every write (appSettings.ts holds the
 * schema, defaults and rules; SettingsStore.ts the behaviour). A file the
 * schema rejects (edited by hand) is not fatal: it is moved aside to
 * `settings.invalid-<time>.json`, and its valid values are carried over by
 * `readSettings`, which drops only the broken ones. electron-store's own IPC
 * listener (for stores in renderers) is removed: none of ours has one.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { ipcMain } from 'electron';
import Store, { type Schema } from 'electron-store';
import type { Logger } from '../../engine/logger.js';
import { readSettings, settingsRecord, SETTINGS_SCHEMA } from './appSettings.js';
import { SettingsStore, type SettingsBackend } from './SettingsStore.js';

const NAME = 'settings';

/** electron-store's channel for stores in renderers (it answers any sender with the userData path). */
const ELECTRON_STORE_CHANNEL = 'electron-store-get-data';

function openStore(userDataDir: string): Store {
  const store = new Store({ name: NAME, cwd: userDataDir, schema: SETTINGS_SCHEMA as unknown as Schema<Record<string, unknown>>, clearInvalidConfig: false });
  // No renderer uses a store (settings reach the page through StratusApi only): an IPC listener that checks no sender has no place here.
  ipcMain.removeAllListeners(ELECTRON_STORE_CHANNEL);
  return store;
}

export function createElectronSettingsStore(userDataDir: string, log?: Logger): SettingsStore {
  let store: Store;
  try {
    store = openStore(userDataDir);
  } catch (err) {
    const file = join(userDataDir, `${NAME}.json`);
    // Without a file the failure is not about its contents: nothing to move aside.
    if (!existsSync(file)) throw err;
    let salvaged: Record<string, unknown> = {};
    try {
      salvaged = settingsRecord(readSettings(JSON.parse(readFileSync(file, 'utf8'))).settings);
    } catch {
      // Not even JSON: nothing to carry over.
    }
    const aside = join(userDataDir, `${NAME}.invalid-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    log?.warn('the settings file was invalid; moved aside, valid values kept', { aside, error: err instanceof Error ? err.message : String(err) });
    renameSync(file, aside);
    store = openStore(userDataDir);
    store.store = salvaged;
  }
  const backend: SettingsBackend = {
    read: () => store.store,
    write: (record) => {
      store.store = record;
    },
  };
  return new SettingsStore(backend);
}
