/**
 * SettingsStore: the app's settings as one validated value (`current`), with
 * `update` to change some and `onDidChange` fired with the whole new value.
 * Where they are kept is a SettingsBackend: electron-store in the app
 * (ElectronSettingsStore.ts), an object in tests. Every read goes through
 * `readSettings`, so a hand-edited file with a bad value gives its default
 * plus a line in `problems`, never a crash.
 */
import { Emitter, type Disposable, type Event } from '../../core/Emitter.js';
import { readSettings, settingsRecord, type AppSettings } from './appSettings.js';

export interface SettingsBackend {
  /** The stored object as it is (unvalidated). */
  read(): unknown;
  /** Replaces the stored object. */
  write(record: Record<string, unknown>): void;
}

export type SettingsChange = { readonly [K in keyof AppSettings]?: AppSettings[K] };

export class SettingsStore implements Disposable {
  private readonly didChange = new Emitter<AppSettings>();
  readonly onDidChange: Event<AppSettings> = this.didChange.event;
  private value: AppSettings;
  /** What was wrong with the stored settings at the last read. */
  problems: readonly string[];

  constructor(private readonly backend: SettingsBackend) {
    const read = readSettings(backend.read());
    this.value = read.settings;
    this.problems = read.problems;
  }

  get current(): AppSettings {
    return this.value;
  }

  /** Changes some settings, validated like any read; fires `onDidChange` when something changed. */
  update(change: SettingsChange): AppSettings {
    const next = readSettings(settingsRecord({ ...this.value, ...change } as AppSettings));
    if (next.problems.length > 0) throw new Error(`Stratus cannot store these settings: ${next.problems.join('; ')}`);
    const before = JSON.stringify(settingsRecord(this.value));
    const record = settingsRecord(next.settings);
    if (JSON.stringify(record) === before) return this.value;
    this.backend.write(record);
    this.value = next.settings;
    this.didChange.fire(this.value);
    return this.value;
  }

  dispose(): void {
    this.didChange.dispose();
  }
}
