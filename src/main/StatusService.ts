/**
 * Holds the app's current `StatusSnapshot` and tells subscribers when it changes.
 *
 * Emits `onDidChangeStatus` with the whole new snapshot (no diffs), so a window
 * opened late needs only `current` plus the next events. No electron import: the
 * IPC layer forwards events to renderers.
 */
import { Emitter, type Disposable, type Event } from '../core/Emitter.js';
import type { StatusSnapshot } from '../shared/StratusApi.js';
import { initialStatus } from '../shared/validators.js';

export class StatusService implements Disposable {
  private readonly didChange = new Emitter<StatusSnapshot>();
  readonly onDidChangeStatus: Event<StatusSnapshot> = this.didChange.event;
  private snapshot: StatusSnapshot;

  constructor(initial: StatusSnapshot = initialStatus()) {
    this.snapshot = initial;
  }

  get current(): StatusSnapshot {
    return this.snapshot;
  }

  /** Replaces the whole snapshot (fields the new one lacks are gone, not kept). */
  replace(snapshot: StatusSnapshot): void {
    this.snapshot = snapshot;
    this.didChange.fire(this.snapshot);
  }

  update(change: Partial<Omit<StatusSnapshot, 'version'>>): void {
    this.snapshot = { ...this.snapshot, ...change, version: 1 };
    this.didChange.fire(this.snapshot);
  }

  dispose(): void {
    this.didChange.dispose();
  }
}
